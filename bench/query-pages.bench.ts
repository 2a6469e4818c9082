import { Agent, request } from 'undici';
import type pg from 'pg';
import { loadConfig } from '../src/config.ts';
import type { Logger } from '../src/logger.ts';
import { startService } from '../src/service/run-service.ts';
import { latencyFigures, median, sampleTimes, type Figure } from './harness.ts';

const SAMPLES = 60;
const TARGET_MS = 100;
const USER = 'bench';
const PASSWORD = 'bench-password-long-enough';

/**
 * The dashboard's papers pages over HTTP, on the query group's database
 * (buildDatabase): the real dashboard started by the service, asked by a
 * keep-alive client on the same machine, median and p95 of SAMPLES requests
 * each after a warm-up. The baseline is `/healthz` measured the same way: one
 * authenticated round trip that asks Postgres and Redis a trivial question,
 * so the ratio is what a page costs beyond HTTP itself.
 */
export async function benchQueryPages(
  pool: pg.Pool,
  options: { databaseUrl: string; redisUrl: string; count: number; logger: Logger; log: (line: string) => void },
): Promise<Figure[]> {
  const service = await startService(
    new Set(['dashboard']),
    loadConfig({
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      DASHBOARD_PORT: '0',
      DASHBOARD_USER: USER,
      DASHBOARD_PASSWORD: PASSWORD,
      PAPERBOY_QUEUE_PREFIX: `bench-${process.pid}`,
      LOG_LEVEL: 'warn',
    }),
    options.logger,
  );
  const agent = new Agent({ connections: 1 });
  const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
  const get = async (path: string): Promise<string> => {
    const response = await request(`${service.dashboardUrl}${path}`, { dispatcher: agent, headers: { authorization } });
    const body = await response.body.text();
    if (response.statusCode !== 200) throw new Error(`GET ${path}: ${response.statusCode} ${body.slice(0, 200)}`);
    return body;
  };
  try {
    const ids = (
      await pool.query<{ paper_id: string }>(`select distinct paper_id from paper_metrics limit ${SAMPLES}`)
    ).rows.map((row) => row.paper_id);
    const days = (
      await pool.query<{ key: string }>(
        `select distinct key from listings where kind = 'day' order by key limit ${SAMPLES}`,
      )
    ).rows.map((row) => row.key);
    // A deep page: the 20th, by following the pages' own next links.
    let deep = '/papers?sort=listed';
    for (let page = 0; page < 20; page += 1) deep = nextLink(await get(deep), deep);
    const searches = ['diffusion video generation', 'reinforcement learning reasoning', '"large language models"'];
    const cases: Array<[string, (i: number) => string]> = [
      ['/papers (most upvoted, first page)', () => '/papers'],
      ['/papers?sort=listed (newest listing)', () => '/papers?sort=listed'],
      ['/papers?sort=stars (most starred repository)', () => '/papers?sort=stars'],
      ['/papers, 20th page by newest listing', () => deep],
      ['/papers?q= (search, best match)', (i) => `/papers?q=${encodeURIComponent(searches[i % searches.length]!)}`],
      [
        '/papers?day=&min_upvotes=&has_code=true',
        (i) => `/papers?day=${days[i % days.length]}&min_upvotes=10&has_code=true`,
      ],
      ['/papers/<id> (one paper, its charts)', (i) => `/papers/${ids[i % ids.length]}`],
    ];
    const baseline = await sampleTimes(SAMPLES, () => get('/healthz'));
    const figures: Figure[] = [];
    for (const [name, path] of cases) {
      const times = await sampleTimes(SAMPLES, (i) => get(path(i)));
      options.log(
        `query: HTTP ${name}: median ${median(times).toFixed(1)} ms (/healthz ${median(baseline).toFixed(1)} ms)`,
      );
      figures.push(
        ...latencyFigures(`query: HTTP ${name} at ${options.count} papers`, times, baseline, {
          targetMs: TARGET_MS,
          note: 'baseline: GET /healthz over the same connection, same run',
        }),
      );
    }
    return figures;
  } finally {
    await agent.close();
    await service.shutdown('bench over');
  }
}

function nextLink(html: string, from: string): string {
  const match = /<a rel="next" href="([^"]+)"/.exec(html);
  if (!match) throw new Error(`${from}: no next page`);
  return match[1]!.replaceAll('&amp;', '&');
}

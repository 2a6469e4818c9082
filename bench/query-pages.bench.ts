import { Agent, request } from 'undici';
import type pg from 'pg';
import { loadConfig } from '../src/config.ts';
import type { Logger } from '../src/logger.ts';
import { startService } from '../src/service/run-service.ts';
import { median, percentile, sampleTimes, type Figure } from './harness.ts';

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
  await addHistory(pool);
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
      await pool.query<{ paper_id: string }>(
        `select distinct paper_id from paper_metrics tablesample system (5) limit ${SAMPLES}`,
      )
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
      for (const quantile of ['median', 'p95'] as const) {
        const value = quantile === 'median' ? median(times) : percentile(times, 0.95);
        const base = quantile === 'median' ? median(baseline) : percentile(baseline, 0.95);
        figures.push({
          name: `query: HTTP ${name} at ${options.count} papers, ${quantile}`,
          value,
          unit: 'ms',
          baseline: base,
          ratio: base / value,
          target: quantile === 'median' ? `< ${TARGET_MS} ms` : '-',
          met: quantile === 'median' ? value < TARGET_MS : null,
          note: quantile === 'median' ? 'baseline: GET /healthz over the same connection, same run' : undefined,
        });
      }
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

/**
 * History for the pages to draw: two weeks of upvote observations at
 * irregular times for 1% of the papers, a month of daily star snapshots for
 * every repository (what months of running leave).
 */
async function addHistory(pool: pg.Pool): Promise<void> {
  await pool.query('truncate paper_metrics, repo_snapshots');
  await pool.query(
    `insert into paper_metrics (paper_id, observed_at, upvotes, num_comments)
     select p.id, now() - make_interval(hours => (s * 23 + (hashtext(p.id) & 7))), greatest(0, p.upvotes - s * 3), 0
     from (select id, upvotes from papers tablesample system (1)) p cross join generate_series(0, 13) s`,
  );
  await pool.query(
    `insert into repo_snapshots (repo_id, observed_at, stars, forks)
     select r.id, now() - make_interval(days => d), greatest(0, r.stars - d * (r.id % 7)), r.forks
     from repos r cross join generate_series(0, 29) d`,
  );
  await pool.query('analyze paper_metrics, repo_snapshots');
}

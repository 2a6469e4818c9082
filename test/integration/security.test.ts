import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchPapers } from '../../src/db/query.repository.ts';
import { JOBS, QUEUES } from '../../src/queue/contracts.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { apiEntries } from '../support/digests.ts';
import { FakeGithub } from '../support/fake-github.ts';
import { buildListPage } from '../support/page-builder.ts';
import { configOf, openQueue, serviceEnv, spawnRole, waitFor } from '../support/service.ts';
import { UpstreamServer } from '../support/upstream-server.ts';

const GITHUB_TOKEN = 'ghp_S3cretGithubTokenNeverLogged0001';
const HF_TOKEN = 'hf_S3cretHuggingFaceTokenNeverLogged';
const DASHBOARD_PASSWORD = 'S3cret dashboard password';

/** Every value stored under a queue prefix in Redis, as one text. */
async function redisDump(redisUrl: string, prefix: string): Promise<string> {
  const redis = new Redis(redisUrl);
  const parts: string[] = [];
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 })) {
      for (const key of keys as string[]) {
        const type = await redis.type(key);
        if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'list') parts.push(...(await redis.lrange(key, 0, -1)));
        else if (type === 'zset') parts.push(...(await redis.zrange(key, 0, -1)));
        else if (type === 'set') parts.push(...(await redis.smembers(key)));
        else if (type === 'string') parts.push((await redis.get(key)) ?? '');
        else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      }
    }
  } finally {
    redis.disconnect();
  }
  return parts.join('\n');
}

describe('secrets stay secret; hostile text stays text', () => {
  const hf = new UpstreamServer();
  const github = new FakeGithub();
  let db: TestDatabase;
  const hostileTitles = [
    `'); DROP TABLE papers; --`,
    `back\\slash "quoted" 'single'`,
    `nul\u0000byte and a lone \ud800 surrogate`,
  ];

  beforeAll(async () => {
    await hf.start();
    await github.start();
    db = await createTestDatabase();
    const entries = apiEntries('hf-api-daily_papers-2025-10-08.json');
    hostileTitles.forEach((title, index) => {
      entries[index]!.title = title;
      entries[index]!.paper.title = title;
    });
    hf.route('/papers/date/2025-10-08', { body: buildListPage({ entries, date: '2025-10-08' }) });
    for (const day of ['2025-10-06', '2025-10-07'])
      hf.route(`/papers/date/${day}`, {
        body: buildListPage({ entries: apiEntries('hf-api-daily_papers-2025-10-03.json'), date: day }),
      });
  });

  afterAll(async () => {
    await db.drop();
    await hf.stop();
    await github.stop();
  });

  it(
    'never writes GITHUB_TOKEN, HF_TOKEN, DASHBOARD_PASSWORD or the DATABASE_URL password to logs or job data',
    { timeout: 90_000 },
    async () => {
      const databasePassword = new URL(db.url).password;
      expect(databasePassword.length).toBeGreaterThan(5);
      const secrets = [GITHUB_TOKEN, HF_TOKEN, DASHBOARD_PASSWORD, databasePassword];
      const env = serviceEnv(db.url, hf.baseUrl, {
        GITHUB_API_URL: github.baseUrl,
        GITHUB_TOKEN,
        HF_TOKEN,
        DASHBOARD_USER: 'operator',
        DASHBOARD_PASSWORD,
        LOG_LEVEL: 'trace',
      });

      // A command, at the chattiest log level, including a failure (a 404 day).
      const cli = await runCli(['ingest', 'day', '2025-10-08'], env);
      expect(cli.code).toBe(0);
      const failing = await runCli(['ingest', 'day', '2025-10-09'], env);
      expect(failing.code).toBe(1);

      // The service: a backfill, enrichment, dashboard requests with and without the password.
      const service = spawnRole('start', env);
      try {
        const url = await waitFor(
          async () => /dashboard at (http:\/\/127\.0\.0\.1:\d+)/.exec(service.output())?.[1],
          60_000,
          'the dashboard',
        );
        const auth = `Basic ${Buffer.from(`operator:${DASHBOARD_PASSWORD}`).toString('base64')}`;
        expect((await fetch(`${url}/backfills`, { headers: { authorization: auth } })).status).toBe(200);
        expect(
          (await fetch(`${url}/backfills`, { headers: { authorization: 'Basic b3BlcmF0b3I6d3Jvbmc=' } })).status,
        ).toBe(401);
        const backfills = await openQueue(configOf(env), QUEUES.backfills);
        try {
          const job = await backfills.queue.add(JOBS.backfill, {
            kind: 'day',
            from: '2025-10-06',
            to: '2025-10-09',
            force: true,
            via: 'html',
          });
          const done = await backfills.settled(job, 60_000);
          expect(done.returnvalue).toMatchObject({
            loaded: ['2025-10-06', '2025-10-07', '2025-10-08'],
            failed: [{ key: '2025-10-09' }],
          });
        } finally {
          await backfills.close();
        }
        await waitFor(async () => github.requests.length > 0, 30_000, 'enrichment to reach GitHub');
      } finally {
        service.child.kill('SIGTERM');
        expect(await service.exited).toBe(0);
      }

      // The secrets did reach where they belong...
      expect(github.requests[0]!.headers.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
      expect(hf.requests.some((request) => request.headers.authorization === `Bearer ${HF_TOKEN}`)).toBe(true);
      // ...and nowhere else: not the logs (trace level), not Redis.
      const logs = [cli.stdout, cli.stderr, failing.stdout, failing.stderr, service.output()].join('\n');
      expect(logs.length).toBeGreaterThan(10_000);
      const stored = await redisDump(env.REDIS_URL!, env.PAPERBOY_QUEUE_PREFIX!);
      expect(stored).toContain('2025-10-06');
      for (const secret of secrets) {
        expect(logs.includes(secret), `a secret in the logs`).toBe(false);
        expect(stored.includes(secret), `a secret in Redis`).toBe(false);
      }
    },
  );

  it('stores hostile titles exactly (NUL and lone surrogates as U+FFFD) and finds them by search', async () => {
    // The page with these titles was loaded by the test above, through `paperboy ingest` and the backfill.
    const { rows } = await db.pool.query<{ title: string }>(`select title from papers order by title`);
    const stored = rows.map((row) => row.title);
    expect(stored).toContain(`'); DROP TABLE papers; --`);
    expect(stored).toContain(`back\\slash "quoted" 'single'`);
    expect(stored).toContain('nul\ufffdbyte and a lone \ufffd surrogate');
    for (const text of [`'); DROP TABLE papers; --`, `back\\slash "quoted"`, 'lone surrogate']) {
      const found = await searchPapers(db.pool, text, {}, { limit: 5 });
      expect(found.length, text).toBeGreaterThan(0);
    }
    const drop = await searchPapers(db.pool, `'); DROP TABLE papers; --`, {}, { limit: 1 });
    expect(drop[0]!.title).toBe(`'); DROP TABLE papers; --`);
    expect((await db.pool.query(`select count(*)::int as n from papers`)).rows[0].n).toBeGreaterThan(20);
  });
});

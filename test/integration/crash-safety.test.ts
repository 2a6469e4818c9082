import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/infra/embedded-postgres.ts';
import { startEmbeddedRedis } from '../../src/infra/embedded-redis.ts';
import { findFreePort } from '../../src/infra/local-process.ts';
import { createLogger } from '../../src/logger.ts';
import type { BackfillResult } from '../../src/queue/backfill-flow.ts';
import { JOBS, QUEUES } from '../../src/queue/contracts.ts';
import { startService } from '../../src/service/run-service.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { dayRange, DigestUpstream } from '../support/digest-upstream.ts';
import { runCli } from '../support/cli.ts';
import { configOf, openQueue, serviceEnv, spawnRole } from '../support/service.ts';
import { migrateUp } from '../../src/db/migrate.ts';
import pg from 'pg';
import { parseListPage } from '../../src/domain/parse-digest.ts';

/**
 * Crash and infrastructure faults during backfills, on real processes: a
 * worker SIGKILLed again and again, Redis restarted, Postgres restarted.
 * Each run must end with every day loaded, and the crashed run with exactly
 * the rows of an undisturbed one, table by table.
 */

const logger = createLogger({ level: 'silent', pretty: false });

/** The rows of every table, in the columns that do not depend on when or how often the work ran. */
const COMPARED: Record<string, string> = {
  papers: `select id, title, abstract, authors, published_at, upvotes, num_comments, ai_summary, ai_keywords, project_page,
                  organization, submitted_by, thumbnail, raw, content_hash from papers order by id`,
  listings: `select source, kind, key, paper_id, rank, upvotes from listings order by source, kind, key, paper_id`,
  paper_metrics: `select paper_id, upvotes, num_comments from paper_metrics order by paper_id, observed_at`,
  page_bodies: `select sha256, content_type, length(body) as size from page_bodies order by sha256`,
  loaded_fetches: `select kind, key, content_sha256, paper_count, parser_version from digest_fetches where outcome = 'loaded' order by kind, key`,
  repo_refs: `select ref, display from repo_refs order by ref`,
  paper_repos: `select paper_id, ref, source from paper_repos order by paper_id, ref`,
};

async function snapshot(pool: pg.Pool): Promise<Record<string, unknown[]>> {
  const tables: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(COMPARED)) tables[name] = (await pool.query(sql)).rows;
  return tables;
}

async function backfillThrough(
  env: Record<string, string>,
  range: { from: string; to: string },
  disturb: (job: Job) => Promise<void> = async () => undefined,
) {
  const backfills = await openQueue(configOf(env), QUEUES.backfills);
  try {
    const job = await backfills.queue.add(JOBS.backfill, { kind: 'day', from: range.from, to: range.to, via: 'html' });
    await disturb(job);
    const done = await backfills.settled(job, 120_000);
    expect(done.failedReason).toBeUndefined();
    return done.returnvalue as BackfillResult;
  } finally {
    await backfills.close();
  }
}

describe('crash safety', () => {
  const upstream = new DigestUpstream();
  let undisturbed: TestDatabase;
  let crashed: TestDatabase;

  beforeAll(async () => {
    await upstream.start();
    upstream.delayMs = 40;
    [undisturbed, crashed] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });

  afterAll(async () => {
    await undisturbed?.drop();
    await crashed?.drop();
    await upstream.stop();
  });

  it(
    'a 60-day backfill whose worker is SIGKILLed 5 times ends with exactly the rows of an undisturbed run',
    { timeout: 240_000 },
    async () => {
      const range = dayRange(60, 365);
      const workerEnv = (url: string) =>
        serviceEnv(url, upstream.baseUrl, { PAPERBOY_WORKER_CONCURRENCY: '2', LOG_LEVEL: 'error' });

      const calm = workerEnv(undisturbed.url);
      const calmWorker = spawnRole('worker', calm);
      const calmResult = await backfillThrough(calm, range);
      calmWorker.child.kill('SIGTERM');
      await calmWorker.exited;
      expect(calmResult.loaded).toEqual(range.keys);

      const stormy = workerEnv(crashed.url);
      let worker = spawnRole('worker', stormy);
      let kills = 0;
      // Seeded pseudo-random kill times: 0.4-1.6 s into each worker's life.
      let seed = 7;
      const nextDelay = () => ((seed = (seed * 48_271) % 2_147_483_647), 400 + (seed % 1_200));
      const stormyResult = await backfillThrough(stormy, range, async () => {
        for (; kills < 5; kills += 1) {
          await new Promise((resolve) => setTimeout(resolve, nextDelay()));
          worker.child.kill('SIGKILL');
          await worker.exited;
          worker = spawnRole('worker', stormy);
        }
      });
      worker.child.kill('SIGTERM');
      await worker.exited;
      expect(kills).toBe(5);
      expect(fetchedWhole(stormyResult)).toEqual(range.keys);

      const [expected, actual] = [await snapshot(undisturbed.pool), await snapshot(crashed.pool)];
      for (const table of Object.keys(COMPARED)) expect(actual[table], table).toEqual(expected[table]);
      const rowsCompared = Object.fromEntries(Object.entries(expected).map(([table, rows]) => [table, rows.length]));
      mkdirSync('test-results', { recursive: true });
      writeFileSync(
        path.join('test-results', 'crash-safety.json'),
        `${JSON.stringify({ kills, rowsCompared }, null, 2)}\n`,
      );
      expect(expected.papers!.length).toBeGreaterThan(500);
      // Every killed attempt is in the audit trail; none of them left a partial day behind (compared above).
      const attempts = await crashed.pool.query(`select count(*)::int as n from digest_fetches`);
      expect(attempts.rows[0].n).toBeGreaterThanOrEqual(60);
    },
  );
});

describe('infrastructure restarts mid-backfill', () => {
  const upstream = new DigestUpstream();
  let dataDir: string;

  beforeAll(async () => {
    await upstream.start();
    upstream.delayMs = 60;
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'paperboy-restarts-'));
    await chmod(dataDir, 0o755);
  });

  afterAll(async () => {
    await upstream.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('Postgres unreachable at start: one line naming the server (password hidden) and exit 1', async () => {
    const env = serviceEnv('postgres://paperboy:hunter2secret@127.0.0.1:9/paperboy', upstream.baseUrl);
    for (const command of [['worker'], ['ingest', 'day', '2024-08-01']]) {
      const result = await runCli(command, env);
      expect(result.code, command.join(' ')).toBe(1);
      expect(result.stderr).toBe(
        'paperboy: error: cannot use Postgres at postgres://paperboy:***@127.0.0.1:9/paperboy (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9); start it, or fix DATABASE_URL, then run paperboy again\n',
      );
    }
  });

  it(
    'Redis restarted mid-backfill: the workers reconnect and the backfill completes',
    { timeout: 120_000 },
    async () => {
      const db = await createTestDatabase();
      const port = await findFreePort();
      let redis = await startEmbeddedRedis(path.join(dataDir, 'redis'), logger, { port });
      const env = serviceEnv(db.url, upstream.baseUrl, { REDIS_URL: redis.redisUrl, PAPERBOY_JOB_ATTEMPTS: '10' });
      const service = await startService(new Set(['worker']), configOf(env), logger);
      try {
        const range = dayRange(30, 800);
        const result = await backfillThrough(env, range, async () => {
          await new Promise((resolve) => setTimeout(resolve, 700));
          await redis.stop();
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          redis = await startEmbeddedRedis(path.join(dataDir, 'redis'), logger, { port });
        });
        expect(fetchedWhole(result)).toEqual(range.keys);
        const { rows } = await db.pool.query(`select key, count(*)::int as n from listings group by key order by key`);
        expect(rows.map((row) => row.key)).toEqual(range.keys);
        for (const row of rows) expect(row.n).toBe(upstreamPaperCount(upstream, row.key));
      } finally {
        await service.shutdown('test over');
        await redis.stop();
        await db.drop();
      }
    },
  );

  it(
    'Postgres restarted mid-backfill: the loads retry, nothing is half-written, the backfill completes',
    { timeout: 180_000 },
    async () => {
      const port = await findFreePort();
      const clusterDir = path.join(dataDir, 'postgres');
      let postgres = await startEmbeddedPostgres(clusterDir, logger, { port });
      await migrateUp(postgres.databaseUrl, logger);
      const env = serviceEnv(postgres.databaseUrl, upstream.baseUrl, { PAPERBOY_JOB_ATTEMPTS: '12' });
      const service = await startService(new Set(['worker']), configOf(env), logger);
      const pool = new pg.Pool({ connectionString: postgres.databaseUrl, max: 2 });
      try {
        const range = dayRange(30, 1_200);
        const result = await backfillThrough(env, range, async () => {
          await new Promise((resolve) => setTimeout(resolve, 700));
          await postgres.stop();
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          postgres = await startEmbeddedPostgres(clusterDir, logger, { port });
        });
        expect(fetchedWhole(result)).toEqual(range.keys);
        const { rows } = await pool.query(`select key, count(*)::int as n from listings group by key order by key`);
        expect(rows.map((row) => row.key)).toEqual(range.keys);
        for (const row of rows) expect(row.n).toBe(upstreamPaperCount(upstream, row.key));
        const loaded = await pool.query(
          `select count(distinct key)::int as n from digest_fetches where outcome = 'loaded'`,
        );
        expect(loaded.rows[0].n).toBe(range.keys.length);
      } finally {
        await pool.end();
        await service.shutdown('test over');
        await postgres.stop();
      }
    },
  );
});

/**
 * The keys a backfill got whole: loaded, or not_modified (a fetch that loaded
 * and was then interrupted before its job could complete runs again, finds
 * the same bytes and reports them unchanged). Failed or cancelled keys fail
 * the comparison.
 */
function fetchedWhole(result: BackfillResult): string[] {
  expect({ failed: result.failed, cancelled: result.cancelled, empty: result.empty }).toEqual({
    failed: [],
    cancelled: [],
    empty: [],
  });
  return [...result.loaded, ...result.not_modified].sort();
}

/** The number of papers the upstream lists for a day, read by the production parser. */
function upstreamPaperCount(upstream: DigestUpstream, day: string): number {
  const parsed = parseListPage(upstream.page(day).toString('utf8'), { url: day });
  return parsed.origin === 'cards' ? parsed.cards.length : parsed.papers.length;
}

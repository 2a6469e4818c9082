import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackfillResult } from '../../src/queue/backfill-flow.ts';
import { JOBS, QUEUES } from '../../src/queue/contracts.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { dayRange, DigestUpstream } from '../support/digest-upstream.ts';
import { configOf, openQueue, serviceEnv, spawnRole } from '../support/service.ts';

/**
 * Load (`npm run test:faults`; too slow for every CI run): a long backfill
 * from a local Hugging Face through a real worker process. Every key ends up
 * in digest_fetches, no job is left behind, and the worker's memory stays
 * flat: its peak RSS is sampled as it goes and written to
 * test-results/faults.json.
 */
// The memory check compares the run's halves: it needs hundreds of days, or start-up is most of the run.
const DAYS = Number(process.env.PAPERBOY_FAULTS_DAYS ?? 1_000);

describe(`a ${DAYS}-day backfill`, () => {
  const upstream = new DigestUpstream();
  let db: TestDatabase;

  beforeAll(async () => {
    await upstream.start();
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
    await upstream.stop();
  });

  it(
    'accounts for every key, leaves no job behind, and keeps the worker flat in memory',
    { timeout: 20 * 60_000 },
    async () => {
      const { keys } = dayRange(DAYS, 400);
      const env = serviceEnv(db.url, upstream.baseUrl, {
        PAPERBOY_WORKER_CONCURRENCY: '2',
        PAPERBOY_BACKFILL_MAX_KEYS: String(DAYS),
        LOG_LEVEL: 'error',
      });
      const worker = spawnRole('worker', env);
      const rssMb = () =>
        Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${worker.child.pid}/status`, 'utf8'))?.[1]) / 1024;
      const samples: Array<{ done: number; rssMb: number }> = [];
      const backfills = await openQueue(configOf(env), QUEUES.backfills);
      const digests = await openQueue(configOf(env), QUEUES.digests);
      const started = Date.now();
      try {
        const job = await backfills.queue.add(JOBS.backfill, { kind: 'day', from: keys[0], to: keys.at(-1) });
        const sample = async () => {
          const done = (await db.pool.query(`select count(distinct key)::int as n from digest_fetches`)).rows[0].n;
          samples.push({ done, rssMb: rssMb() });
        };
        // A sample that fails (the database busy at the end) is skipped, never an unhandled rejection.
        const sampler = setInterval(() => void sample().catch(() => undefined), 1_000);
        const finished = await backfills.settled(job, 19 * 60_000).finally(() => clearInterval(sampler));
        const result = finished.returnvalue as BackfillResult;
        expect([...result.loaded, ...result.not_modified].sort()).toEqual(keys);

        const { rows } = await db.pool.query<{ key: string }>(
          `select distinct key from digest_fetches where outcome in ('loaded', 'not_modified') order by key`,
        );
        expect(rows.map((row) => row.key)).toEqual(keys);
        const left = await digests.queue.getJobCounts(
          'waiting',
          'active',
          'delayed',
          'prioritized',
          'waiting-children',
        );
        expect(Object.values(left).reduce((sum, n) => sum + n, 0)).toBe(0);

        const peakRssMb =
          Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${worker.child.pid}/status`, 'utf8'))?.[1]) / 1024;
        // Flat: the second half of the run peaks no higher than the first half (start-up and warm-up included) plus a margin.
        const half = Math.floor(samples.length / 2);
        const [first, second] = [
          Math.max(...samples.slice(0, half).map((s) => s.rssMb)),
          Math.max(...samples.slice(half).map((s) => s.rssMb)),
        ];
        expect(second).toBeLessThan(first + 25);
        expect(peakRssMb).toBeLessThan(400);

        mkdirSync('test-results', { recursive: true });
        const report = {
          days: DAYS,
          seconds: (Date.now() - started) / 1000,
          peakRssMb,
          rssFirstHalfPeakMb: first,
          rssSecondHalfPeakMb: second,
          papers: (await db.pool.query(`select count(*)::int as n from papers`)).rows[0].n,
        };
        writeFileSync(path.join('test-results', 'faults.json'), `${JSON.stringify(report, null, 2)}\n`);
      } finally {
        await backfills.close();
        await digests.close();
        worker.child.kill('SIGTERM');
        await worker.exited;
      }
    },
  );
});

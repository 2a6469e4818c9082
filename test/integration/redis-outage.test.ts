import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/infra/embedded-redis.ts';
import { findFreePort } from '../../src/infra/local-process.ts';
import { createLogger } from '../../src/logger.ts';
import { JOBS } from '../../src/queue/contracts.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { dayRange, DigestUpstream } from '../support/digest-upstream.ts';
import { configOf, openQueue, serviceEnv, spawnRole, waitFor } from '../support/service.ts';

const logger = createLogger({ level: 'silent', pretty: false });
const fetchDay = (key: string) => ({ source: 'hf', kind: 'day', key, force: false, via: 'html' });

/**
 * A running worker that loses Redis: it keeps retrying quietly (one warning
 * for the outage, one line when Redis is back, not a line per attempt of
 * each connection) and carries on with the next job.
 */
describe('a worker losing Redis for a while', () => {
  const upstream = new DigestUpstream();
  let dataDir: string;
  let db: TestDatabase;

  beforeAll(async () => {
    await upstream.start();
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'paperboy-outage-'));
    await chmod(dataDir, 0o755);
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await upstream.stop();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('logs the outage once and its end once, then runs the next job', { timeout: 90_000 }, async () => {
    const port = await findFreePort();
    let redis: EmbeddedRedis = await startEmbeddedRedis(path.join(dataDir, 'redis'), logger, { port });
    const env = serviceEnv(db.url, upstream.baseUrl, { REDIS_URL: redis.redisUrl, LOG_LEVEL: 'info' });
    const worker = spawnRole('worker', env);
    try {
      await waitFor(async () => worker.output().includes('workers started'), 30_000, 'the worker to start');
      const [before, after] = dayRange(2, 40).keys as [string, string];
      const first = await openQueue(configOf(env));
      try {
        expect(await (await first.settled(await first.queue.add(JOBS.fetchDigest, fetchDay(before)))).getState()).toBe(
          'completed',
        );
      } finally {
        await first.close();
      }

      await redis.stop();
      // Long enough for every connection to retry many times.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      redis = await startEmbeddedRedis(path.join(dataDir, 'redis'), logger, { port });
      await waitFor(async () => worker.output().includes('Redis is back'), 30_000, 'the worker to see Redis back');

      const second = await openQueue(configOf(env));
      try {
        expect(await (await second.settled(await second.queue.add(JOBS.fetchDigest, fetchDay(after)))).getState()).toBe(
          'completed',
        );
      } finally {
        await second.close();
      }
      const output = worker.output();
      const count = (text: string) => output.split(text).length - 1;
      expect(count('lost Redis')).toBe(1);
      expect(count('Redis is back')).toBe(1);
      // Redis's connection errors: only in the one warning, whichever came first (a reset of the open connection
      // or a refused reconnect). The test's GitHub is a closed port too: its refusals name their own port.
      const redisErrorLines = output
        .split('\n')
        .filter((line) => line.includes(`127.0.0.1:${port}`) || /ECONNRESET|EPIPE|ETIMEDOUT/.test(line));
      expect(redisErrorLines).toHaveLength(1);
      expect(redisErrorLines[0]).toContain('lost Redis');
      expect(output).not.toMatch(/Unhandled error event|\n\s+at /);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await redis.stop();
    }
  });
});

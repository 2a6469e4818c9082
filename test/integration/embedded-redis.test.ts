import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SetupError } from '../../src/errors.ts';
import { startEmbeddedRedis } from '../../src/infra/embedded-redis.ts';
import { createLogger } from '../../src/logger.ts';

const logger = createLogger({ level: 'silent', pretty: false });

async function withClient<T>(url: string, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

describe('startEmbeddedRedis (redis-server from PATH)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'paperboy-redis-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps data across a restart (append-only file in the data dir) with noeviction', async () => {
    const first = await startEmbeddedRedis(dataDir, logger);
    expect(first.redisUrl).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    await withClient(first.redisUrl, async (redis) => {
      await redis.set('paperboy:test', 'kept');
      expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    });

    // A second start while the first is running reuses it instead of fighting over the data dir.
    const reused = await startEmbeddedRedis(dataDir, logger);
    expect(reused.redisUrl).toBe(first.redisUrl);
    await reused.stop();
    await withClient(first.redisUrl, async (redis) => expect(await redis.get('paperboy:test')).toBe('kept'));

    await first.stop();
    const second = await startEmbeddedRedis(dataDir, logger);
    try {
      await withClient(second.redisUrl, async (redis) => expect(await redis.get('paperboy:test')).toBe('kept'));
    } finally {
      await second.stop();
    }
  });

  it('says in one sentence how to get Redis when redis-server is not on PATH', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const attempt = startEmbeddedRedis(dataDir, logger);
      await expect(attempt).rejects.toThrow(SetupError);
      await expect(attempt).rejects.toThrow(/redis-server was not found on PATH: install it .* or set REDIS_URL/);
    } finally {
      process.env.PATH = savedPath;
    }
  });
});

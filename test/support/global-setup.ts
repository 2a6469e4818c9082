import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { resolveDatabase, resolveRedis } from '../../src/infra/resolve-services.ts';
import { createLogger } from '../../src/logger.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A Postgres URL whose role may create databases; each test file makes its own. */
    postgresAdminUrl: string;
    redisUrl: string;
  }
}

/**
 * Starts the real services the suite needs, once: the embedded Postgres and a
 * redis-server from PATH, in a throw-away data dir. Set
 * PAPERBOY_TEST_DATABASE_URL / PAPERBOY_TEST_REDIS_URL to use running ones
 * instead (the tests create and drop their own databases there, and use
 * their own queue prefixes).
 */
export default async function setup(project: TestProject) {
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: false });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'paperboy-test-'));
  // As root the embedded Postgres runs as the postgres user, which must be able to enter the dir.
  await chmod(dataDir, 0o755);
  const stops: Array<() => Promise<void>> = [];

  const { PAPERBOY_TEST_DATABASE_URL, PAPERBOY_TEST_REDIS_URL } = process.env;
  const postgres = await resolveDatabase(PAPERBOY_TEST_DATABASE_URL, dataDir, logger, {
    variable: 'PAPERBOY_TEST_DATABASE_URL',
  });
  stops.push(postgres.close);
  const redis = await resolveRedis(PAPERBOY_TEST_REDIS_URL, dataDir, logger, { variable: 'PAPERBOY_TEST_REDIS_URL' });
  stops.push(redis.close);

  project.provide('postgresAdminUrl', postgres.url);
  project.provide('redisUrl', redis.url);

  return async () => {
    for (const stop of stops.reverse()) await stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}

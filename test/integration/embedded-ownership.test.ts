import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/infra/embedded-postgres.ts';
import { startEmbeddedRedis } from '../../src/infra/embedded-redis.ts';
import { findFreePort, isProcessAlive } from '../../src/infra/local-process.ts';
import { createLogger } from '../../src/logger.ts';
import { runCli } from '../support/cli.ts';
import { spawnRole, waitFor } from '../support/service.ts';

const logger = createLogger({ level: 'warn', pretty: false });

/**
 * Whoever starts the embedded Postgres and redis-server stops them; a
 * paperboy killed with -9 cannot, so the next one, finding them running with
 * their starter gone, takes them over and stops them on its clean shutdown.
 */
describe('embedded servers left running by a paperboy killed with -9', () => {
  let dataDir: string;
  // Not the fixed default: other files' Postgres servers run at the same time.
  let postgresPort: string;
  const serverPids: number[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'paperboy-adopt-'));
    postgresPort = String(await findFreePort());
    // As root the embedded Postgres runs as the postgres user, which must be able to enter the dir.
    await chmod(dataDir, 0o755);
  });

  afterAll(async () => {
    // Whatever the outcome, no server of this test outlives it.
    for (const pid of serverPids) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  const postgresPid = async () =>
    Number((await readFile(path.join(dataDir, 'postgres/postmaster.pid'), 'utf8')).split('\n')[0]);
  const redisPid = async () =>
    (JSON.parse(await readFile(path.join(dataDir, 'redis/paperboy-redis.json'), 'utf8')) as { pid: number }).pid;

  function startWorker() {
    const worker = spawnRole('worker', {
      PAPERBOY_DATA_DIR: dataDir,
      PAPERBOY_EMBEDDED_PG_PORT: postgresPort,
      // No job is queued: the worker never reaches upstream.
      HF_BASE_URL: 'http://127.0.0.1:9',
      LOG_LEVEL: 'info',
    });
    const ready = waitFor(async () => worker.output().includes('workers started'), 90_000, 'the workers to start');
    return { ...worker, ready };
  }

  it('the restart that reuses them stops them on SIGTERM, and their data is kept', { timeout: 180_000 }, async () => {
    const first = startWorker();
    await first.ready;
    const pids = { postgres: await postgresPid(), redis: await redisPid() };
    serverPids.push(pids.postgres, pids.redis);
    // Out of the service's process group: a Ctrl-C at its terminal reaches the service alone, which stops them
    // once its jobs have drained.
    const serviceGroup = processGroupOf(first.child.pid!);
    expect(processGroupOf(pids.postgres)).not.toBe(serviceGroup);
    expect(processGroupOf(pids.redis)).not.toBe(serviceGroup);
    const urls = await serverUrls(dataDir);
    await writeMarkers(urls);
    // This process used them too: it lets go (they are the worker's to stop).
    await urls.stop();
    expect(runningOf(pids)).toEqual({ postgres: true, redis: true });

    first.child.kill('SIGKILL');
    await first.exited;
    expect(runningOf(pids)).toEqual({ postgres: true, redis: true });

    const second = startWorker();
    await second.ready;
    // Reused, not started anew.
    expect({ postgres: await postgresPid(), redis: await redisPid() }).toEqual(pids);
    expect(second.output()).not.toContain('started embedded Postgres');
    expect(second.output()).toContain('its starter is gone, so this process stops it when it shuts down');
    // A command run next to it uses the same Postgres and leaves it to its owner.
    const migrate = await runCli(['migrate'], {
      PAPERBOY_DATA_DIR: dataDir,
      PAPERBOY_EMBEDDED_PG_PORT: postgresPort,
      LOG_LEVEL: 'warn',
    });
    expect(migrate).toMatchObject({ code: 0, stdout: 'database is up to date\n' });
    expect(isProcessAlive(pids.postgres)).toBe(true);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('shut down cleanly');
    expect(runningOf(pids)).toEqual({ postgres: false, redis: false });

    // Stopped cleanly, not lost: started again, both still hold what was written before the kill.
    const { databaseUrl, redisUrl, stop } = await serverUrls(dataDir);
    try {
      expect(await readMarkers({ databaseUrl, redisUrl })).toEqual({ postgres: 'kept', redis: 'kept' });
    } finally {
      await stop();
    }
  });

  it(
    'a session that started them and ends first leaves them running for the service that came next',
    { timeout: 180_000 },
    async () => {
      // As `paperboy db psql` would: this process starts both servers, then a service starts beside it.
      const session = await serverUrls(dataDir);
      const pids = { postgres: await postgresPid(), redis: await redisPid() };
      serverPids.push(pids.postgres, pids.redis);
      const worker = startWorker();
      await worker.ready;
      expect(worker.output()).not.toContain('started embedded Postgres');

      // The session ends: the servers are the service's now, not stopped under it.
      await session.stop();
      expect(runningOf(pids)).toEqual({ postgres: true, redis: true });
      expect(Number((await readFile(path.join(dataDir, 'postgres.owner'), 'utf8')).trim())).toBe(worker.child.pid);
      expect(await readMarkers({ databaseUrl: session.databaseUrl, redisUrl: session.redisUrl })).toEqual({
        postgres: 'kept',
        redis: 'kept',
      });

      // The service, last to use them, stops them when it shuts down.
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(worker.output()).toContain('shut down cleanly');
      expect(runningOf(pids)).toEqual({ postgres: false, redis: false });
    },
  );
});

/** Whether each server still runs. */
function runningOf(pids: { postgres: number; redis: number }) {
  return { postgres: isProcessAlive(pids.postgres), redis: isProcessAlive(pids.redis) };
}

/** The process group of a process (/proc/<pid>/stat's fifth field). */
function processGroupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // "pid (command) state ppid pgrp ...": the command may hold spaces and parentheses.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** Both embedded servers of the data dir, as this test process finds or starts them. */
async function serverUrls(dataDir: string) {
  const postgres = await startEmbeddedPostgres(dataDir, logger);
  const redis = await startEmbeddedRedis(dataDir, logger);
  return {
    databaseUrl: postgres.databaseUrl,
    redisUrl: redis.redisUrl,
    async stop() {
      await redis.stop();
      await postgres.stop();
    },
  };
}

async function writeMarkers(urls: { databaseUrl: string; redisUrl: string }): Promise<void> {
  const client = new pg.Client({ connectionString: urls.databaseUrl });
  await client.connect();
  try {
    await client.query(`create table adoption_marker (value text); insert into adoption_marker values ('kept')`);
  } finally {
    await client.end();
  }
  const redis = new Redis(urls.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    await redis.set('paperboy:test:adoption-marker', 'kept');
  } finally {
    redis.disconnect();
  }
}

async function readMarkers(urls: { databaseUrl: string; redisUrl: string }) {
  const client = new pg.Client({ connectionString: urls.databaseUrl });
  await client.connect();
  const redis = new Redis(urls.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const { rows } = await client.query(`select value from adoption_marker`);
    return { postgres: rows[0]?.value, redis: await redis.get('paperboy:test:adoption-marker') };
  } finally {
    await client.end();
    redis.disconnect();
  }
}

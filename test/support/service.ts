import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/logger.ts';
import { QUEUES } from '../../src/queue/contracts.ts';
import { startService, type Role, type RunningService } from '../../src/service/run-service.ts';
import { PASSWORD, USER } from './dashboard-credentials.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/paperboy.js');

/** The environment of a service under test: its own queue prefix on the suite's Redis, fast retries and stall checks. */
export function serviceEnv(
  databaseUrl: string,
  hfBaseUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: inject('redisUrl'),
    HF_BASE_URL: hfBaseUrl,
    // Never the real GitHub: a closed local port unless a test brings a stand-in.
    GITHUB_API_URL: 'http://127.0.0.1:9',
    PAPERBOY_QUEUE_PREFIX: `test-${randomUUID().slice(0, 8)}`,
    PAPERBOY_RETRY_BASE_MS: '100',
    PAPERBOY_STALLED_INTERVAL_MS: '1000',
    PAPERBOY_SHUTDOWN_GRACE_MS: '300',
    // The local upstream has no budget to protect: about one fetch per millisecond per bucket (tests of the budget set their own).
    PAPERBOY_HF_PAGES_RATE_MAX: '1000',
    PAPERBOY_HF_PAGES_RATE_WINDOW_MS: '1000',
    PAPERBOY_HF_API_RATE_MAX: '1000',
    PAPERBOY_HF_API_RATE_WINDOW_MS: '1000',
    DASHBOARD_PORT: '0',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

export function configOf(env: Record<string, string>): Config {
  return loadConfig(env);
}

/**
 * The service started in-process with these roles, its dashboard behind the
 * test credentials (USER / PASSWORD), as the tests that read its pages start
 * it; `extraEnv` adds to serviceEnv, and the logger logs warnings unless one
 * is given. Returns the environment too, for queue handles and config. The
 * caller shuts the service down.
 */
export async function startSignedInService(
  databaseUrl: string,
  hfBaseUrl: string,
  roles: readonly Role[],
  options: { extraEnv?: Record<string, string>; logger?: Logger } = {},
): Promise<{ service: RunningService; env: Record<string, string> }> {
  const env = serviceEnv(databaseUrl, hfBaseUrl, {
    DASHBOARD_USER: USER,
    DASHBOARD_PASSWORD: PASSWORD,
    ...options.extraEnv,
  });
  const logger = options.logger ?? createLogger({ level: 'warn', pretty: false });
  const service = await startService(new Set(roles), configOf(env), logger);
  return { service, env };
}

/** A producer-side handle on one of the test's queues (digests unless named), for adding jobs and watching them. */
export async function openQueue(config: Config, name: string = QUEUES.digests) {
  const connection = new Redis(config.redisUrl!, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection, prefix: config.service.queuePrefix });
  const events = new QueueEvents(name, { connection: { url: config.redisUrl! }, prefix: config.service.queuePrefix });
  await events.waitUntilReady();
  return {
    queue,
    events,
    /** Resolves with the job once it completed or failed for good. */
    settled: (job: Job, timeoutMs = 30_000) => settledIn(queue, job, timeoutMs),
    async close() {
      await events.close();
      await queue.close();
      connection.disconnect();
    },
  };
}

/** Resolves with the job (of `queue`) once it completed or failed for good. */
export async function settledIn(queue: Queue, job: Job, timeoutMs = 30_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // State first, then the job: read the other way round, a job that finishes in between
    // comes back as "completed" with the return value it had before (none).
    const state = await queue.getJobState(job.id!);
    if (state === 'completed' || state === 'failed') {
      const finished = await Job.fromId(queue, job.id!);
      if (finished) return finished;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(
    `job ${job.id} of ${queue.name} did not settle within ${timeoutMs} ms (state ${await job.getState()})`,
  );
}

/** `paperboy <role>` as a child process, as an operator would run it. */
export function spawnRole(
  role: string,
  env: Record<string, string>,
): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  let output = '';
  // Never the real GitHub unless the test brings a stand-in: a closed local port.
  const childEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    ...env,
  };
  const child = spawn(process.execPath, [BIN, role], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

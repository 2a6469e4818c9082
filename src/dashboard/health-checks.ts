import type { Redis } from 'ioredis';
import type pg from 'pg';
import { pingDatabase } from '../db/database.repository.ts';

const CHECK_TIMEOUT_MS = 2_000;

export type HealthChecks = Record<'postgres' | 'redis', string>;

/**
 * Asks Postgres and Redis for a trivial answer, each within 2 s: `ok`, or
 * `down: <reason>`. Never rejects, so /healthz and /metrics can both report
 * an outage instead of failing with it.
 */
export async function checkHealth(pool: pg.Pool, redis: Pick<Redis, 'ping'>): Promise<HealthChecks> {
  const [postgres, redisCheck] = await Promise.allSettled([within(pingDatabase(pool)), within(redis.ping())]);
  const describe = (result: PromiseSettledResult<unknown>) =>
    result.status === 'fulfilled' ? 'ok' : `down: ${(result.reason as Error).message}`;
  return { postgres: describe(postgres), redis: describe(redisCheck) };
}

/** `work`, or a rejection once `ms` have passed: a dependency that hangs counts as down. */
export function within<T>(work: Promise<T>, ms = CHECK_TIMEOUT_MS): Promise<T> {
  return Promise.race([
    work,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms).unref()),
  ]);
}

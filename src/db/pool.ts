import pg from 'pg';
import type { Logger } from '../logger.ts';

/** A pool whose idle-client errors (e.g. Postgres restarted) are logged instead of crashing the process. */
export function createPool(connectionString: string, logger: Logger, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'paperboy' });
  // Only the message and code: a pg error carries its whole client, which would flood the log.
  pool.on('error', (error: Error & { code?: string }) =>
    logger.warn({ error: error.message, code: error.code }, 'idle Postgres connection failed; it will be replaced'),
  );
  return pool;
}

// deadlock_detected, serialization_failure: Postgres aborted the transaction to break a conflict; a rerun succeeds.
const RETRYABLE_TRANSACTION_ERRORS = new Set(['40P01', '40001']);
const TRANSACTION_ATTEMPTS = 3;

/**
 * Runs `work` in one transaction on one client: committed when it resolves,
 * rolled back when it throws (the error is rethrown), so a failed load leaves
 * the previous state intact. A transaction Postgres aborted to resolve a
 * deadlock or serialization conflict is run again (up to 3 times in all), so
 * `work` must be safe to repeat: ours are idempotent upserts.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await runTransaction(pool, work);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= TRANSACTION_ATTEMPTS || code === undefined || !RETRYABLE_TRANSACTION_ERRORS.has(code)) throw error;
    }
  }
}

async function runTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let unusable: Error | undefined;
  // A connection lost mid-transaction (Postgres restarted, backend killed)
  // rejects the pending query *and* emits 'error' on the client; without a
  // listener that event would crash the process.
  const onConnectionError = (error: Error) => (unusable = error);
  client.on('error', onConnectionError);
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    // A client whose rollback fails is in an unknown state: destroy it rather than reuse it.
    await client.query('rollback').catch((rollbackError: Error) => (unusable = rollbackError));
    throw error;
  } finally {
    client.off('error', onConnectionError);
    client.release(unusable);
  }
}

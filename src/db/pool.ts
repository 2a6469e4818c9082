import pg from 'pg';
import type { Logger } from '../logger.ts';

/** A pool whose idle-client errors (e.g. Postgres restarted) are logged instead of crashing the process. */
export function createPool(connectionString: string, logger: Logger, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'paperboy' });
  pool.on('error', (error) => logger.warn({ err: error }, 'idle Postgres connection failed; it will be replaced'));
  return pool;
}

/**
 * Runs `work` in one transaction on one client: committed when it resolves,
 * rolled back when it throws (the error is rethrown), so a failed load leaves
 * the previous state intact.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let unusable: Error | undefined;
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
    client.release(unusable);
  }
}

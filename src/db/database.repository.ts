import type { PgQueryable } from './queryable.ts';

/** Questions about the Postgres server itself rather than paperboy's tables. */

/** Resolves once the server answers a trivial query; rejects with the driver's error otherwise. */
export async function pingDatabase(db: PgQueryable): Promise<void> {
  await db.query('select 1');
}

/** Creates the database `name` (a constant identifier, never user input) unless it exists already. */
export async function createDatabaseIfMissing(db: PgQueryable, name: string): Promise<void> {
  const { rowCount } = await db.query('select 1 from pg_database where datname = $1', [name]);
  if (rowCount !== 0) return;
  await db.query(`create database ${name}`).catch((error: { code?: string }) => {
    // Another paperboy process created it between our check and our create.
    if (error.code !== '42P04') throw error;
  });
}

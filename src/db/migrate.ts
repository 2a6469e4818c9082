import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../logger.ts';

/** Plain-SQL migrations, append-only: never edit or reorder an applied file. */
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sql/migrations');

/**
 * Applies pending migrations in one transaction. node-pg-migrate holds a
 * Postgres advisory lock meanwhile; concurrent callers (several workers
 * starting at once) wait for it and then find nothing left to do.
 *
 * @returns the names of the migrations applied by this call.
 */
export async function migrateUp(databaseUrl: string, logger: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    singleTransaction: true,
    advisoryLockMode: 'wait',
    log: (message: string) => logger.debug({ migrator: message }, 'migrator'),
  });
  const names = applied.map((migration) => migration.name);
  if (names.length > 0) logger.info({ applied: names }, `applied ${names.length} migration(s)`);
  return names;
}

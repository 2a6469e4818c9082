import path from 'node:path';
import { runner } from 'node-pg-migrate';
import { SetupError } from '../errors.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { redactUrl, type Logger } from '../logger.ts';

/** Connection-level failures: Postgres is down, unreachable, or refuses these credentials or this database. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ECONNRESET',
  '28P01',
  '28000',
  '3D000',
  '57P03',
]);

/**
 * The first thing every command does with the database is migrate it, so
 * this is where "Postgres is not there" is told apart from a bug: one line
 * naming the server (password hidden) and the cause, exit 1. Whoever runs
 * paperboy (a supervisor, compose's restart policy, a person) starts it
 * again once Postgres is up.
 */
function unreachableDatabase(databaseUrl: string, error: unknown): SetupError | undefined {
  const code = (error as { code?: string }).code;
  if (!code || !UNREACHABLE_CODES.has(code)) return undefined;
  return new SetupError(
    `cannot use Postgres at ${redactUrl(databaseUrl)} (${code}: ${(error as Error).message}); start it, or fix DATABASE_URL, then run paperboy again`,
  );
}

/** Plain-SQL migrations, append-only: never edit or reorder an applied file. */
export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'sql', 'migrations');

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
  }).catch((error: unknown) => {
    throw unreachableDatabase(databaseUrl, error) ?? error;
  });
  const names = applied.map((migration) => migration.name);
  if (names.length > 0) logger.info({ applied: names }, `applied ${names.length} migration(s)`);
  return names;
}

import { randomUUID } from 'node:crypto';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { inject } from 'vitest';
import { migrateUp, MIGRATIONS_DIR } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/logger.ts';

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database of its own on the suite's Postgres: tests never
 * share rows. With `migrations`, only that many of the first migrations are
 * applied, for a test of the ones after them (see migrateTestDatabase).
 */
export async function createTestDatabase(options: { migrations?: number } = {}): Promise<TestDatabase> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `test_${randomUUID().replaceAll('-', '')}`;
  await withAdmin(adminUrl, (admin) => admin.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  if (options.migrations === undefined) await migrateUp(url.toString(), createLogger({ level: 'warn', pretty: false }));
  else await migrateTestDatabase(url.toString(), 'up', options.migrations);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  let dropping = false;
  // pg-pool's end() resolves once its clients are told to end, not once their connections have closed: the
  // forced drop below can terminate one still closing, whose "terminating connection" then reaches the pool.
  // Expected while dropping; any other error of an idle client stays uncaught, as it would be without this.
  pool.on('error', (error) => {
    if (!dropping) throw error;
  });
  return {
    url: url.toString(),
    pool,
    async drop() {
      dropping = true;
      await pool.end();
      await withAdmin(adminUrl, (admin) => admin.query(`drop database if exists ${name} with (force)`));
    },
  };
}

/**
 * Runs `count` migrations up or down (every pending one up when no count is
 * given), with the settings migrateUp uses.
 *
 * @returns the names of the migrations run.
 */
export async function migrateTestDatabase(url: string, direction: 'up' | 'down', count?: number): Promise<string[]> {
  const run = await runner({
    databaseUrl: url,
    dir: MIGRATIONS_DIR,
    direction,
    count,
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    singleTransaction: true,
    log: () => {},
  });
  return run.map((migration) => migration.name);
}

async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A table's or view's column names, in order: what a migration test compares. */
export async function columnsOf(db: pg.Pool, relation: string): Promise<string[]> {
  const { rows } = await db.query<{ column_name: string }>(
    `select column_name from information_schema.columns where table_name = $1 order by ordinal_position`,
    [relation],
  );
  return rows.map((row) => row.column_name);
}

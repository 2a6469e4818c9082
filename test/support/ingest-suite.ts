import type pg from 'pg';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { createPool } from '../../src/db/pool.ts';
import { createLogger } from '../../src/logger.ts';
import type { IngestDependencies } from '../../src/stages/ingest-digest.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { clientFor, UpstreamServer } from './upstream-server.ts';

/** Every table an ingest writes: what `truncateBeforeEach` empties when a file's tests must not see each other's rows. */
export const INGEST_TABLES = [
  'papers',
  'listings',
  'paper_metrics',
  'paper_details',
  'paper_detail_history',
  'paper_repos',
  'repo_refs',
  'digest_fetches',
  'page_bodies',
] as const;

/**
 * The hooks every test of the ingest stages repeats, registered in the
 * calling describe block: a local Hugging Face (the file routes it in its own
 * beforeAll, which runs after this one), a database of the block's own, the
 * production pool on it and the stage's dependencies; all closed after the
 * block. With `truncateBeforeEach`, those tables are emptied before each test.
 */
export function ingestSuite(options: { truncateBeforeEach?: readonly string[] } = {}) {
  const hf = new UpstreamServer();
  const logger = createLogger({ level: 'silent', pretty: false });
  let state: { db: TestDatabase; pool: pg.Pool; deps: IngestDependencies } | undefined;
  const current = () => {
    if (!state) throw new Error('ingestSuite(): only there while the block runs');
    return state;
  };

  beforeAll(async () => {
    await hf.start();
    const db = await createTestDatabase();
    // The production pool (its error handler and size), not the test database's own small one.
    const pool = createPool(db.url, logger);
    state = { db, pool, deps: { http: clientFor(hf), pool, hf: { baseUrl: hf.baseUrl, token: undefined }, logger } };
  });

  if (options.truncateBeforeEach) {
    const tables = options.truncateBeforeEach.join(', ');
    beforeEach(async () => {
      await current().pool.query(`truncate ${tables} cascade`);
    });
  }

  afterAll(async () => {
    await state?.deps.http.close();
    await state?.pool.end();
    await state?.db.drop();
    await hf.stop();
  });

  return {
    hf,
    logger,
    get db(): TestDatabase {
      return current().db;
    },
    get pool(): pg.Pool {
      return current().pool;
    },
    get deps(): IngestDependencies {
      return current().deps;
    },
  };
}

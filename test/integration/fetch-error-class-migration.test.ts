import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countFailedFetchesByClass } from '../../src/db/fetches.repository.ts';
import { createTestDatabase, migrateTestDatabase, type TestDatabase } from '../support/database.ts';

/** 0008_paper_details is the eighth migration: the state 0009 starts from. */
const BEFORE_0009 = 8;

describe('migration 0009: the error class of a failed fetch', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ migrations: BEFORE_0009 });
    await db.pool.query(
      `insert into digest_fetches (source, kind, key, url, outcome, error)
       values ('hf', 'day', '2024-08-05', 'http://hf/papers/date/2024-08-05', 'failed', 'no daily papers found')`,
    );
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('up: older failures keep no class and count as unknown, beside zeros for the classes asked for', async () => {
    expect(await migrateTestDatabase(db.url, 'up', 1)).toEqual(['0009_fetch_error_class']);
    expect(await countFailedFetchesByClass(db.pool, ['LayoutChangedError'])).toEqual(
      expect.arrayContaining([
        { kind: 'day', errorClass: 'unknown', count: 1 },
        { kind: 'day', errorClass: 'LayoutChangedError', count: 0 },
      ]),
    );
  });

  it('down: drops the column, and up again restores it', async () => {
    expect(await migrateTestDatabase(db.url, 'down', 1)).toEqual(['0009_fetch_error_class']);
    expect(await migrateTestDatabase(db.url, 'up', 1)).toEqual(['0009_fetch_error_class']);
    const { rows } = await db.pool.query<{ n: string }>(
      `select count(*) as n from digest_fetches where error_class is null and outcome = 'failed'`,
    );
    expect(Number(rows[0]?.n)).toBe(1);
  });
});

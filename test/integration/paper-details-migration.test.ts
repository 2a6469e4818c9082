import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnsOf, createTestDatabase, migrateTestDatabase, type TestDatabase } from '../support/database.ts';
import { API_2024_08_01, apiEntries } from '../support/digests.ts';

/** 0007_listing_dates is the seventh migration: the state 0008 starts from. */
const BEFORE_0008 = 7;
const entry = apiEntries(API_2024_08_01)[0]!; // 2407.21783

describe('migration 0008: paper details', () => {
  let db: TestDatabase;

  const columnsOfRelation = (relation: string) => columnsOf(db.pool, relation);

  beforeAll(async () => {
    db = await createTestDatabase({ migrations: BEFORE_0008 });
    await db.pool.query(
      `insert into papers (id, title, abstract, authors, published_at, upvotes, raw) values ($1, $2, $3, $4, $5, $6, $7)`,
      [entry.paper.id, entry.title, entry.paper.summary, ['A'], entry.paper.publishedAt, 3, JSON.stringify(entry)],
    );
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('up: the detail tables, a not_found outcome, and the overview with the counts appended', async () => {
    const before = await columnsOfRelation('paper_overview');
    expect(await migrateTestDatabase(db.url, 'up', 1)).toEqual(['0008_paper_details']);
    const after = await columnsOfRelation('paper_overview');
    // Appended: every query written against the old columns keeps working.
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length)).toEqual([
      'detail_status',
      'daily_rank',
      'citing_models',
      'citing_datasets',
      'citing_spaces',
      'collections',
    ]);
    expect(await columnsOfRelation('papers_with_code')).toEqual(after);
    await db.pool.query(
      `insert into paper_details (paper_id, status, citing_models, collections, observed_at) values ($1, 'ok', 2, 5, now())`,
      [entry.paper.id],
    );
    await db.pool.query(
      `insert into digest_fetches (source, kind, key, url, outcome) values ('hf', 'paper', '2501.00001', 'x', 'not_found')`,
    );
    const { rows } = await db.pool.query(`select citing_models, collections, detail_status from paper_overview`);
    expect(rows).toEqual([{ citing_models: 2, collections: 5, detail_status: 'ok' }]);
    await expect(
      db.pool.query(
        `insert into digest_fetches (source, kind, key, url, outcome) values ('hf', 'day', 'k', 'x', 'gone')`,
      ),
    ).rejects.toThrow(/digest_fetches_outcome_check/);
  });

  it('down: the 0007 overview back, a 404 recorded as the older schema says it (empty), and up again', async () => {
    const withCounts = await columnsOfRelation('paper_overview');
    expect(await migrateTestDatabase(db.url, 'down', 1)).toEqual(['0008_paper_details']);
    expect(await columnsOfRelation('paper_overview')).toEqual(withCounts.slice(0, -6));
    expect(await columnsOfRelation('paper_details')).toEqual([]);
    const { rows } = await db.pool.query(`select outcome from digest_fetches where kind = 'paper'`);
    expect(rows).toEqual([{ outcome: 'empty' }]);
    expect(await migrateTestDatabase(db.url, 'up', 1)).toEqual(['0008_paper_details']);
    expect(await columnsOfRelation('paper_overview')).toEqual(withCounts);
  });
});

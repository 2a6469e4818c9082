import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseListPage } from '../../src/domain/parse-digest.ts';
import { columnsOf, createTestDatabase, migrateTestDatabase, type TestDatabase } from '../support/database.ts';
import { API_2024_08_01, apiEntries, captureWithoutBlob } from '../support/digests.ts';

/** Migration 0006_upstream_limits is the sixth: the state 0007 starts from. */
const BEFORE_0007 = 6;

const onDaily = apiEntries('hf-api-daily_papers-2025-06-25.json')[0]!; // 2506.19851, on the daily page 2025-06-25 (a Wednesday)
const undated = apiEntries(API_2024_08_01)[0]!; // 2407.21783: the 2024 entries carry no submittedOnDailyAt
const parsedCards = parseListPage(captureWithoutBlob(), { url: 'fixture:without-blob' });
if (parsedCards.origin !== 'cards') throw new Error('expected the capture without its blob to parse as cards');
const card = parsedCards.cards.map((item) => item.card).find((sighting) => sighting.id === '2404.01300')!;

/**
 * Listings as 0006 stores them (fetch times only), each with the listing
 * date 0007 must give it: [kind, key, paper, first fetched, last fetched, listed on].
 */
const LISTINGS: Array<[string, string, string, string, string, string]> = [
  ['day', '2025-06-25', '2506.19851', '2026-11-20T10:00:00Z', '2026-11-21T10:00:00Z', '2025-06-25'],
  ['week', '2025-W26', '2506.19851', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z', '2025-06-25'],
  ['week', '2025-W27', '2506.19851', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z', '2025-06-30'],
  ['month', '2025-06', '2506.19851', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z', '2025-06-25'],
  ['month', '2025-07', '2506.19851', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z', '2025-07-01'],
  ['trending', '2025-07-10', '2506.19851', '2025-07-10T08:00:00Z', '2025-07-10T20:00:00Z', '2025-06-25'],
  ['search', 'animating 3d', '2506.19851', '2025-08-01T10:00:00Z', '2025-09-01T10:00:00Z', '2025-06-25'],
  ['day', '2024-08-01', '2407.21783', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z', '2024-08-01'],
  // ISO week 1 of 2025 starts on Monday 2024-12-30.
  ['week', '2025-W01', '2407.21783', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z', '2024-12-30'],
  ['month', '2024-08', '2407.21783', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z', '2024-08-01'],
  ['front', '2024-08-03', '2407.21783', '2024-08-03T06:00:00Z', '2024-08-03T23:00:00Z', '2024-08-03'],
  // First fetched late on 1 September in New York: 2 September in UTC.
  ['search', 'llama herd', '2407.21783', '2024-09-01T23:30:00-05:00', '2024-10-01T10:00:00Z', '2024-09-02'],
  ['trending', '2024-08-05', '2404.01300', '2024-08-05T06:00:00Z', '2024-08-05T06:00:00Z', '2024-08-05'],
  ['week', '2024-W31', '2404.01300', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z', '2024-07-29'],
  ['search', 'hyperbolic', '2404.01300', '2024-08-06T10:00:00Z', '2024-08-07T10:00:00Z', '2024-08-06'],
];

describe('migration 0007: listing dates', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ migrations: BEFORE_0007 });
    const full = (entry: Record<string, any>) => [
      entry.paper.id,
      entry.title,
      entry.paper.summary,
      entry.paper.authors.map((author: { name: string }) => author.name),
      entry.paper.publishedAt,
      entry.paper.upvotes,
      JSON.stringify(entry),
    ];
    for (const entry of [onDaily, undated]) {
      await db.pool.query(
        `insert into papers (id, title, abstract, authors, published_at, upvotes, raw) values ($1, $2, $3, $4, $5, $6, $7)`,
        full(entry),
      );
    }
    // A paper seen only on cards, stored as upsertCardSightings stores it.
    await db.pool.query(
      `insert into papers (id, title, upvotes, num_comments, raw) values ($1, $2, $3, $4, jsonb_build_object('card', $5::jsonb))`,
      [card.id, card.title, card.upvotes, card.numComments, JSON.stringify(card)],
    );
    for (const [kind, key, paperId, first, last] of LISTINGS) {
      await db.pool.query(
        `insert into listings (source, kind, key, paper_id, rank, upvotes, first_listed_at, last_listed_at)
         values ('hf', $1, $2, $3, 1, 0, $4, $5)`,
        [kind, key, paperId, first, last],
      );
    }
  });

  afterAll(async () => {
    await db.drop();
  });

  const columnsOfTable = (table: string) => columnsOf(db.pool, table);
  const indexesOfListings = async () =>
    (await db.pool.query(`select indexname from pg_indexes where tablename = 'listings' order by 1`)).rows.map(
      (row) => row.indexname,
    );

  it('up: gives every listing its date by the rules of listingDate, and renames the fetch times', async () => {
    expect(await migrateTestDatabase(db.url, 'up', 1)).toEqual(['0007_listing_dates']);
    const { rows } = await db.pool.query(
      `select kind, key, paper_id, first_seen_at, last_seen_at, listed_on::text from listings`,
    );
    const byListing = new Map(rows.map((row) => [`${row.kind} ${row.key} ${row.paper_id}`, row]));
    for (const [kind, key, paperId, first, last, listedOn] of LISTINGS) {
      expect(byListing.get(`${kind} ${key} ${paperId}`), `${kind} ${key} ${paperId}`).toEqual({
        kind,
        key,
        paper_id: paperId,
        first_seen_at: new Date(first),
        last_seen_at: new Date(last),
        listed_on: listedOn,
      });
    }
    expect(rows).toHaveLength(LISTINGS.length);
    const listedOn = await db.pool.query(
      `select is_nullable, data_type from information_schema.columns where table_name = 'listings' and column_name = 'listed_on'`,
    );
    expect(listedOn.rows).toEqual([{ is_nullable: 'NO', data_type: 'date' }]);
    expect(await indexesOfListings()).toEqual(['listings_by_listed_on', 'listings_by_paper', 'listings_pkey']);
  });

  it('up: paper_overview and the views over it show the listing dates and the fetch times', async () => {
    const overview = await columnsOfTable('paper_overview');
    expect(overview).toEqual(
      expect.arrayContaining(['first_listed_on', 'last_listed_on', 'first_seen_at', 'last_seen_at']),
    );
    expect(overview).not.toContain('first_listed_at');
    expect(await columnsOfTable('papers_with_code')).toEqual(overview);
    expect(await columnsOfTable('papers_without_code')).toEqual(overview);
    const { rows } = await db.pool.query(
      `select id, first_listed_on::text, last_listed_on::text, first_seen_at, last_seen_at from papers_without_code order by id`,
    );
    expect(rows).toEqual([
      {
        id: '2404.01300',
        first_listed_on: '2024-07-29',
        last_listed_on: '2024-08-06',
        first_seen_at: new Date('2024-08-05T06:00:00Z'),
        last_seen_at: new Date('2026-11-20T10:00:00Z'),
      },
      {
        id: '2407.21783',
        first_listed_on: '2024-08-01',
        last_listed_on: '2024-12-30',
        first_seen_at: new Date('2024-08-03T06:00:00Z'),
        last_seen_at: new Date('2026-11-20T10:00:00Z'),
      },
      {
        id: '2506.19851',
        first_listed_on: '2025-06-25',
        last_listed_on: '2025-07-01',
        first_seen_at: new Date('2025-07-10T08:00:00Z'),
        last_seen_at: new Date('2026-11-21T10:00:00Z'),
      },
    ]);
  });

  it('down: restores the fetch-time columns, their index and the views of 0005; up again gives the same dates', async () => {
    const before = await db.pool.query(`select * from listings order by source, kind, key, paper_id`);
    expect(await migrateTestDatabase(db.url, 'down', 1)).toEqual(['0007_listing_dates']);
    expect(await columnsOfTable('listings')).toEqual([
      'source',
      'kind',
      'key',
      'paper_id',
      'rank',
      'upvotes',
      'first_listed_at',
      'last_listed_at',
    ]);
    expect(await indexesOfListings()).toEqual(['listings_by_first_listed', 'listings_by_paper', 'listings_pkey']);
    const overview = await columnsOfTable('paper_overview');
    expect(overview).toEqual(expect.arrayContaining(['first_listed_at', 'last_listed_at']));
    expect(overview).not.toContain('first_listed_on');
    expect(await columnsOfTable('papers_with_code')).toEqual(overview);
    const { rows } = await db.pool.query(
      `select first_listed_at, last_listed_at from paper_overview where id = '2407.21783'`,
    );
    expect(rows).toEqual([
      { first_listed_at: new Date('2024-08-03T06:00:00Z'), last_listed_at: new Date('2026-11-20T10:00:00Z') },
    ]);

    expect(await migrateTestDatabase(db.url, 'up', 1)).toEqual(['0007_listing_dates']);
    const after = await db.pool.query(`select * from listings order by source, kind, key, paper_id`);
    expect(after.rows).toEqual(before.rows);
  });
});

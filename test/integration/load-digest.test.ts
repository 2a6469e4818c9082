import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/db/pool.ts';
import type { DigestRef } from '../../src/domain/digest-key.ts';
import type { ListedPaper } from '../../src/domain/paper.ts';
import { createLogger } from '../../src/logger.ts';
import { loadDigest } from '../../src/stages/load-digest.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  API_2024_08_01,
  API_2026_07_31_EARLY,
  API_2026_07_31_LATER,
  apiEntries,
  listedFromApi,
  listedFromHtml2024,
} from '../support/digests.ts';

const logger = createLogger({ level: 'silent', pretty: false });
const day = (key: string): DigestRef => ({ source: 'hf', kind: 'day', key });
const T1 = new Date('2026-07-31T12:00:00Z');
const T2 = new Date('2026-08-02T12:00:00Z');
const T3 = new Date('2026-08-03T12:00:00Z');
const JUNE_25 = 'hf-api-daily_papers-2025-06-25.json'; // 14 papers, all on the daily page of Wednesday 2025-06-25

function load(pool: pg.Pool, digest: DigestRef, listed: ListedPaper[], observedAt: Date) {
  return loadDigest(pool, {
    digest,
    parsed: { origin: 'api', papers: listed, warnings: [] },
    observedAt,
    fetch: { url: `test:${digest.kind}/${digest.key}`, httpStatus: 200, error: null },
  });
}

/** The same papers as a page's cards show them: what a load gets when the page's blob is missing. */
function loadCards(pool: pg.Pool, digest: DigestRef, listed: ListedPaper[], observedAt: Date) {
  const cards = listed.map(({ rank, paper }) => ({
    rank,
    card: { id: paper.id, title: paper.title, upvotes: paper.upvotes, numComments: paper.numComments },
  }));
  return loadDigest(pool, {
    digest,
    parsed: { origin: 'cards', cards, warnings: [] },
    observedAt,
    fetch: { url: `test:${digest.kind}/${digest.key}`, httpStatus: 200, error: null },
  });
}

/** The distinct listing dates of one digest's listings. */
async function listedOn(pool: pg.Pool, kind: string, key: string): Promise<string[]> {
  const { rows } = await pool.query(
    `select distinct listed_on::text from listings where kind = $1 and key = $2 order by 1`,
    [kind, key],
  );
  return rows.map((row) => row.listed_on);
}

/** Every row of the tables a load writes, with the system column that changes when a tuple is rewritten. */
async function tuples(pool: pg.Pool) {
  const papers = await pool.query(`select id, xmin::text, updated_at from papers order by id`);
  const listings = await pool.query(`select source, kind, key, paper_id, xmin::text from listings order by 1, 2, 3, 4`);
  const metrics = await pool.query(`select paper_id, observed_at, xmin::text from paper_metrics order by 1, 2`);
  return { papers: papers.rows, listings: listings.rows, metrics: metrics.rows };
}

/** The data itself, without transaction ids or wall-clock insert times: what two runs must agree on. */
async function contents(pool: pg.Pool) {
  const papers = await pool.query(
    `select id, title, abstract, authors, published_at, upvotes, num_comments, ai_summary, ai_keywords, project_page,
            organization, submitted_by, thumbnail, raw, observed_at, encode(content_hash, 'hex') as hash
     from papers order by id`,
  );
  const listings = await pool.query(`select * from listings order by source, kind, key, paper_id`);
  const metrics = await pool.query(`select * from paper_metrics order by paper_id, observed_at`);
  return { papers: papers.rows, listings: listings.rows, metrics: metrics.rows };
}

describe('loadDigest on real Postgres', () => {
  let db: TestDatabase;
  let pool: pg.Pool;

  beforeEach(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, logger, 6);
  });

  afterEach(async () => {
    await pool.end();
    await db.drop();
  });

  it('loads papers with their listing, first metrics and audit row', async () => {
    const listed = listedFromApi(API_2026_07_31_EARLY);
    const result = await load(pool, day('2026-07-31'), listed, T1);
    expect(result.counts).toEqual({ inserted: 34, updated: 0, unchanged: 0 });
    expect(result.metricsAppended).toBe(34);
    expect(result.listingsWritten).toBe(34);
    const { rows } = await pool.query(
      `select p.id, p.upvotes, p.organization, p.ai_keywords is not null as has_keywords, l.rank, l.upvotes as listed_upvotes,
              l.listed_on::text, l.first_seen_at, m.upvotes as metric_upvotes
       from papers p join listings l on l.paper_id = p.id join paper_metrics m on m.paper_id = p.id
       where p.id = '2607.28568'`,
    );
    expect(rows).toEqual([
      expect.objectContaining({
        id: '2607.28568',
        upvotes: 111,
        listed_upvotes: 111,
        metric_upvotes: 111,
        listed_on: '2026-07-31',
        first_seen_at: T1,
      }),
    ]);
    const fetches = await pool.query(`select outcome, paper_count, fetched_at from digest_fetches`);
    expect(fetches.rows).toEqual([{ outcome: 'loaded', paper_count: 34, fetched_at: T1 }]);
  });

  it('writes no tuple when the same digest is loaded again', async () => {
    const listed = listedFromApi(API_2026_07_31_EARLY);
    await load(pool, day('2026-07-31'), listed, T1);
    const before = await tuples(pool);
    const again = await load(pool, day('2026-07-31'), listedFromApi(API_2026_07_31_EARLY), T1);
    expect(again).toMatchObject({
      counts: { inserted: 0, updated: 0, unchanged: 34 },
      metricsAppended: 0,
      listingsWritten: 0,
    });
    expect(await tuples(pool)).toEqual(before);
  });

  it('on a later fetch with the same content, rewrites no paper and only moves last_seen_at', async () => {
    await load(pool, day('2026-07-31'), listedFromApi(API_2026_07_31_EARLY), T1);
    const before = await tuples(pool);
    const later = await load(pool, day('2026-07-31'), listedFromApi(API_2026_07_31_EARLY), T2);
    expect(later).toMatchObject({
      counts: { inserted: 0, updated: 0, unchanged: 34 },
      metricsAppended: 0,
      listingsWritten: 34,
    });
    const after = await tuples(pool);
    expect(after.papers).toEqual(before.papers);
    expect(after.metrics).toEqual(before.metrics);
    const { rows } = await pool.query(`select distinct listed_on::text, first_seen_at, last_seen_at from listings`);
    expect(rows).toEqual([{ listed_on: '2026-07-31', first_seen_at: T1, last_seen_at: T2 }]);
  });

  it("dates a week's listings by the day each paper was on the daily page, and follows the newest observation", async () => {
    // Real entries of Wednesday 2025-06-25, served as their week's.
    const week: DigestRef = { source: 'hf', kind: 'week', key: '2025-W26' };
    const listed = listedFromApi(JUNE_25);
    await load(pool, week, listed, T1);
    expect(await listedOn(pool, 'week', '2025-W26')).toEqual(['2025-06-25']);
    // A later look at the cards alone (no daily-page day): the week's Monday.
    await loadCards(pool, week, listed, T2);
    expect(await listedOn(pool, 'week', '2025-W26')).toEqual(['2025-06-23']);
    // The full entries again, later still: their day again.
    await load(pool, week, listed, T3);
    expect(await listedOn(pool, 'week', '2025-W26')).toEqual(['2025-06-25']);
    // An older observation in between changes nothing.
    expect(await loadCards(pool, week, listed, T2)).toMatchObject({ listingsWritten: 0 });
    expect(await listedOn(pool, 'week', '2025-W26')).toEqual(['2025-06-25']);
    // The same entries as the month's: their day; as another week's: that week's Monday.
    await load(pool, { source: 'hf', kind: 'month', key: '2025-06' }, listed, T1);
    await load(pool, { source: 'hf', kind: 'week', key: '2025-W27' }, listed, T1);
    expect(await listedOn(pool, 'month', '2025-06')).toEqual(['2025-06-25']);
    expect(await listedOn(pool, 'week', '2025-W27')).toEqual(['2025-06-30']);
  });

  it('dates trending and search listings by the daily-page day, else by the fetch; a search keeps its first date', async () => {
    await load(pool, { source: 'hf', kind: 'trending', key: '2026-08-02' }, listedFromApi(API_2026_07_31_LATER), T2);
    expect(await listedOn(pool, 'trending', '2026-08-02')).toEqual(['2026-07-31']);

    // The 2024 entries carry no daily-page day: a search dates them by the day it first found them.
    const search: DigestRef = { source: 'hf', kind: 'search', key: 'llama' };
    await load(pool, search, listedFromApi(API_2024_08_01), T1);
    await load(pool, search, listedFromApi(API_2024_08_01), T3);
    const { rows } = await pool.query(
      `select distinct listed_on::text, first_seen_at, last_seen_at from listings where kind = 'search'`,
    );
    expect(rows).toEqual([{ listed_on: '2026-07-31', first_seen_at: T1, last_seen_at: T3 }]);
    // First found as cards (no day known): the fetch day; then in full: their daily-page day, earlier.
    const another: DigestRef = { source: 'hf', kind: 'search', key: 'reasoning' };
    await loadCards(pool, another, listedFromApi(API_2026_07_31_EARLY), T2);
    expect(await listedOn(pool, 'search', 'reasoning')).toEqual(['2026-08-02']);
    await load(pool, another, listedFromApi(API_2026_07_31_EARLY), T3);
    expect(await listedOn(pool, 'search', 'reasoning')).toEqual(['2026-07-31']);
  });

  it('keeps one row for v1 and v2 of a paper', async () => {
    const entries = apiEntries(API_2024_08_01);
    const first = entries[0]!;
    expect(first.paper.id).toBe('2407.21783');
    const asV2 = structuredClone(first);
    asV2.paper.id = '2407.21783v2';
    asV2.paper.upvotes = first.paper.upvotes + 1;
    await load(pool, day('2024-08-01'), listedFromApi(API_2024_08_01, [first]), T1);
    await load(pool, day('2024-08-02'), listedFromApi(API_2024_08_01, [asV2]), T2);
    const { rows } = await pool.query(`select id, upvotes from papers`);
    expect(rows).toEqual([{ id: '2407.21783', upvotes: first.paper.upvotes + 1 }]);
    const listings = await pool.query(`select key, paper_id from listings order by key`);
    expect(listings.rows).toEqual([
      { key: '2024-08-01', paper_id: '2407.21783' },
      { key: '2024-08-02', paper_id: '2407.21783' },
    ]);
  });

  it('keeps two papers that share a title but not an id', async () => {
    const [a, b] = apiEntries(API_2024_08_01);
    // Real case upstream: two different "FuseChat: Knowledge Fusion of Chat Models" papers.
    b!.title = a!.title;
    b!.paper.title = a!.paper.title;
    await load(pool, day('2024-08-01'), listedFromApi(API_2024_08_01, [a!, b!]), T1);
    const { rows } = await pool.query(`select id, title from papers order by id`);
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((row) => row.title)).size).toBe(1);
    expect(rows.map((row) => row.id)).toEqual([a!.paper.id, b!.paper.id].sort());
  });

  it('merges a paper listed twice on one page: best rank, highest upvotes', async () => {
    const entries = apiEntries(API_2024_08_01).slice(0, 3);
    const repeated = structuredClone(entries[0]!);
    repeated.paper.upvotes += 10;
    const listed = listedFromApi(API_2024_08_01, [...entries, repeated]);
    expect(listed).toHaveLength(3);
    expect(listed[0]).toMatchObject({
      rank: 1,
      paper: { id: entries[0]!.paper.id, upvotes: entries[0]!.paper.upvotes + 10 },
    });
    await load(pool, day('2024-08-01'), listed, T1);
    const { rows } = await pool.query(`select rank, upvotes from listings where paper_id = $1`, [entries[0]!.paper.id]);
    expect(rows).toEqual([{ rank: 1, upvotes: entries[0]!.paper.upvotes + 10 }]);
  });

  it('appends a metric row only when upvotes or comments change', async () => {
    await load(pool, day('2026-07-31'), listedFromApi(API_2026_07_31_EARLY), T1);
    await load(pool, day('2026-07-31'), listedFromApi(API_2026_07_31_LATER), T2);
    await load(pool, day('2026-07-31'), listedFromApi(API_2026_07_31_LATER), T3);
    const { rows } = await pool.query(
      `select paper_id, array_agg(upvotes order by observed_at) as history, array_agg(observed_at order by observed_at) as times
       from paper_metrics where paper_id in ('2607.28568', '2607.26497') group by paper_id order by paper_id`,
    );
    expect(rows).toEqual([
      { paper_id: '2607.26497', history: [37, 46], times: [T1, T2] },
      { paper_id: '2607.28568', history: [111, 168], times: [T1, T2] },
    ]);
    const counts = await pool.query(
      `select count(*)::int as n, count(distinct paper_id)::int as papers from paper_metrics`,
    );
    // 34 papers at T1, 26 of them changed at T2 (all overlapping ones did), 4 new at T2, nothing at T3.
    expect(counts.rows[0]).toEqual({ n: 34 + 26 + 4, papers: 38 });
  });

  it('never deletes: a later, shorter list keeps every paper and listing', async () => {
    await load(pool, day('2026-07-31'), listedFromApi(API_2026_07_31_EARLY), T1);
    await load(pool, day('2026-07-31'), listedFromApi(API_2026_07_31_LATER), T2);
    const { rows } = await pool.query(
      `select (select count(*)::int from papers) as papers,
              (select count(*)::int from listings) as listings,
              (select count(*)::int from listings where last_seen_at = $1) as still_listed,
              (select count(*)::int from listings where last_seen_at = $2) as dropped`,
      [T2, T1],
    );
    expect(rows[0]).toEqual({ papers: 38, listings: 38, still_listed: 30, dropped: 8 });
  });

  it('keeps the newer values when an older observation arrives late, but records it in the history', async () => {
    await load(pool, day('2026-07-31'), listedFromApi(API_2026_07_31_LATER), T2);
    await load(pool, day('2026-07-31'), listedFromApi(API_2026_07_31_EARLY), T1);
    const { rows } = await pool.query(
      `select p.upvotes, p.observed_at, l.upvotes as listed, l.first_seen_at, l.last_seen_at,
              (select array_agg(upvotes order by observed_at) from paper_metrics m where m.paper_id = p.id) as history
       from papers p join listings l on l.paper_id = p.id where p.id = '2607.28568'`,
    );
    expect(rows).toEqual([
      { upvotes: 168, observed_at: T2, listed: 168, first_seen_at: T1, last_seen_at: T2, history: [111, 168] },
    ]);
  });

  it('runs overlapping loads concurrently without deadlock, ending as a serial run does', async () => {
    const early = listedFromApi(API_2026_07_31_EARLY);
    const later = listedFromApi(API_2026_07_31_LATER);
    const html = listedFromHtml2024();
    const api2024 = listedFromApi(API_2024_08_01);
    // A day and the week and month containing it, loaded at once: heavy overlap, values that grow over time.
    const loads: Array<[DigestRef, ListedPaper[], Date]> = [
      [day('2026-07-31'), early, T1],
      [
        { source: 'hf', kind: 'week', key: '2026-W31' },
        [...later, ...html].map((item, index) => ({ ...item, rank: index + 1 })),
        T2,
      ],
      [
        { source: 'hf', kind: 'month', key: '2026-07' },
        [...later.slice(5), ...api2024].map((item, index) => ({ ...item, rank: index + 1 })),
        T3,
      ],
      [day('2024-08-01'), html, T1],
    ];

    const serial = await createTestDatabase();
    const serialPool = createPool(serial.url, logger, 2);
    try {
      for (const [digest, listed, at] of [...loads].sort((a, b) => a[2].getTime() - b[2].getTime())) {
        await load(serialPool, digest, listed, at);
      }
      // Several rounds, each on a fresh database, to give the interleavings a chance to differ.
      for (let round = 0; round < 3; round += 1) {
        await pool.query('truncate papers, listings, paper_metrics, digest_fetches cascade');
        await Promise.all(loads.map(([digest, listed, at]) => load(pool, digest, listed, at)));
        expect(await contents(pool)).toEqual(await contents(serialPool));
      }
    } finally {
      await serialPool.end();
      await serial.drop();
    }
  });

  it('leaves the previous state intact when a load is killed mid-transaction', async () => {
    await load(pool, day('2026-07-31'), listedFromApi(API_2026_07_31_EARLY), T1);
    const before = await contents(pool);
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      // Hold the audit table so the load stalls on its last statement, with papers, metrics and listings already written.
      await blocker.query('begin');
      await blocker.query('lock table digest_fetches in exclusive mode');
      const loading = load(pool, day('2026-07-31'), listedFromApi(API_2026_07_31_LATER), T2).then(
        () => 'committed',
        (error: Error) => error.message,
      );
      const pid = await waitForBlockedBackend(blocker);
      const written = await blocker.query(`select count(*)::int as n from paper_metrics`);
      expect(written.rows[0].n).toBe(34); // the stalled load's rows are invisible: not committed
      await blocker.query('select pg_terminate_backend($1)', [pid]);
      expect(await loading).toMatch(/terminat/i);
      await blocker.query('rollback');
    } finally {
      await blocker.end();
    }
    expect(await contents(pool)).toEqual(before);
  });
});

async function waitForBlockedBackend(observer: pg.Client): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const { rows } = await observer.query(
      `select pid from pg_locks where relation = 'digest_fetches'::regclass and not granted`,
    );
    if (rows[0]) return rows[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the load never reached its audit insert');
}

import type { PgQueryable } from './queryable.ts';

/**
 * The page store's retention rule, as SQL. A stored body is kept while any of
 * these holds; every other body is prunable:
 *
 * - (latest) it is the body of its digest's latest fetch that has one: what
 *   `paperboy reparse` reads (findLatestKeptFetches orders the same way);
 * - (failed) a failed fetch references it: reparse needs the bytes a parser
 *   choked on;
 * - (recent) it was stored, or referenced by a fetch, since the cutoff ($1).
 *
 * `stored_at` is refreshed whenever a fetch brings the same bytes again
 * (storePageBody), so a body being stored by a running fetch is always
 * recent: with a cutoff at least a day back, no prune deletes it.
 */
const KEPT_BODIES = `
  latest as (
    select distinct on (source, kind, key) content_sha256 as sha256
    from digest_fetches
    where content_sha256 is not null
    order by source, kind, key, fetched_at desc, id desc
  ),
  kept as (
    select sha256 from latest
    union
    select content_sha256 from digest_fetches
    where content_sha256 is not null and (outcome = 'failed' or fetched_at >= $1)
  )`;

/** Re-evaluated row by row at delete time, so a body refreshed meanwhile (stored_at moved) survives. */
const PRUNABLE = `b.stored_at < $1 and not exists (select 1 from kept k where k.sha256 = b.sha256)`;

export interface PageStoreUsage {
  bodies: number;
  /** Uncompressed size of the pages (the `bytes` column). */
  pageBytes: number;
  /** What the stored (compressed) bodies take: octet_length(body). */
  storedBytes: number;
}

/** sums and counts come back from pg as text (bigint, numeric). */
interface UsageRow {
  bodies: string;
  page_bytes: string | null;
  stored_bytes: string | null;
}

const usageOf = (row: UsageRow | undefined): PageStoreUsage => ({
  bodies: Number(row?.bodies ?? 0),
  pageBytes: Number(row?.page_bytes ?? 0),
  storedBytes: Number(row?.stored_bytes ?? 0),
});

/** What the whole page store holds. */
export async function measurePageStore(db: PgQueryable): Promise<PageStoreUsage> {
  const { rows } = await db.query<UsageRow>(
    `select count(*) as bodies, sum(bytes) as page_bytes, sum(octet_length(body)) as stored_bytes from page_bodies`,
  );
  return usageOf(rows[0]);
}

/** What pruning with this cutoff would free now (a dry run: nothing is deleted). */
export async function measurePrunableBodies(db: PgQueryable, cutoff: Date): Promise<PageStoreUsage> {
  const { rows } = await db.query<UsageRow>(
    `with ${KEPT_BODIES}
     select count(*) as bodies, sum(b.bytes) as page_bytes, sum(octet_length(b.body)) as stored_bytes
     from page_bodies b
     where ${PRUNABLE}`,
    [cutoff],
  );
  return usageOf(rows[0]);
}

interface ShaRow {
  sha256: string;
}

/**
 * Deletes up to `batchSize` prunable bodies and returns what it freed. Each
 * batch is its own short statement, so a large prune never holds locks on
 * the page store for long; the caller repeats until nothing is freed.
 * Fetch rows are never touched: one whose body is gone keeps its
 * content_sha256, and reparse skips it.
 */
export async function pruneBodiesBatch(db: PgQueryable, cutoff: Date, batchSize: number): Promise<PageStoreUsage> {
  const candidates = await db.query<ShaRow>(
    `with ${KEPT_BODIES}
     select b.sha256 from page_bodies b where ${PRUNABLE} order by b.sha256 limit $2`,
    [cutoff, batchSize],
  );
  if (candidates.rows.length === 0) return usageOf(undefined);
  // The rule is checked again as the rows are deleted: a fetch may have kept one since they were chosen.
  const { rows } = await db.query<UsageRow>(
    `with ${KEPT_BODIES},
     deleted as (
       delete from page_bodies b
       where b.sha256 = any($2::text[]) and ${PRUNABLE}
       returning b.bytes, octet_length(b.body) as stored
     )
     select count(*) as bodies, sum(bytes) as page_bytes, sum(stored) as stored_bytes from deleted`,
    [cutoff, candidates.rows.map((row) => row.sha256)],
  );
  return usageOf(rows[0]);
}

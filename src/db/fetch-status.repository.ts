import type { PgQueryable } from './queryable.ts';

/**
 * What the dashboard's status page reads from the fetch audit trail. Each
 * query is one short scan of a partial index (migration 0011), so the page
 * stays fast however many fetches the trail holds.
 */

/** The latest fetch of a kind that did not fail (re-parses excluded). */
export interface LastGoodFetch {
  kind: string;
  key: string;
  url: string;
  outcome: string;
  paperCount: number;
  fetchedAt: Date;
}

interface LastGoodFetchRow {
  kind: string;
  key: string;
  url: string;
  outcome: string;
  paper_count: number;
  fetched_at: Date;
}

/** For each of `kinds` fetched well at least once, its latest such fetch; kinds never fetched well are absent. */
export async function findLastGoodFetchByKind(db: PgQueryable, kinds: readonly string[]): Promise<LastGoodFetch[]> {
  // One index probe per kind (a lateral limit 1), instead of max() over every good fetch.
  const { rows } = await db.query<LastGoodFetchRow>(
    `select f.kind, f.key, f.url, f.outcome, f.paper_count, f.fetched_at
     from unnest($1::text[]) with ordinality as k(kind, position)
     cross join lateral (
       select kind, key, url, outcome, paper_count, fetched_at
       from digest_fetches
       where kind = k.kind and outcome <> 'failed' and reparse_of is null
       order by fetched_at desc
       limit 1) f
     order by k.position`,
    [kinds],
  );
  return rows.map((row) => ({
    kind: row.kind,
    key: row.key,
    url: row.url,
    outcome: row.outcome,
    paperCount: row.paper_count,
    fetchedAt: row.fetched_at,
  }));
}

export interface FailedFetch {
  kind: string;
  key: string;
  url: string;
  httpStatus: number | null;
  error: string | null;
  /** null for failures recorded before the class was (migration 0009). */
  errorClass: string | null;
  fetchedAt: Date;
}

interface FailedFetchRow {
  kind: string;
  key: string;
  url: string;
  http_status: number | null;
  error: string | null;
  error_class: string | null;
  fetched_at: Date;
}

/** The `limit` latest failed fetches, newest first. */
export async function findRecentFailedFetches(db: PgQueryable, limit: number): Promise<FailedFetch[]> {
  const { rows } = await db.query<FailedFetchRow>(
    `select kind, key, url, http_status, error, error_class, fetched_at
     from digest_fetches
     where outcome = 'failed'
     order by fetched_at desc, id desc
     limit $1`,
    [limit],
  );
  return rows.map((row) => ({
    kind: row.kind,
    key: row.key,
    url: row.url,
    httpStatus: row.http_status,
    error: row.error,
    errorClass: row.error_class,
    fetchedAt: row.fetched_at,
  }));
}

/** count(*) is a bigint: pg returns it as text. */
interface CountRow {
  n: string;
}

/** How many fetches failed since `since`. */
export async function countFailedFetchesSince(db: PgQueryable, since: Date): Promise<number> {
  const { rows } = await db.query<CountRow>(
    `select count(*) as n from digest_fetches where outcome = 'failed' and fetched_at >= $1`,
    [since],
  );
  return Number(rows[0]?.n ?? 0);
}

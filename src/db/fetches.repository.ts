import type { DigestKind, DigestRef } from '../domain/digest-key.ts';
import type { Transport } from '../domain/digest-key.ts';
import type { PgQueryable } from './queryable.ts';

/** not_found: a paper's own page answered 404 (list pages never do: a day with no list redirects). */
export type FetchOutcome = 'loaded' | 'empty' | 'not_modified' | 'not_found' | 'failed';

export interface FetchRecord {
  digest: DigestRef;
  url: string;
  httpStatus: number | null;
  outcome: FetchOutcome;
  paperCount: number;
  error: string | null;
  /** The thrown error's class name (`error.name`), for a failed fetch. */
  errorClass?: string | null;
  etag?: string | null;
  lastModified?: string | null;
  contentSha256?: string | null;
  parserVersion?: number | null;
  durationMs?: number | null;
  warnings?: readonly string[];
  /** The start of the page's text when parsing failed. */
  excerpt?: string | null;
  transport?: Transport;
  /** Set by `paperboy reparse`: the fetch whose stored bytes were parsed again. */
  reparseOf?: number | null;
  /** When the response was received; defaults to the database's now(). */
  fetchedAt?: Date;
}

/** bigint ids come back from pg as text. */
interface FetchIdRow {
  id: string;
}

/** Appends one row to the fetch audit trail and returns its id. */
export async function recordFetch(db: PgQueryable, record: FetchRecord): Promise<number> {
  const { rows } = await db.query<FetchIdRow>(
    `insert into digest_fetches (
       source, kind, key, url, http_status, outcome, paper_count, error,
       etag, last_modified, content_sha256, parser_version, duration_ms, warnings, excerpt, transport, reparse_of, fetched_at,
       error_class)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, coalesce($18, now()), $19)
     returning id`,
    [
      record.digest.source,
      record.digest.kind,
      record.digest.key,
      record.url,
      record.httpStatus,
      record.outcome,
      record.paperCount,
      record.error,
      record.etag ?? null,
      record.lastModified ?? null,
      record.contentSha256 ?? null,
      record.parserVersion ?? null,
      record.durationMs === undefined || record.durationMs === null ? null : Math.round(record.durationMs),
      record.warnings ?? [],
      record.excerpt ?? null,
      record.transport ?? 'html',
      record.reparseOf ?? null,
      record.fetchedAt ?? null,
      record.errorClass ?? null,
    ],
  );
  return Number(rows[0]?.id);
}

export interface PreviousFetch {
  outcome: Exclude<FetchOutcome, 'failed'>;
  etag: string | null;
  lastModified: string | null;
  contentSha256: string | null;
  parserVersion: number | null;
  paperCount: number;
}

interface PreviousFetchRow {
  outcome: PreviousFetch['outcome'];
  etag: string | null;
  last_modified: string | null;
  content_sha256: string | null;
  parser_version: number | null;
  paper_count: number;
}

/**
 * The latest fetch of a digest that did not fail: what a conditional request
 * and the unchanged-bytes check compare against.
 */
export async function findLatestGoodFetch(db: PgQueryable, digest: DigestRef): Promise<PreviousFetch | undefined> {
  const { rows } = await db.query<PreviousFetchRow>(
    `select outcome, etag, last_modified, content_sha256, parser_version, paper_count
     from digest_fetches
     where source = $1 and kind = $2 and key = $3 and outcome <> 'failed'
     order by fetched_at desc, id desc
     limit 1`,
    [digest.source, digest.kind, digest.key],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    outcome: row.outcome,
    etag: row.etag,
    lastModified: row.last_modified,
    contentSha256: row.content_sha256,
    parserVersion: row.parser_version,
    paperCount: row.paper_count,
  };
}

interface DigestKeyRow {
  key: string;
}

/** Days (YYYY-MM-DD keys) since `since` whose daily page from `source` was fetched without failing. */
export async function findFetchedDays(
  db: PgQueryable,
  source: DigestRef['source'],
  since: string,
): Promise<Set<string>> {
  const { rows } = await db.query<DigestKeyRow>(
    `select distinct key from digest_fetches where source = $1 and kind = 'day' and outcome <> 'failed' and key >= $2`,
    [source, since],
  );
  return new Set(rows.map((row) => row.key));
}

interface PaperCountRow {
  key: string;
  paper_count: number;
}

/**
 * Those of `keys` (of one kind) fetched without failing at least once, with
 * how many papers the latest such fetch listed (0: the key was empty).
 */
export async function findFetchedPaperCounts(
  db: PgQueryable,
  source: DigestRef['source'],
  kind: DigestRef['kind'],
  keys: readonly string[],
): Promise<Map<string, number>> {
  const { rows } = await db.query<PaperCountRow>(
    `select distinct on (key) key, paper_count
     from digest_fetches
     where source = $1 and kind = $2 and key = any($3::text[]) and outcome <> 'failed'
     order by key, fetched_at desc, id desc`,
    [source, kind, keys],
  );
  return new Map(rows.map((row) => [row.key, row.paper_count]));
}

interface LatestOutcomeRow {
  key: string;
  outcome: FetchOutcome;
  error: string | null;
  paper_count: number;
}

/** The latest fetch outcome (error and paper count) of each of `keys` recorded since `since`. */
export async function findLatestOutcomes(
  db: PgQueryable,
  source: DigestRef['source'],
  kind: DigestRef['kind'],
  keys: readonly string[],
  since: Date,
): Promise<Map<string, { outcome: FetchOutcome; error: string | null; paperCount: number }>> {
  const { rows } = await db.query<LatestOutcomeRow>(
    `select distinct on (key) key, outcome, error, paper_count
     from digest_fetches
     where source = $1 and kind = $2 and key = any($3::text[]) and fetched_at >= $4 and reparse_of is null
     order by key, fetched_at desc, id desc`,
    [source, kind, keys, since],
  );
  return new Map(rows.map((row) => [row.key, { outcome: row.outcome, error: row.error, paperCount: row.paper_count }]));
}

/** count(*) is a bigint: pg returns it as text. */
interface FetchCountRow {
  kind: string;
  outcome: string;
  n: string;
}

/** How many fetches the audit trail holds of each kind and outcome. */
export async function countFetchesByOutcome(
  db: PgQueryable,
): Promise<Array<{ kind: string; outcome: string; count: number }>> {
  const { rows } = await db.query<FetchCountRow>(
    'select kind, outcome, count(*) as n from digest_fetches group by kind, outcome',
  );
  return rows.map((row) => ({ kind: row.kind, outcome: row.outcome, count: Number(row.n) }));
}

interface FailureCountRow {
  kind: string;
  error_class: string;
  n: string;
}

/**
 * How many fetches failed, by kind and error class: monotonic, like
 * countFetchesByOutcome. Failures recorded before the class was (migration
 * 0009) count as `unknown`. Each kind fetched so far also gets a 0 for each
 * of `zeroClasses`, so the first such failure shows as an increase rather
 * than as a new series, which Prometheus's increase() cannot see.
 */
export async function countFailedFetchesByClass(
  db: PgQueryable,
  zeroClasses: readonly string[] = [],
): Promise<Array<{ kind: string; errorClass: string; count: number }>> {
  const { rows } = await db.query<FailureCountRow>(
    `with per as (
       -- One pass over the audit trail: every kind seen, with its failures by class.
       select kind, coalesce(error_class, 'unknown') as error_class, count(*) filter (where outcome = 'failed') as n
       from digest_fetches
       group by 1, 2)
     select kind, error_class, sum(n) as n
     from (
       select kind, error_class, n from per where n > 0
       union all
       select k.kind, c.error_class, 0
       from (select distinct kind from per) k cross join unnest($1::text[]) as c(error_class)
     ) counts
     group by 1, 2`,
    [zeroClasses],
  );
  return rows.map((row) => ({ kind: row.kind, errorClass: row.error_class, count: Number(row.n) }));
}

interface FetchDurationRow {
  kind: string;
  p50: number;
  p95: number;
}

/** Median and 95th percentile fetch-to-load duration, in seconds, of the last hour's fetches (re-parses excluded), by kind. */
export async function findRecentFetchDurations(
  db: PgQueryable,
): Promise<Array<{ kind: string; p50Seconds: number; p95Seconds: number }>> {
  const { rows } = await db.query<FetchDurationRow>(
    `select kind,
            percentile_cont(0.5) within group (order by duration_ms) / 1000.0 as p50,
            percentile_cont(0.95) within group (order by duration_ms) / 1000.0 as p95
     from digest_fetches
     where fetched_at > now() - interval '1 hour' and duration_ms is not null and reparse_of is null
     group by kind`,
  );
  return rows.map((row) => ({ kind: row.kind, p50Seconds: Number(row.p50), p95Seconds: Number(row.p95) }));
}

/** The latest fetch of a digest whose page bytes are still kept: what a re-parse reads. */
export interface KeptFetchRow {
  id: string;
  kind: DigestKind;
  key: string;
  url: string;
  http_status: number | null;
  etag: string | null;
  last_modified: string | null;
  content_sha256: string;
  transport: Transport;
  fetched_at: Date;
  parser_version: number | null;
  outcome: string;
}

/**
 * For each digest of `source` (optionally of one kind, keys within inclusive
 * bounds), its latest fetch whose page body is still stored.
 */
export async function findLatestKeptFetches(
  db: PgQueryable,
  source: string,
  range: { kind?: DigestKind; from?: string; to?: string },
): Promise<KeptFetchRow[]> {
  const { rows } = await db.query<KeptFetchRow>(
    `select distinct on (f.kind, f.key)
            f.id, f.kind, f.key, f.url, f.http_status, f.etag, f.last_modified, f.content_sha256, f.transport, f.fetched_at,
            f.parser_version, f.outcome
     from digest_fetches f
     where f.source = $1
       and f.content_sha256 is not null
       and exists (select 1 from page_bodies b where b.sha256 = f.content_sha256)
       and ($2::text is null or f.kind = $2)
       and ($3::text is null or f.key >= $3)
       and ($4::text is null or f.key <= $4)
     order by f.kind, f.key, f.fetched_at desc, f.id desc`,
    [source, range.kind ?? null, range.from ?? null, range.to ?? null],
  );
  return rows;
}

import type { DigestRef } from '../domain/digest-key.ts';
import type { PgQueryable } from './queryable.ts';

export type FetchOutcome = 'loaded' | 'empty' | 'not_modified' | 'failed';

export interface FetchRecord {
  digest: DigestRef;
  url: string;
  httpStatus: number | null;
  outcome: FetchOutcome;
  paperCount: number;
  error: string | null;
  etag?: string | null;
  lastModified?: string | null;
  contentSha256?: string | null;
  parserVersion?: number | null;
  durationMs?: number | null;
  warnings?: readonly string[];
  /** The start of the page's text when parsing failed. */
  excerpt?: string | null;
  transport?: 'html' | 'api';
  /** Set by `paperboy reparse`: the fetch whose stored bytes were parsed again. */
  reparseOf?: number | null;
  /** When the response was received; defaults to the database's now(). */
  fetchedAt?: Date;
}

/** Appends one row to the fetch audit trail and returns its id. */
export async function recordFetch(db: PgQueryable, record: FetchRecord): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `insert into digest_fetches (
       source, kind, key, url, http_status, outcome, paper_count, error,
       etag, last_modified, content_sha256, parser_version, duration_ms, warnings, excerpt, transport, reparse_of, fetched_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, coalesce($18, now()))
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

/**
 * The latest fetch of a digest that did not fail: what a conditional request
 * and the unchanged-bytes check compare against.
 */
export async function findLatestGoodFetch(db: PgQueryable, digest: DigestRef): Promise<PreviousFetch | undefined> {
  const { rows } = await db.query<{
    outcome: PreviousFetch['outcome'];
    etag: string | null;
    last_modified: string | null;
    content_sha256: string | null;
    parser_version: number | null;
    paper_count: number;
  }>(
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

/** Days (YYYY-MM-DD keys) since `since` whose daily page was fetched without failing. */
export async function findFetchedDays(db: PgQueryable, since: string): Promise<Set<string>> {
  const { rows } = await db.query<{ key: string }>(
    `select distinct key from digest_fetches where source = 'hf' and kind = 'day' and outcome <> 'failed' and key >= $1`,
    [since],
  );
  return new Set(rows.map((row) => row.key));
}

/** Those of `keys` (of one kind) that have been fetched without failing at least once. */
export async function findFetchedKeys(db: PgQueryable, kind: DigestRef['kind'], keys: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ key: string }>(
    `select distinct key from digest_fetches where source = 'hf' and kind = $1 and key = any($2::text[]) and outcome <> 'failed'`,
    [kind, keys],
  );
  return new Set(rows.map((row) => row.key));
}

/** The latest fetch outcome (and error) of each of `keys` recorded since `since`. */
export async function findLatestOutcomes(
  db: PgQueryable,
  kind: DigestRef['kind'],
  keys: readonly string[],
  since: Date,
): Promise<Map<string, { outcome: FetchOutcome; error: string | null }>> {
  const { rows } = await db.query<{ key: string; outcome: FetchOutcome; error: string | null }>(
    `select distinct on (key) key, outcome, error
     from digest_fetches
     where source = 'hf' and kind = $1 and key = any($2::text[]) and fetched_at >= $3 and reparse_of is null
     order by key, fetched_at desc, id desc`,
    [kind, keys, since],
  );
  return new Map(rows.map((row) => [row.key, { outcome: row.outcome, error: row.error }]));
}

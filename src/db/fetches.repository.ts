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
}

/** Appends one row to the fetch audit trail and returns its id. */
export async function recordFetch(db: PgQueryable, record: FetchRecord): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `insert into digest_fetches (source, kind, key, url, http_status, outcome, paper_count, error)
     values ($1, $2, $3, $4, $5, $6, $7, $8)
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
    ],
  );
  return Number(rows[0]?.id);
}

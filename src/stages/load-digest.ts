import type pg from 'pg';
import { recordFetch, type FetchRecord } from '../db/fetches.repository.ts';
import { upsertListings } from '../db/listings.repository.ts';
import { appendPaperMetrics } from '../db/metrics.repository.ts';
import { upsertPapers, type UpsertCounts } from '../db/papers.repository.ts';
import { withTransaction } from '../db/pool.ts';
import type { DigestRef } from '../domain/digest-key.ts';
import type { ListedPaper } from '../domain/paper.ts';

export interface LoadDigestInput {
  digest: DigestRef;
  /** Deduplicated (one entry per paper id). */
  listed: readonly ListedPaper[];
  /** When the page was fetched: the observation time of every value in it. */
  observedAt: Date;
  /** The audit row, written in the same transaction. */
  fetch: Omit<FetchRecord, 'digest' | 'outcome' | 'paperCount' | 'fetchedAt'>;
}

export interface LoadDigestResult {
  counts: UpsertCounts;
  metricsAppended: number;
  listingsWritten: number;
  fetchId: number;
}

/**
 * Loads one parsed digest in one transaction: papers, their metric history,
 * the digest's listings and the audit row. Either all of it lands or none of
 * it does, so a failed load leaves the previous state intact. Nothing is
 * deleted: papers a digest no longer lists keep their rows and listings.
 */
export async function loadDigest(pool: pg.Pool, input: LoadDigestInput): Promise<LoadDigestResult> {
  const papers = input.listed.map((item) => item.paper);
  return withTransaction(pool, async (tx) => {
    const { counts, observedChanges } = await upsertPapers(tx, papers, input.observedAt);
    const metricsAppended = await appendPaperMetrics(tx, observedChanges, input.observedAt);
    const listingsWritten = await upsertListings(tx, input.digest, input.listed, input.observedAt);
    const fetchId = await recordFetch(tx, {
      ...input.fetch,
      digest: input.digest,
      outcome: papers.length === 0 ? 'empty' : 'loaded',
      paperCount: papers.length,
      fetchedAt: input.observedAt,
    });
    return { counts, metricsAppended, listingsWritten, fetchId };
  });
}

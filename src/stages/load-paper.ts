import type pg from 'pg';
import { recordFetch, type FetchRecord } from '../db/fetches.repository.ts';
import { appendPaperMetrics } from '../db/metrics.repository.ts';
import {
  appendPaperDetailHistory,
  markPaperDetailNotFound,
  upsertPaperDetail,
} from '../db/paper-details.repository.ts';
import { upsertPapers } from '../db/papers.repository.ts';
import { withTransaction } from '../db/pool.ts';
import { linkPaperRepos } from '../db/repos.repository.ts';
import type { DigestRef } from '../domain/digest-key.ts';
import type { ParsedPaperPage } from '../domain/paper-detail.ts';
import { extractRepoRefs } from '../domain/repo-refs.ts';
import type { LoadDigestResult } from './load-digest.ts';

export interface LoadPaperInput {
  /** The paper's digest reference: kind `paper`, key its canonical id. */
  digest: DigestRef;
  parsed: ParsedPaperPage;
  /** When the page was fetched: the observation time of every value in it. */
  observedAt: Date;
  /** The audit row, written in the same transaction. */
  fetch: Omit<FetchRecord, 'digest' | 'outcome' | 'paperCount' | 'fetchedAt' | 'warnings'>;
}

export interface LoadPaperResult extends LoadDigestResult {
  /** Whether the detail row was inserted, updated or left as it was. */
  detail: 'inserted' | 'updated' | 'unchanged';
  detailHistoryAppended: number;
}

/**
 * Loads one parsed paper page in one transaction: the paper through the same
 * upsert as a listing's entry (newest observation wins; its upvotes and
 * comments feed the same history), its repository links, what only the page
 * has (paper_details, with a history row when a count changed) and the
 * audit row. A paper page lists nothing: no listing is written.
 */
export async function loadPaperPage(pool: pg.Pool, input: LoadPaperInput): Promise<LoadPaperResult> {
  const { parsed, observedAt } = input;
  // Computed once, outside the transaction: withTransaction may run it again after a deadlock.
  const links = extractRepoRefs(parsed.paper).map((ref) => ({ paperId: parsed.paper.id, ref }));
  return withTransaction(pool, async (tx) => {
    const { counts, observedChanges } = await upsertPapers(tx, [parsed.paper], observedAt);
    const metricsAppended = await appendPaperMetrics(tx, observedChanges, observedAt);
    await linkPaperRepos(tx, links);
    const detail = await upsertPaperDetail(tx, parsed.detail, observedAt);
    const detailHistoryAppended = await appendPaperDetailHistory(tx, parsed.detail, observedAt);
    await recordFetch(tx, {
      ...input.fetch,
      digest: input.digest,
      outcome: 'loaded',
      paperCount: 1,
      warnings: parsed.warnings,
      fetchedAt: observedAt,
    });
    return {
      counts,
      repoRefs: links.map((link) => link.ref.ref),
      metricsAppended,
      listingsWritten: 0,
      outcome: 'loaded',
      paperCount: 1,
      detail,
      detailHistoryAppended,
    };
  });
}

/**
 * The paper's page answered 404: its detail is marked not_found (checked
 * again later; nothing deleted) and the audit row says so, together.
 *
 * @returns whether paperboy holds the paper (a 404 of an unknown id changes no paper row).
 */
export async function recordPaperNotFound(
  pool: pg.Pool,
  digest: DigestRef,
  observedAt: Date,
  fetch: LoadPaperInput['fetch'],
): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    const known = await markPaperDetailNotFound(tx, digest.key, observedAt);
    await recordFetch(tx, { ...fetch, digest, outcome: 'not_found', paperCount: 0, fetchedAt: observedAt });
    return known;
  });
}

import type pg from 'pg';
import { recordFetch, type FetchRecord } from '../db/fetches.repository.ts';
import { upsertListings, type ListingRow } from '../db/listings.repository.ts';
import { appendPaperMetrics, type MetricObservation } from '../db/metrics.repository.ts';
import { upsertCardSightings, upsertPapers, type UpsertCounts } from '../db/papers.repository.ts';
import { withTransaction } from '../db/pool.ts';
import type { PgQueryable } from '../db/queryable.ts';
import { linkPaperRepos } from '../db/repos.repository.ts';
import { extractRepoRefs } from '../domain/repo-refs.ts';
import type { DigestRef } from '../domain/digest-key.ts';
import { listingDate } from '../domain/listing-date.ts';
import type { ParsedDigest } from '../domain/parse-digest.ts';

export interface LoadDigestInput {
  digest: DigestRef;
  /** The parsed page: full records, or card sightings when the blob was missing. */
  parsed: ParsedDigest;
  /** When the page was fetched: the observation time of every value in it. */
  observedAt: Date;
  /** The audit row, written in the same transaction. */
  fetch: Omit<FetchRecord, 'digest' | 'outcome' | 'paperCount' | 'fetchedAt' | 'warnings'>;
}

export interface LoadDigestResult {
  counts: UpsertCounts;
  /** Normalised `owner/repo` references of the loaded papers (for enrichment). */
  repoRefs: string[];
  metricsAppended: number;
  listingsWritten: number;
  /** What the audit row says: `empty` when the page listed nothing. */
  outcome: 'loaded' | 'empty';
  paperCount: number;
}

/**
 * Loads one parsed digest in one transaction: papers, their metric history,
 * the digest's listings and the audit row. Either all of it lands or none of
 * it does, so a failed load leaves the previous state intact. Nothing is
 * deleted: papers a digest no longer lists keep their rows and listings.
 */
export async function loadDigest(pool: pg.Pool, input: LoadDigestInput): Promise<LoadDigestResult> {
  const { digest, parsed, observedAt } = input;
  // A card shows no daily-page day: its listing takes the digest's own date (listingDate's fallbacks).
  const listings: ListingRow[] =
    parsed.origin === 'cards'
      ? parsed.cards.map(({ rank, card }) => ({
          paperId: card.id,
          rank,
          upvotes: card.upvotes,
          listedOn: listingDate(digest, null, observedAt),
        }))
      : parsed.papers.map(({ rank, paper }) => ({
          paperId: paper.id,
          rank,
          upvotes: paper.upvotes,
          listedOn: listingDate(digest, paper.submittedOnDailyAt, observedAt),
        }));
  // Computed once, outside the transaction: withTransaction may run it again after a deadlock.
  const links =
    parsed.origin === 'cards'
      ? []
      : parsed.papers.flatMap(({ paper }) => extractRepoRefs(paper).map((ref) => ({ paperId: paper.id, ref })));
  return withTransaction(pool, async (tx) => {
    const { counts, observed } = await writePapers(tx, parsed, observedAt);
    const metricsAppended = await appendPaperMetrics(tx, observed, observedAt);
    await linkPaperRepos(tx, links);
    const listingsWritten = await upsertListings(tx, digest, listings, observedAt);
    const outcome = listings.length === 0 ? 'empty' : 'loaded';
    await recordFetch(tx, {
      ...input.fetch,
      digest,
      outcome,
      paperCount: listings.length,
      warnings: parsed.warnings,
      fetchedAt: observedAt,
    });
    return {
      counts,
      repoRefs: [...new Set(links.map((link) => link.ref.ref))],
      metricsAppended,
      listingsWritten,
      outcome,
      paperCount: listings.length,
    };
  });
}

/** Full records replace what they describe; card sightings only refresh what a card shows. */
async function writePapers(
  tx: PgQueryable,
  parsed: ParsedDigest,
  observedAt: Date,
): Promise<{ counts: UpsertCounts; observed: MetricObservation[] }> {
  if (parsed.origin === 'cards') {
    const cards = parsed.cards.map((item) => item.card);
    return { counts: await upsertCardSightings(tx, cards, observedAt), observed: cards };
  }
  const { counts, observedChanges } = await upsertPapers(
    tx,
    parsed.papers.map((item) => item.paper),
    observedAt,
  );
  return { counts, observed: observedChanges };
}

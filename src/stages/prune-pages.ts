import type pg from 'pg';
import {
  measurePageStore,
  measurePrunableBodies,
  pruneBodiesBatch,
  type PageStoreUsage,
} from '../db/retention.repository.ts';

/** Bodies deleted per statement: short enough that a fetch storing a page never waits long behind a prune. */
const PRUNE_BATCH = 500;

export interface PruneOptions {
  /** Bodies stored or fetched within this many days are kept (at least 1: a running fetch's body is never pruned). */
  retentionDays: number;
  /** Count what would be freed, delete nothing. */
  dryRun?: boolean;
  now?: Date;
  batchSize?: number;
}

export interface PruneSummary {
  dryRun: boolean;
  retentionDays: number;
  cutoff: Date;
  /** What was deleted (or, in a dry run, would be). */
  pruned: PageStoreUsage;
}

/** The oldest store time a body needs to be kept for being recent. */
function retentionCutoff(now: Date, retentionDays: number): Date {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new RangeError(`retention must be a whole number of days, at least 1 (got ${retentionDays})`);
  }
  return new Date(now.getTime() - retentionDays * 86_400_000);
}

/**
 * Deletes the stored page bodies no re-parse will need: every body is kept
 * that is its digest's latest, that a failed parse references, or that is
 * recent (see retention.repository.ts for the rule). Fetch rows are never
 * deleted. Idempotent: a second run frees nothing new until bodies age.
 */
export async function prunePages(pool: pg.Pool, options: PruneOptions): Promise<PruneSummary> {
  const cutoff = retentionCutoff(options.now ?? new Date(), options.retentionDays);
  const summary = { dryRun: options.dryRun ?? false, retentionDays: options.retentionDays, cutoff };
  if (options.dryRun) return { ...summary, pruned: await measurePrunableBodies(pool, cutoff) };
  let pruned: PageStoreUsage = { bodies: 0, pageBytes: 0, storedBytes: 0 };
  for (;;) {
    const batch = await pruneBodiesBatch(pool, cutoff, options.batchSize ?? PRUNE_BATCH);
    if (batch.bodies === 0) break;
    pruned = add(pruned, batch);
  }
  return { ...summary, pruned };
}

/**
 * What the page store keeps after a prune (after a dry run: would keep). A
 * pass over every stored body, so only for who reads it (`paperboy prune`),
 * never for the schedule, which runs while fetches store pages.
 */
export async function measureKept(pool: pg.Pool, summary: PruneSummary): Promise<PageStoreUsage> {
  const store = await measurePageStore(pool);
  return summary.dryRun ? subtract(store, summary.pruned) : store;
}

const add = (a: PageStoreUsage, b: PageStoreUsage): PageStoreUsage => ({
  bodies: a.bodies + b.bodies,
  pageBytes: a.pageBytes + b.pageBytes,
  storedBytes: a.storedBytes + b.storedBytes,
});

const subtract = (a: PageStoreUsage, b: PageStoreUsage): PageStoreUsage => ({
  bodies: a.bodies - b.bodies,
  pageBytes: a.pageBytes - b.pageBytes,
  storedBytes: a.storedBytes - b.storedBytes,
});

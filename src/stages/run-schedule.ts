import type { Queue } from 'bullmq';
import type pg from 'pg';
import { findFetchedDays } from '../db/fetches.repository.ts';
import { daysBefore, DIGEST_SOURCE_HF, type Transport } from '../domain/digest-key.ts';
import { findPaperDetailsDue } from '../db/paper-details.repository.ts';
import { CATCH_UP_DAYS, DETAIL_DAYS, planSchedule, type ScheduleName } from '../domain/schedule-plan.ts';
import { JOBS, type EnrichReposPayload, type PaperboyQueues } from '../queue/contracts.ts';
import { enqueueDigestFetches } from '../queue/enqueue.ts';
import { prunePages, type PruneSummary } from './prune-pages.ts';

export interface ScheduleDependencies {
  pool: pg.Pool;
  queues: Pick<PaperboyQueues, 'digests' | 'digestsApi'> & { repos: Queue };
  savedSearches: readonly string[];
  /** How scheduled day/week/month digests are fetched (HTML unless PAPERBOY_HF_TRANSPORT=api). */
  transport: Transport;
  /** PAPERBOY_PAGE_RETENTION_DAYS: what `prune-pages` keeps. */
  pageRetentionDays: number;
}

export interface ScheduleSummary {
  schedule: ScheduleName;
  /** The ids of the jobs it enqueued (digest ids, or the enrichment's deduplication id). */
  enqueued: string[];
  /** `prune-pages` only: what it freed. */
  pruned?: PruneSummary['pruned'];
}

/**
 * A scheduler fired: enqueue what it stands for. Digest schedules plan their
 * digests (the daily one also the days of the last week never fetched: a
 * scheduler never replays missed ticks), `paper-details` the papers listed
 * in the last DETAIL_DAYS days, and enqueue one fetch each;
 * `repos-refresh` enqueues one enrichment of every repository due.
 * `prune-pages` prunes the page store itself: it only touches Postgres, a
 * few short statements, so a job of its own would add a queue and nothing else.
 */
export async function runSchedule(
  deps: ScheduleDependencies,
  schedule: ScheduleName,
  now = new Date(),
): Promise<ScheduleSummary> {
  if (schedule === 'repos-refresh') {
    const payload: EnrichReposPayload = { stale: true };
    await deps.queues.repos.add(JOBS.enrichRepos, payload, { deduplication: { id: 'enrich-repos-stale' } });
    return { schedule, enqueued: ['enrich-repos-stale'] };
  }
  if (schedule === 'prune-pages') {
    const { pruned } = await prunePages(deps.pool, { retentionDays: deps.pageRetentionDays, now });
    return { schedule, enqueued: [], pruned };
  }
  // Only the daily schedule catches up on missed days; the others need no database read.
  const fetchedDays =
    schedule === 'daily-recent'
      ? await findFetchedDays(deps.pool, DIGEST_SOURCE_HF, daysBefore(now, CATCH_UP_DAYS))
      : new Set<string>();
  const detailsDue =
    schedule === 'paper-details' ? await findPaperDetailsDue(deps.pool, daysBefore(now, DETAIL_DAYS - 1), now) : [];
  const refs = planSchedule(schedule, { now, savedSearches: deps.savedSearches, fetchedDays, detailsDue });
  return { schedule, enqueued: await enqueueDigestFetches(deps.queues, refs, deps.transport) };
}

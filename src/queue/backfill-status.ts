import type { Job, JobState, Queue } from 'bullmq';
import type { BackfillRequest } from '../domain/backfill-plan.ts';
import { bucketFor, estimateMs, type HfBucket } from '../domain/request-budget.ts';
import type { BucketState } from './request-budget.ts';
import {
  backfillJobData,
  childOutcomes,
  readChildren,
  isCancelRequested,
  keyRefs,
  paperRefs,
  type BackfillResult,
} from './backfill-flow.ts';
import { JOBS } from './contracts.ts';

/** One backfill as the dashboard and `paperboy backfill --wait` show it. */
export interface BackfillStatus {
  id: string;
  /** Undefined when the job's data is not a backfill (e.g. a bad Add-job in Bull Board). */
  request: BackfillRequest | undefined;
  state: JobState | 'unknown';
  createdAt: Date;
  finishedAt: Date | undefined;
  done: number;
  total: number;
  counts: { skipped: number; loaded: number; empty: number; not_modified: number; failed: number; cancelled: number };
  failed: Array<{ key: string; error: string }>;
  /** With `details`: the listed papers' own pages, done (skipped, fetched or failed) of total; undefined until planned. */
  papers: { done: number; total: number; notFound: number; failed: number } | undefined;
  /** Why the backfill itself failed (bad range, invalid data). */
  error: string | undefined;
  cancelRequested: boolean;
  /**
   * Estimated seconds until the last key is fetched, from the pace of the
   * backfill's budget bucket and the keys still to fetch; undefined once
   * finished, or when the budget is not known to the caller.
   */
  secondsLeft: number | undefined;
}

/** Every state a BullMQ job can be in (JobState): the lists show them all. */
export const STATES_SHOWN: JobState[] = [
  'active',
  'waiting',
  'waiting-children',
  'delayed',
  'prioritized',
  'completed',
  'failed',
];

/** The most recent backfills, newest first. */
export async function listBackfills(
  backfills: Queue,
  limit = 20,
  buckets?: readonly BucketState[],
): Promise<BackfillStatus[]> {
  const jobs = await backfills.getJobs(STATES_SHOWN, 0, limit * 2);
  jobs.sort((a, b) => b.timestamp - a.timestamp);
  return Promise.all(jobs.slice(0, limit).map((job) => backfillStatus(backfills, job, buckets)));
}

/** One backfill's status; with where the budget buckets stand (read once by the caller), the time its remaining keys will take. */
export async function backfillStatus(
  backfills: Queue,
  job: Job,
  buckets?: readonly BucketState[],
): Promise<BackfillStatus> {
  const parsed = backfillJobData.safeParse(job.data);
  const data = parsed.success ? parsed.data : undefined;
  const { state: saved, ...request } = data ?? { state: undefined };
  const state = await job.getState();
  const status: BackfillStatus = {
    id: job.id!,
    request: data ? (request as BackfillRequest) : undefined,
    state,
    createdAt: new Date(job.timestamp),
    finishedAt: job.finishedOn ? new Date(job.finishedOn) : undefined,
    done: 0,
    total: saved?.total ?? 0,
    counts: { skipped: saved?.skipped.length ?? 0, loaded: 0, empty: 0, not_modified: 0, failed: 0, cancelled: 0 },
    failed: [],
    papers: undefined,
    error: job.failedReason || undefined,
    cancelRequested: await isCancelRequested(backfills, job.id!),
    secondsLeft: undefined,
  };
  const result = state === 'completed' ? (job.returnvalue as BackfillResult | null) : null;
  if (result) {
    Object.assign(status.counts, {
      skipped: result.skipped.length,
      loaded: result.loaded.length,
      empty: result.empty.length,
      not_modified: result.not_modified.length,
      failed: result.failed.length,
      cancelled: result.cancelled.length,
    });
    status.failed = result.failed;
    status.done = result.total - result.cancelled.length;
    status.total = result.total;
    if (result.papers) {
      const { total, cancelled, not_found, failed } = result.papers;
      status.papers = { done: total - cancelled, total, notFound: not_found.length, failed: failed.length };
    }
  } else if (data && saved) {
    const children = await readChildren(job);
    const { outcomes, failures, settled } = childOutcomes(children, keyRefs(data.kind, saved.pending));
    for (const outcome of outcomes.values()) if (outcome !== 'not_found') status.counts[outcome] += 1;
    status.counts.failed = failures.size;
    status.failed = [...failures].map(([key, error]) => ({ key, error }));
    status.done = saved.skipped.length + settled;
    if (saved.papers) {
      const papers = childOutcomes(children, paperRefs(saved.papers.pending));
      const notFound = [...papers.outcomes.values()].filter((outcome) => outcome === 'not_found').length;
      const total = saved.papers.skipped + saved.papers.pending.length;
      status.papers = { done: saved.papers.skipped + papers.settled, total, notFound, failed: papers.failures.size };
    }
  }
  if (buckets && data && state !== 'completed' && state !== 'failed' && !status.cancelRequested) {
    status.secondsLeft = Math.ceil(timeLeftMs(status, data, buckets) / 1000);
  }
  return status;
}

/**
 * How long the fetches still to do will take at their buckets' pace: the
 * keys on the backfill's transport's bucket, then (with `details`) a page per
 * listed paper on the pages bucket (their number is known once planned; until
 * then it is not counted).
 */
function timeLeftMs(status: BackfillStatus, request: BackfillRequest, buckets: readonly BucketState[]): number {
  const pace = (bucket: HfBucket, count: number) => {
    const state = buckets.find((candidate) => candidate.bucket === bucket);
    return state && count > 0 ? estimateMs(count, state.policy, state.pausedUntil) : 0;
  };
  const papersLeft = status.papers ? Math.max(0, status.papers.total - status.papers.done) : 0;
  return pace(bucketFor(request.via), Math.max(0, status.total - status.done)) + pace('pages', papersLeft);
}

/** Adds a backfill job; the worker checks the request again (ranges need "today"). */
export async function enqueueBackfill(backfills: Queue, request: BackfillRequest): Promise<string> {
  const job = await backfills.add(JOBS.backfill, request);
  return job.id!;
}

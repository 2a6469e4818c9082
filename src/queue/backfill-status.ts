import { Job, type JobState, type Queue } from 'bullmq';
import type { BackfillRequest } from '../domain/backfill-plan.ts';
import { bucketFor, estimateMs, type HfBucket } from '../domain/request-budget.ts';
import type { BucketState } from './request-budget.ts';
import {
  backfillJobData,
  childOutcomes,
  readChildren,
  isBackfillId,
  isCancelRequested,
  paperRefs,
  type BackfillResult,
} from './backfill-flow.ts';
import { keysInProgress, keysOfResult, tallyKeys, type BackfillKey, type KeyCounts } from './backfill-keys.ts';
import { JOBS } from './contracts.ts';

/**
 * Where a backfill stands, in words a person reads: `queued` (not started,
 * or its fetches wait behind another backfill's in the same queue),
 * `running`, `cancelling`, `cancelled` (finished after a cancel), `completed`
 * or `failed` (the backfill itself: a bad range, invalid data).
 */
export const BACKFILL_PHASES = ['queued', 'running', 'cancelling', 'cancelled', 'completed', 'failed'] as const;
export type BackfillPhase = (typeof BACKFILL_PHASES)[number];

/** The phases a backfill ends in: nothing more happens to it (nothing to cancel, nothing to refresh). */
export const FINISHED_PHASES: ReadonlySet<BackfillPhase> = new Set(['completed', 'cancelled', 'failed']);

/** One backfill as the dashboard and `paperboy backfill --wait` show it. */
export interface BackfillStatus {
  id: string;
  /** Undefined when the job's data is not a backfill (e.g. a bad Add-job in Bull Board). */
  request: BackfillRequest | undefined;
  /** The job's BullMQ state. */
  state: JobState | 'unknown';
  phase: BackfillPhase;
  /**
   * Earlier backfills whose fetches are ahead of this one's in the same
   * queue while none of its own has run yet (oldest first); empty otherwise.
   */
  queuedBehind: string[];
  createdAt: Date;
  finishedAt: Date | undefined;
  done: number;
  total: number;
  counts: KeyCounts;
  failed: Array<{ key: string; error: string }>;
  /** Every key with its outcome, in key order; empty until the backfill has planned its keys. */
  keys: BackfillKey[];
  /** With `details`: the listed papers' own pages, done (skipped, fetched or failed) of total; undefined until planned. */
  papers: { done: number; total: number; notFound: number; failed: number } | undefined;
  /** Why the backfill itself failed (bad range, invalid data). */
  error: string | undefined;
  cancelRequested: boolean;
  /**
   * Estimated seconds until the last key is fetched, from the pace of the
   * backfill's budget bucket and the keys still to fetch (its own and, while
   * it is queued behind others, theirs); undefined once finished, or when
   * the budget is not known to the caller.
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

/** Every unfinished state: where a backfill ahead of another can be. */
const UNFINISHED = STATES_SHOWN.filter((state) => state !== 'completed' && state !== 'failed');

/** The ids of the backfills in those states, newest first (ids are BullMQ's counter: 1, 2, 3, …). */
async function backfillIds(backfills: Queue, states: JobState[]): Promise<number[]> {
  const ids = await backfills.getRanges(states, 0, -1);
  return ids
    .filter(isBackfillId)
    .map(Number)
    .sort((a, b) => b - a);
}

/**
 * A page of backfills, newest first: `limit` of them with an id below
 * `before` (all, without it), each placed in line behind the ones ahead of
 * it; `next` is the id to page on from, when the page is full.
 */
export async function listBackfills(
  backfills: Queue,
  page: { limit: number; before?: number },
  buckets?: readonly BucketState[],
): Promise<{ items: BackfillStatus[]; next: string | undefined }> {
  const ids = await backfillIds(backfills, STATES_SHOWN);
  const pageIds = ids.filter((id) => page.before === undefined || id < page.before).slice(0, page.limit);
  const statuses = await statusesOf(backfills, pageIds, buckets);
  const items = await placeInLine(backfills, statuses, buckets);
  return { items, next: pageIds.length === page.limit ? String(pageIds.at(-1)) : undefined };
}

/** One backfill's status, placed in line behind the backfills ahead of it. */
export async function getBackfillStatus(
  backfills: Queue,
  job: Job,
  buckets?: readonly BucketState[],
): Promise<BackfillStatus> {
  const [status] = await placeInLine(backfills, [await backfillStatus(backfills, job, buckets)], buckets);
  return status!;
}

async function statusesOf(
  backfills: Queue,
  ids: readonly number[],
  buckets: readonly BucketState[] | undefined,
): Promise<BackfillStatus[]> {
  const jobs = await Promise.all(ids.map((id) => Job.fromId(backfills, String(id))));
  // A job removed between the two reads is left out.
  return Promise.all(jobs.filter((job) => job !== undefined).map((job) => backfillStatus(backfills, job, buckets)));
}

/** The statuses with the unfinished backfills ahead of each read once and applied (queuedBehindOf). */
async function placeInLine(
  backfills: Queue,
  statuses: BackfillStatus[],
  buckets: readonly BucketState[] | undefined,
): Promise<BackfillStatus[]> {
  // Only a backfill none of whose fetches has run can wait behind others: for the rest nothing needs reading.
  const inLine = statuses.filter(waitsOnOthers);
  if (inLine.length === 0) return statuses;
  const newest = Math.max(...inLine.map((status) => Number(status.id)));
  const known = new Map(statuses.map((status) => [Number(status.id), status]));
  const aheadIds = (await backfillIds(backfills, UNFINISHED)).filter((id) => id < newest);
  const missing = aheadIds.filter((id) => !known.has(id));
  for (const status of await statusesOf(backfills, missing, buckets)) known.set(Number(status.id), status);
  const unfinished = aheadIds.flatMap((id) => known.get(id) ?? []);
  return statuses.map((status) => queuedBehindOf(status, unfinished, buckets));
}

/**
 * Fetch queues are first in, first out: a backfill none of whose fetches has
 * run yet waits behind every earlier backfill with fetches still pending in
 * the same queue. Pure.
 */
export function queuedBehindOf(
  status: BackfillStatus,
  unfinished: readonly BackfillStatus[],
  buckets?: readonly BucketState[],
): BackfillStatus {
  const { request } = status;
  if (!request || !waitsOnOthers(status)) return status;
  const ahead = unfinished.filter(
    (other) =>
      Number(other.id) < Number(status.id) &&
      (other.phase === 'running' || other.phase === 'queued') &&
      pendingOn(other, request.via) > 0,
  );
  if (ahead.length === 0) return status;
  const queuedBehind = ahead.map((other) => other.id).sort((a, b) => Number(a) - Number(b));
  const aheadKeys = ahead.reduce((sum, other) => sum + pendingOn(other, request.via), 0);
  const secondsLeft =
    buckets && status.secondsLeft !== undefined
      ? Math.ceil(timeLeftMs(status, request, buckets, aheadKeys) / 1000)
      : status.secondsLeft;
  return { ...status, phase: 'queued', queuedBehind, secondsLeft };
}

/** A backfill that has fetches to make and none made yet: it can be queued behind earlier ones. */
function waitsOnOthers(status: BackfillStatus): boolean {
  if (!status.request || (status.phase !== 'queued' && status.phase !== 'running')) return false;
  const started = status.keys.some((key) => key.status !== 'pending' && key.status !== 'skipped');
  const toFetch = status.keys.length === 0 || status.keys.some((key) => key.status === 'pending');
  return !started && toFetch;
}

/** How many fetches a backfill still has to make on the queue of `via` (its keys', and its paper pages' on HTML). */
function pendingOn(status: BackfillStatus, via: BackfillRequest['via']): number {
  if (!status.request) return 0;
  const keys = status.request.via === via ? status.keys.filter((key) => key.status === 'pending').length : 0;
  const papers = via === 'html' && status.papers ? Math.max(0, status.papers.total - status.papers.done) : 0;
  return keys + papers;
}

/** One backfill's status; with where the budget buckets stand (read once by the caller), the time its remaining keys will take. */
export async function backfillStatus(
  backfills: Queue,
  given: Job,
  buckets?: readonly BucketState[],
): Promise<BackfillStatus> {
  const state = await given.getState();
  // A job read before it finished has no return value or failure yet: read it again, or a backfill that
  // has just completed would be shown from its last progress (a cancelled one as having fetched every key),
  // and one that has just failed without its reason.
  const stale = (state === 'completed' || state === 'failed') && !given.finishedOn;
  const job = stale ? ((await Job.fromId(backfills, given.id!)) ?? given) : given;
  const parsed = backfillJobData.safeParse(job.data);
  const data = parsed.success ? parsed.data : undefined;
  const { state: saved, ...request } = data ?? { state: undefined };
  const status: BackfillStatus = {
    id: job.id!,
    request: data ? (request as BackfillRequest) : undefined,
    state,
    phase: 'running',
    queuedBehind: [],
    createdAt: new Date(job.timestamp),
    finishedAt: job.finishedOn ? new Date(job.finishedOn) : undefined,
    done: 0,
    total: saved?.total ?? 0,
    counts: { skipped: 0, loaded: 0, empty: 0, not_modified: 0, failed: 0, cancelled: 0 },
    failed: [],
    keys: [],
    papers: undefined,
    error: job.failedReason || undefined,
    cancelRequested: await isCancelRequested(backfills, job.id!),
    secondsLeft: undefined,
  };
  const result = state === 'completed' ? (job.returnvalue as BackfillResult | null) : null;
  if (result) {
    status.keys = keysOfResult(result);
    status.total = result.total;
    if (result.papers) {
      const { total, cancelled, not_found, failed } = result.papers;
      status.papers = { done: total - cancelled, total, notFound: not_found.length, failed: failed.length };
    }
  } else if (data && saved) {
    const children = await readChildren(job);
    status.keys = keysInProgress(data, saved, children);
    if (saved.papers) {
      const papers = childOutcomes(children, paperRefs(saved.papers.pending));
      const notFound = [...papers.outcomes.values()].filter((outcome) => outcome === 'not_found').length;
      const total = saved.papers.skipped + saved.papers.pending.length;
      status.papers = { done: saved.papers.skipped + papers.settled, total, notFound, failed: papers.failures.size };
    }
  }
  // One count of the keys, whether they came from the result or from the children so far.
  Object.assign(status, tallyKeys(status.keys));
  // A cancel that came after the last fetch had started cancelled nothing: the backfill completed.
  const cancelledWork = status.counts.cancelled > 0 || (result?.papers?.cancelled ?? 0) > 0;
  status.phase = phaseOf(state, status.cancelRequested, saved !== undefined, cancelledWork);
  if (buckets && data && state !== 'completed' && state !== 'failed' && !status.cancelRequested) {
    status.secondsLeft = Math.ceil(timeLeftMs(status, data, buckets) / 1000);
  }
  return status;
}

/** The phase a backfill's own job tells (queuedBehindOf adds the backfills ahead of it). */
function phaseOf(
  state: JobState | 'unknown',
  cancelRequested: boolean,
  planned: boolean,
  cancelledWork: boolean,
): BackfillPhase {
  if (state === 'failed') return 'failed';
  if (state === 'completed') return cancelRequested && cancelledWork ? 'cancelled' : 'completed';
  if (cancelRequested) return 'cancelling';
  return planned || state === 'active' ? 'running' : 'queued';
}

/**
 * How long the fetches still to do will take at their buckets' pace: the
 * keys on the backfill's transport's bucket, then (with `details`) a page per
 * listed paper on the pages bucket (their number is known once planned; until
 * then it is not counted); `aheadFetches` more first on the keys' bucket,
 * those of the backfills it is queued behind.
 */
function timeLeftMs(
  status: BackfillStatus,
  request: BackfillRequest,
  buckets: readonly BucketState[],
  aheadFetches = 0,
): number {
  const pace = (bucket: HfBucket, count: number) => {
    const state = buckets.find((candidate) => candidate.bucket === bucket);
    return state && count > 0 ? estimateMs(count, state.policy, state.pausedUntil) : 0;
  };
  const papersLeft = status.papers ? Math.max(0, status.papers.total - status.papers.done) : 0;
  return (
    pace(bucketFor(request.via), aheadFetches + Math.max(0, status.total - status.done)) + pace('pages', papersLeft)
  );
}

/** Adds a backfill job; the worker checks the request again (ranges need "today"). */
export async function enqueueBackfill(backfills: Queue, request: BackfillRequest): Promise<string> {
  const job = await backfills.add(JOBS.backfill, request);
  return job.id!;
}

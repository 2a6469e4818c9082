import { DelayedError, WaitingChildrenError, type Job, type Queue } from 'bullmq';
import type pg from 'pg';
import { findFetchedPaperCounts, findLatestOutcomes } from '../db/fetches.repository.ts';
import { findListedPapersForDetail } from '../db/paper-details.repository.ts';
import { backfillKeys, BackfillRangeError, type BackfillRequest } from '../domain/backfill-plan.ts';
import { DIGEST_SOURCE_HF, type DigestKind, type DigestRef } from '../domain/digest-key.ts';
import { PermanentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import {
  addChildren,
  addPaperChildren,
  backfillProgress,
  childOutcomes,
  keyOutcome,
  readChildren,
  isCancelRequested,
  keyRefs,
  paperRefs,
  removeWaitingChildren,
  sharedInFlight,
  SHARED_RECHECK_MS,
  type BackfillJobData,
  type BackfillResult,
  type BackfillState,
  type ChildOutcome,
  type ChildrenResults,
  type DetailsResult,
} from '../queue/backfill-flow.ts';
import type { PaperboyQueues } from '../queue/contracts.ts';
import { digestQueue } from '../queue/enqueue.ts';

/**
 * A backfill, step by step (see queue/backfill-flow.ts for the BullMQ side):
 * plan the keys (skipping those already fetched, unless force), fan out a
 * fetch per key in checkpointed chunks, wait for the children; with
 * `details`, then the same for the own page of every paper the range lists
 * (skipping those whose detail is stored, unless force); and report every
 * key's outcome.
 */

export interface BackfillDeps {
  pool: pg.Pool;
  /** Children go to the queue of the backfill's transport (digests-api unless via html). */
  queues: Pick<PaperboyQueues, 'digests' | 'digestsApi' | 'backfills'>;
  maxKeys: number;
  log: Logger;
  now?: () => Date;
}

/** Runs one step of a backfill job; throws BullMQ's WaitingChildrenError or DelayedError to come back later. */
export async function runBackfill(
  job: Job,
  token: string | undefined,
  data: BackfillJobData,
  deps: BackfillDeps,
): Promise<BackfillResult> {
  const { state: saved, ...request } = data;
  const now = deps.now?.() ?? new Date();
  let state = saved ?? (await plan(request, deps, now));
  const save = async () => {
    await job.updateData({ ...request, state });
    await job.updateProgress(await backfillProgress(job, state));
  };
  if (!saved) {
    await job.updateData({ ...request, state });
    await job.log(
      `planned ${state.total} key(s): ${state.skipped.length} already loaded, ${state.pending.length} to fetch`,
    );
  }
  const { backfills } = deps.queues;
  const children = digestQueue(deps.queues, request.via);
  let cancelled = await isCancelRequested(backfills, job.id!);
  while (state.step === 'fan-out' && !cancelled) {
    state = await addChildren(job, request, state, children, deps.log);
    await save();
    cancelled = await isCancelRequested(backfills, job.id!);
  }
  await waitForChildren(job, token, deps, cancelled, children, keyRefs(request.kind, state.shared));

  if (request.details && !cancelled) {
    if (!state.papers) {
      state = { ...state, papers: await planPapers(request, state, deps.pool) };
      await save();
      await job.log(
        `details: ${state.papers!.pending.length} paper page(s) to fetch, ${state.papers!.skipped} already stored`,
      );
    }
    while (state.papers!.cursor < state.papers!.pending.length && !cancelled) {
      state = { ...state, papers: await addPaperChildren(job, request, state.papers!, deps.queues.digests, deps.log) };
      await save();
      cancelled = await isCancelRequested(backfills, job.id!);
    }
    await waitForChildren(job, token, deps, cancelled, deps.queues.digests, paperRefs(state.papers!.shared));
  }
  const result = await collectResult(job, request, state, deps.pool);
  await job.updateProgress(100);
  return result;
}

/**
 * Returns once every child added so far has finished, else moves the job to
 * wait for them (BullMQ runs it again when they have) or, while a digest it
 * shares with another job is still in flight (and it is not cancelled), to
 * try again shortly.
 */
async function waitForChildren(
  job: Job,
  token: string | undefined,
  deps: BackfillDeps,
  cancelled: boolean,
  queue: Queue,
  shared: readonly DigestRef[],
): Promise<void> {
  if (cancelled) await removeWaitingChildren(job, deps.queues);
  if (token !== undefined && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
  // Cancelled: a digest another job is fetching is that job's to finish; this backfill lists it as cancelled
  // unless it is done by the time the result is collected, and does not wait for it.
  if (!cancelled && (await sharedInFlight(queue, shared))) {
    await job.moveToDelayed(Date.now() + SHARED_RECHECK_MS, token);
    throw new DelayedError();
  }
}

async function plan(request: BackfillRequest, deps: BackfillDeps, now: Date): Promise<BackfillState> {
  let keys: string[];
  try {
    keys = backfillKeys(request, { today: now, maxKeys: deps.maxKeys });
  } catch (error) {
    if (error instanceof BackfillRangeError) throw new PermanentError(`bad backfill range: ${error.message}`);
    throw error;
  }
  const fetched = request.force
    ? new Map<string, number>()
    : await findFetchedPaperCounts(deps.pool, DIGEST_SOURCE_HF, request.kind, keys);
  const skipped = keys.filter((key) => fetched.has(key));
  return {
    step: 'fan-out',
    startedAt: now.toISOString(),
    total: keys.length,
    skipped,
    pending: keys.filter((key) => !fetched.has(key)),
    cursor: 0,
    shared: [],
    skippedPapers: Object.fromEntries(skipped.map((key) => [key, fetched.get(key)!])),
  };
}

/** Every paper the range's keys list (now that they are loaded); those whose detail is stored are skipped unless force. */
async function planPapers(
  request: BackfillRequest,
  state: BackfillState,
  pool: pg.Pool,
): Promise<NonNullable<BackfillState['papers']>> {
  const keys = [...state.skipped, ...state.pending];
  const { due, stored } = await findListedPapersForDetail(pool, DIGEST_SOURCE_HF, request.kind, keys, request.force);
  return { skipped: stored, pending: due, cursor: 0, shared: [] };
}

async function collectResult(
  job: Job,
  request: BackfillRequest,
  state: BackfillState,
  pool: pg.Pool,
): Promise<BackfillResult> {
  const children = await readChildren(job);
  const { outcomes, failures, papers } = childOutcomes(children, keyRefs(request.kind, state.pending));
  // A skipped key's count is its latest fetch's; a fetched key's, this fetch's (or the sharing job's).
  const paperCounts: Record<string, number> = { ...state.skippedPapers };
  const result: BackfillResult = {
    ...request,
    total: state.total,
    skipped: state.skipped,
    loaded: [],
    empty: [],
    not_modified: [],
    failed: [],
    cancelled: [],
    paper_counts: paperCounts,
  };
  const settle = await sharedSettlement(pool, request.kind, state.shared, new Date(state.startedAt));
  for (const key of state.pending) {
    const { outcome, failure, paperCount } = settle(key, outcomes.get(key), failures.get(key), papers.get(key));
    const settled = keyOutcome(outcome, failure);
    if (!settled) result.cancelled.push(key);
    else if (settled.status === 'failed') result.failed.push({ key, error: settled.error });
    else {
      result[settled.status].push(key);
      if (paperCount !== undefined) paperCounts[key] = paperCount;
    }
  }
  if (state.papers) result.papers = await collectDetails(children, state.papers, pool, new Date(state.startedAt));
  return result;
}

async function collectDetails(
  children: ChildrenResults,
  papers: NonNullable<BackfillState['papers']>,
  pool: pg.Pool,
  startedAt: Date,
): Promise<DetailsResult> {
  const { outcomes, failures } = childOutcomes(children, paperRefs(papers.pending));
  const settle = await sharedSettlement(pool, 'paper', papers.shared, startedAt);
  const details: DetailsResult = {
    total: papers.skipped + papers.pending.length,
    skipped: papers.skipped,
    loaded: 0,
    not_modified: 0,
    cancelled: 0,
    not_found: [],
    failed: [],
  };
  for (const id of papers.pending) {
    const { outcome, failure } = settle(id, outcomes.get(id), failures.get(id));
    if (outcome === 'not_found') details.not_found.push(id);
    else if (outcome === 'loaded' || outcome === 'not_modified') details[outcome] += 1;
    else if (failure !== undefined || outcome) details.failed.push({ id, error: failure ?? `unexpected ${outcome}` });
    else details.cancelled += 1;
  }
  return details;
}

/**
 * How a key's fetch ended: its child's outcome or failure, or, for a key
 * another job was fetching (`shared`), the latest audit row since the
 * backfill started. Usually nothing was shared: no query then.
 */
async function sharedSettlement(pool: pg.Pool, kind: DigestKind, shared: readonly string[], since: Date) {
  const audited: Awaited<ReturnType<typeof findLatestOutcomes>> =
    shared.length === 0 ? new Map() : await findLatestOutcomes(pool, DIGEST_SOURCE_HF, kind, shared, since);
  return (key: string, outcome: ChildOutcome | undefined, failure: string | undefined, paperCount?: number) => {
    const row = audited.get(key);
    if (outcome || failure !== undefined || !row) return { outcome, failure, paperCount };
    if (row.outcome === 'failed') return { outcome: undefined, failure: row.error ?? 'failed', paperCount: undefined };
    return { outcome: row.outcome, failure: undefined, paperCount: row.paperCount };
  };
}

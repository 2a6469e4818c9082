import { DelayedError, WaitingChildrenError, type Job } from 'bullmq';
import type pg from 'pg';
import { findFetchedKeys, findLatestOutcomes } from '../db/fetches.repository.ts';
import { backfillKeys, BackfillRangeError, type BackfillRequest } from '../domain/backfill-plan.ts';
import { DIGEST_SOURCE_HF } from '../domain/digest-key.ts';
import { PermanentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import {
  addChildren,
  backfillProgress,
  childOutcomes,
  isCancelRequested,
  removeWaitingChildren,
  sharedKeysInFlight,
  SHARED_RECHECK_MS,
  type BackfillJobData,
  type BackfillResult,
  type BackfillState,
} from '../queue/backfill-flow.ts';
import type { PaperboyQueues } from '../queue/contracts.ts';
import { digestQueue } from '../queue/enqueue.ts';

/**
 * A backfill, step by step (see queue/backfill-flow.ts for the BullMQ side):
 * plan the keys (skipping those already fetched, unless force), fan out a
 * fetch per key in checkpointed chunks, wait for the children, and report
 * every key's outcome.
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
    await job.updateData({ ...request, state });
    await job.updateProgress(await backfillProgress(job, state));
    cancelled = await isCancelRequested(backfills, job.id!);
  }
  if (cancelled) await removeWaitingChildren(job, deps.queues);
  if (token !== undefined && (await job.moveToWaitingChildren(token))) throw new WaitingChildrenError();
  if (await sharedKeysInFlight(children, request.kind, state.shared)) {
    await job.moveToDelayed(Date.now() + SHARED_RECHECK_MS, token);
    throw new DelayedError();
  }
  const result = await collectResult(job, request, state, deps.pool);
  await job.updateProgress(100);
  return result;
}

async function plan(request: BackfillRequest, deps: BackfillDeps, now: Date): Promise<BackfillState> {
  let keys: string[];
  try {
    keys = backfillKeys(request, { today: now, maxKeys: deps.maxKeys });
  } catch (error) {
    if (error instanceof BackfillRangeError) throw new PermanentError(`bad backfill range: ${error.message}`);
    throw error;
  }
  const loaded = request.force
    ? new Set<string>()
    : await findFetchedKeys(deps.pool, DIGEST_SOURCE_HF, request.kind, keys);
  return {
    step: 'fan-out',
    startedAt: now.toISOString(),
    total: keys.length,
    skipped: keys.filter((key) => loaded.has(key)),
    pending: keys.filter((key) => !loaded.has(key)),
    cursor: 0,
    shared: [],
  };
}

async function collectResult(
  job: Job,
  request: BackfillRequest,
  state: BackfillState,
  pool: pg.Pool,
): Promise<BackfillResult> {
  const { outcomes, failures } = await childOutcomes(job, request.kind, state);
  const result: BackfillResult = {
    ...request,
    total: state.total,
    skipped: state.skipped,
    loaded: [],
    empty: [],
    not_modified: [],
    failed: [],
    cancelled: [],
  };
  // Usually no key was shared with another backfill: no query then.
  const sharedOutcomes: Awaited<ReturnType<typeof findLatestOutcomes>> =
    state.shared.length === 0
      ? new Map()
      : await findLatestOutcomes(pool, DIGEST_SOURCE_HF, request.kind, state.shared, new Date(state.startedAt));
  for (const key of state.pending) {
    const shared = sharedOutcomes.get(key);
    const outcome = outcomes.get(key) ?? (shared?.outcome === 'failed' ? undefined : shared?.outcome);
    const failure = failures.get(key) ?? (shared?.outcome === 'failed' ? (shared.error ?? 'failed') : undefined);
    if (outcome) result[outcome].push(key);
    else if (failure !== undefined) result.failed.push({ key, error: failure });
    else result.cancelled.push(key);
  }
  return result;
}

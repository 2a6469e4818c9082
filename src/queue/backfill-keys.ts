import type { BackfillRequest } from '../domain/backfill-plan.ts';
import {
  childOutcomes,
  keyOutcome,
  keyRefs,
  type BackfillResult,
  type BackfillState,
  type ChildrenResults,
} from './backfill-flow.ts';
import { digestJobId } from './contracts.ts';
import { digestQueueName } from './enqueue.ts';

/**
 * A backfill's keys one by one, as the dashboard and /api/backfills/:id show
 * them: from the result once the backfill has finished, else from its saved
 * state and its children's return values so far. Pure: what was read from
 * Redis is handed in.
 */

/** `pending`: not fetched yet (queued, running, or not handed out yet). */
export const KEY_STATUSES = ['failed', 'pending', 'loaded', 'empty', 'not_modified', 'skipped', 'cancelled'] as const;
export type KeyStatus = (typeof KEY_STATUSES)[number];

export interface BackfillKey {
  key: string;
  status: KeyStatus;
  /** Papers the key listed (a skipped key: at its latest fetch, 0 when it was empty); undefined when not known. */
  papers: number | undefined;
  /** Why its fetch failed. */
  error: string | undefined;
  /** Its fetch job while it waits or runs (finished fetch jobs are removed, their outcome kept by the backfill). */
  job: { queue: string; id: string } | undefined;
}

/** The keys of a finished backfill, in key order. */
export function keysOfResult(result: BackfillResult): BackfillKey[] {
  const counts = result.paper_counts ?? {};
  const row = (key: string, status: KeyStatus, error?: string): BackfillKey => ({
    key,
    status,
    // Failed and cancelled keys have no count in the result.
    papers: counts[key],
    error,
    job: undefined,
  });
  return [
    ...result.skipped.map((key) => row(key, 'skipped')),
    ...result.loaded.map((key) => row(key, 'loaded')),
    ...result.empty.map((key) => row(key, 'empty')),
    ...result.not_modified.map((key) => row(key, 'not_modified')),
    ...result.failed.map((failure) => row(failure.key, 'failed', failure.error)),
    ...result.cancelled.map((key) => row(key, 'cancelled')),
  ].sort(byKey);
}

/** The keys of a running backfill: the skipped ones, those its children have settled, and the rest pending. */
export function keysInProgress(
  request: BackfillRequest,
  state: BackfillState,
  children: ChildrenResults,
): BackfillKey[] {
  const refs = keyRefs(request.kind, state.pending);
  const { outcomes, failures, papers } = childOutcomes(children, refs);
  const queue = digestQueueName(request.via);
  const skipped = state.skipped.map((key): BackfillKey => ({
    key,
    status: 'skipped',
    papers: state.skippedPapers?.[key],
    error: undefined,
    job: undefined,
  }));
  const fetched = state.pending.map((key, index): BackfillKey => {
    const settled = keyOutcome(outcomes.get(key), failures.get(key));
    if (settled?.status === 'failed')
      return { key, status: 'failed', papers: undefined, error: settled.error, job: undefined };
    if (settled) return { key, status: settled.status, papers: papers.get(key), error: undefined, job: undefined };
    // Handed out (or fetched by another backfill: the same job id): its job is in the queue.
    const added = index < state.cursor;
    const job = added ? { queue, id: digestJobId(refs[index]!) } : undefined;
    return { key, status: 'pending', papers: undefined, error: undefined, job };
  });
  return [...skipped, ...fetched].sort(byKey);
}

/** How many keys came to each outcome; pending keys are not counted. */
export type KeyCounts = Record<Exclude<KeyStatus, 'pending'>, number>;

/**
 * What a backfill's keys add up to, running or finished alike: how many came
 * to each outcome, the failed ones with their errors (in key order), and how
 * many are done (skipped, fetched or failed: neither pending nor cancelled).
 */
export function tallyKeys(keys: readonly BackfillKey[]): {
  counts: KeyCounts;
  failed: Array<{ key: string; error: string }>;
  done: number;
} {
  const counts: KeyCounts = { skipped: 0, loaded: 0, empty: 0, not_modified: 0, failed: 0, cancelled: 0 };
  const failed: Array<{ key: string; error: string }> = [];
  let pending = 0;
  for (const key of keys) {
    if (key.status === 'pending') pending += 1;
    else counts[key.status] += 1;
    if (key.status === 'failed') failed.push({ key: key.key, error: key.error ?? '' });
  }
  return { counts, failed, done: keys.length - pending - counts.cancelled };
}

// Day, ISO week and month keys all sort by their text.
function byKey(a: BackfillKey, b: BackfillKey): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

import { ErrorCode, Job, type Queue } from 'bullmq';
import { z } from 'zod';
import { backfillRequestSchema, type BackfillKind, type BackfillRequest } from '../domain/backfill-plan.ts';
import { digestRef, type DigestRef, type Transport } from '../domain/digest-key.ts';
import type { Logger } from '../logger.ts';
import { BACKFILL_JOB_NAMES, digestJobId, type PaperboyQueues } from './contracts.ts';
import { fetchJobFor } from './enqueue.ts';

/**
 * A backfill is one job on the `backfills` queue whose children are the
 * fetch-digest jobs of its keys (a BullMQ flow). It runs in steps, each
 * checkpointed in the job's data, so a worker killed half-way resumes where
 * it stopped instead of planning or adding children twice:
 *
 *   plan      expand the range, skip keys already loaded (unless force);
 *   fan-out   add children in chunks, the cursor saved after each chunk;
 *   details   (with `details`) once they are done, the same for a
 *             fetch-paper child per paper the range lists;
 *   collect   wait for the children, then report every key's outcome.

 * (`details` is not a step of its own in the state: its part, `papers`, is
 * planned after the key children finish and carries its own cursor.)
 *
 * A child's jobId is its digest's id, so two overlapping backfills cannot
 * fetch one key twice at once: BullMQ refuses to give a pending job a second
 * parent, and the later backfill records the key as `shared` and reads its
 * outcome from the fetch audit trail once the other fetch has finished.
 * Children are removed when they finish (their value or failure stays with
 * the parent), so a later backfill of the same key fetches it again.
 */

/** Children added per checkpoint. */
const FAN_OUT_CHUNK = 100;
/** How often a backfill waiting on keys fetched by another one looks again. */
export const SHARED_RECHECK_MS = 2_000;

const backfillStateSchema = z.object({
  step: z.enum(['fan-out', 'collect']),
  startedAt: z.iso.datetime(),
  total: z.number().int().min(0),
  /** Already loaded before this backfill: not fetched again. */
  skipped: z.array(z.string()),
  /** The keys to fetch, in order; pending[0, cursor) have been handed out. */
  pending: z.array(z.string()),
  cursor: z.number().int().min(0),
  /** Keys another backfill was fetching when this one came to add them. */
  shared: z.array(z.string()),
  /**
   * The skipped keys' paper counts at their latest fetch (0: it was empty),
   * so the key list can tell an empty day from a loaded one. Absent in the
   * states of backfills planned by earlier versions.
   */
  skippedPapers: z.record(z.string(), z.number().int().min(0)).optional(),
  /** With `details`: the papers' own pages, planned once the keys are fetched (their listings are then known). */
  papers: z
    .object({
      /** Listed on the range, their detail already stored: not fetched again (unless force). */
      skipped: z.number().int().min(0),
      /** The papers to fetch, in id order; pending[0, cursor) have been handed out. */
      pending: z.array(z.string()),
      cursor: z.number().int().min(0),
      /** Papers another job was fetching when this one came to add them. */
      shared: z.array(z.string()),
    })
    .optional(),
});
export type BackfillState = z.infer<typeof backfillStateSchema>;

export const backfillJobData = backfillRequestSchema.extend({ state: backfillStateSchema.optional() });
export type BackfillJobData = z.infer<typeof backfillJobData>;

export type KeyOutcome = 'loaded' | 'empty' | 'not_modified';
/** A paper page can also answer 404. */
export type ChildOutcome = KeyOutcome | 'not_found';
const CHILD_OUTCOMES: readonly string[] = ['loaded', 'empty', 'not_modified', 'not_found'];

/** What the `details` part of a backfill did: counts, and the papers worth a look by id. */
export interface DetailsResult {
  total: number;
  skipped: number;
  loaded: number;
  not_modified: number;
  cancelled: number;
  not_found: string[];
  failed: Array<{ id: string; error: string }>;
}

export interface BackfillResult {
  kind: BackfillKind;
  from: string;
  to: string;
  force: boolean;
  via: BackfillRequest['via'];
  total: number;
  skipped: string[];
  loaded: string[];
  empty: string[];
  not_modified: string[];
  failed: Array<{ key: string; error: string }>;
  cancelled: string[];
  /**
   * How many papers each key listed: as fetched (loaded, empty, not
   * modified) or, for a skipped key, at its latest fetch. Absent in the
   * results of earlier versions.
   */
  paper_counts?: Record<string, number>;
  /** With `details` only: what became of the listed papers' own pages. */
  papers?: DetailsResult;
}

/**
 * Adds the next chunk of key children (one fetch-digest per key) to `children`;
 * returns the state with its cursor moved past them.
 */
export async function addChildren(
  job: Job,
  request: BackfillRequest,
  state: BackfillState,
  children: Queue,
  log: Logger,
): Promise<BackfillState> {
  const chunk = state.pending.slice(state.cursor, state.cursor + FAN_OUT_CHUNK);
  const refs = keyRefs(request.kind, chunk);
  const shared = await addFetchChildren(job, refs, { force: request.force, via: request.via }, children, log);
  const cursor = state.cursor + chunk.length;
  return {
    ...state,
    cursor,
    shared: [...state.shared, ...shared],
    step: cursor >= state.pending.length ? 'collect' : 'fan-out',
  };
}

/**
 * Adds the next chunk of paper children (one fetch-paper per paper, their
 * HTML pages: the counts are on the page only); returns the papers part of
 * the state with its cursor moved past them.
 */
export async function addPaperChildren(
  job: Job,
  request: BackfillRequest,
  papers: NonNullable<BackfillState['papers']>,
  children: Queue,
  log: Logger,
): Promise<NonNullable<BackfillState['papers']>> {
  const chunk = papers.pending.slice(papers.cursor, papers.cursor + FAN_OUT_CHUNK);
  const refs = paperRefs(chunk);
  const shared = await addFetchChildren(job, refs, { force: request.force, via: 'html' }, children, log);
  return { ...papers, cursor: papers.cursor + chunk.length, shared: [...papers.shared, ...shared] };
}

/** Adds one child fetch per digest; returns the keys another job was fetching already (it is waited for instead). */
async function addFetchChildren(
  job: Job,
  refs: readonly DigestRef[],
  options: { force: boolean; via: Transport },
  children: Queue,
  log: Logger,
): Promise<string[]> {
  const shared: string[] = [];
  for (const ref of refs) {
    const fetch = fetchJobFor(ref, options.via, options.force);
    try {
      await children.add(fetch.name, fetch.data, {
        jobId: digestJobId(ref),
        parent: { id: job.id!, queue: job.queueQualifiedName },
        // A failed key is reported in the result; it must not fail (or wedge) the backfill.
        ignoreDependencyOnFailure: true,
        removeOnComplete: true,
        removeOnFail: true,
      });
    } catch (error) {
      if ((error as { code?: number }).code !== ErrorCode.ParentJobCannotBeReplaced) throw error;
      log.debug(
        { digest: `${ref.kind}/${ref.key}` },
        'already being fetched by another backfill: waiting for that fetch instead',
      );
      shared.push(ref.key);
    }
  }
  return shared;
}

/** True while any of the digests is still waiting, delayed or running as someone else's child. */
export async function sharedInFlight(queue: Queue, refs: readonly DigestRef[]): Promise<boolean> {
  for (const ref of refs) {
    const job = await Job.fromId(queue, digestJobId(ref));
    const state = job && (await job.getState());
    if (state && state !== 'completed' && state !== 'failed') return true;
  }
  return false;
}

/** What a backfill's children left: their return values and the failures ignored, by job key. Read once, sorted by childOutcomes. */
export interface ChildrenResults {
  /** fetch-digest and fetch-paper return `{outcome, papers, …}`: jobs/fetch-digest.ts. */
  values: Record<string, { outcome?: string; papers?: number } | null | undefined>;
  failed: Record<string, string>;
}

/** The children's results, in one round trip (read once, then sorted for keys and for papers). */
export async function readChildren(job: Job): Promise<ChildrenResults> {
  const [values, failed] = await Promise.all([
    job.getChildrenValues<{ outcome?: string; papers?: number }>(),
    job.getIgnoredChildrenFailures(),
  ]);
  return { values, failed };
}

/**
 * Each child's outcome (from its return value) or failure reason, by its
 * digest's key, for the children fetching `refs` (of one kind), how many
 * papers each listed, and how many of those have settled.
 */
export function childOutcomes(children: ChildrenResults, refs: readonly DigestRef[]) {
  const keyOfJobId = new Map(refs.map((ref) => [digestJobId(ref), ref.key]));
  const keyOf = (jobKey: string) => keyOfJobId.get(jobKey.slice(jobKey.lastIndexOf(':') + 1));
  const outcomes = new Map<string, ChildOutcome>();
  const failures = new Map<string, string>();
  const papers = new Map<string, number>();
  for (const [jobKey, value] of Object.entries(children.values)) {
    const key = keyOf(jobKey);
    const outcome = value?.outcome;
    if (key && outcome && CHILD_OUTCOMES.includes(outcome)) outcomes.set(key, outcome as ChildOutcome);
    if (key && typeof value?.papers === 'number') papers.set(key, value.papers);
  }
  for (const [jobKey, reason] of Object.entries(children.failed)) {
    const key = keyOf(jobKey);
    if (key) failures.set(key, reason);
  }
  return { outcomes, failures, papers, settled: outcomes.size + failures.size };
}

/**
 * What a list key's fetch came to: its outcome, a failure with its error, or
 * nothing yet (undefined). A list page never answers not_found (only a
 * paper's page does): that would be a bug, reported as a failure.
 */
export function keyOutcome(
  outcome: ChildOutcome | undefined,
  failure: string | undefined,
): { status: KeyOutcome } | { status: 'failed'; error: string } | undefined {
  if (outcome && outcome !== 'not_found') return { status: outcome };
  if (failure !== undefined || outcome) return { status: 'failed', error: failure ?? `unexpected ${outcome}` };
  return undefined;
}

/** The key children's digests. */
export function keyRefs(kind: BackfillKind, keys: readonly string[]): DigestRef[] {
  return keys.map((key) => digestRef(kind, key));
}

/** The paper children's digests. */
export function paperRefs(ids: readonly string[]): DigestRef[] {
  return ids.map((id) => digestRef('paper', id));
}

/** Percent of the work done (keys skipped, fetched or failed; then papers), from the children's counts alone. */
export async function backfillProgress(job: Job, state: BackfillState): Promise<number> {
  const counts = await job.getDependenciesCount({ processed: true, ignored: true });
  const papers = state.papers ? state.papers.skipped + state.papers.pending.length : 0;
  const done = state.skipped.length + (state.papers?.skipped ?? 0) + (counts.processed ?? 0) + (counts.ignored ?? 0);
  const total = state.total + papers;
  return total === 0 ? 100 : Math.min(100, Math.floor((100 * done) / total));
}

/** The ids BullMQ gives jobs added without one (1, 2, 3, …): paperboy never names a backfill. */
const BACKFILL_ID = /^[1-9][0-9]{0,19}$/;

export function isBackfillId(id: string): boolean {
  return BACKFILL_ID.test(id);
}

/**
 * The backfill with this id, or undefined when there is none. An id of
 * another shape would name one of the queue's own keys (`meta`, `id`,
 * `events`, `stalled-check`), which BullMQ reads as a job or fails on; a job
 * is a backfill under the names the worker runs as one (Bull Board's default
 * name included), never under another.
 */
export async function findBackfill(backfills: Queue, id: string): Promise<Job | undefined> {
  if (!isBackfillId(id)) return undefined;
  const job = await Job.fromId(backfills, id);
  return job && BACKFILL_JOB_NAMES.has(job.name) ? job : undefined;
}

/** Brings a backfill job's progress up to date; the digests worker calls it as each child finishes. */
export async function refreshBackfillProgress(backfills: Queue, backfillId: string): Promise<void> {
  const job = await Job.fromId(backfills, backfillId);
  const parsed = backfillJobData.safeParse(job?.data);
  if (!job || !parsed.success || !parsed.data.state || job.finishedOn) return;
  await job.updateProgress(await backfillProgress(job, parsed.data.state));
}

/**
 * The cancel request is a field of the job's own hash: BullMQ's updateData
 * rewrites only the `data` field, so the worker's checkpoints cannot lose it,
 * and it goes when the job is removed.
 */
const CANCEL_FIELD = 'paperboyCancelRequestedAt';

const MARK_CANCEL_COMMAND = 'paperboyMarkCancelUnlessFinished';
/** KEYS[1]: the job's hash. Sets the cancel field unless the job has finished (BullMQ sets `finishedOn` then). */
const MARK_CANCEL_UNLESS_FINISHED = `
if redis.call('HEXISTS', KEYS[1], 'finishedOn') == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1`;

export async function isCancelRequested(backfills: Queue, id: string): Promise<boolean> {
  const client = await backfills.backend.client;
  return (await client.hexists(backfills.toKey(id), CANCEL_FIELD)) === 1;
}

/** Removes the children that have not started; running ones finish. */
export async function removeWaitingChildren(
  job: Job,
  queues: Pick<PaperboyQueues, 'digests' | 'digestsApi'>,
): Promise<void> {
  let cursor: number | undefined = 0;
  const jobKeys: string[] = [];
  do {
    const page: Awaited<ReturnType<Job['getDependencies']>> = await job.getDependencies({
      unprocessed: { cursor, count: 500 },
    });
    jobKeys.push(...(page.unprocessed ?? []));
    cursor = page.nextUnprocessedCursor || undefined;
  } while (cursor);
  for (const jobKey of jobKeys) {
    // A child's key is <prefix>:<queue>:<id>: its queue is the one of the backfill's transport.
    const queue = [queues.digests, queues.digestsApi].find((candidate) =>
      jobKey.startsWith(`${candidate.qualifiedName}:`),
    );
    if (!queue) continue;
    const child = await Job.fromId(queue, jobKey.slice(jobKey.lastIndexOf(':') + 1));
    if (!child || (await child.isActive())) continue;
    // A child that started in the meantime is locked: it finishes and reports as usual.
    await child.remove().catch(() => undefined);
  }
}

export type CancelOutcome = 'cancelling' | 'not_found' | 'finished';

/**
 * Asks a backfill to stop: it adds no more children, the ones that have not
 * started are removed, running ones finish, and the result lists the keys
 * that were never fetched as `cancelled`.
 */
export async function cancelBackfill(
  queues: Pick<PaperboyQueues, 'digests' | 'digestsApi' | 'backfills'>,
  id: string,
): Promise<CancelOutcome> {
  const { backfills } = queues;
  const job = await findBackfill(backfills, id);
  if (!job) return 'not_found';
  const client = await backfills.backend.client;
  // Checked and set in one step: a backfill finishing in between is not marked as cancelled.
  client.defineCommand(MARK_CANCEL_COMMAND, { numberOfKeys: 1, lua: MARK_CANCEL_UNLESS_FINISHED });
  const marked = await client.runCommand(MARK_CANCEL_COMMAND, [
    backfills.toKey(id),
    CANCEL_FIELD,
    new Date().toISOString(),
  ]);
  if (marked !== 1) return 'finished';
  await job.log('cancel requested');
  if (await job.isWaitingChildren()) await removeWaitingChildren(job, queues);
  return 'cancelling';
}

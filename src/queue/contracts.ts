import type { Queue } from 'bullmq';
import { z } from 'zod';
import { LIST_KINDS, TRANSPORTS, type DigestRef } from '../domain/digest-key.ts';
import { canonicalPaperId, isArxivId } from '../domain/paper-id.ts';
import { SCHEDULE_NAMES } from '../domain/schedule-plan.ts';

/** Queue names, job names and payload schemas: the one contract between producers and workers. */

/**
 * Hugging Face fetches run on one queue per budget bucket, so a pause of one
 * bucket (a 429, a spent budget) holds back no job of the other: `digests`
 * for HTML pages (and the schedules' plan jobs), `digests-api` for the JSON
 * API. Each request still takes its slot in its bucket's budget
 * (queue/request-budget.ts): the queue keeps the buckets apart, the budget
 * paces them.
 */
export const QUEUES = {
  digests: 'digests',
  digestsApi: 'digests-api',
  repos: 'repos',
  backfills: 'backfills',
} as const;

/** A process's producer handles on every queue, by the keys of QUEUES. */
export type PaperboyQueues = Readonly<Record<keyof typeof QUEUES, Queue>>;

/** The handle of the queue of that name. */
export function queueNamed(queues: PaperboyQueues, name: string): Queue {
  const queue = Object.values(queues).find((candidate) => candidate.name === name);
  if (!queue) throw new Error(`no queue "${name}" in QUEUES`);
  return queue;
}

export const JOBS = {
  fetchDigest: 'fetch-digest',
  fetchPaper: 'fetch-paper',
  planSchedule: 'plan-schedule',
  enrichRepos: 'enrich-repos',
  backfill: 'backfill',
} as const;

/** The name Bull Board's Add-job dialog gives a job unless told otherwise: on the backfills queue, a backfill. */
export const BULL_BOARD_DEFAULT_NAME = '__default__';

/** The job names the backfills queue runs as backfills. */
export const BACKFILL_JOB_NAMES: ReadonlySet<string> = new Set([JOBS.backfill, BULL_BOARD_DEFAULT_NAME]);

export const fetchDigestPayload = z.object({
  source: z.literal('hf'),
  kind: z.enum(LIST_KINDS),
  key: z.string().min(1).max(200),
  force: z.boolean().default(false),
  via: z.enum(TRANSPORTS).optional(),
});
export type FetchDigestPayload = z.infer<typeof fetchDigestPayload>;

/** fetch-paper: one paper's own page (html, the pages budget) or its JSON form (api). */
export const fetchPaperPayload = z.object({
  source: z.literal('hf'),
  id: z
    .string()
    .min(1)
    .max(100)
    .refine((id) => isArxivId(id) && canonicalPaperId(id) === id, 'must be a canonical arXiv id such as 2509.24002'),
  force: z.boolean().default(false),
  via: z.enum(TRANSPORTS).default('html'),
});
export type FetchPaperPayload = z.infer<typeof fetchPaperPayload>;

/** enrich-repos: the given references (after a digest load), or every reference due for a refresh. */
export const enrichReposPayload = z.union([
  z.object({ refs: z.array(z.string().min(3).max(200)).min(1).max(1_000) }),
  z.object({ stale: z.literal(true) }),
]);
export type EnrichReposPayload = z.infer<typeof enrichReposPayload>;

export const planSchedulePayload = z.object({ schedule: z.enum(SCHEDULE_NAMES) });
export type PlanSchedulePayload = z.infer<typeof planSchedulePayload>;

/**
 * A deterministic id per digest, e.g. digest-hf-day-2024-08-01. BullMQ
 * forbids ':' in custom ids; the key is URI-encoded, so spaces and slashes
 * in search texts cannot break that.
 */
export function digestJobId(ref: DigestRef): string {
  return `digest-${ref.source}-${ref.kind}-${encodeURIComponent(ref.key)}`;
}

/** Job scheduler ids are prefixed so the service can tell its own from anyone else's. */
export const SCHEDULER_PREFIX = 'paperboy-schedule-';

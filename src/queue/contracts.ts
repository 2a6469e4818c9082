import { z } from 'zod';
import { LIST_KINDS, type DigestRef } from '../domain/digest-key.ts';
import { SCHEDULE_NAMES } from '../domain/schedule-plan.ts';

/** Queue names, job names and payload schemas: the one contract between producers and workers. */

export const QUEUES = { digests: 'digests', repos: 'repos', backfills: 'backfills' } as const;

export const JOBS = {
  fetchDigest: 'fetch-digest',
  planSchedule: 'plan-schedule',
  enrichRepos: 'enrich-repos',
  backfill: 'backfill',
} as const;

export const fetchDigestPayload = z.object({
  source: z.literal('hf'),
  kind: z.enum(LIST_KINDS),
  key: z.string().min(1).max(200),
  force: z.boolean().default(false),
  via: z.enum(['html', 'api']).optional(),
});
export type FetchDigestPayload = z.infer<typeof fetchDigestPayload>;

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

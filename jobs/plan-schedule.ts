import type { Job } from 'bullmq';
import { findFetchedDays } from '../src/db/fetches.repository.ts';
import { daysBefore } from '../src/domain/digest-key.ts';
import { CATCH_UP_DAYS, planSchedule } from '../src/domain/schedule-plan.ts';
import type { Logger } from '../src/logger.ts';
import { JOBS, planSchedulePayload, type EnrichReposPayload } from '../src/queue/contracts.ts';
import { enqueueDigestFetches } from '../src/queue/enqueue.ts';
import type { JobContext } from '../src/queue/job-context.ts';

/** plan-schedule {schedule}: a scheduler fired; enqueue the digests it stands for (and days it missed). */
export async function planScheduleJob(job: Job, context: JobContext, log: Logger) {
  const { schedule } = planSchedulePayload.parse(job.data);
  if (schedule === 'repos-refresh') {
    const payload: EnrichReposPayload = { stale: true };
    await context.repos.add(JOBS.enrichRepos, payload, { deduplication: { id: 'enrich-repos-stale' } });
    return { schedule, enqueued: ['enrich-repos-stale'] };
  }
  const now = new Date();
  // Only the daily schedule catches up on missed days; the others need no database read.
  const fetchedDays = schedule === 'daily-recent' ? await findFetchedDays(context.pool, daysBefore(now, CATCH_UP_DAYS)) : new Set<string>();
  const refs = planSchedule(schedule, { now, savedSearches: context.config.service.savedSearches, fetchedDays });
  const ids = await enqueueDigestFetches(context, refs, context.config.hf.transport);
  log.info({ schedule, enqueued: ids.length }, `schedule ${schedule}: enqueued ${ids.length} digest fetches`);
  return { schedule, enqueued: ids };
}

import type { Job } from 'bullmq';
import type { Logger } from '../src/logger.ts';
import { planSchedulePayload } from '../src/queue/contracts.ts';
import type { JobContext } from '../src/queue/job-context.ts';
import { runSchedule } from '../src/stages/run-schedule.ts';

/** plan-schedule {schedule}: a scheduler fired; enqueue the digests it stands for (and days it missed), or prune the page store. */
export async function planScheduleJob(job: Job, context: JobContext, log: Logger) {
  const { schedule } = planSchedulePayload.parse(job.data);
  const summary = await runSchedule(
    {
      pool: context.pool,
      queues: context,
      savedSearches: context.config.service.savedSearches,
      transport: context.config.hf.transport,
      pageRetentionDays: context.config.pageRetentionDays,
    },
    schedule,
  );
  log.debug({ schedule, enqueued: summary.enqueued }, `schedule ${schedule}: planned`);
  // What it enqueued or pruned is counted in the job's one log line, written by the runner.
  return summary;
}

import type { Job } from 'bullmq';
import type { Logger } from '../src/logger.ts';
import { planSchedulePayload } from '../src/queue/contracts.ts';
import type { JobContext } from '../src/queue/job-context.ts';
import { recordScheduleRun } from '../src/queue/schedule-runs.ts';
import { runSchedule, type ScheduleSummary } from '../src/stages/run-schedule.ts';

/** plan-schedule {schedule}: a scheduler fired; enqueue the digests it stands for (and days it missed), or prune the page store. */
export async function planScheduleJob(job: Job, context: JobContext, log: Logger) {
  const { schedule } = planSchedulePayload.parse(job.data);
  const startedAt = new Date();
  // Every run, from the scheduler or the service's start, is recorded for the status page (see schedule-runs.ts).
  const record = (outcome: 'completed' | 'failed', detail: string) =>
    recordScheduleRun(context.digests, {
      schedule,
      jobId: String(job.id),
      startedAt,
      finishedAt: new Date(),
      outcome,
      detail,
    });
  let summary: ScheduleSummary;
  try {
    summary = await runSchedule(
      {
        pool: context.pool,
        queues: context,
        savedSearches: context.config.service.savedSearches,
        transport: context.config.hf.transport,
        pageRetentionDays: context.config.pageRetentionDays,
      },
      schedule,
    );
  } catch (error) {
    await record('failed', (error as Error).message).catch((recordError: Error) =>
      log.warn({ err: recordError }, `could not record the failed run of schedule ${schedule}`),
    );
    throw error;
  }
  // The run did its work: a Redis hiccup while recording it must not fail it (and run it again).
  await record(
    'completed',
    summary.pruned
      ? `pruned ${summary.pruned.bodies} page bodies (${summary.pruned.storedBytes} bytes)`
      : `enqueued ${summary.enqueued.length} job(s)`,
  ).catch((recordError: Error) =>
    log.warn({ err: recordError }, `could not record the completed run of schedule ${schedule}`),
  );
  log.debug({ schedule, enqueued: summary.enqueued }, `schedule ${schedule}: planned`);
  // What it enqueued or pruned is counted in the job's one log line, written by the runner.
  return summary;
}

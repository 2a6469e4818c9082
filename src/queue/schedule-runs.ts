import type { Queue } from 'bullmq';
import { z } from 'zod';

/**
 * The last run of each schedule, as the plan-schedule job records it.
 *
 * BullMQ keeps no last-run time for a job scheduler, and what Bull Board
 * derives from the scheduler's pending job misses runs the scheduler did not
 * make: the service's start runs `daily-recent` at once as a job of its own
 * (a cron's first tick can be half an hour away), so Bull Board shows that
 * schedule as never run. The plan-schedule job is where every run of every
 * schedule passes, from the scheduler or not, so it writes its outcome here:
 * one field per schedule in a hash beside the schedulers, on the queue that
 * runs the plans (the completed jobs themselves are trimmed, and finding the
 * last of one name among thousands of fetches would mean reading them all).
 */
export interface ScheduleRun {
  schedule: string;
  jobId: string;
  startedAt: Date;
  finishedAt: Date;
  outcome: 'completed' | 'failed';
  /** What the run did ("enqueued 9 jobs"), or why it failed. */
  detail: string;
}

const RUNS_KEY = 'schedule-runs';

const storedRun = z.object({
  jobId: z.string(),
  startedAt: z.coerce.date(),
  finishedAt: z.coerce.date(),
  outcome: z.enum(['completed', 'failed']),
  detail: z.string(),
});

/** Records `run` as its schedule's last run (a retried attempt overwrites the failed one before it). */
export async function recordScheduleRun(planQueue: Queue, run: ScheduleRun): Promise<void> {
  const client = await planQueue.backend.client;
  const { schedule, ...stored } = run;
  await client.hset(planQueue.toKey(RUNS_KEY), { [schedule]: JSON.stringify(stored) });
}

/**
 * Each schedule's last recorded run, by schedule name.
 *
 * @throws Error naming the hash and field when a record is not one this module wrote.
 */
export async function readScheduleRuns(planQueue: Queue): Promise<Map<string, ScheduleRun>> {
  const client = await planQueue.backend.client;
  const key = planQueue.toKey(RUNS_KEY);
  const fields = await client.hgetall(key);
  return new Map(
    Object.entries(fields).map(([schedule, text]) => {
      const parsed = storedRun.safeParse(safeJson(text));
      if (!parsed.success)
        throw new Error(`unreadable schedule run "${schedule}" in Redis hash ${key}: delete that field (HDEL)`);
      return [schedule, { schedule, ...parsed.data }];
    }),
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

import type { Job } from 'bullmq';
import type { Logger } from '../src/logger.ts';
import { backfillJobData } from '../src/queue/backfill-flow.ts';
import type { JobContext } from '../src/queue/job-context.ts';
import { runBackfill } from '../src/stages/run-backfill.ts';

/** backfill {kind, from, to, force, via}: fans out one fetch-digest child per key and reports each key's outcome. */
export async function backfillJob(job: Job, context: JobContext, log: Logger, token: string | undefined) {
  const data = backfillJobData.parse(job.data);
  const result = await runBackfill(job, token, data, {
    pool: context.pool,
    queues: context,
    maxKeys: context.config.service.backfillMaxKeys,
    log,
  });
  // Its counts (and failed keys) are the job's one log line, written by the runner.
  return result;
}

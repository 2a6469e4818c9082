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
  log.info(
    {
      loaded: result.loaded.length,
      empty: result.empty.length,
      failed: result.failed.length,
      skipped: result.skipped.length,
      cancelled: result.cancelled.length,
    },
    `backfill ${result.kind} ${result.from}..${result.to} finished`,
  );
  return result;
}

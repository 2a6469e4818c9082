import { Worker, type Job, type Queue } from 'bullmq';
import { fetchDigest } from '../../jobs/fetch-digest.ts';
import { planScheduleJob } from '../../jobs/plan-schedule.ts';
import type { Logger } from '../logger.ts';
import { JOBS, QUEUES } from '../queue/contracts.ts';
import type { JobContext } from '../queue/job-context.ts';
import { runJob } from '../queue/run-job.ts';
import { workerConnection } from '../queue/connection.ts';

const HANDLERS: Record<string, (job: Job, context: JobContext, log: Logger) => Promise<unknown>> = {
  [JOBS.fetchDigest]: fetchDigest,
  [JOBS.planSchedule]: planScheduleJob,
};

/**
 * The worker of the `digests` queue. Its limiter is the politeness budget
 * for Hugging Face: BullMQ keeps it in Redis, so it holds across every worker
 * process together, however many run.
 */
export function startDigestWorker(redisUrl: string, context: JobContext, queue: Queue, logger: Logger): Worker {
  const { service } = context.config;
  const connection = workerConnection(redisUrl);
  const worker = new Worker(
    QUEUES.digests,
    async (job) => {
      const handler = HANDLERS[job.name];
      if (!handler) throw new Error(`no handler for job "${job.name}"`);
      return runJob(job, queue, logger, (log) => handler(job, context, log));
    },
    {
      connection,
      concurrency: service.concurrency,
      limiter: { max: service.hfRate.max, duration: service.hfRate.windowMs },
      stalledInterval: service.stalledIntervalMs,
      // A job whose worker died is handed to another one once its lock lapses.
      lockDuration: Math.max(2 * service.stalledIntervalMs, 1_000),
      maxStalledCount: 3,
    },
  );
  // BullMQ leaves a connection it was handed open: close ours with the worker.
  worker.on('closed', () => connection.disconnect());
  worker.on('error', (error) => logger.error({ err: error }, 'digests worker error'));
  worker.on('failed', (job, error) =>
    logger.warn({ jobId: job?.id, job: job?.name, attemptsMade: job?.attemptsMade, err: error.message }, 'job failed'),
  );
  return worker;
}

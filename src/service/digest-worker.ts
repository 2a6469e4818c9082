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
export interface DigestWorker {
  worker: Worker;
  /**
   * Stops taking new jobs and waits for active ones to finish, up to
   * `graceMs`. Past it the worker closes without waiting: its active jobs keep
   * their locks until they lapse, then another worker (or this one,
   * restarted) picks them up as stalled and runs them again. Loads are
   * idempotent, so a re-run changes nothing twice.
   */
  close(graceMs: number): Promise<void>;
}

export function startDigestWorker(redisUrl: string, context: JobContext, queue: Queue, logger: Logger): DigestWorker {
  const { service } = context.config;
  const connection = workerConnection(redisUrl);
  // BullMQ's close() cannot be forced once a graceful close is under way, so
  // the grace period is kept here: count the jobs in flight, wait for zero.
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const worker = new Worker(
    QUEUES.digests,
    async (job) => {
      const handler = HANDLERS[job.name];
      if (!handler) throw new Error(`no handler for job "${job.name}"`);
      inFlight += 1;
      try {
        return await runJob(job, queue, logger, (log) => handler(job, context, log));
      } finally {
        inFlight -= 1;
        if (inFlight === 0) idle?.();
      }
    },
    {
      connection,
      prefix: service.queuePrefix,
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
  return {
    worker,
    async close(graceMs: number) {
      const whenIdle = (ms: number) => {
        if (inFlight === 0) return Promise.resolve(true);
        let timer: NodeJS.Timeout | undefined;
        return Promise.race([
          new Promise<boolean>((resolve) => (idle = () => resolve(true))),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
        ]).finally(() => clearTimeout(timer));
      };
      await worker.pause(true);
      if (!(await whenIdle(graceMs))) {
        logger.warn({ graceMs, inFlight }, 'active jobs did not finish within the grace period: aborting their requests; they run again once their lock lapses');
        // Aborted requests fail fast and their attempts are recorded; whatever is still running after that is abandoned.
        context.http.abortInFlight();
        await whenIdle(2_000);
      }
      await worker.close(true);
    },
  };
}

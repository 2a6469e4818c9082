import { Worker, type Job, type Queue } from 'bullmq';
import { PermanentError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { workerConnection, type RedisOutageLog } from './connection.ts';
import type { JobContext } from './job-context.ts';
import { isLoggedByRunJob, runJob } from './run-job.ts';

/** `token` is the job's lock token: step jobs need it to move themselves to waiting-children or delayed. */
export type JobHandler = (job: Job, context: JobContext, log: Logger, token: string | undefined) => Promise<unknown>;

export interface QueueWorkerOptions {
  redisUrl: string;
  queue: Queue;
  handlers: Record<string, JobHandler>;
  context: JobContext;
  logger: Logger;
  concurrency: number;
  /** The process's one log of Redis outages (all its workers' connections together). */
  outages: RedisOutageLog;
  /** BullMQ's limiter for the queue's jobs (kept in Redis: it holds across every worker process together). */
  limiter?: { max: number; duration: number };
}

export interface QueueWorker {
  worker: Worker;
  /** True when this worker runs jobs of that name. */
  handles(jobName: string): boolean;
  /**
   * Stops taking new jobs and waits for active ones to finish, up to
   * `graceMs`. Past it, their requests are aborted and the worker closes
   * without waiting: unfinished jobs keep their locks until they lapse, then
   * another worker (or this one, restarted) picks them up as stalled and runs
   * them again. Loads are idempotent, so a re-run changes nothing twice.
   */
  close(graceMs: number): Promise<void>;
}

export function startQueueWorker(options: QueueWorkerOptions): QueueWorker {
  const { context, logger, queue } = options;
  const { service } = context.config;
  const connection = workerConnection(options.redisUrl);
  // BullMQ's close() cannot be forced once a graceful close is under way, so
  // the grace period is kept here: count the jobs in flight, wait for zero.
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const worker = new Worker(
    queue.name,
    async (job, token) => {
      inFlight += 1;
      try {
        return await runJob(job, queue, logger, (log) => {
          const handler = options.handlers[job.name];
          if (!handler) {
            throw new PermanentError(
              `the ${queue.name} queue runs ${Object.keys(options.handlers)
                .map((name) => `"${name}"`)
                .join(', ')} jobs, not "${job.name}"`,
            );
          }
          return handler(job, context, log, token);
        });
      } finally {
        inFlight -= 1;
        if (inFlight === 0) idle?.();
      }
    },
    {
      connection,
      prefix: service.queuePrefix,
      concurrency: options.concurrency,
      ...(options.limiter ? { limiter: options.limiter } : {}),
      stalledInterval: service.stalledIntervalMs,
      // A job whose worker died is handed to another one once its lock lapses.
      lockDuration: Math.max(2 * service.stalledIntervalMs, 1_000),
      maxStalledCount: 3,
    },
  );
  // BullMQ leaves a connection it was handed open: close ours with the worker.
  worker.on('closed', () => connection.disconnect());
  options.outages.watch(connection);
  options.outages.listen(worker, { queue: queue.name }, 'worker error');
  // runJob logs every attempt its handler ends; what is left are failures BullMQ decides on its own (a job
  // stalled too often, a lost lock), which no handler saw.
  worker.on('failed', (job, error) => {
    if (isLoggedByRunJob(error)) return;
    logger.error(
      { queue: queue.name, jobId: job?.id, job: job?.name, attemptsMade: job?.attemptsMade, error: error.message },
      `job failed: ${error.message}`,
    );
  });
  const whenIdle = (ms: number) => {
    if (inFlight === 0) return Promise.resolve(true);
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      new Promise<boolean>((resolve) => (idle = () => resolve(true))),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]).finally(() => clearTimeout(timer));
  };
  return {
    worker,
    handles: (jobName) => jobName in options.handlers,
    async close(graceMs: number) {
      await worker.pause(true);
      if (!(await whenIdle(graceMs))) {
        logger.warn(
          { queue: queue.name, graceMs, inFlight },
          'active jobs did not finish within the grace period: aborting their requests; they run again once their lock lapses',
        );
        // Aborted requests fail fast and their attempts are recorded; whatever is still running after that is abandoned.
        context.http.abortInFlight();
        await whenIdle(2_000);
      }
      await worker.close(true);
    },
  };
}

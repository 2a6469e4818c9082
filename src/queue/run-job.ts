import { DelayedError, UnrecoverableError, WaitingChildrenError, Worker, type Job, type Queue } from 'bullmq';
import { ZodError } from 'zod';
import { PermanentError, RateLimitedError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { completedLine, failedLine, messageOf, type JobFacts, type JobLogLine } from './job-log-line.ts';

/** Errors whose attempt runJob has logged already: the worker's 'failed' event must not log them twice. */
const logged = new WeakSet<object>();

/** True when runJob wrote this error's line (so a 'failed' listener stays quiet). */
export function isLoggedByRunJob(error: unknown): boolean {
  return typeof error === 'object' && error !== null && logged.has(error);
}

/**
 * Runs one job's handler and translates our error classes into what BullMQ
 * understands, in this one place:
 * - RateLimitedError → the whole queue waits (`queue.rateLimit`, global across
 *   workers) and the job goes back to waiting without using an attempt;
 * - PermanentError (404, layout changed, invalid payload) and an invalid job
 *   payload → UnrecoverableError: failed now, no retries;
 * - anything else → rethrown, so `attempts` and `backoff` apply.
 *
 * Each attempt that ends leaves exactly one line at `info` or above (see
 * job-log-line.ts): what the job was about, its outcome, counts and duration.
 */
export async function runJob<T>(
  job: Job,
  queue: Queue,
  logger: Logger,
  handler: (log: Logger) => Promise<T>,
): Promise<T> {
  const log = logger.child({ queue: job.queueName, job: job.name, jobId: job.id, attempt: job.attemptsMade + 1 });
  const started = performance.now();
  const facts: JobFacts = {
    name: job.name,
    data: job.data,
    attempt: job.attemptsMade + 1,
    attempts: job.opts.attempts ?? 1,
    ...(job.opts.backoff !== undefined ? { backoff: job.opts.backoff } : {}),
  };
  try {
    const result = await handler(log);
    write(
      log,
      completedLine({ ...facts, sinceQueuedMs: Date.now() - dueAt(job) }, result, performance.now() - started),
    );
    return result;
  } catch (error) {
    // A step job parking itself until its children finish, or until later: not a failure.
    if (error instanceof WaitingChildrenError || error instanceof DelayedError) {
      log.debug('waiting: the job carries on later');
      throw error;
    }
    if (error instanceof RateLimitedError) {
      log.warn(
        { waitMs: error.retryAfterMs, error: error.message },
        `rate limited upstream: pausing the ${job.queueName} queue for ${Math.ceil(error.retryAfterMs / 1000)} s; the job runs again then (no attempt used)`,
      );
      await job.log(`rate limited: ${error.message}`).catch(() => undefined);
      await queue.rateLimit(error.retryAfterMs);
      throw Worker.RateLimitError();
    }
    write(log, failedLine(facts, error, performance.now() - started));
    if (error instanceof PermanentError || error instanceof ZodError) {
      const unrecoverable = new UnrecoverableError(messageOf(error));
      logged.add(unrecoverable);
      throw unrecoverable;
    }
    if (typeof error === 'object' && error !== null) logged.add(error);
    throw error;
  }
}

function write(log: Logger, line: JobLogLine): void {
  log[line.level](line.fields, line.msg);
}

/**
 * When a job was due to run: its creation plus the delay it was created with
 * (a scheduler's job is created at the previous tick, a day before the next
 * for a daily schedule). `opts.delay`, not `job.delay`: a job that moves
 * itself to delayed (a backfill waiting on shared fetches) rewrites the
 * latter, and its line should count its whole run.
 */
export function dueAt(job: Pick<Job, 'timestamp' | 'opts'>): number {
  return job.timestamp + (job.opts.delay ?? 0);
}

import { DelayedError, UnrecoverableError, WaitingChildrenError, Worker, type Job, type Queue } from 'bullmq';
import { ZodError } from 'zod';
import { describeIssues } from '../domain/zod-issues.ts';
import { PermanentError, RateLimitedError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/**
 * Runs one job's handler and translates our error classes into what BullMQ
 * understands, in this one place:
 * - RateLimitedError → the whole queue waits (`queue.rateLimit`, global across
 *   workers) and the job goes back to waiting without using an attempt;
 * - PermanentError (404, layout changed, invalid payload) and an invalid job
 *   payload → UnrecoverableError: failed now, no retries;
 * - anything else → rethrown, so `attempts` and `backoff` apply.
 */
export async function runJob<T>(
  job: Job,
  queue: Queue,
  logger: Logger,
  handler: (log: Logger) => Promise<T>,
): Promise<T> {
  const log = logger.child({ queue: job.queueName, job: job.name, jobId: job.id, attempt: job.attemptsMade + 1 });
  try {
    return await handler(log);
  } catch (error) {
    // A step job parking itself until its children finish, or until later: not a failure.
    if (error instanceof WaitingChildrenError || error instanceof DelayedError) throw error;
    if (error instanceof RateLimitedError) {
      log.warn(
        { waitMs: error.retryAfterMs },
        `rate limited upstream: pausing the ${job.queueName} queue for ${Math.ceil(error.retryAfterMs / 1000)} s`,
      );
      await job.log(`rate limited: ${error.message}`).catch(() => undefined);
      await queue.rateLimit(error.retryAfterMs);
      throw Worker.RateLimitError();
    }
    if (error instanceof PermanentError || error instanceof ZodError) {
      const message = error instanceof ZodError ? `invalid job payload: ${describeIssues(error)}` : error.message;
      log.error({ err: error }, `permanent failure, not retried: ${message}`);
      throw new UnrecoverableError(message);
    }
    log.warn({ err: error }, `attempt ${job.attemptsMade + 1} failed; it will be retried if attempts remain`);
    throw error;
  }
}

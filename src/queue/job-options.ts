import type { JobsOptions, QueueOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';

/**
 * The retry policy, in one place. Transient failures back off exponentially
 * with jitter; permanent ones are turned into UnrecoverableError by run-job;
 * rate limits re-queue without using an attempt. Nothing below BullMQ
 * retries (the HTTP client never does), so attempts mean upstream requests.
 */
export function defaultJobOptions(config: Config): JobsOptions {
  return {
    attempts: config.service.attempts,
    backoff: { type: 'exponential', delay: config.service.retryBaseMs, jitter: 0.5 },
    // Kept long enough to inspect in the dashboard, bounded so Redis does not grow forever.
    removeOnComplete: { age: 7 * 86_400, count: 10_000 },
    removeOnFail: { age: 30 * 86_400, count: 10_000 },
  };
}

/** A producer's options for any of paperboy's queues: its connection, the prefix and the retry policy above. */
export function queueOptions(config: Config, connection: Redis): QueueOptions {
  return { connection, prefix: config.service.queuePrefix, defaultJobOptions: defaultJobOptions(config) };
}

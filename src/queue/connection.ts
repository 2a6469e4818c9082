import { Redis } from 'ioredis';

/**
 * Redis connections per BullMQ's guidance: a worker's connection retries
 * forever (maxRetriesPerRequest null), so a Redis restart pauses work instead
 * of failing jobs; a producer's fails fast (no offline queue), so a caller
 * adding a job while Redis is down hears about it at once.
 */
export function workerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

export function producerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
}

import type { Config } from '../config.ts';
import type { QUEUES } from '../queue/contracts.ts';
import type { JobHandler } from '../queue/queue-worker.ts';

/**
 * An upstream paperboy reads from, declared in one place: the hosts its
 * requests may go to and the queues its jobs run on (and how). Its request
 * budgets, when it has some, are a RedisRequestBudget keyed by its id. The
 * service wires workers, the HTTP allow-list, Bull Board and /metrics from
 * these declarations (src/upstreams/index.ts lists them), so a new upstream
 * is a declaration plus one line there; see README "Adding an upstream".
 */
export interface Upstream {
  /** Short id: the `source` of its digests, the `upstream` label of its metrics. */
  id: string;
  /** For people: logs and the dashboard. */
  name: string;
  /** The origins (scheme://host:port) its requests may go to: the HTTP client allows these and nothing else. */
  origins(config: Config): string[];
  /** The queues its jobs run on. */
  queues: readonly UpstreamQueue[];
}

export interface UpstreamQueue {
  name: (typeof QUEUES)[keyof typeof QUEUES];
  /** What Bull Board says about the queue. */
  description: string;
  /** Job name → handler. */
  handlers: Readonly<Record<string, JobHandler>>;
  /** Jobs one worker process runs at once. */
  concurrency(config: Config): number;
  /** BullMQ's limiter on the queue's jobs (each upstream says why it has one). */
  limiter?: { max: number; duration: number };
}

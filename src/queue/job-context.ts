import type { Queue } from 'bullmq';
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { RequestBudget } from '../domain/request-budget.ts';
import type { HttpClient } from '../http/http-client.ts';

/** What a job handler may use: shared, long-lived resources of the worker process. */
export interface JobContext {
  config: Config;
  pool: pg.Pool;
  http: HttpClient;
  /** Hugging Face's budgets, shared by every worker through Redis. */
  budget: RequestBudget;
  /** HTML page fetches (and schedule plans). */
  digests: Queue;
  /** JSON API fetches: the other budget bucket. */
  digestsApi: Queue;
  repos: Queue;
  backfills: Queue;
}

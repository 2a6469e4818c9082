import type { Queue } from 'bullmq';
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { HttpClient } from '../http/http-client.ts';

/** What a job handler may use: shared, long-lived resources of the worker process. */
export interface JobContext {
  config: Config;
  pool: pg.Pool;
  http: HttpClient;
  digests: Queue;
  repos: Queue;
  backfills: Queue;
}

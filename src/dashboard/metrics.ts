import type { Queue } from 'bullmq';
import type pg from 'pg';
import { Gauge, Registry } from 'prom-client';
import {
  countFetchesByOutcome,
  findLastSuccessfulFetchTimes,
  findRecentFetchDurations,
} from '../db/fetches.repository.ts';
import { listUpstreamLimits } from '../db/limits.repository.ts';
import { countPapers } from '../db/papers.repository.ts';
import type { BucketState, BudgetReader } from '../queue/request-budget.ts';

/**
 * Prometheus metrics, all read at scrape time from the shared state (Redis
 * queues, the Postgres audit trail), so the figures are the same whichever
 * process serves them and however many workers run.
 */
export function createMetricsRegistry(
  pool: pg.Pool,
  queues: readonly Queue[],
  budget: Pick<BudgetReader<string>, 'read'>,
): Registry {
  const registry = new Registry();
  // The four budget gauges are collected together on each scrape: they share one read of the buckets.
  let budgetRead: Promise<Array<BucketState<string>>> | undefined;
  const readBudget = () => (budgetRead ??= budget.read().finally(() => (budgetRead = undefined)));
  new Gauge({
    name: 'paperboy_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of queues) {
        const counts = await queue.getJobCounts(
          'waiting',
          'active',
          'delayed',
          'failed',
          'completed',
          'prioritized',
          'waiting-children',
        );
        for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
      }
    },
  });
  new Gauge({
    name: 'paperboy_fetches_total',
    help: 'Digest fetches recorded, by kind and outcome (monotonic: fetch rows are only appended)',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await countFetchesByOutcome(pool))
        this.set({ kind: row.kind, outcome: row.outcome }, row.count);
    },
  });
  new Gauge({
    name: 'paperboy_fetch_duration_seconds',
    help: 'Fetch-to-load duration over the last hour, by kind and quantile',
    labelNames: ['kind', 'quantile'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await findRecentFetchDurations(pool)) {
        this.set({ kind: row.kind, quantile: '0.5' }, row.p50Seconds);
        this.set({ kind: row.kind, quantile: '0.95' }, row.p95Seconds);
      }
    },
  });
  new Gauge({
    name: 'paperboy_last_successful_fetch_timestamp_seconds',
    help: 'Time of the last fetch that did not fail, by kind',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await findLastSuccessfulFetchTimes(pool)) this.set({ kind: row.kind }, row.epochSeconds);
    },
  });
  new Gauge({
    name: 'paperboy_upstream_rate_limit_remaining',
    help: 'Requests left in the budget an upstream last reported (GitHub x-ratelimit-remaining; Hugging Face RateLimit r=), by upstream and resource (HF: pages or api)',
    labelNames: ['upstream', 'resource'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await listUpstreamLimits(pool))
        this.set({ upstream: row.upstream, resource: row.resource }, row.remaining);
      for (const state of await readBudget()) {
        if (state.remaining !== undefined)
          this.set({ upstream: state.upstream, resource: state.bucket }, state.remaining);
      }
    },
  });
  const budgetGauge = (name: string, help: string, value: (state: BucketState<string>) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['upstream', 'resource'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const state of await readBudget())
          this.set({ upstream: state.upstream, resource: state.bucket }, value(state));
      },
    });
  budgetGauge(
    'paperboy_upstream_rate_limit_quota',
    "Requests per window the workers follow for a budget bucket (configured, or the server's RateLimit-Policy), by upstream and resource",
    (state) => state.policy.quota,
  );
  budgetGauge(
    'paperboy_upstream_rate_limit_window_seconds',
    'The window of that quota, in seconds',
    (state) => state.policy.windowMs / 1000,
  );
  budgetGauge(
    'paperboy_upstream_paused_seconds',
    'Seconds a budget bucket stays paused (RateLimit r=0 or a 429), 0 when it is not',
    (state) => (state.pausedUntil ? Math.max(0, (state.pausedUntil.getTime() - Date.now()) / 1000) : 0),
  );
  new Gauge({
    name: 'paperboy_papers',
    help: 'Papers in the database',
    registers: [registry],
    async collect() {
      this.set(await countPapers(pool));
    },
  });
  return registry;
}

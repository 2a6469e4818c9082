import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { Gauge as PromGauge, Registry, type GaugeConfiguration } from 'prom-client';
import {
  countFailedFetchesByClass,
  countFetchesByOutcome,
  findRecentFetchDurations,
} from '../db/fetches.repository.ts';
import { findLastGoodFetchByKind } from '../db/fetch-status.repository.ts';
import { listUpstreamLimits } from '../db/limits.repository.ts';
import { DIGEST_KINDS } from '../domain/digest-key.ts';
import { findPageStoreBytes } from '../db/pages.repository.ts';
import { countPapers } from '../db/papers.repository.ts';
import { countRepos } from '../db/repos.repository.ts';
import { InvalidPayloadError, LayoutChangedError } from '../errors.ts';
import type { BucketState, BudgetReader } from '../queue/request-budget.ts';
import { checkHealth, within } from './health-checks.ts';

/** The error classes of a page that no longer parses: always exported (0 included) for the layout alert. */
const PERMANENT_PARSE_FAILURES = [LayoutChangedError.name, InvalidPayloadError.name];

/** Longer than the 2 s health checks, well inside Prometheus's default 10 s scrape timeout. */
const COLLECT_TIMEOUT_MS = 5_000;

/**
 * A Gauge whose collect cannot fail the scrape: on an error or after
 * COLLECT_TIMEOUT_MS it exports no sample for that scrape (not even the 0 a
 * gauge without labels falls back to, which would read as "no papers"), so
 * Prometheus sees the series as absent (the dependency gauge says why)
 * instead of getting a 500 for every metric.
 */
class Gauge<T extends string = string> extends PromGauge<T> {
  #failed = false;

  constructor(configuration: GaugeConfiguration<T>) {
    const { collect } = configuration;
    super({
      ...configuration,
      collect: collect
        ? async function (this: PromGauge<T>) {
            // prom-client calls collect on the gauge itself: this one.
            const gauge = this as Gauge<T>;
            gauge.#failed = false;
            try {
              await within(Promise.resolve(collect.call(this)), COLLECT_TIMEOUT_MS);
            } catch {
              gauge.#failed = true;
            }
          }
        : undefined,
    });
  }

  override async get(): ReturnType<PromGauge<T>['get']> {
    const metric = await super.get();
    return this.#failed ? { ...metric, values: [] } : metric;
  }
}

/**
 * Prometheus metrics, all read at scrape time from the shared state (Redis
 * queues, the Postgres audit trail), so the figures are the same whichever
 * process serves them and however many workers run.
 *
 * A gauge whose source is down (or slow) is left empty rather than failing
 * the scrape: /metrics keeps answering during an outage, and
 * `paperboy_dependency_up` says which dependency is down, which the alert
 * rules (deploy/prometheus/paperboy.rules.yml) rely on.
 */
export function createMetricsRegistry(
  pool: pg.Pool,
  queues: readonly Queue[],
  budget: Pick<BudgetReader<string>, 'read'>,
  redis?: Pick<Redis, 'ping'>,
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
    name: 'paperboy_fetch_failures_total',
    help: 'Failed digest fetches, by kind and error class (LayoutChangedError: the page changed, a parser fix is needed); unknown for failures recorded before the class was',
    labelNames: ['kind', 'error_class'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await countFailedFetchesByClass(pool, PERMANENT_PARSE_FAILURES))
        this.set({ kind: row.kind, error_class: row.errorClass }, row.count);
    },
  });
  new Gauge({
    name: 'paperboy_queue_oldest_waiting_seconds',
    help: 'Age of the oldest job waiting in a queue (since it was added, or since its delay ended), 0 when none waits',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of queues) {
        // BullMQ's getWaiting reads the list oldest first: index 0 is the job that has waited longest.
        const [oldest] = await queue.getWaiting(0, 0);
        const since = oldest ? oldest.timestamp + (oldest.opts.delay ?? 0) : Date.now();
        this.set({ queue: queue.name }, Math.max(0, (Date.now() - since) / 1000));
      }
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
      // The status page's query: one probe of the good-fetch index per kind, not a pass over the trail per scrape.
      for (const fetch of await findLastGoodFetchByKind(pool, DIGEST_KINDS))
        this.set({ kind: fetch.kind }, fetch.fetchedAt.getTime() / 1000);
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
  new Gauge({
    name: 'paperboy_repos',
    help: 'GitHub repositories in the database',
    registers: [registry],
    async collect() {
      this.set(await countRepos(pool));
    },
  });
  new Gauge({
    name: 'paperboy_page_store_bytes',
    help: 'Bytes the stored page bodies take in Postgres (compressed, with TOAST and index)',
    registers: [registry],
    async collect() {
      this.set(await findPageStoreBytes(pool));
    },
  });
  new Gauge({
    name: 'paperboy_dependency_up',
    help: 'Whether a dependency answered a trivial request within 2 s (1) or not (0), by dependency: postgres, redis',
    labelNames: ['dependency'],
    registers: [registry],
    async collect() {
      this.reset();
      const checks = await checkHealth(pool, redis ?? { ping: async () => 'PONG' });
      this.set({ dependency: 'postgres' }, checks.postgres === 'ok' ? 1 : 0);
      if (redis) this.set({ dependency: 'redis' }, checks.redis === 'ok' ? 1 : 0);
    },
  });
  return registry;
}

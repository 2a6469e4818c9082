import { Queue, type Job, type QueueOptions, type Worker } from 'bullmq';
import type { Config } from '../config.ts';
import { migrateUp } from '../db/migrate.ts';
import { createPool } from '../db/pool.ts';
import type { Logger } from '../logger.ts';
import { assertRedisReachable, producerConnection, RedisOutageLog } from '../queue/connection.ts';
import { JOBS, QUEUES, queueNamed, type PaperboyQueues, type PlanSchedulePayload } from '../queue/contracts.ts';
import { queueOptions } from '../queue/job-options.ts';
import { scheduleDefinitions, syncSchedulers } from '../queue/schedules.ts';
import { resolveConfiguredDatabase, resolveRedis } from '../infra/resolve-services.ts';
import { createUpstreamClient } from '../runtime.ts';
import type { DashboardServer } from '../dashboard/server.ts';
import { assertSafeBinding } from '../dashboard/security.ts';
import { backfillJob } from '../../jobs/backfill.ts';
import { upstreamQueues } from '../upstreams/index.ts';
import { refreshBackfillProgress } from '../queue/backfill-flow.ts';
import { startQueueWorker } from '../queue/queue-worker.ts';
import { hfRequestBudget } from '../queue/request-budget.ts';

export type Role = 'worker' | 'schedule' | 'dashboard';

export interface RunningService {
  /** The dashboard's base URL, when this process serves it. */
  dashboardUrl: string | undefined;
  /** Stops taking jobs, lets active ones finish (up to the grace period), closes everything. */
  shutdown(reason: string): Promise<void>;
}

/**
 * Starts the given roles in this process, sharing one Postgres pool, one
 * HTTP client and one Redis. `start` runs all three; `worker`, `schedule`
 * and `dashboard` run one each, for docker compose and for scaling workers
 * (they share nothing but Redis and Postgres).
 */
export async function startService(roles: ReadonlySet<Role>, config: Config, logger: Logger): Promise<RunningService> {
  const cleanups: Array<() => Promise<unknown>> = [];
  // Every connection of this process reports to one outage log: one warning per outage, not per attempt.
  const outages = new RedisOutageLog(logger);
  const runCleanups = async () => {
    outages.stop();
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: Error) => logger.warn({ err: error }, 'error while shutting down'));
    cleanups.length = 0;
  };
  try {
    // Before anything starts: an unsafe dashboard binding is a configuration error.
    if (roles.has('dashboard')) assertSafeBinding(config.dashboard.host, config.dashboard);
    // Redis first: when it is not there, say so before starting anything else.
    // Embedded servers out of the terminal's process group: a Ctrl-C reaches this process alone, which stops
    // them after its jobs have drained.
    const redis = await resolveRedis(config.redisUrl, config.dataDir, logger, { ownProcessGroup: true });
    cleanups.push(redis.close);
    await assertRedisReachable(redis.url);
    const database = await resolveConfiguredDatabase(config, logger, { ownProcessGroup: true });
    cleanups.push(database.close);
    await migrateUp(database.url, logger);
    const pool = createPool(database.url, logger);
    cleanups.push(() => pool.end());
    const queueConnection = producerConnection(redis.url);
    cleanups.push(async () => queueConnection.disconnect());
    outages.watch(queueConnection);
    outages.listen(queueConnection, {}, 'Redis error');
    const options = queueOptions(config, queueConnection);
    const queues = openQueues(options);
    const { digests, backfills } = queues;
    cleanups.push(...Object.values(queues).map((queue) => () => queue.close()));
    // The shared connection fails commands fast while not ready (no offline queue): be ready before serving.
    await Promise.all(Object.values(queues).map((queue) => queue.waitUntilReady()));
    // A queue without an 'error' listener prints every failed reconnection (BullMQ's console.error).
    for (const queue of Object.values(queues)) outages.listen(queue, { queue: queue.name }, 'queue error');

    if (roles.has('schedule')) {
      const definitions = scheduleDefinitions(config);
      await syncSchedulers(digests, definitions, config.service.tz, logger);
      // A cron scheduler's first tick can be half an hour away: plan the recent days now.
      if (definitions.some((definition) => definition.name === 'daily-recent')) {
        const kickoff: PlanSchedulePayload = { schedule: 'daily-recent' };
        await digests.add(JOBS.planSchedule, kickoff, { deduplication: { id: 'plan-daily-recent-on-start' } });
      }
    }
    if (roles.has('worker')) {
      // Only workers reach upstream; the dashboard and the schedule role need no HTTP client.
      const http = createUpstreamClient(config);
      cleanups.push(() => http.close());
      const budget = hfRequestBudget(queueConnection, config, logger);
      const context = { config, pool, http, budget, ...queues };
      // Each upstream's queues, as its declaration says (src/upstreams/): one worker per queue.
      const upstreamWorkers = upstreamQueues().map((declared) =>
        startQueueWorker({
          redisUrl: redis.url,
          queue: queueNamed(queues, declared.name),
          handlers: declared.handlers,
          context,
          logger,
          concurrency: declared.concurrency(config),
          outages,
          ...(declared.limiter ? { limiter: declared.limiter } : {}),
        }),
      );
      const workers = [
        ...upstreamWorkers,
        startQueueWorker({
          redisUrl: redis.url,
          queue: backfills,
          // Bull Board's Add-job dialog names a job "__default__" unless told otherwise.
          handlers: { [JOBS.backfill]: backfillJob, __default__: backfillJob },
          context,
          logger,
          // A backfill only plans and adds children; its fetches obey their bucket's budget.
          concurrency: 2,
          outages,
        }),
      ];
      // Backfill children are fetch-digest jobs: their workers keep the backfills' progress current.
      const fetchWorkers = upstreamWorkers.filter((queueWorker) => queueWorker.handles(JOBS.fetchDigest));
      const stopProgress = reportBackfillProgress(
        fetchWorkers.map((queueWorker) => queueWorker.worker),
        backfills,
        logger,
      );
      cleanups.push(async () => stopProgress());
      for (const queueWorker of workers) {
        cleanups.push(() => queueWorker.close(config.service.shutdownGraceMs));
        await queueWorker.worker.waitUntilReady();
      }
      logger.info(
        { concurrency: config.service.concurrency, hfBudgets: config.hf.budgets },
        'workers started on the digests, digests-api, repos and backfills queues',
      );
    }
    let dashboard: DashboardServer | undefined;
    if (roles.has('dashboard')) {
      // Loaded here only: a worker process never needs Express, Bull Board or prom-client in memory.
      const [{ startDashboardServer }, { createMetricsRegistry }] = await Promise.all([
        import('../dashboard/server.ts'),
        import('../dashboard/metrics.ts'),
      ]);
      const budgetReader = hfRequestBudget(queueConnection, config, logger);
      dashboard = await startDashboardServer({
        ...config.dashboard,
        hfBaseUrl: config.hf.baseUrl,
        savedSearches: config.service.savedSearches,
        backfillMaxKeys: config.service.backfillMaxKeys,
        pool,
        redis: queueConnection,
        queues,
        budget: budgetReader,
        metrics: createMetricsRegistry(pool, Object.values(queues), budgetReader, queueConnection),
        logger,
      });
      cleanups.push(() => dashboard!.close());
      logger.info(
        { url: dashboard.url },
        `dashboard at ${dashboard.url} (health: ${dashboard.url}/healthz, metrics: ${dashboard.url}/metrics)`,
      );
    }
    return {
      dashboardUrl: dashboard?.url,
      async shutdown(reason: string) {
        logger.info({ reason }, 'shutting down');
        await runCleanups();
        logger.info('shut down cleanly');
      },
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

/** A producer handle on every queue of QUEUES. */
function openQueues(options: QueueOptions): PaperboyQueues {
  const entries = Object.entries(QUEUES).map(([key, name]) => [key, new Queue(name, options)] as const);
  return Object.fromEntries(entries) as unknown as PaperboyQueues;
}

/** How often, at most, a running backfill's progress is rewritten. */
const PROGRESS_EVERY_MS = 1_000;

/**
 * Keeps a backfill's progress (shown by Bull Board) current as its fetches
 * finish: at most once a second per backfill (reading the parent's counts
 * after every child would cost more than the child's own bookkeeping).
 * Returns a function that cancels the refreshes still scheduled.
 */
function reportBackfillProgress(digestWorkers: Worker[], backfills: Queue, logger: Logger): () => void {
  const backfillQueueKey = backfills.qualifiedName;
  const scheduled = new Map<string, NodeJS.Timeout>();
  const refresh = (job: Job | undefined) => {
    const parent = job?.parent;
    if (!parent?.id || parent.queueKey !== backfillQueueKey || scheduled.has(parent.id)) return;
    const backfillId = parent.id;
    const timer = setTimeout(() => {
      scheduled.delete(backfillId);
      refreshBackfillProgress(backfills, backfillId).catch((error: Error) =>
        logger.warn({ err: error, backfill: backfillId }, 'could not update backfill progress'),
      );
    }, PROGRESS_EVERY_MS);
    scheduled.set(backfillId, timer.unref());
  };
  for (const worker of digestWorkers) {
    worker.on('completed', refresh);
    worker.on('failed', refresh);
  }
  return () => {
    for (const timer of scheduled.values()) clearTimeout(timer);
    scheduled.clear();
  };
}

/** Runs until SIGTERM or SIGINT, then shuts down and resolves (the caller exits 0). */
export async function runUntilSignalled(service: RunningService, logger: Logger): Promise<void> {
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      service.shutdown(signal).then(resolve, (error: Error) => {
        logger.error({ err: error }, 'shutdown failed');
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

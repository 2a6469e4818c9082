import { Queue } from 'bullmq';
import type { Config } from '../config.ts';
import { migrateUp } from '../db/migrate.ts';
import { createPool } from '../db/pool.ts';
import { HttpClient } from '../http/http-client.ts';
import type { Logger } from '../logger.ts';
import { producerConnection } from '../queue/connection.ts';
import { JOBS, QUEUES, type PlanSchedulePayload } from '../queue/contracts.ts';
import { defaultJobOptions } from '../queue/job-options.ts';
import { scheduleDefinitions, syncSchedulers } from '../queue/schedules.ts';
import { resolveDatabase, resolveRedis } from '../runtime.ts';
import { startDashboardServer, type DashboardServer } from './dashboard-server.ts';
import { startDigestWorker } from './digest-worker.ts';
import { createMetricsRegistry } from './metrics.ts';

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
  const runCleanups = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: Error) => logger.warn({ err: error }, 'error while shutting down'));
    cleanups.length = 0;
  };
  try {
    const database = await resolveDatabase(config, logger);
    cleanups.push(database.close);
    const redis = await resolveRedis(config, logger);
    cleanups.push(redis.close);
    await migrateUp(database.url, logger);
    const pool = createPool(database.url, logger);
    cleanups.push(() => pool.end());
    const http = new HttpClient({ ...config.http, allowedOrigins: [config.hf.baseUrl, config.github.apiUrl] });
    cleanups.push(() => http.close());
    const queueConnection = producerConnection(redis.url);
    cleanups.push(async () => queueConnection.disconnect());
    const digests = new Queue(QUEUES.digests, {
      connection: queueConnection,
      prefix: config.service.queuePrefix,
      defaultJobOptions: defaultJobOptions(config),
    });
    cleanups.push(() => digests.close());

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
      const digestWorker = startDigestWorker(redis.url, { config, pool, http, digests }, digests, logger);
      cleanups.push(() => digestWorker.close(config.service.shutdownGraceMs));
      await digestWorker.worker.waitUntilReady();
      logger.info({ concurrency: config.service.concurrency, hfRate: config.service.hfRate }, 'worker started on the digests queue');
    }
    let dashboard: DashboardServer | undefined;
    if (roles.has('dashboard')) {
      dashboard = await startDashboardServer({
        ...config.dashboard,
        pool,
        redis: queueConnection,
        metrics: createMetricsRegistry(pool, [digests]),
        logger,
      });
      cleanups.push(() => dashboard!.close());
      logger.info({ url: dashboard.url }, `dashboard at ${dashboard.url} (health: ${dashboard.url}/healthz, metrics: ${dashboard.url}/metrics)`);
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

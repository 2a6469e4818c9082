import type { Config } from '../config.ts';
import { redactUrl, type Logger } from '../logger.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { startEmbeddedRedis } from './embedded-redis.ts';

/** A connection URL and how to release what was started to provide it. */
export interface ServiceHandle {
  url: string;
  close(): Promise<void>;
}

/**
 * `url` when set (named `variable` in the debug log); otherwise the embedded
 * Postgres in `dataDir`, on `port` (a free one when not given). Used by the
 * service and CLI (DATABASE_URL, PAPERBOY_EMBEDDED_PG_PORT), the test set-up
 * and the benchmark (their own variables, any free port).
 */
export async function resolveDatabase(
  url: string | undefined,
  dataDir: string,
  logger: Logger,
  options: { variable?: string; port?: number; ownProcessGroup?: boolean } = {},
): Promise<ServiceHandle> {
  const { variable = 'DATABASE_URL', ...embeddedOptions } = options;
  return configuredOr(url, { variable, field: 'databaseUrl' }, logger, async () => {
    const embedded = await startEmbeddedPostgres(dataDir, logger, embeddedOptions);
    return { url: embedded.databaseUrl, close: embedded.stop };
  });
}

/**
 * The database the configuration names: DATABASE_URL, else the embedded
 * Postgres on its configured port (see startEmbeddedPostgres for `ownProcessGroup`).
 */
export async function resolveConfiguredDatabase(
  config: Config,
  logger: Logger,
  options: { ownProcessGroup?: boolean } = {},
): Promise<ServiceHandle> {
  return resolveDatabase(config.databaseUrl, config.dataDir, logger, { ...options, port: config.embeddedPostgresPort });
}

/**
 * `url` when set (named `variable` in the debug log); otherwise a redis-server
 * from PATH, its data in `dataDir` (see startEmbeddedPostgres for `ownProcessGroup`).
 */
export async function resolveRedis(
  url: string | undefined,
  dataDir: string,
  logger: Logger,
  options: { variable?: string; ownProcessGroup?: boolean } = {},
): Promise<ServiceHandle> {
  const { variable = 'REDIS_URL', ownProcessGroup } = options;
  return configuredOr(url, { variable, field: 'redisUrl' }, logger, async () => {
    const embedded = await startEmbeddedRedis(dataDir, logger, { ownProcessGroup });
    return { url: embedded.redisUrl, close: embedded.stop };
  });
}

/** A configured URL is someone else's server: nothing to close. */
async function configuredOr(
  url: string | undefined,
  name: { variable: string; field: string },
  logger: Logger,
  start: () => Promise<ServiceHandle>,
): Promise<ServiceHandle> {
  if (!url) return start();
  logger.debug({ [name.field]: redactUrl(url) }, `using ${name.variable}`);
  return { url, close: async () => undefined };
}

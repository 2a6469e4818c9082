import type { Config } from './config.ts';
import { HttpClient } from './http/http-client.ts';
import { allowedOrigins } from './upstreams/index.ts';
import { startEmbeddedPostgres } from './infra/embedded-postgres.ts';
import { startEmbeddedRedis } from './infra/embedded-redis.ts';
import { redactUrl, type Logger } from './logger.ts';

/** A connection URL and how to release what was started to provide it. */
export interface ServiceHandle {
  url: string;
  close(): Promise<void>;
}

/** The one HTTP client for the upstreams: only their declared origins (HF_BASE_URL, GITHUB_API_URL) are allowed. */
export function createUpstreamClient(config: Config): HttpClient {
  return new HttpClient({ ...config.http, allowedOrigins: allowedOrigins(config) });
}

/** DATABASE_URL when set; otherwise the embedded Postgres in PAPERBOY_DATA_DIR. */
export async function resolveDatabase(config: Config, logger: Logger): Promise<ServiceHandle> {
  if (config.databaseUrl) {
    logger.debug({ databaseUrl: redactUrl(config.databaseUrl) }, 'using DATABASE_URL');
    return { url: config.databaseUrl, close: async () => undefined };
  }
  const embedded = await startEmbeddedPostgres(config.dataDir, logger);
  return { url: embedded.databaseUrl, close: embedded.stop };
}

/** REDIS_URL when set; otherwise a redis-server from PATH with its data in PAPERBOY_DATA_DIR. */
export async function resolveRedis(config: Config, logger: Logger): Promise<ServiceHandle> {
  if (config.redisUrl) {
    logger.debug({ redisUrl: redactUrl(config.redisUrl) }, 'using REDIS_URL');
    return { url: config.redisUrl, close: async () => undefined };
  }
  const embedded = await startEmbeddedRedis(config.dataDir, logger);
  return { url: embedded.redisUrl, close: embedded.stop };
}

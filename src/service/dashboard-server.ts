import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import { handleApiRequest } from './api-routes.ts';

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

/**
 * The dashboard's HTTP server: `/healthz` (Redis and Postgres both answer:
 * 200, else 503 naming what is down), `/metrics` (Prometheus text format) and
 * the read-only JSON API under `/api/`.
 */
export async function startDashboardServer(options: {
  host: string;
  port: number;
  pool: pg.Pool;
  redis: Redis;
  metrics: Registry;
  logger: Logger;
}): Promise<DashboardServer> {
  const { pool, redis, metrics, logger } = options;
  const server = http.createServer(async (request, response) => {
    const requestUrl = new URL(request.url ?? '/', 'http://localhost');
    const path = requestUrl.pathname;
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (path === '/healthz') {
        const checks = await healthChecks(pool, redis);
        const healthy = Object.values(checks).every((check) => check === 'ok');
        response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: healthy ? 'ok' : 'unavailable', checks }));
      } else if (path === '/metrics') {
        const body = await metrics.metrics();
        response.writeHead(200, { 'content-type': metrics.contentType }).end(body);
      } else if (path.startsWith('/api/')) {
        const api = (await handleApiRequest(pool, path, requestUrl.searchParams)) ?? { status: 404, body: { error: 'no such API path' } };
        response.writeHead(api.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(api.body));
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (error) {
      logger.error({ err: error, path }, 'dashboard request failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const CHECK_TIMEOUT_MS = 2_000;

async function healthChecks(pool: pg.Pool, redis: Redis): Promise<Record<'postgres' | 'redis', string>> {
  const within = <T>(work: Promise<T>) =>
    Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS).unref())]);
  const [postgres, redisCheck] = await Promise.allSettled([within(pool.query('select 1')), within(redis.ping())]);
  const describe = (result: PromiseSettledResult<unknown>) => (result.status === 'fulfilled' ? 'ok' : `down: ${(result.reason as Error).message}`);
  return { postgres: describe(postgres), redis: describe(redisCheck) };
}

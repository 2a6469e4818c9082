import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Registry } from 'prom-client';
import { SetupError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { PaperboyQueues } from '../queue/contracts.ts';
import type { BudgetReader } from '../queue/request-budget.ts';
import { handleApiRequest } from './api-routes.ts';
import { handleAssetRequest } from './assets.ts';
import { handleBrowseRequest, type BrowseRoutes } from './browse-routes.ts';
import { FormTooLargeError, handleBackfillRequest, type BackfillRoutes } from './backfill-routes.ts';
import { BULL_BOARD_PATH, createBullBoardListener } from './bull-board.ts';
import { handleFeedRequest, tokenOpens, type FeedRoutes } from './feed-routes.ts';
import { createFeedTokens } from './feed-tokens.ts';
import { checkHealth } from './health-checks.ts';
import { CONTENT_SECURITY_POLICY } from './content-security-policy.ts';
import { handleStatusRequest, type StatusRoutes } from './status-routes.ts';
import {
  assertSafeBinding,
  checkCredentials,
  checkWrite,
  createCsrfTokens,
  isWrite,
  type DashboardAccess,
} from './security.ts';

export interface DashboardServer {
  url: string;
  close(): Promise<void>;
}

export interface DashboardOptions {
  host: string;
  port: number;
  credentials: DashboardAccess['credentials'];
  readOnly: boolean;
  /** Keys the feeds' tokens (config.dashboard.feedSecret); the password's when unset. */
  feedSecret: string | undefined;
  /** Hugging Face's base URL (the feeds' links) and the saved searches (each has feeds). */
  hfBaseUrl: string;
  savedSearches: readonly string[];
  backfillMaxKeys: number;
  pool: pg.Pool;
  redis: Redis;
  queues: PaperboyQueues;
  metrics: Registry;
  /** Where Hugging Face's budgets stand: for backfills' estimated time left. */
  budget: BudgetReader;
  logger: Logger;
}

/**
 * The dashboard's HTTP server. Open to all: `/healthz` (Redis and Postgres
 * both answer: 200, else 503 naming what is down) and `/metrics`
 * (Prometheus). Behind credentials: `/` (the status page), `/backfills`, `/queues`
 * (Bull Board), the JSON API under `/api/` and `/feeds`; a feed under
 * `/feeds/` opens with the credentials or with its own token. Every write
 * must come from this dashboard's own pages and is refused in read-only mode.
 *
 * @throws ConfigError when bound to a non-loopback address without credentials.
 * @throws SetupError when the port is in use or the address cannot be listened on.
 */
export async function startDashboardServer(options: DashboardOptions): Promise<DashboardServer> {
  const { pool, redis, metrics, logger, queues } = options;
  const access: DashboardAccess = { credentials: options.credentials, readOnly: options.readOnly };
  assertSafeBinding(options.host, access);
  const bullBoard = createBullBoardListener(queues, { readOnly: access.readOnly });
  const backfillRoutes: BackfillRoutes = {
    backfills: queues.backfills,
    queues,
    budget: options.budget,
    csrf: createCsrfTokens(access),
    readOnly: access.readOnly,
    maxKeys: options.backfillMaxKeys,
  };
  const credentials = access.credentials;
  const feedRoutes: FeedRoutes = {
    pool,
    hfBaseUrl: options.hfBaseUrl,
    savedSearches: options.savedSearches,
    tokens: credentials && createFeedTokens({ ...credentials, secret: options.feedSecret }),
  };
  const browseRoutes: BrowseRoutes = { pool, hfBaseUrl: options.hfBaseUrl, savedSearches: options.savedSearches };
  const statusRoutes: StatusRoutes = { pool, queues, budget: options.budget };
  // Every failure is answered inside `route` (a 500 at worst), so nothing is left for Node to reject.
  const route = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    let path = request.url ?? '/';
    // Every response, ours, Bull Board's and refusals alike: nothing but this origin may be loaded.
    response.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    try {
      const requestUrl = new URL(path, 'http://localhost');
      path = requestUrl.pathname;
      if (path === '/healthz' || path === '/metrics') {
        if (isWrite(request)) return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
        return void (await (path === '/healthz' ? sendHealth(response, pool, redis) : sendMetrics(response, metrics)));
      }
      // A feed's token stands in for the credentials on that feed alone, and for reading only.
      const feedToken = feedRoutes.tokens && !isWrite(request) && tokenOpens(requestUrl, feedRoutes.tokens);
      const refusal = feedToken
        ? undefined
        : (checkCredentials(request, access) ?? (isWrite(request) ? checkWrite(request, access) : undefined));
      if (refusal) {
        if (refusal.status !== 401)
          logger.warn(
            { path, method: request.method, status: refusal.status },
            `dashboard request refused: ${refusal.message}`,
          );
        return void response
          .writeHead(refusal.status, { 'content-type': 'text/plain; charset=utf-8', ...refusal.headers })
          .end(`${refusal.message}\n`);
      }
      if (await handleStatusRequest(request, response, requestUrl, statusRoutes)) {
        // handled
      } else if (!isWrite(request) && handleAssetRequest(path, response)) {
        // handled
      } else if (path === BULL_BOARD_PATH || path.startsWith(`${BULL_BOARD_PATH}/`)) {
        bullBoard(request, response);
      } else if (await handleBackfillRequest(request, response, requestUrl, backfillRoutes)) {
        // handled
      } else if (await handleFeedRequest(request, response, requestUrl, feedRoutes)) {
        // handled
      } else if (await handleBrowseRequest(request, response, requestUrl, browseRoutes)) {
        // handled
      } else if (path.startsWith('/api/') && !isWrite(request)) {
        const api = (await handleApiRequest(pool, path, requestUrl.searchParams)) ?? {
          status: 404,
          body: { error: 'no such API path' },
        };
        response
          .writeHead(api.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
          .end(JSON.stringify(api.body));
      } else {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (error) {
      if (error instanceof FormTooLargeError)
        return void response.writeHead(413, { 'content-type': 'text/plain' }).end(`${error.message}\n`);
      logger.error({ err: error, path }, 'dashboard request failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    }
  };
  const server = http.createServer((request, response) => void route(request, response));
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(cannotListen(error, `${host}:${options.port}`)));
    server.listen(options.port, options.host, () => resolve());
  });
  if (!access.credentials)
    logger.warn(
      'the dashboard has no credentials (DASHBOARD_USER / DASHBOARD_PASSWORD): anyone on this machine can use it',
    );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Why a listen failed, said as what to change, for the errors an operator can fix. */
const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the port is in use (EADDRINUSE); stop what uses it or set DASHBOARD_PORT',
  EACCES: 'this user may not use the port (EACCES); set DASHBOARD_PORT to one above 1023',
  EADDRNOTAVAIL: 'the address is not one of this machine (EADDRNOTAVAIL); set DASHBOARD_HOST',
};

/** A SetupError (one line, exit 1) for a listen failure an operator can fix; any other error as it is. */
function cannotListen(error: NodeJS.ErrnoException, where: string): Error {
  const reason = LISTEN_FAILURES[error.code ?? ''];
  return reason ? new SetupError(`cannot listen on ${where}: ${reason}`) : error;
}

async function sendHealth(response: http.ServerResponse, pool: pg.Pool, redis: Redis): Promise<void> {
  const checks = await checkHealth(pool, redis);
  const healthy = Object.values(checks).every((check) => check === 'ok');
  response
    .writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' })
    .end(JSON.stringify({ status: healthy ? 'ok' : 'unavailable', checks }));
}

async function sendMetrics(response: http.ServerResponse, metrics: Registry): Promise<void> {
  const body = await metrics.metrics();
  response.writeHead(200, { 'content-type': metrics.contentType }).end(body);
}

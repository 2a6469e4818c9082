import { Redis } from 'ioredis';
import { SetupError } from '../errors.ts';
import { redactUrl, type Logger } from '../logger.ts';

/**
 * Redis connections per BullMQ's guidance: a worker's connection retries
 * forever (maxRetriesPerRequest null), so a Redis restart pauses work instead
 * of failing jobs; a producer's fails fast (no offline queue), so a caller
 * adding a job while Redis is down hears about it at once.
 */
export function workerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

export function producerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
}

/** How long a command waits for Redis to answer at start before saying it is not there. */
const REDIS_CONNECT_TIMEOUT_MS = 5_000;

/**
 * The first thing every Redis user does: one bounded connect and PING, so
 * that "Redis is not there" is one line naming the server (password hidden)
 * and exit 1, not a connection retrying forever. Whoever runs paperboy (a
 * supervisor, compose's restart policy, a person) starts it again once Redis
 * is up; a running worker that loses Redis later keeps retrying instead.
 *
 * @throws SetupError when Redis does not answer, or refuses these credentials.
 */
export async function assertRedisReachable(url: string, timeoutMs = REDIS_CONNECT_TIMEOUT_MS): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Reported below, once (an unlistened 'error' event would print every attempt); it names the cause
  // ("connect ECONNREFUSED …") where the rejected connect only says the connection closed.
  let cause: Error | undefined;
  client.on('error', (error: Error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (rejection) {
    const error = cause ?? (rejection as Error);
    const code = (error as { code?: string }).code;
    throw new SetupError(
      `cannot use Redis at ${redactUrl(url)} (${code ? `${code}: ` : ''}${error.message}); start it, or fix REDIS_URL, then run paperboy again`,
    );
  } finally {
    client.disconnect();
  }
}

/**
 * Logs a Redis outage once, when it starts, and once more when Redis is back,
 * however many connections a process has and however many times each
 * retries in between (a worker's connections retry forever, and every
 * attempt of every connection is an 'error' event).
 */
export class RedisOutageLog {
  private down = false;

  constructor(private readonly logger: Logger) {}

  /** Follows a connection: its return to 'ready' ends an outage. */
  watch(connection: Redis): void {
    connection.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      this.logger.info('Redis is back: carrying on');
    });
  }

  private stopped = false;

  /** Shutting down: connections closing under their own commands are expected, not errors (nor outages). */
  stop(): void {
    this.stopped = true;
  }

  /** Sends an emitter's 'error' events here: a lost connection once per outage, anything else as an error. */
  listen(
    emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
    where: Record<string, unknown>,
    what: string,
  ): void {
    emitter.on('error', (error: Error) => {
      if (!this.report(error, where)) this.logger.error({ ...where, err: error }, what);
    });
  }

  /** True when the error is a lost connection (then logged at most once per outage); false for anything else. */
  report(error: Error, where: Record<string, unknown> = {}): boolean {
    if (this.stopped) return true;
    const code = (error as { code?: string }).code;
    if (code === undefined || !CONNECTION_CODES.has(code)) return false;
    if (!this.down)
      this.logger.warn(
        { ...where, err: error.message },
        'lost Redis: retrying until it is back (logged once per outage)',
      );
    this.down = true;
    return true;
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

import { Agent, errors as undiciErrors, request } from 'undici';
import { setOwn } from '../domain/own-keys.ts';
import { PermanentError, RateLimitedError, TransientError } from '../errors.ts';

export interface HttpClientOptions {
  userAgent: string;
  timeoutMs: number;
  maxBodyBytes: number;
  /** Origins (scheme://host:port) this client may contact; anything else is refused before connecting. */
  allowedOrigins: readonly string[];
}

export interface HttpResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  /** Raw bytes: decoding is the caller's choice. Empty for 3xx/304. */
  body: Buffer;
}

export interface RequestOptions {
  /**
   * Statuses returned to the caller (with their body) instead of being turned
   * into errors: for upstreams whose error answers carry meaning (GitHub's
   * 403 rate limits, 404s that mark a repository gone, 301 renames).
   */
  passStatuses?: ReadonlySet<number>;
}

/** When no header says how long, wait this long after a rate limit (GitHub asks for at least a minute). */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * One keep-alive connection pool for every upstream request, with timeouts,
 * a body-size cap and an origin allow-list. It never follows redirects and
 * never retries: callers decide what a redirect means, and retries happen in
 * exactly one layer above (the job runner).
 *
 * Status codes map to the error classes of errors.ts: 429 → RateLimitedError;
 * 5xx, timeouts, resets and truncated bodies → TransientError; other 4xx →
 * PermanentError. 2xx and 3xx are returned.
 */
export class HttpClient {
  private readonly agent: Agent;
  private readonly allowedOrigins: Set<string>;
  /** One controller per request in flight, so a shutdown can abort them. */
  private readonly inFlight = new Set<AbortController>();

  constructor(private readonly options: HttpClientOptions) {
    this.agent = new Agent({
      connections: 8,
      keepAliveTimeout: 10_000,
      connectTimeout: Math.min(options.timeoutMs, 10_000),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    this.allowedOrigins = new Set(options.allowedOrigins.map((origin) => new URL(origin).origin));
  }

  /**
   * @throws PermanentError for a host not on the allow-list, a 4xx, or a body over the cap.
   * @throws RateLimitedError for a 429.
   * @throws TransientError for a 5xx, a timeout, a reset or a truncated body.
   */
  async get(url: string, headers: Record<string, string> = {}, options: RequestOptions = {}): Promise<HttpResponse> {
    return this.request('GET', url, headers, undefined, options);
  }

  /** A POST with a JSON body (GitHub GraphQL); same limits, classification and allow-list as get(). */
  async postJson(
    url: string,
    body: unknown,
    headers: Record<string, string> = {},
    options: RequestOptions = {},
  ): Promise<HttpResponse> {
    return this.request('POST', url, { 'content-type': 'application/json', ...headers }, JSON.stringify(body), options);
  }

  private async request(
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    options: RequestOptions,
  ): Promise<HttpResponse> {
    const target = new URL(url);
    if (!this.allowedOrigins.has(target.origin)) {
      throw new PermanentError(
        `refusing to fetch ${target.origin}: not an allowed upstream (${[...this.allowedOrigins].join(', ')})`,
      );
    }
    const controller = new AbortController();
    this.inFlight.add(controller);
    // One deadline for the whole exchange, headers and body together: undici's own timeouts are
    // idle timeouts, which a body trickling in a byte at a time never trips.
    const deadline = setTimeout(
      () =>
        controller.abort(
          new TransientError(
            `${url} timed out: no complete answer within ${this.options.timeoutMs} ms (PAPERBOY_HTTP_TIMEOUT_MS, headers and body together); retry later`,
          ),
        ),
      this.options.timeoutMs,
    );
    try {
      return await this.send(method, target, url, headers, body, options, controller.signal);
    } catch (error) {
      // An aborted request surfaces as undici's own abort error: the reason given is the one to report.
      if (controller.signal.aborted && controller.signal.reason instanceof Error) throw controller.signal.reason;
      throw error;
    } finally {
      clearTimeout(deadline);
      this.inFlight.delete(controller);
    }
  }

  private async send(
    method: 'GET' | 'POST',
    target: URL,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    options: RequestOptions,
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(target, {
        method,
        body,
        dispatcher: this.agent,
        signal,
        headers: { 'user-agent': this.options.userAgent, accept: 'text/html,application/json;q=0.9', ...headers },
      });
    } catch (error) {
      throw classifyNetworkError(error, url);
    }
    const responseHeaders = flattenHeaders(response.headers);
    const { statusCode } = response;
    if ((statusCode >= 300 || statusCode < 200) && !options.passStatuses?.has(statusCode)) {
      // Drain so the connection can be reused; the body of an error page is not needed.
      await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      throwForStatus(statusCode, responseHeaders, url);
      return { url, status: statusCode, headers: responseHeaders, body: Buffer.alloc(0) };
    }
    const encoding = responseHeaders['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      // Nothing is asked for compressed (no Accept-Encoding): a compressed body is an upstream
      // misbehaving, and reading it as the page would look like a truncated or garbled page.
      await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined);
      throw new PermanentError(
        `${url} answered with an unexpected content encoding "${encoding}" (none was asked for)`,
      );
    }
    const responseBody = await this.readCappedBody(response.body, responseHeaders, url);
    return { url, status: statusCode, headers: responseHeaders, body: responseBody };
  }

  /**
   * Lets requests in flight finish for up to `graceMs`, then aborts them: a
   * shutdown must not hang on an upstream that stopped answering.
   */
  async close(graceMs = 1_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      this.agent.close().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (!closed) {
      this.abortInFlight();
      await this.agent.destroy();
    }
  }

  /** Aborts every request in flight; each fails with a TransientError (so its job is retried later). */
  abortInFlight(): void {
    for (const controller of this.inFlight) controller.abort(new TransientError('aborted: paperboy is shutting down'));
  }

  private async readCappedBody(
    body: AsyncIterable<Buffer> & { destroy(error?: Error): void },
    headers: Record<string, string>,
    url: string,
  ): Promise<Buffer> {
    const cap = this.options.maxBodyBytes;
    const declared = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
    if (declared !== undefined && declared > cap) {
      body.destroy();
      throw new PermanentError(
        `${url} declares a ${declared}-byte body, over the ${cap}-byte cap (PAPERBOY_MAX_BODY_BYTES)`,
      );
    }
    const chunks: Buffer[] = [];
    let received = 0;
    try {
      for await (const chunk of body) {
        received += chunk.length;
        if (received > cap) {
          body.destroy();
          throw new PermanentError(
            `${url} sent more than the ${cap}-byte cap (PAPERBOY_MAX_BODY_BYTES); body discarded`,
          );
        }
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof PermanentError) throw error;
      throw classifyNetworkError(error, url);
    }
    if (declared !== undefined && received !== declared) {
      throw new TransientError(`${url} body truncated: received ${received} of ${declared} bytes`);
    }
    return Buffer.concat(chunks, received);
  }
}

function throwForStatus(status: number, headers: Record<string, string>, url: string): void {
  if (status === 429) {
    const waitMs = parseRetryAfter(headers['retry-after']) ?? DEFAULT_RATE_LIMIT_WAIT_MS;
    throw new RateLimitedError(
      `${url} answered 429 Too Many Requests; retry in ${Math.ceil(waitMs / 1000)} s`,
      waitMs,
      headers,
    );
  }
  if (status >= 500) {
    throw new TransientError(`${url} answered ${status}; retry later`);
  }
  if (status >= 400) {
    throw new PermanentError(`${url} answered ${status}`);
  }
  if (status < 200) {
    throw new TransientError(`${url} answered an unexpected ${status}`);
  }
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function classifyNetworkError(error: unknown, url: string): Error {
  if (error instanceof PermanentError || error instanceof TransientError || error instanceof RateLimitedError) {
    return error;
  }
  const code = (error as { code?: string }).code ?? 'unknown';
  const timeouts = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
  if (timeouts.has(code)) {
    return new TransientError(`${url} timed out (${code}); retry later`);
  }
  if (error instanceof undiciErrors.UndiciError || code.startsWith('E')) {
    return new TransientError(`${url} failed: ${(error as Error).message} (${code}); retry later`);
  }
  return error instanceof Error ? error : new Error(String(error));
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    // setOwn: a header an upstream names "__proto__" is a header, not the object's prototype.
    if (value !== undefined) setOwn(flat, name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
  }
  return flat;
}

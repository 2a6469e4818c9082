import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentError, RateLimitedError, TransientError } from '../../src/errors.ts';
import { HttpClient, parseRetryAfter } from '../../src/http/http-client.ts';
import { readFixture, UpstreamServer } from '../support/upstream-server.ts';

const page = readFixture('hf-html/hf-papers-date-2024-08-01.html');

describe('HttpClient against a real local server', () => {
  const upstream = new UpstreamServer();
  const elsewhere = new UpstreamServer();
  let http: HttpClient;

  beforeAll(async () => {
    await upstream.start();
    await elsewhere.start();
    upstream
      .route('/page', { body: page })
      .route('/moved', { status: 302, headers: { location: '/papers' } })
      .route('/gone', { status: 404, body: 'not found' })
      .route('/busy', { status: 429, headers: { 'retry-after': '7' } })
      .route('/busy-no-header', { status: 429 })
      .route('/broken', { status: 503 })
      .route('/huge', { body: Buffer.alloc(300_000, 'x') })
      .route('/truncated', (_request, response) => {
        // Promise 1000 bytes, send 10, then hang up: a body cut off in transit.
        response.writeHead(200, { 'content-length': '1000' });
        response.write('<html>0123');
        response.socket?.destroy();
      })
      .route('/slow', (_request, response) => {
        setTimeout(() => response.writeHead(200).end('late'), 2_000).unref();
      })
      .route('/trickle', (_request, response) => {
        // Declares 100 kB and sends a byte every 50 ms: never idle long enough for an idle timeout.
        response.writeHead(200, { 'content-type': 'text/html', 'content-length': '100000' });
        const timer = setInterval(() => response.write('x'), 50);
        response.on('close', () => clearInterval(timer));
      })
      .route('/gzipped', {
        headers: { 'content-encoding': 'gzip' },
        body: gzipSync(page),
      })
      .route('/proto-header', (_request, response) => {
        response.setHeader('__proto__', 'not a prototype');
        response.setHeader('x-ok', 'yes');
        response.writeHead(200).end('fine');
      });
    http = new HttpClient({
      userAgent: 'paperboy-test/1 (+http://example.invalid)',
      timeoutMs: 500,
      maxBodyBytes: 256 * 1024,
      allowedOrigins: [upstream.baseUrl],
    });
  });

  afterAll(async () => {
    await http.close();
    await upstream.stop();
    await elsewhere.stop();
  });

  it('returns the exact bytes of a 200 page and sends its User-Agent', async () => {
    const response = await http.get(`${upstream.baseUrl}/page`);
    expect(response.status).toBe(200);
    expect(response.body.equals(page)).toBe(true);
    expect(upstream.requestsTo('/page')[0]?.headers['user-agent']).toBe('paperboy-test/1 (+http://example.invalid)');
  });

  it('returns redirects unfollowed, with their Location', async () => {
    const response = await http.get(`${upstream.baseUrl}/moved`);
    expect(response.status).toBe(302);
    expect(response.headers['location']).toBe('/papers');
    expect(upstream.requestsTo('/papers')).toHaveLength(0);
  });

  it('maps 404 to a permanent error and 503 to a transient one', async () => {
    await expect(http.get(`${upstream.baseUrl}/gone`)).rejects.toThrow(PermanentError);
    await expect(http.get(`${upstream.baseUrl}/broken`)).rejects.toThrow(TransientError);
  });

  it('maps 429 to RateLimitedError carrying Retry-After, or a minute when absent', async () => {
    await expect(http.get(`${upstream.baseUrl}/busy`)).rejects.toMatchObject({
      name: 'RateLimitedError',
      retryAfterMs: 7_000,
    });
    const error = await http.get(`${upstream.baseUrl}/busy-no-header`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(60_000);
  });

  it('refuses a body over the size cap', async () => {
    await expect(http.get(`${upstream.baseUrl}/huge`)).rejects.toThrow(/over the 262144-byte cap/);
  });

  it('treats a body cut off in transit as transient', async () => {
    await expect(http.get(`${upstream.baseUrl}/truncated`)).rejects.toThrow(TransientError);
  });

  it('times out a server that does not answer, as a transient error', async () => {
    await expect(http.get(`${upstream.baseUrl}/slow`)).rejects.toThrow(/timed out/);
  });

  it('aborts a body that trickles in past the deadline for the whole answer, as a transient error', async () => {
    const started = Date.now();
    const error = await http.get(`${upstream.baseUrl}/trickle`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(
      /timed out: no complete answer within 500 ms \(PAPERBOY_HTTP_TIMEOUT_MS, headers and body together\)/,
    );
    // Not held for the minutes the trickle would take: the deadline, and a little scheduling.
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('refuses a compressed body it never asked for, as a permanent error', async () => {
    const error = await http.get(`${upstream.baseUrl}/gzipped`).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/unexpected content encoding "gzip" \(none was asked for\)/);
    expect(upstream.requestsTo('/gzipped')[0]?.headers['accept-encoding']).toBeUndefined();
  });

  it('keeps a header named __proto__ as a header, never as the prototype of the headers', async () => {
    const response = await http.get(`${upstream.baseUrl}/proto-header`);
    expect(Object.getPrototypeOf(response.headers)).toBe(Object.prototype);
    expect(Object.hasOwn(response.headers, '__proto__')).toBe(true);
    expect(response.headers['x-ok']).toBe('yes');
  });

  it('never contacts a host that is not on the allow-list', async () => {
    await expect(http.get(`${elsewhere.baseUrl}/page`)).rejects.toThrow(/not an allowed upstream/);
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('yesterday', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

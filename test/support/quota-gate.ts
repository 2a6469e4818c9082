import type http from 'node:http';

export type Bucket = 'pages' | 'api';

/** What the gate says about its buckets in each answer. */
export type HeaderMode = 'both' | 'none' | 'garbled';

export interface QuotaGateOptions {
  windowMs: number;
  quotas: Record<Bucket, number>;
  headers?: HeaderMode;
}

/**
 * Hugging Face's rate limits as its documentation describes them, scaled
 * down: fixed windows (aligned to the gate's start), one count per bucket
 * (`api` for /api/..., `pages` for everything else), `RateLimit` and
 * `RateLimit-Policy` headers on every answer, and a 429 with Retry-After
 * once a bucket's window is used up. It records every request's bucket and
 * time, and every 429, so tests can check a client against the rules.
 */
export class QuotaGate {
  readonly arrivals: Record<Bucket, number[]> = { pages: [], api: [] };
  readonly refused: Record<Bucket, number> = { pages: 0, api: 0 };
  private readonly started = Date.now();
  private readonly counts = new Map<string, number>();

  constructor(private readonly options: QuotaGateOptions) {}

  static bucketOf(url: string): Bucket {
    return url.startsWith('/api/') ? 'api' : 'pages';
  }

  /** Counts the request; answers 429 and returns false past the quota, else sets the headers and returns true. */
  admit(request: http.IncomingMessage, response: http.ServerResponse): boolean {
    const bucket = QuotaGate.bucketOf(request.url ?? '/');
    const now = Date.now();
    this.arrivals[bucket].push(now);
    const { windowMs } = this.options;
    const window = Math.floor((now - this.started) / windowMs);
    const key = `${bucket}:${window}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    const quota = this.options.quotas[bucket];
    const resetSeconds = Math.max(1, Math.ceil((this.started + (window + 1) * windowMs - now) / 1000));
    this.setHeaders(response, bucket, Math.max(0, quota - count), resetSeconds);
    if (count <= quota) return true;
    this.refused[bucket] += 1;
    response.writeHead(429, { 'content-type': 'text/plain', 'retry-after': String(resetSeconds) }).end('rate limited');
    return false;
  }

  /** The most requests of a bucket that arrived within any one of the gate's fixed windows. */
  busiestWindow(bucket: Bucket): number {
    return Math.max(0, ...this.perWindow(bucket));
  }

  /** Requests of a bucket per fixed window, from the first window with any. */
  perWindow(bucket: Bucket): number[] {
    const counts: number[] = [];
    for (const at of this.arrivals[bucket]) {
      const window = Math.floor((at - this.started) / this.options.windowMs);
      counts[window] = (counts[window] ?? 0) + 1;
    }
    const first = counts.findIndex((count) => count !== undefined);
    return first < 0 ? [] : Array.from(counts.slice(first), (count) => count ?? 0);
  }

  private setHeaders(response: http.ServerResponse, bucket: Bucket, remaining: number, resetSeconds: number): void {
    const mode = this.options.headers ?? 'both';
    if (mode === 'none') return;
    if (mode === 'garbled') {
      response.setHeader('ratelimit', `"${bucket}";r=;t=soon, ;;`);
      response.setHeader('ratelimit-policy', `"fixed window";"${bucket}";q=lots;w=-3`);
      return;
    }
    const stated = this.options.quotas[bucket];
    response.setHeader('ratelimit', `"${bucket}";r=${remaining};t=${resetSeconds}`);
    response.setHeader(
      'ratelimit-policy',
      `"fixed window";"${bucket}";q=${stated};w=${Math.round(this.options.windowMs / 1000)}`,
    );
  }
}

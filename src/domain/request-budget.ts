/**
 * Upstream request budgets, the pure part: what a budget is, how evenly
 * spaced requests keep within it, what the IETF draft rate-limit headers
 * say, and which budget to follow when the server's policy differs from the
 * configured one. No IO: the Redis side is queue/request-budget.ts.
 */
import type { RateLimitedError } from '../errors.ts';

/** Hugging Face counts requests in separate buckets: HTML pages, and the Hub API (`/api/...`). */
export const HF_BUCKETS = ['pages', 'api'] as const;
export type HfBucket = (typeof HF_BUCKETS)[number];

/** The bucket a fetch by this transport spends: HTML pages, or the Hub API. */
export function bucketFor(transport: 'html' | 'api'): HfBucket {
  return transport === 'html' ? 'pages' : 'api';
}

/**
 * What an upstream client asks of a budget before and after each request
 * (implemented on Redis in queue/request-budget.ts, shared by every worker).
 */
export interface RequestBudget<B extends string = HfBucket> {
  /**
   * Waits for the bucket's next slot.
   * @throws RateLimitedError when that slot is further away than a job should hold its worker:
   * the job runner then pauses the bucket's queue for that long, without using an attempt.
   */
  acquire(bucket: B): Promise<void>;
  /** Reads the rate-limit headers of any response of the bucket's (200, 304, 3xx alike). */
  observe(bucket: B, headers: Record<string, string>): Promise<void>;
  /** The bucket answered 429: pause it for the wait the answer asked for, and return the error to throw. */
  refused(bucket: B, error: RateLimitedError): Promise<RateLimitedError>;
}

/** No budget: one-off commands (`paperboy ingest`) that make a request or three and need no Redis. */
export const UNMETERED: RequestBudget = {
  acquire: async () => undefined,
  observe: async () => undefined,
  refused: async (_bucket, error) => error,
};

/** `quota` requests per fixed window of `windowMs`. */
export interface BudgetPolicy {
  quota: number;
  windowMs: number;
}

/** A bucket's configured budget; `explicit` when the user set it (then it is a ceiling the server can only lower). */
export interface ConfiguredBudget extends BudgetPolicy {
  explicit: boolean;
}

/**
 * The gap between two requests that keeps every window of `windowMs`,
 * however the server aligns it, within `quota`: window / (quota − 1).
 * Requests leave at their slot or a little later (never earlier); the
 * requests arriving in any window come from slots in a stretch shorter than
 * window + one gap, which holds at most `quota` of them, as long as a
 * request's delay stays under one gap. That costs 1% at 100 per window and 0.2% at 500, less than a fixed
 * margin and provably enough, where spacing at exactly window/quota is not.
 */
export function spacingMs(policy: BudgetPolicy): number {
  return policy.windowMs / Math.max(policy.quota - 1, 0.5);
}

/** How long `requests` requests take at a budget's pace (the first leaves at once). */
export function durationMsFor(requests: number, policy: BudgetPolicy): number {
  return Math.max(0, requests) * spacingMs(policy);
}

/**
 * How long `requests` more requests of a bucket take from now: its pace,
 * after any pause it is in. Each backfill key is at least one request (an
 * API day with over 100 papers takes one more per 100).
 */
export function estimateMs(
  requests: number,
  policy: BudgetPolicy,
  pausedUntil: Date | undefined,
  now = Date.now(),
): number {
  const paused = pausedUntil ? Math.max(0, pausedUntil.getTime() - now) : 0;
  return paused + durationMsFor(requests, policy);
}

/** "3 min 39 s", "1 h 4 min", "12 s": a duration for people. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${seconds % 60} s`;
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Requests per second a budget allows, for humans. */
export function ratePerSecond(policy: BudgetPolicy): number {
  return (policy.quota * 1000) / policy.windowMs;
}

/**
 * The budget to follow once the server has stated its policy: the server's
 * (both numbers), unless the user configured the budget explicitly, in which
 * case the configured one stays a ceiling the server can lower but not raise.
 */
export function followedPolicy(configured: ConfiguredBudget, server: BudgetPolicy | undefined): BudgetPolicy {
  const own = { quota: configured.quota, windowMs: configured.windowMs };
  if (!server) return own;
  if (!configured.explicit) return { quota: server.quota, windowMs: server.windowMs };
  return ratePerSecond(server) < ratePerSecond(own) ? { quota: server.quota, windowMs: server.windowMs } : own;
}

/** `RateLimit: "api";r=0;t=55`: where a bucket stands. */
export interface RateLimitState {
  bucket: string | undefined;
  remaining: number;
  resetMs: number;
}

/** `RateLimit-Policy: "fixed window";"api";q=500;w=300`: what a bucket allows. */
export interface RateLimitPolicy {
  bucket: string | undefined;
  quota: number;
  windowMs: number;
}

/**
 * Reads a `RateLimit` header (IETF draft, as Hugging Face sends it and its
 * own Python client parses it). Absent, partial or garbled → undefined:
 * a header we cannot read changes nothing.
 */
export function parseRateLimit(value: string | undefined): RateLimitState | undefined {
  const fields = parseItem(value);
  if (!fields) return undefined;
  const remaining = integerParam(fields.params, 'r');
  const reset = integerParam(fields.params, 't');
  if (remaining === undefined || reset === undefined) return undefined;
  return { bucket: fields.names.at(-1), remaining, resetMs: reset * 1000 };
}

/** Reads a `RateLimit-Policy` header; anything it cannot read fully → undefined. */
export function parseRateLimitPolicy(value: string | undefined): RateLimitPolicy | undefined {
  const fields = parseItem(value);
  if (!fields) return undefined;
  const quota = integerParam(fields.params, 'q');
  const window = integerParam(fields.params, 'w');
  if (quota === undefined || window === undefined || quota < 1 || window < 1) return undefined;
  return { bucket: fields.names.at(-1), quota, windowMs: window * 1000 };
}

/** Headers longer than this are not rate-limit headers anyone sends: ignored. */
const MAX_HEADER_LENGTH = 512;
/** Numbers past this are garbage (a quota of billions, a reset days away is not a policy). */
const MAX_HEADER_NUMBER = 10_000_000;

/**
 * `"fixed window";"api";q=500;w=300` → names ["fixed window", "api"] and
 * params {q: "500", w: "300"}. Quoted strings are names; `k=v` pairs are
 * parameters; the first repeated parameter wins.
 */
function parseItem(value: string | undefined): { names: string[]; params: Map<string, string> } | undefined {
  if (!value || value.length > MAX_HEADER_LENGTH) return undefined;
  // Several comma-separated items: the first is the one Hugging Face sends.
  const first = value.split(',')[0]!;
  const names: string[] = [];
  const params = new Map<string, string>();
  for (const rawPart of first.split(';')) {
    const part = rawPart.trim();
    if (part === '') continue;
    const quoted = /^"([^"]*)"$/.exec(part);
    if (quoted) {
      names.push(quoted[1]!.trim().toLowerCase());
      continue;
    }
    const pair = /^([a-z])\s*=\s*(.+)$/i.exec(part);
    if (!pair) return undefined;
    const name = pair[1]!.toLowerCase();
    if (!params.has(name)) params.set(name, pair[2]!.trim());
  }
  return { names, params };
}

function integerParam(params: Map<string, string>, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === undefined || !/^\d{1,9}$/.test(raw)) return undefined;
  const value = Number(raw);
  return value <= MAX_HEADER_NUMBER ? value : undefined;
}

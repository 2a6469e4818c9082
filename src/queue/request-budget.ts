import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import {
  followedPolicy,
  parseRateLimit,
  parseRateLimitPolicy,
  spacingMs,
  type BudgetPolicy,
  type ConfiguredBudget,
  type HfBucket,
  type RequestBudget,
} from '../domain/request-budget.ts';
import { RateLimitedError } from '../errors.ts';
import type { Logger } from '../logger.ts';

/** Where a bucket stands, for /metrics, estimates and the dashboard. */
export interface BucketState<B extends string = HfBucket> {
  /** The upstream whose bucket it is (its id: `hf`). */
  upstream: string;
  bucket: B;
  /** The budget followed now: the configured one, or the server's policy. */
  policy: BudgetPolicy;
  /** From the server's last `RateLimit` header, when it sent one. */
  remaining: number | undefined;
  resetAt: Date | undefined;
  /** Paused (r=0, a 429) until then. */
  pausedUntil: Date | undefined;
}

/** Reading where the buckets stand (the dashboard, `backfill --wait`, /metrics). */
export interface BudgetReader<B extends string = HfBucket> {
  read(): Promise<Array<BucketState<B>>>;
  readBucket(bucket: B): Promise<BucketState<B>>;
}

/** Longest a request waits for its slot inside its job; longer, and the job goes back to the queue. */
const MAX_INLINE_WAIT_MS = 30_000;

/** Reserve the next slot: returns {reserved (1|0), wait ms}. Redis's clock, so workers on several hosts agree. */
const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', KEYS[1], 'next', 'paused_until', 'spacing', 'config')
local spacing = tonumber(ARGV[1])
if h[4] == ARGV[2] and h[3] then spacing = tonumber(h[3]) end
local start = math.max(now, tonumber(h[1]) or 0, tonumber(h[2]) or 0)
local wait = start - now
if wait > tonumber(ARGV[3]) then return {0, tostring(wait)} end
redis.call('HSET', KEYS[1], 'next', tostring(start + spacing))
return {1, tostring(wait)}
`;

/** Record remaining/reset (ARGV[1], ARGV[2] ms; '' when unknown) and pause for ARGV[3] ms (0: none). */
const OBSERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[1] ~= '' then
  redis.call('HSET', KEYS[1], 'remaining', ARGV[1], 'reset_at', tostring(now + tonumber(ARGV[2])))
end
local pause = tonumber(ARGV[3])
if pause > 0 then
  local paused = tonumber(redis.call('HGET', KEYS[1], 'paused_until')) or 0
  if now + pause > paused then redis.call('HSET', KEYS[1], 'paused_until', tostring(now + pause)) end
end
return 1
`;

/**
 * Hugging Face's request budgets, one per bucket, kept in Redis so that
 * every worker process together stays within them.
 *
 * Each bucket is a schedule of evenly spaced slots (GCRA: Redis holds the
 * time of the bucket's next free slot). A request reserves the next slot
 * atomically and waits for it, so N workers interleave instead of each
 * spending the whole budget, and a request is counted when it is made (a
 * day of the JSON API with 250 papers is three requests, three slots).
 * A bucket never waits on the other: they are separate keys, and their jobs
 * run on separate queues (see QUEUES), so a pause on `pages` holds back no
 * API fetch.
 *
 * The server's headers steer it: `RateLimit` with r=0 pauses the bucket
 * until its reset; `RateLimit-Policy` with another quota or window is
 * adopted for the bucket (see followedPolicy: an explicitly configured
 * budget stays a ceiling); a 429 pauses the bucket for its Retry-After.
 */
export class RedisRequestBudget<B extends string = HfBucket> implements RequestBudget<B>, BudgetReader<B> {
  /** The last policy header seen per bucket, so an unchanged header costs no Redis round trip. */
  private readonly lastPolicyHeader = new Map<B, string>();
  private readonly buckets: readonly B[];

  /**
   * @param upstream the upstream's id (`hf`): its buckets' Redis keys and metrics labels.
   * @param configured each bucket's configured budget.
   */
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly upstream: string,
    private readonly configured: Readonly<Record<B, ConfiguredBudget>>,
    private readonly logger: Logger,
  ) {
    this.buckets = Object.keys(configured) as B[];
  }

  async acquire(bucket: B): Promise<void> {
    const spacing = spacingMs(this.configured[bucket]);
    const maxWait = Math.max(MAX_INLINE_WAIT_MS, 2 * spacing);
    const [reserved, wait] = (await this.redis.eval(
      ACQUIRE_SCRIPT,
      1,
      this.key(bucket),
      String(spacing),
      this.fingerprint(bucket),
      String(maxWait),
    )) as [number, string];
    const waitMs = Math.max(0, Math.ceil(Number(wait)));
    if (reserved !== 1) {
      throw new RateLimitedError(
        `${this.upstream} ${bucket} budget: the next request may leave in ${Math.ceil(waitMs / 1000)} s`,
        waitMs,
      );
    }
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
  }

  async observe(bucket: B, headers: Record<string, string>): Promise<void> {
    const state = parseRateLimit(headers['ratelimit']);
    const policy = parseRateLimitPolicy(headers['ratelimit-policy']);
    if (policy) await this.followPolicy(this.knownBucket(policy.bucket) ?? bucket, policy);
    if (!state) return;
    const target = this.knownBucket(state.bucket) ?? bucket;
    const pauseMs = state.remaining === 0 ? state.resetMs : 0;
    if (pauseMs > 0)
      this.logger.warn(
        { bucket: target, pauseMs },
        `${this.upstream} ${target} budget used up (RateLimit r=0): pausing it for ${Math.ceil(pauseMs / 1000)} s`,
      );
    await this.redis.eval(
      OBSERVE_SCRIPT,
      1,
      this.key(target),
      String(state.remaining),
      String(state.resetMs),
      String(pauseMs),
    );
  }

  async refused(bucket: B, error: RateLimitedError): Promise<RateLimitedError> {
    const { headers } = error;
    const state = parseRateLimit(headers['ratelimit']);
    const policy = parseRateLimitPolicy(headers['ratelimit-policy']);
    if (policy) await this.followPolicy(this.knownBucket(policy.bucket) ?? bucket, policy);
    // Retry-After when the server sent one; else the reset of the bucket's window; else the client's default.
    const waitMs = headers['retry-after'] === undefined && state ? state.resetMs : error.retryAfterMs;
    await this.redis.eval(
      OBSERVE_SCRIPT,
      1,
      this.key(bucket),
      state ? String(state.remaining) : '',
      state ? String(state.resetMs) : '0',
      String(waitMs),
    );
    return new RateLimitedError(
      `${error.message} (${this.upstream} ${bucket} budget paused for ${Math.ceil(waitMs / 1000)} s)`,
      waitMs,
    );
  }

  /** Where each bucket stands now. */
  async read(): Promise<Array<BucketState<B>>> {
    return Promise.all(this.buckets.map((bucket) => this.readBucket(bucket)));
  }

  async readBucket(bucket: B): Promise<BucketState<B>> {
    const [quota, windowMs, config, remaining, resetAt, pausedUntil] = await this.redis.hmget(
      this.key(bucket),
      'quota',
      'window',
      'config',
      'remaining',
      'reset_at',
      'paused_until',
    );
    const adopted = config === this.fingerprint(bucket) && quota && windowMs;
    const time = (value: string | null | undefined) =>
      value && Number(value) > Date.now() ? new Date(Number(value)) : undefined;
    return {
      upstream: this.upstream,
      bucket,
      policy: adopted
        ? { quota: Number(quota), windowMs: Number(windowMs) }
        : { quota: this.configured[bucket].quota, windowMs: this.configured[bucket].windowMs },
      remaining: remaining == null ? undefined : Number(remaining),
      resetAt: time(resetAt),
      pausedUntil: time(pausedUntil),
    };
  }

  /** Adopts the server's policy for a bucket (within an explicit configuration's ceiling), once per change. */
  private async followPolicy(bucket: B, server: BudgetPolicy): Promise<void> {
    const header = `${server.quota}/${server.windowMs}`;
    if (this.lastPolicyHeader.get(bucket) === header) return;
    this.lastPolicyHeader.set(bucket, header);
    const configured = this.configured[bucket];
    const followed = followedPolicy(configured, server);
    const current = (await this.readBucket(bucket)).policy;
    if (current.quota === followed.quota && current.windowMs === followed.windowMs) return;
    await this.redis.hset(this.key(bucket), {
      quota: String(followed.quota),
      window: String(followed.windowMs),
      spacing: String(spacingMs(followed)),
      config: this.fingerprint(bucket),
    });
    this.logger.info(
      {
        bucket,
        server,
        configured: { quota: configured.quota, windowMs: configured.windowMs, explicit: configured.explicit },
        followed,
      },
      `${this.upstream} ${bucket} budget now ${followed.quota} requests per ${followed.windowMs / 1000} s (server policy ${server.quota} per ${server.windowMs / 1000} s${configured.explicit ? ', configured ceiling ' + configured.quota + ' per ' + configured.windowMs / 1000 + ' s' : ''})`,
    );
  }

  /** A bucket named in a header, if it is one of ours (Hugging Face also has `resolvers`, which we never use). */
  private knownBucket(name: string | undefined): B | undefined {
    return this.buckets.find((bucket) => bucket === name);
  }

  private key(bucket: B): string {
    return `${this.keyPrefix}:budget:${this.upstream}:${bucket}`;
  }

  /** An adopted policy holds only for the configuration it was adopted under. */
  private fingerprint(bucket: B): string {
    const { quota, windowMs, explicit } = this.configured[bucket];
    return `${quota}/${windowMs}/${explicit ? 'explicit' : 'default'}`;
  }
}

/** Hugging Face's budgets (`pages`, `api`) as configured, on the queues' Redis under their prefix. */
export function hfRequestBudget(redis: Redis, config: Config, logger: Logger): RedisRequestBudget<HfBucket> {
  return new RedisRequestBudget(redis, config.service.queuePrefix, 'hf', config.hf.budgets, logger);
}

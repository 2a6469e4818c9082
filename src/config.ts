import path from 'node:path';
import { z } from 'zod';
import { TRANSPORTS, type Transport } from './domain/digest-key.ts';
import type { ConfiguredBudget, HfBucket } from './domain/request-budget.ts';
import { listIssues } from './domain/zod-issues.ts';
import { isScheduleName, isTimeZone, SCHEDULE_NAMES, schedulePatternProblem } from './domain/schedule-plan.ts';
import { ConfigError } from './errors.ts';

/**
 * Every environment variable paperboy reads, with its schema. Parsed once, at
 * start-up, by `loadConfig`; everything else receives the resulting `Config`.
 */
const emptyAsUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .transform((value) => value.replace(/\/+$/, ''));

/**
 * The embedded Postgres's port when PAPERBOY_EMBEDDED_PG_PORT is unset: fixed,
 * so a saved connection survives restarts; not 5432, where a system Postgres
 * usually listens.
 */
export const EMBEDDED_POSTGRES_DEFAULT_PORT = 54329;

/** A whole number from `min` to `max`; anything else is refused with the one `message` that says what is wanted. */
const wholeNumberIn = (min: number, max: number, message: string) =>
  z.coerce.number({ error: message }).int(message).min(min, message).max(max, message);

const envSchema = z.object({
  DATABASE_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// or postgresql:// URL' }).optional(),
  ),
  REDIS_URL: z.preprocess(
    emptyAsUndefined,
    z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional(),
  ),
  HF_BASE_URL: z.preprocess(emptyAsUndefined, httpUrl.default('https://huggingface.co')),
  GITHUB_API_URL: z.preprocess(emptyAsUndefined, httpUrl.default('https://api.github.com')),
  GITHUB_TOKEN: z.preprocess(emptyAsUndefined, z.string().optional()),
  HF_TOKEN: z.preprocess(emptyAsUndefined, z.string().optional()),
  PAPERBOY_DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('./.paperboy')),
  PAPERBOY_EMBEDDED_PG_PORT: z.preprocess(
    emptyAsUndefined,
    wholeNumberIn(1, 65_535, 'must be a TCP port from 1 to 65535').default(EMBEDDED_POSTGRES_DEFAULT_PORT),
  ),
  PAPERBOY_USER_AGENT_CONTACT: z.preprocess(
    emptyAsUndefined,
    z.string().default('https://github.com/paperboy-etl/paperboy'),
  ),
  PAPERBOY_HTTP_TIMEOUT_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(100).max(600_000).default(30_000),
  ),
  PAPERBOY_MAX_BODY_BYTES: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .int()
      .min(1024)
      .default(20 * 1024 * 1024),
  ),
  PAPERBOY_HF_TRANSPORT: z.preprocess(emptyAsUndefined, z.enum(TRANSPORTS).default('html')),
  PAPERBOY_TZ: z.preprocess(
    emptyAsUndefined,
    z.string().default('UTC').refine(isTimeZone, 'not a time zone: an IANA name such as Europe/Paris, or UTC'),
  ),
  PAPERBOY_SCHEDULES: z.preprocess(emptyAsUndefined, z.string().optional()),
  PAPERBOY_SAVED_SEARCHES: z.preprocess(emptyAsUndefined, z.string().optional()),
  PAPERBOY_HF_PAGES_RATE_MAX: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(1_000_000).optional()),
  PAPERBOY_HF_PAGES_RATE_WINDOW_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(86_400_000).optional(),
  ),
  PAPERBOY_HF_API_RATE_MAX: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(1_000_000).optional()),
  PAPERBOY_HF_API_RATE_WINDOW_MS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(86_400_000).optional(),
  ),
  PAPERBOY_WORKER_CONCURRENCY: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(64).default(2)),
  PAPERBOY_JOB_ATTEMPTS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(50).default(6)),
  PAPERBOY_RETRY_BASE_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).default(30_000)),
  PAPERBOY_STALLED_INTERVAL_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(100).default(30_000)),
  PAPERBOY_SHUTDOWN_GRACE_MS: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).default(30_000)),
  PAPERBOY_QUEUE_PREFIX: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_{}-]+$/, 'letters, digits, _ - { } only')
      .default('paperboy'),
  ),
  DASHBOARD_HOST: z.preprocess(emptyAsUndefined, z.string().default('127.0.0.1')),
  DASHBOARD_PORT: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(65_535).default(3000)),
  DASHBOARD_USER: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[^:]+$/, 'must not contain ":"')
      .optional(),
  ),
  DASHBOARD_PASSWORD: z.preprocess(emptyAsUndefined, z.string().min(8, 'must be at least 8 characters').optional()),
  PAPERBOY_FEED_SECRET: z.preprocess(
    emptyAsUndefined,
    z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)').optional(),
  ),
  DASHBOARD_READ_ONLY: z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .default('false')
      .transform((value) => ['true', '1', 'yes'].includes(value)),
  ),
  PAPERBOY_PAGE_RETENTION_DAYS: z.preprocess(
    emptyAsUndefined,
    wholeNumberIn(1, 3650, 'must be a whole number of days from 1 to 3650').default(30),
  ),
  PAPERBOY_BACKFILL_MAX_KEYS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number().int().min(1).max(100_000).default(1_000),
  ),
  LOG_LEVEL: z.preprocess(
    emptyAsUndefined,
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  ),
});

export type Config = Readonly<{
  /** Undefined means "start the embedded Postgres in dataDir". */
  databaseUrl: string | undefined;
  /** Undefined means "start a local redis-server in dataDir" (for commands that need Redis). */
  redisUrl: string | undefined;
  dataDir: string;
  /** The loopback port of the embedded Postgres (when databaseUrl is undefined): the same at every start. */
  embeddedPostgresPort: number;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /**
   * Stored page bodies younger than this many days are never pruned (nor the
   * latest of each digest, nor failed parses'): see src/stages/prune-pages.ts.
   */
  pageRetentionDays: number;
  /**
   * `transport`: how scheduled day/week/month digests are fetched unless a command says otherwise.
   * `budgets`: requests per window for each of Hugging Face's buckets, all workers together.
   */
  hf: Readonly<{
    baseUrl: string;
    token: string | undefined;
    transport: Transport;
    budgets: Readonly<Record<HfBucket, ConfiguredBudget>>;
  }>;
  github: Readonly<{ apiUrl: string; token: string | undefined }>;
  http: Readonly<{ userAgent: string; timeoutMs: number; maxBodyBytes: number }>;
  service: Readonly<{
    /** Time zone of the cron schedules. */
    tz: string;
    /** Schedule overrides: name → cron pattern, or null to remove that schedule. */
    schedules: Readonly<Record<string, string | null>>;
    savedSearches: readonly string[];
    /** Redis key prefix of every queue (use a {hash tag} on Redis Cluster). */
    queuePrefix: string;
    concurrency: number;
    attempts: number;
    retryBaseMs: number;
    stalledIntervalMs: number;
    shutdownGraceMs: number;
    /** The most keys one backfill may cover. */
    backfillMaxKeys: number;
  }>;
  dashboard: Readonly<{
    host: string;
    port: number;
    /** Both set, or neither (then the dashboard only starts on a loopback address). */
    credentials: Readonly<{ user: string; password: string }> | undefined;
    /** Every write (backfills, Bull Board actions) refused. */
    readOnly: boolean;
    /**
     * Keys the feeds' read-only tokens (see src/dashboard/feed-tokens.ts);
     * unset, they are keyed by the password. Only used with credentials.
     */
    feedSecret: string | undefined;
  }>;
}>;

export const PAPERBOY_VERSION = '0.1.0';

/**
 * Reads the whole environment at once and reports every bad variable in one
 * error, so a misconfigured deployment is fixed in one round trip.
 *
 * @throws ConfigError listing each invalid variable and why.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success ? [] : listIssues(parsed.error);
  if (
    (emptyAsUndefined(env.DASHBOARD_USER) === undefined) !==
    (emptyAsUndefined(env.DASHBOARD_PASSWORD) === undefined)
  ) {
    problems.push('DASHBOARD_USER and DASHBOARD_PASSWORD: set both (the dashboard then asks for them) or neither');
  }
  for (const [retired, message] of Object.entries(RETIRED_VARIABLES)) {
    if (emptyAsUndefined(env[retired]) !== undefined) problems.push(`${retired}: ${message}`);
  }
  // Schedules are configuration too: every bad one is reported here, before anything is registered.
  const schedules = readSchedules(
    emptyAsUndefined(env.PAPERBOY_SCHEDULES) as string | undefined,
    parsed.data?.PAPERBOY_TZ ?? 'UTC',
    problems,
  );
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    dataDir: path.resolve(e.PAPERBOY_DATA_DIR),
    embeddedPostgresPort: e.PAPERBOY_EMBEDDED_PG_PORT,
    logLevel: e.LOG_LEVEL,
    pageRetentionDays: e.PAPERBOY_PAGE_RETENTION_DAYS,
    hf: Object.freeze({
      baseUrl: e.HF_BASE_URL,
      token: e.HF_TOKEN,
      transport: e.PAPERBOY_HF_TRANSPORT,
      budgets: Object.freeze({
        pages: budget(
          e.PAPERBOY_HF_PAGES_RATE_MAX,
          e.PAPERBOY_HF_PAGES_RATE_WINDOW_MS,
          HF_DEFAULT_QUOTAS.pages,
          e.HF_TOKEN,
        ),
        api: budget(e.PAPERBOY_HF_API_RATE_MAX, e.PAPERBOY_HF_API_RATE_WINDOW_MS, HF_DEFAULT_QUOTAS.api, e.HF_TOKEN),
      }),
    }),
    github: Object.freeze({ apiUrl: e.GITHUB_API_URL, token: e.GITHUB_TOKEN }),
    http: Object.freeze({
      userAgent: `paperboy/${PAPERBOY_VERSION} (+${e.PAPERBOY_USER_AGENT_CONTACT})`,
      timeoutMs: e.PAPERBOY_HTTP_TIMEOUT_MS,
      maxBodyBytes: e.PAPERBOY_MAX_BODY_BYTES,
    }),
    service: Object.freeze({
      tz: e.PAPERBOY_TZ,
      schedules,
      savedSearches: (e.PAPERBOY_SAVED_SEARCHES ?? '')
        .split(',')
        .map((search) => search.trim())
        .filter(Boolean),
      queuePrefix: e.PAPERBOY_QUEUE_PREFIX,
      concurrency: e.PAPERBOY_WORKER_CONCURRENCY,
      attempts: e.PAPERBOY_JOB_ATTEMPTS,
      retryBaseMs: e.PAPERBOY_RETRY_BASE_MS,
      stalledIntervalMs: e.PAPERBOY_STALLED_INTERVAL_MS,
      shutdownGraceMs: e.PAPERBOY_SHUTDOWN_GRACE_MS,
      backfillMaxKeys: e.PAPERBOY_BACKFILL_MAX_KEYS,
    }),
    dashboard: Object.freeze({
      host: e.DASHBOARD_HOST,
      port: e.DASHBOARD_PORT,
      credentials:
        e.DASHBOARD_USER && e.DASHBOARD_PASSWORD
          ? Object.freeze({ user: e.DASHBOARD_USER, password: e.DASHBOARD_PASSWORD })
          : undefined,
      readOnly: e.DASHBOARD_READ_ONLY,
      feedSecret: e.PAPERBOY_FEED_SECRET,
    }),
  });
}

/**
 * Hugging Face's documented rate limits, per 5-minute fixed window and IP
 * (anonymous) or account (a free token): HTML pages and the Hub API are
 * separate buckets. Paid tiers get more, which the server's RateLimit-Policy
 * header says and the workers adopt without configuration.
 */
const HF_DEFAULT_QUOTAS: Record<HfBucket, { anonymous: number; token: number }> = {
  pages: { anonymous: 100, token: 200 },
  api: { anonymous: 500, token: 1_000 },
};
const HF_DEFAULT_WINDOW_MS = 300_000;

/** A bucket's budget: the tier's default, or what the user set (then a ceiling: see followedPolicy). */
function budget(
  max: number | undefined,
  windowMs: number | undefined,
  defaults: { anonymous: number; token: number },
  token: string | undefined,
): ConfiguredBudget {
  return Object.freeze({
    quota: max ?? (token ? defaults.token : defaults.anonymous),
    windowMs: windowMs ?? HF_DEFAULT_WINDOW_MS,
    explicit: max !== undefined || windowMs !== undefined,
  });
}

/** Variables of earlier versions whose meaning changed: set, they are an error that says what replaced them. */
const RETIRED_VARIABLES: Record<string, string> = {
  PAPERBOY_HF_RATE_MAX:
    'no longer read: Hugging Face counts HTML pages and API requests in separate buckets; set PAPERBOY_HF_PAGES_RATE_MAX and/or PAPERBOY_HF_API_RATE_MAX instead',
  PAPERBOY_HF_RATE_WINDOW_MS:
    'no longer read: set PAPERBOY_HF_PAGES_RATE_WINDOW_MS and/or PAPERBOY_HF_API_RATE_WINDOW_MS instead',
};

const schedulesSchema = z.record(z.string(), z.string().min(1).nullable());

/**
 * PAPERBOY_SCHEDULES is a JSON object: {"trending": "0 * * * *", "searches": null}.
 * Each name must be a schedule's and each pattern one BullMQ can run (in `tz`);
 * every problem is added to `problems`.
 */
function readSchedules(value: string | undefined, tz: string, problems: string[]): Record<string, string | null> {
  if (value === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    problems.push(`PAPERBOY_SCHEDULES: must be a JSON object such as {"trending": "0 * * * *", "searches": null}`);
    return {};
  }
  const parsed = schedulesSchema.safeParse(json);
  if (!parsed.success) {
    problems.push(
      `PAPERBOY_SCHEDULES: must map schedule names to a cron pattern or null (${parsed.error.issues[0]?.message})`,
    );
    return {};
  }
  for (const [name, pattern] of Object.entries(parsed.data)) {
    if (!isScheduleName(name)) {
      problems.push(`PAPERBOY_SCHEDULES: unknown schedule "${name}" (known: ${SCHEDULE_NAMES.join(', ')})`);
      continue;
    }
    const problem = pattern === null ? undefined : schedulePatternProblem(pattern, tz);
    if (problem) problems.push(`PAPERBOY_SCHEDULES: ${name}: ${problem}`);
  }
  return parsed.data;
}

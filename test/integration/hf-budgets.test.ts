import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import type { BackfillResult } from '../../src/queue/backfill-flow.ts';
import { JOBS, QUEUES, type FetchDigestPayload } from '../../src/queue/contracts.ts';
import { hfRequestBudget } from '../../src/queue/request-budget.ts';
import { startService, type RunningService } from '../../src/service/run-service.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { dayRange, DigestUpstream } from '../support/digest-upstream.ts';
import { QuotaGate, type QuotaGateOptions } from '../support/quota-gate.ts';
import { configOf, openQueue, serviceEnv, settledIn } from '../support/service.ts';

/**
 * Hugging Face's two budgets against a local Hugging Face that enforces
 * them as its documentation says (fixed windows per bucket, RateLimit and
 * RateLimit-Policy headers, 429 past a quota), scaled down to 2-second
 * windows: the JSON API and the HTML pages each at their own budget, a 429
 * or a pause of one never holding back the other, the server's policy
 * followed, garbled headers ignored.
 */

const logger = createLogger({ level: 'silent', pretty: false });
const WINDOW_MS = 2_000;

const budgetEnv = (pages: number, api: number | undefined): Record<string, string> => ({
  PAPERBOY_HF_PAGES_RATE_MAX: String(pages),
  PAPERBOY_HF_PAGES_RATE_WINDOW_MS: String(WINDOW_MS),
  ...(api === undefined
    ? {}
    : { PAPERBOY_HF_API_RATE_MAX: String(api), PAPERBOY_HF_API_RATE_WINDOW_MS: String(WINDOW_MS) }),
});

describe("Hugging Face's budgets, per bucket", () => {
  const upstream = new DigestUpstream();
  let db: TestDatabase;
  const running: RunningService[] = [];
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    await upstream.start();
  });
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const service of running.splice(0)) await service.shutdown('test over');
    upstream.gate = undefined;
    upstream.bigDays.clear();
    await db.drop();
  });
  afterAll(async () => {
    await upstream.stop();
  });

  async function startWorker(
    env: Record<string, string>,
    gate: QuotaGateOptions,
    roles: Array<'worker' | 'dashboard'> = ['worker'],
  ) {
    upstream.gate = new QuotaGate(gate);
    const fullEnv = serviceEnv(db.url, upstream.baseUrl, env);
    // The test's own budget variables replace the suite's fast ones; unset ones fall back to Hugging Face's defaults.
    for (const name of ['PAPERBOY_HF_API_RATE_MAX', 'PAPERBOY_HF_API_RATE_WINDOW_MS'] as const) {
      if (!(name in env)) delete fullEnv[name];
    }
    const config = configOf(fullEnv);
    const service = await startService(new Set(roles), config, logger);
    running.push(service);
    const backfills = await openQueue(config, QUEUES.backfills);
    const digests = await openQueue(config, QUEUES.digests);
    const redis = new Redis(config.redisUrl!, { maxRetriesPerRequest: null });
    closers.push(backfills.close, digests.close, async () => void redis.disconnect());
    const budget = hfRequestBudget(redis, config, logger);
    return { gate: upstream.gate, backfills, digests, budget, dashboardUrl: service.dashboardUrl };
  }

  /** Adds an API backfill of the range and resolves with its result. */
  async function apiBackfill(backfills: Awaited<ReturnType<typeof openQueue>>, range: { from: string; to: string }) {
    const job = await backfills.queue.add(JOBS.backfill, { kind: 'day', from: range.from, to: range.to });
    const done = await backfills.settled(job, 90_000);
    expect(done.failedReason).toBeUndefined();
    return done.returnvalue as BackfillResult;
  }

  /** Scheduled-style HTML fetches of some days; resolves with the time the last one finished. */
  async function htmlFetches(digests: Awaited<ReturnType<typeof openQueue>>, days: string[]) {
    const jobs = await Promise.all(
      days.map((key) => {
        const payload: FetchDigestPayload = { source: 'hf', kind: 'day', key, force: false, via: 'html' };
        return digests.queue.add(JOBS.fetchDigest, payload);
      }),
    );
    for (const job of jobs)
      expect((await settledIn(digests.queue, job, 60_000)).returnvalue).toMatchObject({ outcome: 'loaded' });
    return Date.now();
  }

  const span = (times: number[]) => (times.length < 2 ? 0 : Math.max(...times) - Math.min(...times));

  it('runs a long API backfill and a stream of HTML fetches at once, each at its own budget: no 429, no window over its quota', async () => {
    const { gate, backfills, digests } = await startWorker(budgetEnv(5, 20), {
      windowMs: WINDOW_MS,
      quotas: { pages: 5, api: 20 },
    });
    const range = dayRange(40, 30);
    // Two days list every capture's papers: each is three API pages, three requests of the API budget.
    upstream.bigDays.add(range.keys[3]!).add(range.keys[20]!);
    const html = dayRange(8, 80).keys;
    const started = Date.now();
    const [result, htmlDone] = await Promise.all([apiBackfill(backfills, range), htmlFetches(digests, html)]);
    const apiDone = Date.now();

    expect(result.loaded).toEqual(range.keys);
    expect(gate.refused).toEqual({ pages: 0, api: 0 });
    expect(gate.busiestWindow('api')).toBeLessThanOrEqual(20);
    expect(gate.busiestWindow('pages')).toBeLessThanOrEqual(5);
    // Every API request counted: one per ordinary day, three per big day.
    expect(gate.arrivals.api).toHaveLength(38 + 2 * 3);
    expect(gate.arrivals.pages).toHaveLength(8);
    // Paced, not bursting: 44 API requests take at least 43 gaps of 2000/19 ms.
    expect(span(gate.arrivals.api)).toBeGreaterThanOrEqual(43 * (WINDOW_MS / 19) - 100);
    // The HTML stream kept its own pace (7 gaps of 500 ms) and finished while the API backfill still ran:
    // with one budget for both, its fetches would queue behind the API's.
    expect(span(gate.arrivals.pages)).toBeGreaterThanOrEqual(7 * 500 - 100);
    expect(htmlDone - started).toBeLessThan(7 * 500 + 2_500);
    expect(htmlDone).toBeLessThan(apiDone);
  });

  it('pauses only the bucket that answered 429, without using an attempt', async () => {
    // The API quota enforced is a fifth of the one configured, and no header warns: the API bucket meets 429s.
    const { gate, backfills, digests } = await startWorker(
      { ...budgetEnv(5, 20), PAPERBOY_JOB_ATTEMPTS: '1' },
      { windowMs: WINDOW_MS, quotas: { pages: 5, api: 4 }, headers: 'none' },
    );
    const range = dayRange(12, 30);
    const started = Date.now();
    const [result, htmlDone] = await Promise.all([
      apiBackfill(backfills, range),
      htmlFetches(digests, dayRange(6, 80).keys),
    ]);

    expect(gate.refused.api).toBeGreaterThan(0);
    expect(gate.refused.pages).toBe(0);
    // One attempt per job: a 429 that used one would have failed its key.
    expect(result.loaded).toEqual(range.keys);
    expect(result.failed).toEqual([]);
    // The HTML fetches went on at their pace while the API bucket was paused.
    expect(htmlDone - started).toBeLessThan(5 * 500 + 2_500);
    const pausedSpans = gate.arrivals.api
      .slice(1)
      .map((at, index) => [gate.arrivals.api[index]!, at] as const)
      .filter(([from, to]) => to - from >= 900);
    expect(pausedSpans.length).toBeGreaterThan(0);
    const pagesDuringPauses = gate.arrivals.pages.filter((at) =>
      pausedSpans.some(([from, to]) => at > from && at < to),
    );
    expect(pagesDuringPauses.length).toBeGreaterThan(0);
  });

  it('follows a server policy larger than the default budget: the bucket speeds up to it', async () => {
    const { gate, backfills, budget, dashboardUrl } = await startWorker(
      { ...budgetEnv(5, undefined), PAPERBOY_WORKER_CONCURRENCY: '1' },
      { windowMs: WINDOW_MS, quotas: { pages: 5, api: 20 } },
      ['worker', 'dashboard'],
    );
    const range = dayRange(15, 30);
    const started = Date.now();
    const result = await apiBackfill(backfills, range);
    expect(result.loaded).toEqual(range.keys);
    // The anonymous API budget (500 per 5 minutes) would space 15 requests 601 ms apart: over 8 s.
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(gate.refused.api).toBe(0);
    expect(gate.busiestWindow('api')).toBeLessThanOrEqual(20);
    expect(await budget.readBucket('api')).toMatchObject({
      policy: { quota: 20, windowMs: WINDOW_MS },
      remaining: expect.any(Number),
    });
    expect((await budget.readBucket('pages')).policy).toEqual({ quota: 5, windowMs: WINDOW_MS });
    // Exported for Prometheus: the quota followed and what the server last said was left.
    const metrics = await (await fetch(`${dashboardUrl}/metrics`)).text();
    expect(metrics).toContain('paperboy_upstream_rate_limit_quota{upstream="hf",resource="api"} 20');
    expect(metrics).toContain('paperboy_upstream_rate_limit_quota{upstream="hf",resource="pages"} 5');
    expect(metrics).toContain('paperboy_upstream_rate_limit_window_seconds{upstream="hf",resource="api"} 2');
    expect(metrics).toMatch(/paperboy_upstream_rate_limit_remaining\{upstream="hf",resource="api"\} \d+/);
    expect(metrics).toMatch(/paperboy_upstream_paused_seconds\{upstream="hf",resource="pages"\} 0\n/);
  });

  it('follows a server policy smaller than the configured budget: the bucket slows down to it', async () => {
    const { gate, backfills, budget } = await startWorker(
      { ...budgetEnv(5, 20), PAPERBOY_WORKER_CONCURRENCY: '1' },
      { windowMs: WINDOW_MS, quotas: { pages: 5, api: 5 } },
    );
    const range = dayRange(10, 30);
    const result = await apiBackfill(backfills, range);
    expect(result.loaded).toEqual(range.keys);
    expect(gate.refused.api).toBe(0);
    expect(gate.busiestWindow('api')).toBeLessThanOrEqual(5);
    // Slots 500 ms apart once the policy is known (the first two were reserved at the configured pace).
    expect(span(gate.arrivals.api)).toBeGreaterThanOrEqual(8 * 500 - 100);
    expect((await budget.readBucket('api')).policy).toEqual({ quota: 5, windowMs: WINDOW_MS });
  });

  it('changes nothing on garbled headers: the configured pace, no 429', async () => {
    const { gate, backfills, budget } = await startWorker(budgetEnv(5, 10), {
      windowMs: WINDOW_MS,
      quotas: { pages: 5, api: 10 },
      headers: 'garbled',
    });
    const range = dayRange(8, 30);
    const result = await apiBackfill(backfills, range);
    expect(result.loaded).toEqual(range.keys);
    expect(gate.refused.api).toBe(0);
    // 10 per 2 s: 222 ms apart.
    expect(span(gate.arrivals.api)).toBeGreaterThanOrEqual(7 * (WINDOW_MS / 9) - 100);
    expect(await budget.readBucket('api')).toMatchObject({
      policy: { quota: 10, windowMs: WINDOW_MS },
      remaining: undefined,
      pausedUntil: undefined,
    });
  });
});

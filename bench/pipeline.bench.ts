import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { dayDigest } from '../src/domain/digest-key.ts';
import { HttpClient } from '../src/http/http-client.ts';
import type { Logger } from '../src/logger.ts';
import { JOBS, QUEUES } from '../src/queue/contracts.ts';
import type { BackfillResult } from '../src/queue/backfill-flow.ts';
import { ingestDigest, type StageTimings } from '../src/stages/ingest-digest.ts';
import { dayRange, DigestUpstream } from '../test/support/digest-upstream.ts';
import { QuotaGate } from '../test/support/quota-gate.ts';
import { emptyDatabase, median, type Figure } from './harness.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/paperboy.js');

export interface PipelineContext {
  databaseUrl: string;
  redisUrl: string;
  pool: pg.Pool;
  logger: Logger;
  log: (line: string) => void;
}

/**
 * End to end: a `days`-day backfill through the real service (a `paperboy
 * worker` process: BullMQ on Redis, the backfill flow, the HF limiter) from an
 * instant local upstream, against the same pages pushed through the same
 * stage function (ingestDigest) in a plain loop, same run, same database.
 * Both run one fetch at a time (PAPERBOY_WORKER_CONCURRENCY=1), so the ratio
 * is the cost of the queue and nothing else. Reports papers/s, the loop's
 * time per stage, and the worker's peak RSS.
 */
export async function benchEndToEnd(
  context: PipelineContext,
  options: { days: number; repeats: number },
): Promise<Figure[]> {
  const upstream = await new DigestUpstream().start();
  try {
    const range = dayRange(options.days, 30);
    for (const key of range.keys) upstream.page(key); // built once, outside every timing
    const loopRuns: Array<{ seconds: number; papers: number; stages: StageTimings }> = [];
    const queueRuns: Array<{ seconds: number; papers: number; peakRssMb: number }> = [];
    for (let round = 0; round < options.repeats; round += 1) {
      await emptyDatabase(context.pool);
      loopRuns.push(await runLoop(context, upstream, range.keys));
      await emptyDatabase(context.pool);
      queueRuns.push(await runQueue(context, upstream, range, { concurrency: 1, via: 'html' }));
      context.log(
        `e2e round ${round + 1}: loop ${loopRuns.at(-1)!.seconds.toFixed(1)} s, queue ${queueRuns.at(-1)!.seconds.toFixed(1)} s, worker peak RSS ${queueRuns.at(-1)!.peakRssMb.toFixed(0)} MB`,
      );
    }
    const loopRate = median(loopRuns.map((run) => run.papers / run.seconds));
    const queueRate = median(queueRuns.map((run) => run.papers / run.seconds));
    const stages = loopRuns.at(-1)!.stages;
    const perDay = (ms: number) => `${(ms / options.days).toFixed(1)} ms`;
    const peak = Math.max(...queueRuns.map((run) => run.peakRssMb));
    return [
      {
        name: `e2e: ${options.days}-day backfill through BullMQ workers`,
        value: queueRate,
        unit: 'papers/s',
        baseline: loopRate,
        ratio: queueRate / loopRate,
        target: '>= 0.8x the plain loop',
        met: queueRate / loopRate >= 0.8,
        note:
          `baseline: the same pages through ingestDigest in a plain loop, same run; ${queueRuns[0]!.papers} papers per run, one fetch at a time in both; ` +
          `median of ${options.repeats}; loop time per day: fetch ${perDay(stages.fetchMs)}, parse ${perDay(stages.parseMs)}, store + load ${perDay(stages.loadMs)}`,
      },
      {
        name: `e2e: worker peak RSS during the ${options.days}-day backfill`,
        value: peak,
        unit: 'MB',
        baseline: null,
        ratio: null,
        target: '< 300 MB',
        met: peak < 300,
        note: 'VmHWM of the `paperboy worker` process, the highest of the rounds',
      },
    ];
  } finally {
    await upstream.stop();
  }
}

/**
 * Politeness, as Hugging Face counts it: a local upstream enforcing its two
 * buckets in fixed windows (scaled down: `windowMs`), with RateLimit headers
 * and 429s past a quota. A `days`-day backfill through the JSON API runs
 * with a stream of scheduled-style HTML fetches beside it. The backfill
 * should take no longer than its keys at the API rate (days ÷ (quota ÷
 * window)) allow, each bucket's busiest window stay within its quota, and no
 * request meet a 429.
 */
export async function benchPoliteness(
  context: PipelineContext,
  options: {
    days: number;
    windowMs: number;
    quotas: { api: number; pages: number };
    htmlFetches: number;
    repeats: number;
  },
): Promise<Figure[]> {
  const upstream = await new DigestUpstream().start();
  const { windowMs, quotas } = options;
  const apiRate = (quotas.api * 1000) / windowMs;
  try {
    const range = dayRange(options.days, 2_000);
    const htmlDays = dayRange(options.htmlFetches, 30).keys;
    for (const key of htmlDays) upstream.page(key);
    const allowed = options.days / apiRate;
    const runs: Array<{
      seconds: number;
      busiest: { api: number; pages: number };
      refused: number;
      htmlSeconds: number;
    }> = [];
    for (let round = 0; round < options.repeats; round += 1) {
      await emptyDatabase(context.pool);
      const gate = new QuotaGate({ windowMs, quotas });
      upstream.gate = gate;
      let htmlSeconds = 0;
      const run = await runQueue(context, upstream, range, {
        concurrency: 4,
        via: 'api',
        env: {
          PAPERBOY_HF_API_RATE_MAX: String(quotas.api),
          PAPERBOY_HF_API_RATE_WINDOW_MS: String(windowMs),
          PAPERBOY_HF_PAGES_RATE_MAX: String(quotas.pages),
          PAPERBOY_HF_PAGES_RATE_WINDOW_MS: String(windowMs),
        },
        // The schedules' HTML fetches, all queued at the start: they spend the pages budget at its pace.
        beside: async (digests) => {
          const started = performance.now();
          const jobs = await Promise.all(
            htmlDays.map((key) =>
              digests.add(JOBS.fetchDigest, { source: 'hf', kind: 'day', key, force: false, via: 'html' }),
            ),
          );
          for (const job of jobs)
            await until(
              async () => (await digests.getJobState(job.id!)) === 'completed',
              30 * 60_000,
              () => `HTML fetch ${job.id}`,
              50,
            );
          htmlSeconds = (performance.now() - started) / 1000;
        },
      });
      const refused = gate.refused.api + gate.refused.pages;
      runs.push({
        seconds: run.seconds,
        busiest: { api: gate.busiestWindow('api'), pages: gate.busiestWindow('pages') },
        refused,
        htmlSeconds,
      });
      context.log(
        `politeness round ${round + 1}: API backfill ${run.seconds.toFixed(2)} s for ${options.days} days (${gate.arrivals.api.length} API requests; ` +
          `allowed ${allowed.toFixed(1)} s); ${htmlDays.length} HTML fetches beside it in ${htmlSeconds.toFixed(1)} s; busiest window: api ${runs.at(-1)!.busiest.api}/${quotas.api}, ` +
          `pages ${runs.at(-1)!.busiest.pages}/${quotas.pages}; 429s: ${refused}; API requests per window: ${gate.perWindow('api').join(' ')}`,
      );
    }
    upstream.gate = undefined;
    const seconds = median(runs.map((run) => run.seconds));
    const busiest = {
      api: Math.max(...runs.map((run) => run.busiest.api)),
      pages: Math.max(...runs.map((run) => run.busiest.pages)),
    };
    const refused = runs.reduce((sum, run) => sum + run.refused, 0);
    const window = `${windowMs / 1000} s`;
    return [
      {
        name: `politeness: ${options.days}-day API backfill at ${quotas.api} per ${window}, HTML fetches beside it`,
        value: seconds,
        unit: 's',
        baseline: allowed,
        // Lower is better: the time the API budget allows over the time taken.
        ratio: allowed / seconds,
        target: `<= 1.05x the ${allowed.toFixed(1)} s the API budget allows`,
        met: seconds <= 1.05 * allowed,
        note:
          `baseline: ${options.days} keys / ${apiRate} API requests per second; ${options.htmlFetches} HTML fetches at ${quotas.pages} per ${window} ran beside it ` +
          `(median ${median(runs.map((run) => run.htmlSeconds)).toFixed(1)} s); median of ${options.repeats}`,
      },
      {
        name: `politeness: busiest ${window} window of each bucket at the server (API quota ${quotas.api}, pages quota ${quotas.pages})`,
        value: Math.max(busiest.api / quotas.api, busiest.pages / quotas.pages),
        unit: 'x quota',
        baseline: 1,
        ratio: 1 / Math.max(busiest.api / quotas.api, busiest.pages / quotas.pages),
        target: '<= 1 in each bucket',
        met: busiest.api <= quotas.api && busiest.pages <= quotas.pages,
        note: `api ${busiest.api}, pages ${busiest.pages}: the server's own fixed windows, all rounds`,
      },
      {
        name: 'politeness: requests answered 429',
        value: refused,
        unit: 'requests',
        baseline: 0,
        ratio: null,
        target: '0',
        met: refused === 0,
        note: 'all rounds, both buckets',
      },
    ];
  } finally {
    await upstream.stop();
  }
}

async function runLoop(context: PipelineContext, upstream: DigestUpstream, keys: readonly string[]) {
  const http = new HttpClient({
    userAgent: 'paperboy-bench',
    timeoutMs: 30_000,
    maxBodyBytes: 20_000_000,
    allowedOrigins: [upstream.baseUrl],
  });
  const stages: StageTimings = { fetchMs: 0, parseMs: 0, loadMs: 0 };
  let papers = 0;
  const started = performance.now();
  try {
    for (const key of keys) {
      const result = await ingestDigest(
        {
          http,
          pool: context.pool,
          hf: { baseUrl: upstream.baseUrl, token: undefined, transport: 'html' },
          logger: context.logger,
        },
        dayDigest(key),
      );
      papers += result.paperCount;
      stages.fetchMs += result.timings.fetchMs;
      stages.parseMs += result.timings.parseMs;
      stages.loadMs += result.timings.loadMs;
    }
  } finally {
    await http.close();
  }
  return { seconds: (performance.now() - started) / 1000, papers, stages };
}

/** A bench worker's environment: the bench's Postgres and Redis, its own queue prefix, no real upstream. */
export function workerEnv(context: PipelineContext, prefix: string, hfBaseUrl: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: context.databaseUrl,
    REDIS_URL: context.redisUrl,
    HF_BASE_URL: hfBaseUrl,
    // No GitHub here: enrichment jobs fail fast against a closed port and stay out of the way.
    GITHUB_API_URL: 'http://127.0.0.1:9',
    PAPERBOY_QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'error',
  };
}

/** Runs one backfill through a `paperboy worker` child process; returns its time, papers loaded and peak RSS. */
export async function runQueue(
  context: PipelineContext,
  upstream: DigestUpstream,
  range: { from: string; to: string; keys: readonly string[] },
  options: {
    concurrency: number;
    via: 'api' | 'html';
    env?: Record<string, string>;
    beside?: (digests: Queue) => Promise<void>;
    /** The worker's command line (default: this Node, bin/paperboy.js worker). */
    command?: readonly string[];
  },
) {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const [executable, ...args] = options.command ?? [process.execPath, BIN, 'worker'];
  const child = spawn(executable!, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...workerEnv(context, prefix, upstream.baseUrl),
      PAPERBOY_WORKER_CONCURRENCY: String(options.concurrency),
      PAPERBOY_HF_PAGES_RATE_MAX: '1000000',
      PAPERBOY_HF_PAGES_RATE_WINDOW_MS: '1000',
      PAPERBOY_HF_API_RATE_MAX: '1000000',
      PAPERBOY_HF_API_RATE_WINDOW_MS: '1000',
      PAPERBOY_BACKFILL_MAX_KEYS: String(range.keys.length),
      ...options.env,
    },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const connection = new Redis(context.redisUrl, { maxRetriesPerRequest: null });
  const backfills = new Queue(QUEUES.backfills, { connection, prefix });
  const digests = new Queue(QUEUES.digests, { connection, prefix });
  try {
    await until(
      async () => (await backfills.getWorkersCount()) > 0 && (await digests.getWorkersCount()) > 0,
      60_000,
      () => `the worker to start: ${stderr}`,
    );
    const started = performance.now();
    const job = await backfills.add(JOBS.backfill, { kind: 'day', from: range.from, to: range.to, via: options.via });
    const beside = options.beside?.(digests);
    let finished: Job | undefined;
    await until(
      async () => {
        const state = await backfills.getJobState(job.id!);
        if (state === 'failed')
          throw new Error(`the backfill failed: ${(await Job.fromId(backfills, job.id!))?.failedReason}`);
        if (state !== 'completed') return false;
        finished = await Job.fromId(backfills, job.id!);
        return true;
      },
      30 * 60_000,
      () => 'the backfill to finish',
      20,
    );
    const seconds = (performance.now() - started) / 1000;
    await beside;
    const result = finished!.returnvalue as BackfillResult;
    if (result.loaded.length !== range.keys.length)
      throw new Error(
        `expected ${range.keys.length} days loaded, got ${JSON.stringify({ ...result, loaded: result.loaded.length })}`,
      );
    const peakRssMb = await peakRss(child.pid!);
    const { rows } = await context.pool.query<{ n: string }>(`select count(*) as n from listings where kind = 'day'`);
    return { seconds, papers: Number(rows[0]!.n), peakRssMb };
  } finally {
    child.kill('SIGTERM');
    await exited;
    await backfills.obliterate({ force: true }).catch(() => undefined);
    await digests.obliterate({ force: true }).catch(() => undefined);
    await backfills.close();
    await digests.close();
    connection.disconnect();
  }
}

/** The process's peak resident set (VmHWM), in MB. */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}

async function until(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: () => string,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

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
export async function benchEndToEnd(context: PipelineContext, options: { days: number; repeats: number }): Promise<Figure[]> {
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
      queueRuns.push(await runQueue(context, upstream, range, { concurrency: 1 }));
      context.log(`e2e round ${round + 1}: loop ${loopRuns.at(-1)!.seconds.toFixed(1)} s, queue ${queueRuns.at(-1)!.seconds.toFixed(1)} s, worker peak RSS ${queueRuns.at(-1)!.peakRssMb.toFixed(0)} MB`);
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
 * Politeness: with the HF limiter at `perSecond` requests per second, a
 * `days`-day backfill should take no longer than the limit itself allows
 * (days / perSecond seconds), and the upstream should never see more than
 * `perSecond` requests in any one-second window (counted at the server).
 */
export async function benchPoliteness(context: PipelineContext, options: { days: number; perSecond: number; repeats: number }): Promise<Figure[]> {
  const upstream = await new DigestUpstream().start();
  try {
    const range = dayRange(options.days, 2_000);
    for (const key of range.keys) upstream.page(key);
    const allowed = options.days / options.perSecond;
    const runs: Array<{ seconds: number; busiestSecond: number }> = [];
    for (let round = 0; round < options.repeats; round += 1) {
      await emptyDatabase(context.pool);
      upstream.arrivals.length = 0;
      const run = await runQueue(context, upstream, range, {
        concurrency: 4,
        env: { PAPERBOY_HF_RATE_MAX: String(options.perSecond), PAPERBOY_HF_RATE_WINDOW_MS: '1000' },
      });
      runs.push({ seconds: run.seconds, busiestSecond: busiestWindow(upstream.arrivals, 1_000) });
      const first = Math.min(...upstream.arrivals);
      const perSecond = new Map<number, number>();
      for (const arrival of upstream.arrivals) perSecond.set(Math.floor((arrival - first) / 1000), (perSecond.get(Math.floor((arrival - first) / 1000)) ?? 0) + 1);
      context.log(
        `politeness round ${round + 1}: ${run.seconds.toFixed(2)} s for ${options.days} days (requests from ${((first - run.startedAt) / 1000).toFixed(2)} s to ` +
          `${((Math.max(...upstream.arrivals) - run.startedAt) / 1000).toFixed(2)} s; per second from the first: ${[...perSecond.values()].join(' ')}), busiest second ${runs.at(-1)!.busiestSecond} requests`,
      );
    }
    const seconds = median(runs.map((run) => run.seconds));
    const busiest = Math.max(...runs.map((run) => run.busiestSecond));
    return [
      {
        name: `politeness: ${options.days}-day backfill at ${options.perSecond} requests/s`,
        value: seconds,
        unit: 's',
        baseline: allowed,
        // Lower is better: the time the limit allows over the time taken.
        ratio: allowed / seconds,
        target: `<= 1.05x the ${allowed} s the limit allows`,
        met: seconds <= 1.05 * allowed,
        note: `baseline: ${options.days} requests / ${options.perSecond} per second; median of ${options.repeats}`,
      },
      {
        name: `politeness: most requests the upstream saw in any one second (limit ${options.perSecond})`,
        value: busiest,
        unit: 'requests',
        baseline: options.perSecond,
        ratio: options.perSecond / busiest,
        target: `<= ${options.perSecond}`,
        met: busiest <= options.perSecond,
        note: 'sliding one-second windows over the arrival times at the server, all rounds',
      },
    ];
  } finally {
    await upstream.stop();
  }
}

/** The most arrivals within any window of `ms` milliseconds. */
function busiestWindow(arrivals: readonly number[], ms: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let best = 0;
  for (let start = 0, end = 0; end < sorted.length; end += 1) {
    while (sorted[end]! - sorted[start]! >= ms) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

async function runLoop(context: PipelineContext, upstream: DigestUpstream, keys: readonly string[]) {
  const http = new HttpClient({ userAgent: 'paperboy-bench', timeoutMs: 30_000, maxBodyBytes: 20_000_000, allowedOrigins: [upstream.baseUrl] });
  const stages: StageTimings = { fetchMs: 0, parseMs: 0, loadMs: 0 };
  let papers = 0;
  const started = performance.now();
  try {
    for (const key of keys) {
      const result = await ingestDigest({ http, pool: context.pool, hf: { baseUrl: upstream.baseUrl, token: undefined, transport: 'html' }, logger: context.logger }, dayDigest(key));
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

/** Runs one backfill through a `paperboy worker` child process; returns its time, papers loaded and peak RSS. */
async function runQueue(
  context: PipelineContext,
  upstream: DigestUpstream,
  range: { from: string; to: string; keys: readonly string[] },
  options: { concurrency: number; env?: Record<string, string> },
) {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const child = spawn(process.execPath, [BIN, 'worker'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      DATABASE_URL: context.databaseUrl,
      REDIS_URL: context.redisUrl,
      HF_BASE_URL: upstream.baseUrl,
      // No GitHub here: enrichment jobs fail fast against a closed port and stay out of the way.
      GITHUB_API_URL: 'http://127.0.0.1:9',
      PAPERBOY_QUEUE_PREFIX: prefix,
      PAPERBOY_WORKER_CONCURRENCY: String(options.concurrency),
      PAPERBOY_HF_RATE_MAX: '1000000',
      PAPERBOY_HF_RATE_WINDOW_MS: '1000',
      PAPERBOY_BACKFILL_MAX_KEYS: String(range.keys.length),
      LOG_LEVEL: 'error',
      ...options.env,
    },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const connection = new Redis(context.redisUrl, { maxRetriesPerRequest: null });
  const backfills = new Queue(QUEUES.backfills, { connection, prefix });
  const digests = new Queue(QUEUES.digests, { connection, prefix });
  try {
    await until(async () => (await backfills.getWorkersCount()) > 0 && (await digests.getWorkersCount()) > 0, 60_000, () => `the worker to start: ${stderr}`);
    const started = performance.now();
    const job = await backfills.add(JOBS.backfill, { kind: 'day', from: range.from, to: range.to });
    let finished: Job | undefined;
    await until(
      async () => {
        const state = await backfills.getJobState(job.id!);
        if (state === 'failed') throw new Error(`the backfill failed: ${(await Job.fromId(backfills, job.id!))?.failedReason}`);
        if (state !== 'completed') return false;
        finished = await Job.fromId(backfills, job.id!);
        return true;
      },
      30 * 60_000,
      () => 'the backfill to finish',
      20,
    );
    const seconds = (performance.now() - started) / 1000;
    const result = finished!.returnvalue as BackfillResult;
    if (result.loaded.length !== range.keys.length) throw new Error(`expected ${range.keys.length} days loaded, got ${JSON.stringify({ ...result, loaded: result.loaded.length })}`);
    const peakRssMb = await peakRss(child.pid!);
    const { rows } = await context.pool.query<{ n: string }>(`select count(*) as n from listings where kind = 'day'`);
    return { seconds, startedAt: started, papers: Number(rows[0]!.n), peakRssMb };
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

async function until(probe: () => Promise<boolean>, timeoutMs: number, what: () => string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

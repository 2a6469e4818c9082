import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SCHEDULER_PREFIX } from '../../src/queue/contracts.ts';
import { createLogger } from '../../src/logger.ts';
import { startService } from '../../src/service/run-service.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { API_2024_08_01, apiEntries, captureWithoutBlobOrCards } from '../support/digests.ts';
import { buildListPage } from '../support/page-builder.ts';
import { configOf, openQueue, serviceEnv, spawnRole, waitFor } from '../support/service.ts';
import { serviceSuite } from '../support/service-suite.ts';
import { runCli } from '../support/cli.ts';
import { readFixture } from '../support/upstream-server.ts';

const logger = createLogger({ level: 'silent', pretty: false });
const capture = readFixture('hf-html/hf-papers-date-2024-08-01.html');
const layoutGone = captureWithoutBlobOrCards();
const fetchDay = (key: string) => ({ source: 'hf', kind: 'day', key, force: false });

describe('the service on real Redis, Postgres and BullMQ', () => {
  const suite = serviceSuite();
  const { hf } = suite;

  it('registers each schedule once however often it starts, and removes one dropped from config', async () => {
    const env = serviceEnv(suite.db.url, hf.baseUrl, { PAPERBOY_SAVED_SEARCHES: 'lightweight' });
    for (let start = 0; start < 3; start += 1)
      await (await startService(new Set(['schedule']), configOf(env), logger)).shutdown('again');
    const { queue, close } = await openQueue(configOf(env));
    try {
      const keys = (await queue.getJobSchedulers(0, -1)).map((scheduler) => scheduler.key).sort();
      expect(keys).toEqual(
        [
          'daily-recent',
          'paper-details',
          'periods',
          'prune-pages',
          'refetch-recent',
          'repos-refresh',
          'searches',
          'trending',
        ].map((name) => SCHEDULER_PREFIX + name),
      );
      const trending = (await queue.getJobSchedulers(0, -1)).find(
        (scheduler) => scheduler.key === `${SCHEDULER_PREFIX}trending`,
      );
      expect(trending).toMatchObject({ pattern: '5 * * * *', tz: 'UTC' });

      const withoutTrending = { ...env, PAPERBOY_SCHEDULES: JSON.stringify({ trending: null, periods: '0 4 * * *' }) };
      await (await startService(new Set(['schedule']), configOf(withoutTrending), logger)).shutdown('reconfigured');
      const after = await queue.getJobSchedulers(0, -1);
      expect(after.map((scheduler) => scheduler.key).sort()).toEqual(
        ['daily-recent', 'paper-details', 'periods', 'prune-pages', 'refetch-recent', 'repos-refresh', 'searches'].map(
          (name) => SCHEDULER_PREFIX + name,
        ),
      );
      expect(after.find((scheduler) => scheduler.key === `${SCHEDULER_PREFIX}periods`)).toMatchObject({
        pattern: '0 4 * * *',
      });
    } finally {
      await close();
    }
  });

  it('refuses a bad schedule before registering any: one configuration message, exit 2, no stack', async () => {
    const env = serviceEnv(suite.db.url, hf.baseUrl, {
      PAPERBOY_SCHEDULES: JSON.stringify({ 'refetch-recent': 'bad cron', trending: 'every:0' }),
      PAPERBOY_TZ: 'Mars/Phobos',
    });
    const result = await runCli(['schedule'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PAPERBOY_TZ: not a time zone/);
    expect(result.stderr).toMatch(/PAPERBOY_SCHEDULES: refetch-recent: "bad cron" is not a cron pattern/);
    expect(result.stderr).toMatch(/PAPERBOY_SCHEDULES: trending: "every:0" is not every:<milliseconds>/);
    expect(result.stderr).not.toMatch(/unexpected error|\n\s+at /);
    const { queue, close } = await openQueue(configOf({ ...env, PAPERBOY_SCHEDULES: '', PAPERBOY_TZ: '' }));
    try {
      expect(await queue.getJobSchedulers(0, -1)).toEqual([]);
    } finally {
      await close();
    }
  });

  it('a scheduled tick fetches and loads', async () => {
    hf.route('/papers/trending', { body: buildListPage({ entries: apiEntries(API_2024_08_01), date: '2024-08-01' }) });
    hf.route('/papers', {
      body: buildListPage({ entries: apiEntries(API_2024_08_01).slice(0, 5), date: '2024-08-01' }),
    });
    const env = serviceEnv(suite.db.url, hf.baseUrl, {
      PAPERBOY_SCHEDULES: JSON.stringify({
        'daily-recent': null,
        periods: null,
        'refetch-recent': null,
        'repos-refresh': null,
        trending: 'every:500',
      }),
    });
    await suite.startService(['worker', 'schedule'], env);
    const rows = await waitFor(
      async () => {
        const { rows } = await suite.db.pool.query(
          `select kind, count(*)::int as n from listings group by kind order by kind`,
        );
        return rows.length === 2 && rows;
      },
      15_000,
      'the trending and front pages to be loaded',
    );
    expect(rows).toEqual([
      { kind: 'front', n: 5 },
      { kind: 'trending', n: 11 },
    ]);
  });

  it('retries a 503 with backoff and then loads', async () => {
    hf.route('/papers/date/2024-08-01', { status: 503, body: 'busy' }, { body: capture });
    const env = serviceEnv(suite.db.url, hf.baseUrl);
    await suite.startService(['worker'], env);
    const { queue, settled, close } = await openQueue(configOf(env));
    try {
      const job = await settled(
        await queue.add('fetch-digest', fetchDay('2024-08-01'), {
          attempts: 3,
          backoff: { type: 'exponential', delay: 100 },
        }),
      );
      expect(await job.getState()).toBe('completed');
      expect(job.attemptsMade).toBe(2);
      expect(job.returnvalue).toMatchObject({ outcome: 'loaded', papers: 13, inserted: 13 });
      const { rows } = await suite.db.pool.query(`select outcome, http_status from digest_fetches order by id`);
      expect(rows).toEqual([
        { outcome: 'failed', http_status: null },
        { outcome: 'loaded', http_status: 200 },
      ]);
    } finally {
      await close();
    }
  });

  it('fails a changed layout once, with no retries', async () => {
    hf.route('/papers/date/2024-08-05', { body: layoutGone });
    const env = serviceEnv(suite.db.url, hf.baseUrl);
    await suite.startService(['worker'], env);
    const { queue, settled, close } = await openQueue(configOf(env));
    try {
      const job = await settled(
        await queue.add('fetch-digest', fetchDay('2024-08-05'), { attempts: 5, backoff: { type: 'fixed', delay: 50 } }),
      );
      expect(await job.getState()).toBe('failed');
      expect(job.failedReason).toMatch(/no DailyPapers data-props blob and no paper cards/);
      // No retry: with a 50 ms backoff and 5 attempts, a retry would have fetched again by now.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(hf.requestsTo('/papers/date/2024-08-05')).toHaveLength(1);
      expect(await job.getState()).toBe('failed');
    } finally {
      await close();
    }
  });

  it('pauses the queue for a 429 Retry-After and then completes, without using an attempt', async () => {
    hf.route('/papers/date/2024-08-06', { status: 429, headers: { 'retry-after': '1' } }, { body: capture });
    const env = serviceEnv(suite.db.url, hf.baseUrl);
    await suite.startService(['worker'], env);
    const { queue, settled, close } = await openQueue(configOf(env));
    try {
      const started = Date.now();
      // One attempt only: if the 429 used it, the job would fail.
      const job = await settled(await queue.add('fetch-digest', fetchDay('2024-08-06'), { attempts: 1 }));
      expect(await job.getState()).toBe('completed');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      const requests = hf.requestsTo('/papers/date/2024-08-06');
      expect(requests).toHaveLength(2);
      expect(job.returnvalue).toMatchObject({ outcome: 'loaded', papers: 13 });
    } finally {
      await close();
    }
  });

  it('keeps the Hugging Face budget across all workers together', async () => {
    const days = Array.from({ length: 9 }, (_, index) => `2024-07-${String(index + 1).padStart(2, '0')}`);
    const timestamps: number[] = [];
    for (const day of days) {
      hf.route(`/papers/date/${day}`, (_request, response) => {
        timestamps.push(Date.now());
        response.writeHead(302, { location: '/papers' }).end();
      });
    }
    // 3 requests per second for the whole queue; two worker processes with concurrency 2 each.
    const env = serviceEnv(suite.db.url, hf.baseUrl, {
      PAPERBOY_HF_PAGES_RATE_MAX: '3',
      PAPERBOY_HF_PAGES_RATE_WINDOW_MS: '1000',
    });
    await suite.startService(['worker'], env);
    await suite.startService(['worker'], env);
    const { queue, settled, close } = await openQueue(configOf(env));
    try {
      const jobs = await Promise.all(days.map((day) => queue.add('fetch-digest', fetchDay(day))));
      for (const job of jobs) expect(await (await settled(job)).getState()).toBe('completed');
      expect(timestamps).toHaveLength(9);
      // 3 per second is one request every 334 ms, for both workers together: 8 gaps of 334 ms at least.
      // Each worker spacing only its own requests would be done in half that.
      const sorted = [...timestamps].sort((a, b) => a - b);
      expect(sorted.at(-1)! - sorted[0]!).toBeGreaterThanOrEqual(8 * 334 - 50);
      // No second, however it is cut, sees more than 3. Starts are 334 ms apart in Redis; the margin
      // absorbs a busy worker's delay between starting a job and its request reaching the server
      // (tens of ms on a loaded 2-core machine). Per-worker limits would put 4 within ~500 ms.
      for (let i = 3; i < sorted.length; i += 1) expect(sorted[i]! - sorted[i - 3]!).toBeGreaterThanOrEqual(800);
    } finally {
      await close();
    }
  });

  it('serves /healthz and /metrics', async () => {
    hf.route('/papers/date/2024-08-07', { body: capture });
    const env = serviceEnv(suite.db.url, hf.baseUrl);
    const service = await suite.startService(['worker', 'dashboard'], env);
    const { queue, settled, close } = await openQueue(configOf(env));
    try {
      await settled(await queue.add('fetch-digest', fetchDay('2024-08-07')));
      const health = await fetch(`${service.dashboardUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
      const metrics = await (await fetch(`${service.dashboardUrl}/metrics`)).text();
      expect(metrics).toContain('paperboy_queue_jobs{queue="digests",state="completed"} 1');
      expect(metrics).toContain('paperboy_fetches_total{kind="day",outcome="loaded"} 1');
      expect(metrics).toContain('paperboy_papers 13');
      expect(metrics).toMatch(/paperboy_last_successful_fetch_timestamp_seconds\{kind="day"\} \d+/);
    } finally {
      await close();
    }
  });
});

describe('worker processes stopped mid-job', () => {
  const suite = serviceSuite();
  const { hf } = suite;
  let reference: pg.Pool;
  let referenceDb: TestDatabase;
  let slowFirst = true;

  beforeAll(async () => {
    // The first request hangs (a job in flight); every later one answers at once.
    hf.route('/papers/date/2024-08-01', (_request, response) => {
      if (slowFirst) {
        slowFirst = false;
        setTimeout(
          () => response.writeHead(200, { 'content-length': String(capture.length) }).end(capture),
          20_000,
        ).unref();
        return;
      }
      response.writeHead(200, { 'content-length': String(capture.length) }).end(capture);
    });
    referenceDb = await createTestDatabase();
    reference = referenceDb.pool;
  });

  beforeEach(() => {
    slowFirst = true;
  });

  afterAll(async () => {
    await referenceDb.drop();
  });

  async function paperRows(pool: pg.Pool) {
    const { rows } = await pool.query(`select id, title, upvotes, authors, raw from papers order by id`);
    return rows;
  }

  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'after %s the job completes on the next worker, with the rows of an undisturbed run',
    async (signal) => {
      const env = serviceEnv(suite.db.url, hf.baseUrl, { LOG_LEVEL: 'info' });
      const config = configOf(env);
      const { queue, settled, close } = await openQueue(config);
      try {
        const first = spawnRole('worker', env);
        const job = await queue.add('fetch-digest', fetchDay('2024-08-01'), { attempts: 3 });
        const requestsBefore = hf.requestsTo('/papers/date/2024-08-01').length;
        await waitFor(
          async () => hf.requestsTo('/papers/date/2024-08-01').length > requestsBefore,
          20_000,
          'the job to start fetching',
        );
        expect(await job.getState()).toBe('active');

        first.child.kill(signal);
        const code = await first.exited;
        if (signal === 'SIGTERM') {
          expect(code).toBe(0);
          expect(first.output()).toContain('shut down cleanly');
        } else {
          expect(code).toBe(null);
        }
        expect(await job.getState()).not.toBe('completed');

        const second = spawnRole('worker', env);
        try {
          const done = await settled(job, 30_000);
          expect(await done.getState()).toBe('completed');
          expect(done.returnvalue).toMatchObject({ outcome: 'loaded', papers: 13 });
        } finally {
          second.child.kill('SIGTERM');
          expect(await second.exited).toBe(0);
        }
        await ingestReference();
        expect(await paperRows(suite.db.pool)).toEqual(await paperRows(reference));
      } finally {
        await close();
      }
    },
  );

  /** The undisturbed run: the same page loaded once by a plain ingest, into a database of its own. */
  async function ingestReference() {
    const { count } = (await reference.query(`select count(*)::int as count from papers`)).rows[0];
    if (count > 0) return;
    const result = await runCli(['ingest', 'day', '2024-08-01', '--no-enrich'], {
      DATABASE_URL: referenceDb.url,
      HF_BASE_URL: hf.baseUrl,
      LOG_LEVEL: 'warn',
    });
    expect(result.code).toBe(0);
  }
});

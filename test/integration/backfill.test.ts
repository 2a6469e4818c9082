import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BackfillResult } from '../../src/queue/backfill-flow.ts';
import { cancelBackfill } from '../../src/queue/backfill-flow.ts';
import { JOBS, QUEUES } from '../../src/queue/contracts.ts';
import {
  BACKFILL_FROM,
  BACKFILL_TO,
  BROKEN_DAY,
  EMPTY_DAYS,
  LOADED_DAYS,
  routeBackfillDays,
} from '../support/backfill-days.ts';
import { runCli } from '../support/cli.ts';
import { listedFromApi, listedFromHtml2024 } from '../support/digests.ts';
import { buildPaperPage } from '../support/paper-page-builder.ts';
import { configOf, openQueue, serviceEnv } from '../support/service.ts';
import { serviceSuite } from '../support/service-suite.ts';

// The days are served as HTML pages (a weekend that redirects, a page whose layout is gone).
const TEN_DAYS = { kind: 'day', from: BACKFILL_FROM, to: BACKFILL_TO, via: 'html' };

describe('backfills: one job fanning out a fetch per key', () => {
  const suite = serviceSuite();
  const { hf } = suite;
  let expected: Map<string, string[]>;

  beforeAll(() => {
    expected = routeBackfillDays(hf);
  });

  beforeEach(() => {
    hf.requests.length = 0;
  });

  /** A worker service and a producer handle on its backfills and digests queues. */
  async function startWorker(extra: Record<string, string> = {}) {
    const env = serviceEnv(suite.db.url, hf.baseUrl, { PAPERBOY_WORKER_CONCURRENCY: '4', ...extra });
    await suite.startService(['worker'], env);
    const backfills = await openQueue(configOf(env), QUEUES.backfills);
    const digests = await openQueue(configOf(env), QUEUES.digests);
    const digestsApi = await openQueue(configOf(env), QUEUES.digestsApi);
    suite.closeAfterTest(backfills.close, digests.close, digestsApi.close);
    return { env, backfills, digests, digestsApi };
  }

  async function listedDays(): Promise<Map<string, string[]>> {
    const { rows } = await suite.db.pool.query<{ key: string; ids: string[] }>(
      `select key, array_agg(paper_id order by paper_id) as ids from listings where kind = 'day' group by key`,
    );
    return new Map(rows.map((row) => [row.key, row.ids]));
  }

  it('loads every good day of a range holding an empty weekend and a broken page, and reports each key', async () => {
    const { backfills } = await startWorker();
    const job = await backfills.settled(await backfills.queue.add(JOBS.backfill, TEN_DAYS), 60_000);
    expect(job.failedReason).toBeUndefined();
    const result = job.returnvalue as BackfillResult;
    expect(result).toMatchObject({
      kind: 'day',
      from: BACKFILL_FROM,
      to: BACKFILL_TO,
      total: 10,
      skipped: [],
      not_modified: [],
      cancelled: [],
    });
    expect(result.loaded).toEqual(LOADED_DAYS);
    expect(result.empty).toEqual(EMPTY_DAYS);
    expect(result.failed).toEqual([
      { key: BROKEN_DAY, error: expect.stringMatching(/no DailyPapers data-props blob and no paper cards/) },
    ]);
    expect(job.progress).toBe(100);

    const listed = await listedDays();
    expect([...listed.keys()].sort()).toEqual(LOADED_DAYS);
    for (const day of LOADED_DAYS) expect(listed.get(day)).toEqual([...expected.get(day)!].sort());
    // The broken page was fetched once (a layout change is not retried) and nothing of it loaded.
    expect(hf.requestsTo(`/papers/date/${BROKEN_DAY}`)).toHaveLength(1);
    const { rows } = await suite.db.pool.query(
      `select outcome, excerpt is not null as has_excerpt from digest_fetches where key = $1`,
      [BROKEN_DAY],
    );
    expect(rows).toEqual([{ outcome: 'failed', has_excerpt: true }]);
  });

  it('skips days already loaded, and fetches them again with force', async () => {
    const { backfills } = await startWorker();
    const first = await backfills.settled(
      await backfills.queue.add(JOBS.backfill, { ...TEN_DAYS, to: '2024-08-02' }),
      30_000,
    );
    expect((first.returnvalue as BackfillResult).loaded).toEqual(['2024-08-01', '2024-08-02']);

    const again = await backfills.settled(
      await backfills.queue.add(JOBS.backfill, { ...TEN_DAYS, to: '2024-08-03' }),
      30_000,
    );
    expect(again.returnvalue).toMatchObject({
      total: 3,
      skipped: ['2024-08-01', '2024-08-02'],
      loaded: [],
      empty: ['2024-08-03'],
    });
    expect(hf.requestsTo('/papers/date/2024-08-01')).toHaveLength(1);

    const forced = await backfills.settled(
      await backfills.queue.add(JOBS.backfill, { ...TEN_DAYS, to: '2024-08-02', force: true }),
      30_000,
    );
    // Forced: fetched again; the bytes are the same, so nothing is rewritten.
    expect(forced.returnvalue).toMatchObject({ skipped: [], loaded: ['2024-08-01', '2024-08-02'] });
    expect(hf.requestsTo('/papers/date/2024-08-01')).toHaveLength(2);
    const { rows } = await suite.db.pool.query(`select count(*)::int as n from listings where kind = 'day'`);
    expect(rows[0].n).toBe(expected.get('2024-08-01')!.length + expected.get('2024-08-02')!.length);
  });

  it.each([
    [{ kind: 'day', from: '2024-08-10', to: '2024-08-01' }, /"to" \(2024-08-01\) is before "from" \(2024-08-10\)/],
    [{ kind: 'day', from: '2024-08-01', to: '2999-01-01' }, /"to" \(2999-01-01\) is in the future/],
    [
      { kind: 'day', from: '2024-01-01', to: '2024-12-31' },
      /holds more than 100 day keys \(PAPERBOY_BACKFILL_MAX_KEYS\)/,
    ],
    [{ kind: 'week', from: '2024-08-01', to: '2024-W40' }, /"from": .*a week backfill takes YYYY-Www keys/],
    [{ kind: 'day', form: '2024-08-01', to: '2024-08-02' }, /invalid job payload: .*from/],
  ])('fails a bad request at once, with no fetch and no retry: %j', async (data, message) => {
    const { backfills } = await startWorker({ PAPERBOY_BACKFILL_MAX_KEYS: '100' });
    const job = await backfills.settled(await backfills.queue.add(JOBS.backfill, data, { attempts: 5 }), 15_000);
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(message);
    expect(job.attemptsMade).toBe(1);
    expect(hf.requests).toHaveLength(0);
  });

  it('lets two overlapping backfills share the keys they have in common: each fetched once', async () => {
    // The shared days answer slowly, so both backfills are in flight at once.
    const slow = new Set(['2024-08-06', '2024-08-07']);
    const { backfills } = await startWorker({ PAPERBOY_WORKER_CONCURRENCY: '2' });
    expect(expected.size).toBe(7);
    hf.delay = (url) => (slow.has(url.slice('/papers/date/'.length)) ? 800 : 0);
    try {
      const [a, b] = await Promise.all([
        backfills.queue.add(JOBS.backfill, { kind: 'day', from: '2024-08-06', to: '2024-08-08', via: 'html' }),
        backfills.queue.add(JOBS.backfill, { kind: 'day', from: '2024-08-06', to: '2024-08-09', via: 'html' }),
      ]);
      const [doneA, doneB] = [await backfills.settled(a, 30_000), await backfills.settled(b, 30_000)];
      expect(doneA.returnvalue).toMatchObject({ loaded: ['2024-08-06', '2024-08-07', '2024-08-08'], failed: [] });
      expect(doneB.returnvalue).toMatchObject({
        loaded: ['2024-08-06', '2024-08-07', '2024-08-08', '2024-08-09'],
        failed: [],
      });
      // The later one found the common days already in flight and waited for those fetches.
      const shared = [...doneA.data.state.shared, ...doneB.data.state.shared].sort();
      expect(shared).toEqual(['2024-08-06', '2024-08-07', '2024-08-08']);
      // Each reports how many papers every day listed, the shared ones (read from the audit trail) too.
      const counts = (days: string[]) => Object.fromEntries(days.map((day) => [day, expected.get(day)!.length]));
      expect((doneA.returnvalue as BackfillResult).paper_counts).toEqual(
        counts(['2024-08-06', '2024-08-07', '2024-08-08']),
      );
      expect((doneB.returnvalue as BackfillResult).paper_counts).toEqual(
        counts(['2024-08-06', '2024-08-07', '2024-08-08', '2024-08-09']),
      );
    } finally {
      hf.delay = undefined;
    }
    for (const day of ['2024-08-06', '2024-08-07', '2024-08-08', '2024-08-09'])
      expect(hf.requestsTo(`/papers/date/${day}`)).toHaveLength(1);
  });

  it('cancels: fetches not yet started are dropped and reported, running ones finish', async () => {
    const { backfills, digests, digestsApi } = await startWorker({ PAPERBOY_WORKER_CONCURRENCY: '1' });
    hf.delay = () => 300;
    try {
      const job = await backfills.queue.add(JOBS.backfill, TEN_DAYS);
      // Wait until the first fetch has been made, then cancel.
      const deadline = Date.now() + 10_000;
      while (hf.requests.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(
        await cancelBackfill(
          { backfills: backfills.queue, digests: digests.queue, digestsApi: digestsApi.queue },
          job.id!,
        ),
      ).toBe('cancelling');
      const done = await backfills.settled(job, 20_000);
      const result = done.returnvalue as BackfillResult;
      const fetched = result.loaded.length + result.empty.length + result.failed.length;
      expect(fetched).toBeGreaterThanOrEqual(1);
      expect(result.cancelled.length).toBeGreaterThan(0);
      expect(fetched + result.cancelled.length).toBe(10);
      expect(hf.requests.length).toBe(fetched);
      expect(await digests.queue.getWaitingCount()).toBe(0);
      expect(
        await cancelBackfill(
          { backfills: backfills.queue, digests: digests.queue, digestsApi: digestsApi.queue },
          job.id!,
        ),
      ).toBe('finished');
    } finally {
      hf.delay = undefined;
    }
  });

  it('`paperboy backfill --wait` follows the job with a progress bar and exits 1 because a key failed', async () => {
    const { env } = await startWorker();
    const result = await runCli(
      ['backfill', '--kind', 'day', '--from', BACKFILL_FROM, '--to', BACKFILL_TO, '--via', 'html', '--wait'],
      env,
    );
    expect(result.stdout).toMatch(/^backfill #\d+ queued: day 2024-08-01 to 2024-08-10 via HTML pages, 10 key\(s\)\n/);
    expect(result.stdout).toContain(
      'finished: 7 loaded, 2 empty, 0 not modified, 0 skipped (already fetched), 1 failed, 0 cancelled',
    );
    expect(result.stdout).toMatch(new RegExp(`  failed ${BROKEN_DAY}: .*no DailyPapers data-props blob`));
    const bars = result.stderr.trim().split('\n');
    expect(bars.at(-1)).toBe(
      '[##############################] 10/10 keys (100%) completed: 7 loaded, 2 empty, 1 failed',
    );
    expect(result.code).toBe(1);
    expect([...(await listedDays()).keys()].sort()).toEqual(LOADED_DAYS);
  });

  it("with --details, then fetches each listed paper's own page once, and a re-run only the missing ones", async () => {
    // Each paper's page: the real paper page's shell around that paper (one answers 404).
    const ids = [...expected.get('2024-08-01')!, ...expected.get('2024-08-02')!];
    const papers = new Map(
      [...listedFromHtml2024(), ...listedFromApi('hf-api-daily_papers-2024-05-27.json')].map((listed) => [
        listed.paper.id,
        (listed.paper.raw as { paper: Record<string, unknown> }).paper,
      ]),
    );
    const gone = ids[3]!;
    for (const id of ids) {
      hf.route(`/papers/${id}`, id === gone ? { status: 404 } : { body: buildPaperPage({ paper: papers.get(id)! }) });
    }
    const { env, backfills } = await startWorker();
    const twoDays = { ...TEN_DAYS, to: '2024-08-02', details: true };
    const job = await backfills.settled(await backfills.queue.add(JOBS.backfill, twoDays), 60_000);
    const result = job.returnvalue as BackfillResult;
    expect(result.loaded).toEqual(['2024-08-01', '2024-08-02']);
    const distinct = new Set(ids).size;
    expect(result.papers).toEqual({
      total: distinct,
      skipped: 0,
      loaded: distinct - 1,
      not_modified: 0,
      cancelled: 0,
      not_found: [gone],
      failed: [],
    });
    expect(job.progress).toBe(100);
    const { rows } = await suite.db.pool.query<{ status: string; n: number }>(
      `select status, count(*)::int as n from paper_details group by status order by status`,
    );
    // The 404's paper is known (the day listed it): its detail says not_found.
    expect(rows).toEqual([
      { status: 'not_found', n: 1 },
      { status: 'ok', n: distinct - 1 },
    ]);
    for (const id of ids) expect(hf.requestsTo(`/papers/${id}`)).toHaveLength(1);

    // Again, with the CLI: the days are skipped, and so is every paper whose detail is stored.
    const again = await runCli(
      [
        'backfill',
        '--kind',
        'day',
        '--from',
        '2024-08-01',
        '--to',
        '2024-08-02',
        '--via',
        'html',
        '--details',
        '--wait',
      ],
      env,
    );
    expect(again.stdout).toContain(", then each listed paper's own page\n");
    expect(again.stdout).toContain(
      `paper pages: ${distinct} of ${distinct} done (stored ones skipped unless --force), 1 not found, 0 failed`,
    );
    expect(again.code).toBe(0);
    expect(hf.requestsTo(`/papers/${gone}`)).toHaveLength(2);
    expect(hf.requestsTo(`/papers/${ids[0]}`)).toHaveLength(1);
  });

  it('`paperboy backfill` refuses a bad range before queueing anything (exit 2)', async () => {
    const { env, backfills } = await startWorker();
    const result = await runCli(['backfill', '--kind', 'month', '--from', '2024-08', '--to', '2024-02'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('paperboy: "to" (2024-02) is before "from" (2024-08)\n');
    expect(await backfills.queue.count()).toBe(0);
    const queued = await runCli(['backfill', '--kind', 'month', '--from', '2024-07', '--to', '2024-08'], env);
    expect(queued).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^backfill #\d+ queued: month 2024-07 to 2024-08 via the JSON API, 2 key\(s\)\n$/),
    });
  });
});

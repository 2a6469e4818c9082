import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { toApiBackfillDetail } from '../../src/dashboard/backfill-json.ts';
import { papersHref, phaseLabel, renderBackfillList } from '../../src/dashboard/backfill-list.ts';
import { renderBackfillsPage, renderCancelConfirmation } from '../../src/dashboard/backfill-page.ts';
import { checkBackfillRequest, keyDays } from '../../src/domain/backfill-plan.ts';
import { keysOfResult, tallyKeys } from '../../src/queue/backfill-keys.ts';
import { queuedBehindOf, type BackfillStatus } from '../../src/queue/backfill-status.ts';

const request = {
  kind: 'day',
  from: '2024-08-01',
  to: '2024-08-10',
  force: false,
  via: 'html',
  details: false,
} as const;

const running: BackfillStatus = {
  id: '7',
  request,
  state: 'waiting-children',
  phase: 'running',
  queuedBehind: [],
  createdAt: new Date('2026-11-27T09:00:00Z'),
  finishedAt: undefined,
  done: 4,
  total: 10,
  counts: { skipped: 1, loaded: 2, empty: 0, not_modified: 0, failed: 1, cancelled: 0 },
  failed: [{ key: '2024-08-05', error: 'layout changed: <script>alert(1)</script>' }],
  keys: [
    { key: '2024-08-01', status: 'skipped', papers: 0, error: undefined, job: undefined },
    { key: '2024-08-02', status: 'loaded', papers: 12, error: undefined, job: undefined },
    { key: '2024-08-03', status: 'loaded', papers: 3, error: undefined, job: undefined },
    {
      key: '2024-08-05',
      status: 'failed',
      papers: undefined,
      error: 'layout changed: <script>alert(1)</script>',
      job: undefined,
    },
    ...['2024-08-04', '2024-08-06', '2024-08-07', '2024-08-08', '2024-08-09', '2024-08-10'].map((key) => ({
      key,
      status: 'pending' as const,
      papers: undefined,
      error: undefined,
      job: { queue: 'digests', id: `digest-hf-day-${key}` },
    })),
  ],
  papers: undefined,
  error: undefined,
  cancelRequested: false,
  secondsLeft: 18,
};

describe('the /backfills page', () => {
  it('shows progress, counts, the failed key (escaped) first in the key list, and a Cancel link to the confirmation', () => {
    const page = renderBackfillsPage({
      backfills: [running],
      csrfToken: 'tok"en',
      readOnly: false,
      maxKeys: 1000,
      form: { from: '"><b>' },
    });
    expect(page).toContain('aria-valuenow="40"');
    expect(page).toContain('4/10 keys done (40%)');
    expect(page).toContain(
      '<span class="chip loaded">loaded 2</span><span class="chip skipped">skipped (already fetched) 1</span><span class="chip failed">failed 1</span>',
    );
    expect(page).toContain('layout changed: &#60;script&#62;alert(1)&#60;/script&#62;');
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('value="&#34;&#62;&#60;b&#62;"');
    expect(page).toContain('<a class="cancel" href="/backfills/7/cancel">Cancel…</a>');
    expect(page).toContain('data-running="true"');
    expect(page).toContain('#7 day 2024-08-01 → 2024-08-10 via HTML pages');
    expect(page).toContain('about <span class="eta">18 s</span> left');
    // No inline script: the page's script is served.
    expect(page).not.toMatch(/<script>/);
    expect(page).toContain('<script src="/assets/backfills.js" defer></script>');

    const rows = [
      ...page.matchAll(/<tr class="([a-z_]+)"><td>(.*?)<\/td><td>(.*?)<\/td><td class="number">(.*?)<\/td>/g),
    ];
    expect(rows.map((row) => [row[1], row[3], row[4]])).toEqual([
      ['failed', 'failed', '–'],
      ...['04', '06', '07', '08', '09', '10'].map(() => ['pending', 'not fetched yet', '–']),
      ['skipped', 'skipped (already fetched: empty)', '0'],
      ['loaded', 'loaded', '12'],
      ['loaded', 'loaded', '3'],
    ]);
    // A key with papers links to them; a pending one to its fetch job in Bull Board.
    expect(page).toContain('<a href="/papers?day=2024-08-02"><code>2024-08-02</code></a>');
    expect(page).toContain('<a href="/queues/queue/digests/digest-hf-day-2024-08-04">fetch job</a>');
    expect(page).toContain('<code>2024-08-01</code></td>');
  });

  it('says "queued behind backfill #N" and "cancelled", not a bare BullMQ state', () => {
    const queued = { ...running, id: '8', phase: 'queued' as const, queuedBehind: ['7'] };
    const cancelled: BackfillStatus = {
      ...running,
      id: '9',
      state: 'completed',
      phase: 'cancelled',
      cancelRequested: true,
      done: 4,
      counts: { ...running.counts, cancelled: 6 },
      secondsLeft: undefined,
    };
    const page = renderBackfillsPage({
      backfills: [cancelled, queued],
      csrfToken: 't',
      readOnly: false,
      maxKeys: 1000,
    });
    expect(page).toContain('<span class="state queued">queued behind backfill #7</span>');
    expect(page).toContain('<span class="state cancelled">cancelled</span>');
    expect(page).toContain('cancelled after 4 of 10 keys; 6 never fetched');
    expect(page).not.toContain('href="/backfills/9/cancel"');
    expect(phaseLabel({ phase: 'queued', queuedBehind: ['2', '3', '5'] })).toBe(
      'queued behind backfills #2, #3 and #5',
    );
  });

  it("sets the placeholders to the chosen kind's keys", () => {
    const page = renderBackfillsPage({
      backfills: [],
      csrfToken: 't',
      readOnly: false,
      maxKeys: 1000,
      form: { kind: 'week' },
    });
    expect(page).toContain('id="from" required placeholder="2024-W31"');
    expect(page).toContain('id="to" required placeholder="2024-W35"');
    expect(page).toContain('<option value="month" data-from="2024-01" data-to="2024-06" data-form="YYYY-MM">');
  });

  it("states what a year of days takes at each bucket's pace, and offers both transports with the API first", () => {
    const bucket = (name: 'pages' | 'api', quota: number) => ({
      upstream: 'hf',
      bucket: name,
      policy: { quota, windowMs: 300_000 },
      remaining: undefined,
      resetAt: undefined,
      pausedUntil: undefined,
    });
    const budgets = [bucket('pages', 100), bucket('api', 500)];
    const page = renderBackfillsPage({ backfills: [], budgets, csrfToken: 'token', readOnly: false, maxKeys: 1000 });
    // 365 requests spaced 300 s / 499 apart, and 300 s / 99 apart.
    expect(page).toContain(
      'API: 500 requests per 5 min, a year of days ≈ 3 min 39 s; HTML pages: 100 requests per 5 min, a year of days ≈ 18 min 26 s.',
    );
    expect(page).toMatch(
      /<select name="via" id="via"><option value="api" selected>[^<]+<\/option><option value="html">/,
    );
  });

  it('in read-only mode has neither the form nor cancel links', () => {
    const page = renderBackfillsPage({ backfills: [running], csrfToken: 'token', readOnly: true, maxKeys: 1000 });
    expect(page).not.toContain('<form');
    expect(page).not.toContain('name="csrf"');
    expect(page).not.toContain('/cancel');
    expect(page).toContain('Read-only mode');
  });

  it('asks before a cancel, saying what is dropped, with a form carrying the token', () => {
    const page = renderCancelConfirmation({ backfill: running, csrfToken: 'tok"en' });
    expect(page).toContain('<h1>Cancel backfill #7?</h1>');
    expect(page).toContain(
      '6 key(s) not yet fetched will be dropped; the 4 already done stay as they are; fetches running now finish.',
    );
    expect(page).toContain('<form method="post" action="/backfills/7/cancel"');
    expect(page).toContain('<input type="hidden" name="csrf" value="tok&#34;en">');
    expect(page).toContain('<a href="/backfills">Keep it running</a>');
  });
});

describe('a backfill in line', () => {
  const ahead = { ...running, id: '3' };
  const fresh: BackfillStatus = {
    ...running,
    id: '5',
    done: 0,
    counts: { skipped: 0, loaded: 0, empty: 0, not_modified: 0, failed: 0, cancelled: 0 },
    failed: [],
    keys: running.keys.map((key) => ({ ...key, status: 'pending' as const, papers: undefined, error: undefined })),
  };

  it('is queued behind the earlier backfills with fetches pending in its queue, until one of its own has run', () => {
    expect(queuedBehindOf(fresh, [ahead])).toMatchObject({ phase: 'queued', queuedBehind: ['3'] });
    // Another queue: not in its way.
    const viaApi = { ...ahead, request: { ...request, via: 'api' as const } };
    expect(queuedBehindOf(fresh, [viaApi])).toMatchObject({ phase: 'running', queuedBehind: [] });
    // A later backfill, or one being cancelled, is not ahead of it.
    expect(queuedBehindOf(fresh, [{ ...ahead, id: '6' }])).toMatchObject({ phase: 'running' });
    expect(queuedBehindOf(fresh, [{ ...ahead, phase: 'cancelling' }])).toMatchObject({ phase: 'running' });
    // Once one of its keys has been fetched, it is running.
    expect(queuedBehindOf(running, [ahead])).toBe(running);
  });
});

describe('the key lists', () => {
  it('come from a finished result in key order, with paper counts, errors and the skipped keys as fetched before', () => {
    const keys = keysOfResult({
      ...request,
      total: 4,
      skipped: ['2024-08-03'],
      loaded: ['2024-08-01'],
      empty: [],
      not_modified: [],
      failed: [{ key: '2024-08-02', error: 'HTTP 500' }],
      cancelled: ['2024-08-04'],
      paper_counts: { '2024-08-01': 12, '2024-08-03': 0 },
    });
    expect(keys.map((key) => [key.key, key.status, key.papers, key.error])).toEqual([
      ['2024-08-01', 'loaded', 12, undefined],
      ['2024-08-02', 'failed', undefined, 'HTTP 500'],
      ['2024-08-03', 'skipped', 0, undefined],
      ['2024-08-04', 'cancelled', undefined, undefined],
    ]);
  });

  it('add up the same way running or finished: counts by outcome, the failures in key order, done without pending or cancelled', () => {
    const finished = keysOfResult({
      ...request,
      total: 5,
      skipped: ['2024-08-03'],
      loaded: ['2024-08-01', '2024-08-05'],
      empty: [],
      not_modified: [],
      failed: [{ key: '2024-08-02', error: 'HTTP 500' }],
      cancelled: ['2024-08-04'],
    });
    expect(tallyKeys(finished)).toEqual({
      counts: { skipped: 1, loaded: 2, empty: 0, not_modified: 0, failed: 1, cancelled: 1 },
      failed: [{ key: '2024-08-02', error: 'HTTP 500' }],
      done: 4,
    });
    const running = finished.map((key) => (key.status === 'cancelled' ? { ...key, status: 'pending' as const } : key));
    expect(tallyKeys(running)).toMatchObject({
      counts: { skipped: 1, loaded: 2, failed: 1, cancelled: 0 },
      done: 4,
    });
    expect(tallyKeys([])).toEqual({
      counts: { skipped: 0, loaded: 0, empty: 0, not_modified: 0, failed: 0, cancelled: 0 },
      failed: [],
      done: 0,
    });
  });

  it('leave the API as snake_case with null for none', () => {
    const json = toApiBackfillDetail(running);
    expect(json).toMatchObject({
      state: 'running',
      job_state: 'waiting-children',
      finished_at: null,
      seconds_left: 18,
    });
    expect(json.keys[0]).toEqual({ key: '2024-08-01', status: 'skipped', papers: 0, error: null, job: null });
  });

  it('are filled in only for the backfills a refresh names (the open ones); the others fold away empty', () => {
    const other = { ...running, id: '9' };
    const refreshed = load(
      renderBackfillList({ backfills: [running, other], readOnly: false, keysFor: new Set(['9']) }),
    );
    expect(refreshed('details[data-for="9"] table.keys tbody tr')).toHaveLength(10);
    expect(refreshed('details[data-for="9"]').attr('data-lazy')).toBeUndefined();
    expect(refreshed('details[data-for="7"]').attr('data-lazy')).toBe('true');
    expect(refreshed('details[data-for="7"] table')).toHaveLength(0);
    // The same summary either way: how many keys, how many failed.
    expect(refreshed('details[data-for="7"] summary').text()).toBe(refreshed('details[data-for="9"] summary').text());
    // A page load names none: every table is there.
    const loaded = load(renderBackfillList({ backfills: [running, other], readOnly: false }));
    expect(loaded('details[data-lazy]')).toHaveLength(0);
    expect(loaded('table.keys')).toHaveLength(2);
  });

  it('link a week or a month to the days it covers', () => {
    expect(keyDays('week', '2024-W31')).toEqual({ since: '2024-07-29', until: '2024-08-04' });
    expect(keyDays('month', '2024-02')).toEqual({ since: '2024-02-01', until: '2024-02-29' });
    expect(papersHref('month', '2024-02')).toBe('/papers?since=2024-02-01&until=2024-02-29');
    expect(papersHref('day', '2024-08-01')).toBe('/papers?day=2024-08-01');
  });
});

describe('the form errors', () => {
  const check = (fields: Record<string, unknown>) =>
    checkBackfillRequest(fields, { today: new Date('2026-11-29T12:00:00Z'), maxKeys: 1000 });

  it.each([
    [
      { kind: 'day', from: 'yesterday', to: '2024-08-02' },
      'from: "yesterday" is not a day key: a day backfill takes YYYY-MM-DD keys, such as 2024-08-01',
    ],
    [
      { kind: 'day', from: '2024-08', to: '2024-08-02' },
      'from: "2024-08" is not a day key: a day backfill takes YYYY-MM-DD keys, such as 2024-08-01',
    ],
    [
      { kind: 'week', from: '2024-W31', to: '2024-08-02' },
      'to: "2024-08-02" is not a week key: a week backfill takes YYYY-Www keys, such as 2024-W31',
    ],
    [{ kind: 'month', from: '', to: '2024-08' }, 'from: missing: a month backfill takes YYYY-MM keys, such as 2024-01'],
  ])("name only the chosen kind's form: %j", (fields, problem) => {
    expect(check(fields)).toEqual({ ok: false, problem });
  });

  it('are prefixed as the command line writes its options', () => {
    expect(
      checkBackfillRequest(
        { kind: 'week', from: 'x', to: '2024-W31' },
        { today: new Date(), maxKeys: 10, fieldPrefix: '--' },
      ),
    ).toMatchObject({ problem: expect.stringMatching(/^--from: "x" is not a week key/) });
  });
});

import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backfillDetailSchema, backfillPageSchema } from '../../src/dashboard/api-schemas.ts';
import { JOBS, QUEUES } from '../../src/queue/contracts.ts';
import { BACKFILL_FROM, BACKFILL_TO, BROKEN_DAY, routeBackfillDays } from '../support/backfill-days.ts';
import { AUTH, PASSWORD, USER } from '../support/dashboard-credentials.ts';
import { csrfTokenIn, formToken, postForm } from '../support/dashboard-forms.ts';
import { configOf, openQueue, serviceEnv, waitFor } from '../support/service.ts';
import { serviceSuite } from '../support/service-suite.ts';

// The days are served as HTML pages (a weekend that redirects, a page whose layout is gone).
const TEN_DAYS = { kind: 'day', from: BACKFILL_FROM, to: BACKFILL_TO, via: 'html' };

interface KeyJson {
  key: string;
  status: string;
  papers: number | null;
  error: string | null;
  job: { queue: string; id: string } | null;
}

describe('backfills followed key by key, on the page and in the API', () => {
  const suite = serviceSuite();
  const { hf } = suite;
  let expected: Map<string, string[]>;

  beforeAll(() => {
    expected = routeBackfillDays(hf);
  });

  beforeEach(() => {
    hf.requests.length = 0;
    hf.delay = undefined;
  });

  async function start(
    extra: Record<string, string> = {},
    roles: Array<'worker' | 'dashboard'> = ['worker', 'dashboard'],
  ) {
    const env = serviceEnv(suite.db.url, hf.baseUrl, {
      DASHBOARD_USER: USER,
      DASHBOARD_PASSWORD: PASSWORD,
      PAPERBOY_WORKER_CONCURRENCY: '4',
      ...extra,
    });
    const service = await suite.startService(roles, env);
    const backfills = await openQueue(configOf(env), QUEUES.backfills);
    suite.closeAfterTest(backfills.close);
    const url = service.dashboardUrl!;
    const get = async (path: string) => {
      const response = await fetch(`${url}${path}`, { headers: AUTH, redirect: 'manual' });
      const type = response.headers.get('content-type') ?? '';
      return {
        status: response.status,
        body: type.startsWith('application/json') ? await response.json() : await response.text(),
      };
    };
    return { url, backfills, get };
  }

  it('lists every key with its outcome, paper count and error; a skipped key says whether it was empty', async () => {
    const { backfills, get } = await start();
    // First a loaded day and an empty one, so that the ten days skip both.
    for (const day of ['2024-08-01', '2024-08-03']) {
      await backfills.settled(await backfills.queue.add(JOBS.backfill, { ...TEN_DAYS, from: day, to: day }), 30_000);
    }
    const job = await backfills.settled(await backfills.queue.add(JOBS.backfill, TEN_DAYS), 60_000);

    const answer = await get(`/api/backfills/${job.id}`);
    expect(answer.status).toBe(200);
    const detail = backfillDetailSchema.parse(answer.body);
    expect(detail).toMatchObject({
      state: 'completed',
      job_state: 'completed',
      done: 10,
      total: 10,
      queued_behind: [],
    });
    const papersOf = (day: string) => expected.get(day)!.length;
    const row = (key: string, status: string, papers: number | null, error: string | null = null): KeyJson => ({
      key,
      status,
      papers,
      error,
      job: null,
    });
    expect(detail.keys).toEqual([
      row('2024-08-01', 'skipped', papersOf('2024-08-01')),
      row('2024-08-02', 'loaded', papersOf('2024-08-02')),
      row('2024-08-03', 'skipped', 0),
      row('2024-08-04', 'empty', 0),
      row(BROKEN_DAY, 'failed', null, expect.stringMatching(/no DailyPapers data-props blob and no paper cards/)),
      ...['2024-08-06', '2024-08-07', '2024-08-08', '2024-08-09', '2024-08-10'].map((day) =>
        row(day, 'loaded', papersOf(day)),
      ),
    ]);
    expect(papersOf('2024-08-02')).toBeGreaterThan(0);

    const page = (await get('/backfills')).body as string;
    const card = page.slice(page.indexOf(`data-id="${job.id}"`));
    // The failed key first in its table, highlighted, with its error; a loaded day links to its papers.
    expect(card).toMatch(
      new RegExp(
        `<tbody><tr class="failed"><td><code>${BROKEN_DAY}</code></td><td>failed</td><td class="number">–</td><td class="detail">no DailyPapers data-props blob`,
      ),
    );
    expect(card).toContain(`<a href="/papers?day=2024-08-02"><code>2024-08-02</code></a>`);
    expect(card).toContain('<td>skipped (already fetched: empty)</td><td class="number">0</td>');
    expect(card).toContain(`<td>skipped (already fetched)</td><td class="number">${papersOf('2024-08-01')}</td>`);
    expect(card).toContain('<span class="chip skipped">skipped (already fetched) 2</span>');
  });

  it('pages /api/backfills as the other lists do: {items, next_cursor}, newest first, snake_case, no key lists', async () => {
    const { backfills, get } = await start({}, ['dashboard']);
    const ids: string[] = [];
    for (const day of ['2024-08-01', '2024-08-02', '2024-08-03']) {
      ids.push((await backfills.queue.add(JOBS.backfill, { ...TEN_DAYS, from: day, to: day })).id!);
    }
    const first = await get('/api/backfills?limit=2');
    expect(first.status).toBe(200);
    const page1 = backfillPageSchema.parse(first.body);
    expect(page1.items.map((item) => item.id)).toEqual([ids[2], ids[1]]);
    expect(page1.items[0]).toMatchObject({
      state: 'queued',
      job_state: 'waiting',
      created_at: expect.any(String),
      finished_at: null,
      cancel_requested: false,
      request: { kind: 'day', from: '2024-08-03', to: '2024-08-03', via: 'html' },
    });
    expect(page1.items[0]).not.toHaveProperty('keys');
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = backfillPageSchema.parse((await get(`/api/backfills?limit=2&cursor=${page1.next_cursor}`)).body);
    expect(page2).toEqual({ items: [expect.objectContaining({ id: ids[0] })], next_cursor: null });
    // The default page holds them all, and refusals name the parameter.
    expect(backfillPageSchema.parse((await get('/api/backfills')).body).items).toHaveLength(3);
    expect(await get('/api/backfills?cursor=bogus')).toEqual({
      status: 400,
      body: { error: 'cursor: not a cursor this API returned' },
    });
    expect(await get('/api/backfills?limit=0')).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^limit/) },
    });
    expect(await get('/api/backfills?state=running')).toMatchObject({
      status: 400,
      body: { error: expect.stringContaining('state') },
    });
  });

  it('says "queued behind backfill #N" while its fetches wait behind an earlier one in the same queue', async () => {
    const { backfills, get } = await start({ PAPERBOY_WORKER_CONCURRENCY: '1' });
    hf.delay = () => 250;
    const first = await backfills.queue.add(JOBS.backfill, { ...TEN_DAYS, to: '2024-08-05' });
    // The first's fetches in the queue before the second is added: the backfills worker runs two at once, so
    // the second could otherwise plan first and be ahead.
    await waitFor(
      async () => {
        const { keys } = (await get(`/api/backfills/${first.id}`)).body as { keys: KeyJson[] };
        return keys.length > 0 && keys.every((key) => key.job !== null || key.status !== 'pending');
      },
      10_000,
      'the first backfill to add its fetches',
    );
    const second = await backfills.queue.add(JOBS.backfill, { ...TEN_DAYS, from: '2024-08-06' });
    // Once the second has planned its keys and added their fetches (in the queue, behind the first's).
    const queued = await waitFor(
      async () => {
        const body = (await get(`/api/backfills/${second.id}`)).body as { keys: KeyJson[]; state: string };
        return body.keys.length > 0 && body.keys.every((key) => key.job !== null) && body;
      },
      10_000,
      'the second backfill to add its fetches',
    );
    expect(queued).toMatchObject({ state: 'queued', queued_behind: [first.id] });
    expect(queued.keys.every((key) => key.status === 'pending')).toBe(true);
    expect(queued.keys[0]!.job).toEqual({ queue: QUEUES.digests, id: 'digest-hf-day-2024-08-06' });
    const page = (await get('/backfills')).body as string;
    expect(page).toContain(`<span class="state queued">queued behind backfill #${first.id}</span>`);

    await backfills.settled(second, 30_000);
    expect((await get(`/api/backfills/${second.id}`)).body).toMatchObject({ state: 'completed', queued_behind: [] });
  });

  it('cancels after a confirmation, and then says "cancelled" with what was fetched before, not "completed"', async () => {
    const { url, backfills, get } = await start({ PAPERBOY_WORKER_CONCURRENCY: '1' });
    hf.delay = () => 300;
    const job = await backfills.queue.add(JOBS.backfill, TEN_DAYS);
    await waitFor(async () => hf.requests.length > 0, 10_000, 'the first fetch');

    const page = (await get('/backfills')).body as string;
    expect(page).toContain(`<a class="cancel" href="/backfills/${job.id}/cancel">Cancel…</a>`);
    const confirmation = await get(`/backfills/${job.id}/cancel`);
    expect(confirmation.status).toBe(200);
    const confirm = confirmation.body as string;
    expect(confirm).toContain(`<h1>Cancel backfill #${job.id}?</h1>`);
    expect(confirm).toMatch(/\d+ key\(s\) not yet fetched will be dropped/);
    const token = csrfTokenIn(confirm);
    // The confirmation itself changed nothing.
    expect(await job.getState()).not.toBe('completed');
    const posted = await postForm(url, `/backfills/${job.id}/cancel`, { csrf: token }, { ...AUTH, origin: url });
    expect(posted.status).toBe(303);
    await backfills.settled(job, 20_000);

    const detail = backfillDetailSchema.parse((await get(`/api/backfills/${job.id}`)).body);
    expect(detail).toMatchObject({ state: 'cancelled', job_state: 'completed', cancel_requested: true });
    const cancelled = detail.keys.filter((key) => key.status === 'cancelled').length;
    expect(cancelled).toBeGreaterThan(0);
    expect(detail.counts.cancelled).toBe(cancelled);
    const list = (await get('/backfills/list')).body as string;
    expect(list).toContain(`<span class="state cancelled">cancelled</span>`);
    expect(list).toContain(`cancelled after ${10 - cancelled} of 10 keys; ${cancelled} never fetched`);
    expect(list).not.toContain('state completed');
    // Nothing left to cancel: the confirmation says so, and so does a confirmation sent again; an unknown
    // backfill is a 404.
    expect(await get(`/backfills/${job.id}/cancel`)).toMatchObject({
      status: 409,
      body: expect.stringContaining(`Backfill #${job.id} has finished (cancelled): nothing to cancel.`),
    });
    const late = await postForm(url, `/backfills/${job.id}/cancel`, { csrf: token }, { ...AUTH, origin: url });
    expect(late.status).toBe(409);
    expect(await late.text()).toContain(`Backfill #${job.id} has finished (cancelled): nothing to cancel.`);
    expect((await get('/backfills/424242/cancel')).status).toBe(404);
  });

  it('ends a cancelled backfill at once, without waiting for the fetches it shares with another', async () => {
    const { url, backfills, get } = await start({ PAPERBOY_WORKER_CONCURRENCY: '1' });
    // One fetch at a time, each slow: the first backfill holds the ten days' fetches for several seconds.
    hf.delay = () => 700;
    const first = await backfills.queue.add(JOBS.backfill, TEN_DAYS);
    await waitFor(async () => hf.requests.length > 0, 10_000, "the first backfill's first fetch");
    const second = await backfills.queue.add(JOBS.backfill, TEN_DAYS);
    // Once the second has planned and found its keys' fetches already queued by the first.
    await waitFor(
      async () => ((await get(`/api/backfills/${second.id}`)).body as { keys: KeyJson[] }).keys.length > 0,
      10_000,
      'the second backfill to plan its keys',
    );
    const token = await formToken(url);
    const posted = await postForm(url, `/backfills/${second.id}/cancel`, { csrf: token }, { ...AUTH, origin: url });
    expect(posted.status).toBe(303);
    await backfills.settled(second, 5_000);
    // The second is over while the first still fetches the keys they share.
    expect(await first.getState()).not.toBe('completed');
    const detail = backfillDetailSchema.parse((await get(`/api/backfills/${second.id}`)).body);
    expect(detail).toMatchObject({ state: 'cancelled', job_state: 'completed' });
    expect(detail.counts.cancelled).toBeGreaterThan(0);
    await backfills.settled(first, 30_000);
    expect((await get(`/api/backfills/${first.id}`)).body).toMatchObject({ state: 'completed' });
  });

  it('in read-only mode offers no cancel, and its confirmation page refuses', async () => {
    const { backfills, get } = await start({ DASHBOARD_READ_ONLY: 'true' }, ['dashboard']);
    const job = await backfills.queue.add(JOBS.backfill, TEN_DAYS);
    expect((await get('/backfills')).body).not.toContain('/cancel');
    expect(await get(`/backfills/${job.id}/cancel`)).toMatchObject({
      status: 403,
      body: expect.stringContaining('Read-only mode: backfills cannot be cancelled here.'),
    });
  });

  it("answers a form whose key is not of the chosen kind with that kind's form only, and keeps the kind", async () => {
    const { url, backfills } = await start({}, ['dashboard']);
    const token = await formToken(url);
    const cases: Array<[Record<string, string>, string, string]> = [
      [
        { kind: 'day', from: '2024-08', to: '2024-08-02' },
        'from: &#34;2024-08&#34; is not a day key: a day backfill takes YYYY-MM-DD keys, such as 2024-08-01',
        '2024-08-01',
      ],
      [
        { kind: 'week', from: '2024-W31', to: 'next week' },
        'to: &#34;next week&#34; is not a week key: a week backfill takes YYYY-Www keys, such as 2024-W31',
        '2024-W31',
      ],
      [
        { kind: 'month', from: '2024-01-01', to: '2024-02' },
        'from: &#34;2024-01-01&#34; is not a month key: a month backfill takes YYYY-MM keys, such as 2024-01',
        '2024-01',
      ],
    ];
    for (const [fields, problem, placeholder] of cases) {
      const response = await postForm(url, '/backfills', { csrf: token, ...fields }, { ...AUTH, origin: url });
      expect(response.status).toBe(400);
      const answer = await response.text();
      expect(answer).toContain(`<p class="error" role="alert">Not started: ${problem}</p>`);
      expect(answer).not.toMatch(/YYYY-MM-DD, YYYY-Www or YYYY-MM/);
      expect(answer).toContain(`id="from" required placeholder="${placeholder}"`);
      expect(answer).toMatch(new RegExp(`<option value="${fields.kind}"[^>]* selected>`));
    }
    expect(await backfills.queue.count()).toBe(0);
  });
});

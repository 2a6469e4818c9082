import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { bullBoardFontStylesheets } from '../../src/dashboard/bull-board-fonts.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/dashboard/content-security-policy.ts';
import { CATCH_UP_DAYS } from '../../src/domain/schedule-plan.ts';
import { QUEUES } from '../../src/queue/contracts.ts';
import { scheduleDefinitions } from '../../src/queue/schedules.ts';
import { AUTH, PASSWORD, USER } from '../support/dashboard-credentials.ts';
import { routeRecentDays } from '../support/recent-days.ts';
import { configOf, serviceEnv, waitFor } from '../support/service.ts';
import { serviceSuite } from '../support/service-suite.ts';

/** What the daily schedule's start run fetches: today, yesterday and the catch-up days before them. */
const DAYS = CATCH_UP_DAYS + 1;
const UTC_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/;

describe('the status page and the Content-Security-Policy of every dashboard response', () => {
  const suite = serviceSuite();
  const { hf } = suite;

  const envFor = () =>
    serviceEnv(suite.db.url, hf.baseUrl, {
      DASHBOARD_USER: USER,
      DASHBOARD_PASSWORD: PASSWORD,
      PAPERBOY_WORKER_CONCURRENCY: '2',
    });

  it('sends the policy with every response: pages, Bull Board, the API, feeds, refusals and 404s', async () => {
    const service = await suite.startService(['dashboard'], envFor());
    const url = service.dashboardUrl!;
    const answers = await Promise.all(
      [
        '/',
        '/backfills',
        '/feeds',
        '/feeds/papers.atom',
        '/queues',
        '/queues/queue/digests',
        '/queues/api/queues',
        '/api/papers',
        '/api/no-such-thing',
        '/assets/no-such-asset.js',
        '/no-such-page',
        '/healthz',
        '/metrics',
      ].map(async (path) => [path, await fetch(`${url}${path}`, { headers: AUTH, redirect: 'manual' })] as const),
    );
    answers.push(['/ without credentials', await fetch(`${url}/`)]);
    for (const [path, response] of answers) {
      expect(response.headers.get('content-security-policy'), path).toBe(CONTENT_SECURITY_POLICY);
      await response.arrayBuffer();
    }
    const statuses = Object.fromEntries(answers.map(([path, response]) => [path, response.status]));
    expect(statuses).toMatchObject({ '/': 200, '/queues': 200, '/no-such-page': 404, '/ without credentials': 401 });
  });

  it("serves Bull Board's page without its link to an outside font host, with its fonts from this origin", async () => {
    const service = await suite.startService(['dashboard'], envFor());
    const url = service.dashboardUrl!;
    const html = await (await fetch(`${url}/queues`, { headers: AUTH })).text();
    const $ = load(html);
    expect($('link[href]').length).toBeGreaterThan(0);
    for (const element of [...$('link[href]'), ...$('script[src]')]) {
      const ref = $(element).attr('href') ?? $(element).attr('src')!;
      // Relative (to <base href="/queues/">): this origin. Each answers.
      expect(ref, ref).not.toMatch(/^(https?:)?\/\//);
      expect((await fetch(new URL(ref, `${url}/queues/`), { headers: AUTH })).status, ref).toBe(200);
    }
    expect(html).not.toContain('fonts.googleapis');
    // Its fonts from this origin: each weight's stylesheet, and the files it names.
    const fontSheets = $('link[href^="fonts/"]')
      .map((_, link) => $(link).attr('href'))
      .get();
    expect(fontSheets).toEqual(bullBoardFontStylesheets());
    const sheet = await (await fetch(new URL(fontSheets[0]!, `${url}/queues/`), { headers: AUTH })).text();
    const latin = /url\((\.\/files\/[a-z-]+-latin-400-normal\.woff2)\)/.exec(sheet)?.[1];
    expect(latin).toBeDefined();
    const font = await fetch(new URL(latin!, new URL(fontSheets[0]!, `${url}/queues/`)), { headers: AUTH });
    expect(font.status).toBe(200);
    expect(
      Buffer.from(await font.arrayBuffer())
        .subarray(0, 4)
        .toString('latin1'),
    ).toBe('wOF2');
    expect((await fetch(`${url}/queues/fonts/ibm-plex-sans/no-such-file.css`, { headers: AUTH })).status).toBe(404);
    // Its config still reaches the UI, with the links back to our pages.
    const uiConfig = JSON.parse($('script#__UI_CONFIG__').text()) as { miscLinks: Array<{ url: string }> };
    expect(uiConfig.miscLinks.map((link) => link.url)).toEqual(['/', '/backfills', '/papers']);
  });

  it('shows each schedule with its pattern, last and next run, the last good fetch per kind, failures, queues and budgets', async () => {
    const { loaded, papers, broken } = routeRecentDays(hf);
    const env = envFor();
    const service = await suite.startService(['worker', 'schedule', 'dashboard'], env);
    const url = service.dashboardUrl!;
    // The start runs daily-recent: today loads, yesterday's layout is gone, the catch-up days before are 404s.
    await waitFor(
      async () =>
        (await suite.db.pool.query(`select count(distinct key)::int as n from digest_fetches where kind = 'day'`))
          .rows[0].n === DAYS,
      30_000,
      'the days of the start run fetched',
    );
    const response = await fetch(`${url}/`, { headers: AUTH });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const $ = load(await response.text());

    // Every schedule in force, in its defined order, with the pattern BullMQ holds and a next run.
    const definitions = scheduleDefinitions(configOf(env));
    expect(
      $('tr[data-schedule]')
        .map((_, row) => $(row).attr('data-schedule'))
        .get(),
    ).toEqual(definitions.map((definition) => definition.name));
    for (const definition of definitions) {
      const row = $(`tr[data-schedule="${definition.name}"]`);
      expect(row.find('td.pattern code').text(), definition.name).toBe(definition.pattern);
      const next = new Date(row.find('td.next-run time').attr('datetime')!);
      expect(next.getTime(), definition.name).toBeGreaterThan(Date.now() - 60_000);
      expect(row.find('td.next-run time').text()).toMatch(UTC_TIME);
    }
    // daily-recent ran at the start, though not from its scheduler: its run is there; the others never ran.
    const daily = $('tr[data-schedule="daily-recent"] td.last-run');
    expect(daily.find('.state').text()).toBe('completed');
    expect(daily.find('.detail').text()).toBe(`completed enqueued ${DAYS} job(s)`);
    expect(daily.find('time').text()).toMatch(UTC_TIME);
    expect(daily.find('.age').text()).toMatch(/^\((just now|\d+ min ago)\)$/);
    expect($('tr[data-schedule="periods"] td.last-run').text()).toBe('never');

    // The last good fetch per kind: the day loaded today; kinds never fetched say so.
    const day = $('tr[data-kind="day"]');
    expect(day.find('code').text()).toBe(loaded);
    expect(day.find('td').last().text()).toBe(`loaded, ${papers} papers`);
    expect($('tr[data-kind="week"]').text()).toBe('weeknever');

    // The failures: yesterday's changed layout with its class, error and URL, and the 404s.
    const failures = $('li.failure');
    expect(failures.length).toBe(DAYS - 1);
    const layout = failures.filter((_, item) => $(item).find('.title code').text() === broken);
    expect(layout.find('.chip.failed').text()).toBe('LayoutChangedError');
    expect(layout.find('.error-text').text()).not.toBe('');
    expect(layout.find('.url').text()).toBe(`${hf.baseUrl}/papers/date/${broken}`);
    const missing = failures.filter((_, item) => $(item).find('.chip.failed').text() === 'PermanentError');
    expect(missing.length).toBe(DAYS - 2);
    expect(missing.first().find('.error-text').text()).toMatch(/answered 404$/);
    expect($('#failures + p.hint').text()).toMatch(
      new RegExp(`^${DAYS - 1} failed in the last 24 hours; the latest ${DAYS - 1} below\\.`),
    );

    // Every queue, with its counts linking into Bull Board.
    expect(
      $('tr[data-queue]')
        .map((_, row) => $(row).attr('data-queue'))
        .get(),
    ).toEqual(Object.values(QUEUES));
    const digests = $(`tr[data-queue="${QUEUES.digests}"]`);
    expect(digests.find('td.name a').attr('href')).toBe('/queues/queue/digests');
    const completed = Number(digests.find('td[data-state="completed"]').text());
    // The plan job and today's fetch at least (the failed ones are retried first).
    expect(completed).toBeGreaterThanOrEqual(2);

    // Hugging Face's two budgets, as configured for the test.
    expect(
      $('tr[data-budget]')
        .map((_, row) => $(row).attr('data-budget'))
        .get(),
    ).toEqual(['hf:pages', 'hf:api']);
    expect($('tr[data-budget="hf:pages"]').text()).toContain('1,000 per 1 s');

    // Links both ways: the page to /backfills and Bull Board.
    expect($('main a[href="/backfills"]').length).toBeGreaterThan(0);
    expect($('main a[href="/queues"]').length).toBeGreaterThan(0);
  });

  it('says a part of the page it cannot read, and still shows the rest', async () => {
    const service = await suite.startService(['dashboard'], envFor());
    await suite.db.pool.query('alter table upstream_limits rename to upstream_limits_gone');
    const $ = load(await (await fetch(`${service.dashboardUrl}/`, { headers: AUTH })).text());
    expect($('#budgets + p.error').text()).toMatch(/^Could not read this: relation "upstream_limits" does not exist/);
    expect($('tr[data-queue]').length).toBe(Object.values(QUEUES).length);
    expect($('#schedules + p.notice').text()).toMatch(/^No schedule is registered/);
  });
});

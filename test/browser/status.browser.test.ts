import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { dashboardContext, launchChromium, SCREENSHOTS } from '../support/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { CATCH_UP_DAYS } from '../../src/domain/schedule-plan.ts';
import { QUEUES } from '../../src/queue/contracts.ts';
import { scheduleDefinitions } from '../../src/queue/schedules.ts';
import type { RunningService } from '../../src/service/run-service.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { routeRecentDays } from '../support/recent-days.ts';
import { configOf, startSignedInService, waitFor } from '../support/service.ts';
import { UpstreamServer } from '../support/upstream-server.ts';

/**
 * The status page in a real browser (Debian's chromium, headless, driven by
 * playwright-core) after the service has run: all three roles on 127.0.0.1
 * with real Redis, Postgres, BullMQ and a local Hugging Face. Then every
 * dashboard page, ours and Bull Board's, is opened while the browser's
 * requests are watched: none may go to another origin, and the
 * Content-Security-Policy may refuse nothing.
 */

/** What the daily schedule's start run fetches: today, yesterday and the catch-up days before them. */
const DAYS = CATCH_UP_DAYS + 1;

describe('the status page in a browser, and no request leaving the machine', () => {
  const hf = new UpstreamServer();
  let db: TestDatabase;
  let service: RunningService;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let env: Record<string, string>;
  let days: ReturnType<typeof routeRecentDays>;
  /** Every URL the browser asked for, and every refusal it reported, since the context opened. */
  const requested: string[] = [];
  const refusals: string[] = [];
  const fonts: string[] = [];

  beforeAll(async () => {
    await hf.start();
    days = routeRecentDays(hf);
    db = await createTestDatabase();
    // All three roles, as `paperboy start`: the schedule role runs daily-recent at once.
    ({ service, env } = await startSignedInService(db.url, hf.baseUrl, ['worker', 'schedule', 'dashboard'], {
      extraEnv: { PAPERBOY_WORKER_CONCURRENCY: '2' },
      logger: createLogger({ level: 'silent', pretty: false }),
    }));
    await waitFor(
      async () =>
        (await db.pool.query(`select count(distinct key)::int as n from digest_fetches where kind = 'day'`)).rows[0]
          .n === DAYS,
      30_000,
      'the days of the start run fetched',
    );
    browser = await launchChromium();
    context = await dashboardContext(browser, { width: 1400, height: 900 });
    context.on('request', (request) => {
      requested.push(request.url());
      if (request.url().endsWith('.woff2')) fonts.push(request.url());
    });
    // Chromium reports each refusal on the console, and fires securitypolicyviolation in the page.
    context.on('console', (message) => {
      if (/Refused to|Content Security Policy/i.test(message.text())) refusals.push(message.text());
    });
    await context.exposeBinding('reportViolation', (source, text: string) =>
      refusals.push(`${source.page.url()}: ${text}`),
    );
    // The page's own view of a refusal (a string: these tests have no DOM types).
    await context.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (event) =>
        window.reportViolation(event.violatedDirective + ' refused ' + event.blockedURI));`,
    });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.shutdown('test over');
    await db?.drop();
    await hf.stop();
  });

  it('shows every schedule with its pattern, last run and next run, the failed fetches and the queues, at 1,400 and 800 pixels', async () => {
    const definitions = scheduleDefinitions(configOf(env));
    for (const width of [1400, 800]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${service.dashboardUrl}/`);
      expect(await page.title()).toBe('Status · paperboy');
      expect(
        await page.locator('tr[data-schedule]').evaluateAll((rows) => rows.map((row) => row.dataset.schedule)),
      ).toEqual(definitions.map((definition) => definition.name));
      for (const definition of definitions) {
        const row = page.locator(`tr[data-schedule="${definition.name}"]`);
        expect(await row.locator('td.pattern').textContent()).toBe(definition.pattern);
        expect(await row.locator('td.next-run').textContent()).toMatch(
          /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC \(in (a moment|\d+ (min|h))\)$/,
        );
      }
      // daily-recent ran at the start (not from its scheduler, which is why Bull Board shows no last run).
      expect(await page.locator('tr[data-schedule="daily-recent"] td.last-run').textContent()).toMatch(
        new RegExp(
          `^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC \\((just now|\\d+ min ago)\\)completed enqueued ${DAYS} job\\(s\\)$`,
        ),
      );
      expect(await page.locator('tr[data-schedule="trending"] td.last-run').textContent()).toBe('never');

      const broken = page.locator('li.failure').filter({ hasText: days.broken });
      expect(await broken.locator('.chip.failed').textContent()).toBe('LayoutChangedError');
      expect(await broken.locator('.error-text').textContent()).toMatch(/the page layout changed/);
      expect(await broken.locator('.url').textContent()).toBe(`${hf.baseUrl}/papers/date/${days.broken}`);
      expect(await page.locator('tr[data-kind="day"] code').textContent()).toBe(days.loaded);
      expect(await page.locator('tr[data-queue]').count()).toBe(Object.values(QUEUES).length);

      await page.screenshot({
        path: path.join(SCREENSHOTS, width === 1400 ? 'status.png' : `status-${width}.png`),
        fullPage: true,
      });
      // Nothing wider than the window: long errors and URLs wrap.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
    }
    await page.setViewportSize({ width: 1400, height: 900 });
  });

  it('links from the status page into Bull Board, and back', async () => {
    await page.goto(`${service.dashboardUrl}/`);
    await page.locator(`tr[data-queue="${QUEUES.digests}"] td.name a`).click();
    await page.waitForURL(`${service.dashboardUrl}/queues/queue/${QUEUES.digests}`);
    // Bull Board puts the links of its uiConfig in the menu at the end of its header's actions.
    await page.locator('ul[class^="actions-"] > li:last-child button').click();
    await page.getByRole('menuitem', { name: 'Status', exact: true }).click();
    await page.waitForURL(`${service.dashboardUrl}/`);
    expect(await page.locator('h1').textContent()).toBe('Status');
  });

  it('makes no request to another origin from any dashboard page, and the policy refuses nothing, while Bull Board works', async () => {
    const origin = new URL(service.dashboardUrl!).origin;
    requested.length = 0;
    refusals.length = 0;
    for (const path of ['/', '/backfills', '/feeds', '/papers', '/repos']) {
      await page.goto(`${service.dashboardUrl}${path}`);
      await page.waitForLoadState('networkidle');
    }
    // Bull Board renders its queue list, then a queue's page with its jobs.
    await page.goto(`${service.dashboardUrl}/queues`);
    await page.locator(`a[href$="/queue/${QUEUES.digestsApi}"]`).first().waitFor({ timeout: 15_000 });
    await page.waitForLoadState('networkidle');
    for (const name of Object.values(QUEUES)) {
      await page.goto(`${service.dashboardUrl}/queues/queue/${name}`);
      await page.waitForLoadState('networkidle');
    }
    await page.goto(`${service.dashboardUrl}/queues/queue/${QUEUES.digests}?status=failed`);
    await page
      .getByText(/answered 404/)
      .first()
      .waitFor({ timeout: 15_000 });
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'bull-board-failed.png') });

    // Bull Board's fonts came from this origin, and the browser has them.
    // (Since the context opened: an earlier test may have brought them into the cache.)
    expect(fonts.some((url) => url.startsWith(`${origin}/queues/fonts/ibm-plex-sans/files/`))).toBe(true);
    expect(await page.evaluate(`document.fonts.check('16px "IBM Plex Sans"')`)).toBe(true);
    expect(requested.length).toBeGreaterThan(20);
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(refusals).toEqual([]);
  });
});

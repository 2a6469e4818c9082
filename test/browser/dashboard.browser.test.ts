import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { dashboardContext, launchChromium, SCREENSHOTS, startDayBackfill } from '../support/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import type { BackfillResult } from '../../src/queue/backfill-flow.ts';
import { QUEUES } from '../../src/queue/contracts.ts';
import type { RunningService } from '../../src/service/run-service.ts';
import {
  BACKFILL_FROM,
  BACKFILL_TO,
  BROKEN_DAY,
  EMPTY_DAYS,
  LOADED_DAYS,
  routeBackfillDays,
} from '../support/backfill-days.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { configOf, openQueue, startSignedInService } from '../support/service.ts';
import { UpstreamServer } from '../support/upstream-server.ts';
import { USER } from '../support/dashboard-credentials.ts';

/**
 * The dashboard in a real browser (Debian's chromium, headless, driven by
 * playwright-core) against the real server on 127.0.0.1 with real Redis,
 * Postgres, BullMQ workers and a local Hugging Face. Screenshots of each page
 * go to test-results/screenshots/.
 */

describe('the dashboard in a browser', () => {
  const hf = new UpstreamServer();
  let db: TestDatabase;
  let service: RunningService;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let env: Record<string, string>;
  let expected: Map<string, string[]>;

  beforeAll(async () => {
    await hf.start();
    expected = routeBackfillDays(hf);
    db = await createTestDatabase();
    ({ service, env } = await startSignedInService(db.url, hf.baseUrl, ['worker', 'dashboard'], {
      extraEnv: { PAPERBOY_WORKER_CONCURRENCY: '2', PAPERBOY_SAVED_SEARCHES: 'diffusion models' },
      logger: createLogger({ level: 'silent', pretty: false }),
    }));
    browser = await launchChromium();
    context = await dashboardContext(browser, { width: 1280, height: 900 });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.shutdown('test over');
    await db?.drop();
    await hf.stop();
  });

  it('refuses a browser without the credentials, or with wrong ones', async () => {
    const anonymous = await browser.newContext();
    const wrong = await browser.newContext({ httpCredentials: { username: USER, password: 'not the password' } });
    try {
      // Headless chromium cannot prompt for credentials: without any, the 401 ends the navigation.
      await expect((await anonymous.newPage()).goto(`${service.dashboardUrl}/backfills`)).rejects.toThrow(
        /ERR_INVALID_AUTH_CREDENTIALS/,
      );
      // With wrong ones, it shows the server's refusal.
      const page = await wrong.newPage();
      expect((await page.goto(`${service.dashboardUrl}/backfills`))?.status()).toBe(401);
      expect(await page.textContent('body')).toBe('authentication required\n');
    } finally {
      await anonymous.close();
      await wrong.close();
    }
  });

  it('logs in, runs a 10-day backfill from /backfills and watches it reach 100%', async () => {
    // The test days are HTML pages (a redirecting weekend, a page whose layout is gone).
    const id = await startDayBackfill(page, service.dashboardUrl!, BACKFILL_FROM, BACKFILL_TO);
    await expect
      .poll(() => page.locator('p.notice').textContent(), { timeout: 10_000 })
      .toBe(`Backfill #${id} queued.`);

    // The page refreshes its list by itself: no reload here.
    const card = page.locator(`li.backfill[data-id="${id}"]`);
    await card.locator('.progress[aria-valuenow="100"]').waitFor({ timeout: 60_000 });
    await card.and(page.locator('[data-state="completed"]')).waitFor({ timeout: 10_000 });
    expect(await card.locator('.done').textContent()).toBe('10/10 keys done (100%)');
    expect(await card.locator('.chip').allTextContents()).toEqual(['loaded 7', 'empty 2', 'failed 1']);
    expect(await card.locator('ul.failures li code').allTextContents()).toEqual([BROKEN_DAY]);
    // backfills.png: backfills.browser.test.ts, with a key list open.

    const { rows } = await db.pool.query<{ key: string; ids: string[] }>(
      `select key, array_agg(paper_id order by paper_id) as ids from listings where kind = 'day' group by key order by key`,
    );
    expect(rows.map((row) => row.key)).toEqual(LOADED_DAYS);
    for (const row of rows) expect(row.ids).toEqual([...expected.get(row.key)!].sort());
    const empty = await db.pool.query(`select key from digest_fetches where outcome = 'empty' order by key`);
    expect(empty.rows.map((row) => row.key)).toEqual(EMPTY_DAYS);
  });

  it('lists the feeds with their token URLs, readable at 1,400 and 800 pixels, and a token URL opens its feed alone', async () => {
    for (const width of [1400, 800]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${service.dashboardUrl}/feeds`);
      await page.screenshot({ path: path.join(SCREENSHOTS, `feeds-${width}.png`), fullPage: true });
      // Nothing wider than the window: long token URLs wrap instead of scrolling the page sideways.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    // A refused filter on the form: said on the page, the fields kept, no URL made of them.
    await page.fill('input[name="min_upvotes"]', 'lots');
    await page.fill('input[name="language"]', 'Python');
    await page.click('form.new button[type="submit"]');
    expect(await page.locator('p.error').textContent()).toMatch(/^Not a feed: min_upvotes: must be a whole number/);
    expect(await page.inputValue('input[name="language"]')).toBe('Python');
    expect(await page.locator('a[href*="min_upvotes=lots"]').count()).toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'feeds-refused.png'), fullPage: true });
    await page.goto(`${service.dashboardUrl}/feeds`);
    const labels = await page.locator('li.backfill .title').allTextContents();
    expect(labels.some((label) => label.includes('diffusion models'))).toBe(true);
    const atom = await page.locator('a[href*="/feeds/papers.atom"]').first().getAttribute('href');
    expect(atom).toMatch(/[?&]token=[A-Za-z0-9_-]+/);
    // A context without credentials: the token alone opens the feed, and nothing else.
    const reader = await browser.newContext();
    try {
      const feed = await reader.request.get(atom!);
      expect(feed.status()).toBe(200);
      expect(await feed.text()).toContain('<feed');
      const api = await reader.request.get(`${service.dashboardUrl}/api/papers?${new URL(atom!).search.slice(1)}`);
      expect(api.status()).toBe(401);
    } finally {
      await reader.close();
    }
  });

  it("adds a backfill through Bull Board's Add-job dialog, pre-filled from the queue's schema", async () => {
    const backfills = await openQueue(configOf(env), QUEUES.backfills);
    try {
      const ALL = ['waiting', 'active', 'waiting-children', 'delayed', 'completed', 'failed'] as const;
      const before = await backfills.queue.getJobCountByTypes(...ALL);
      await page.goto(`${service.dashboardUrl}/queues/queue/backfills`);
      // The queue's actions menu sits at the end of its status bar, after the workers badge.
      await page.locator('div[class^="trailing-"] > button[aria-haspopup="menu"]').click();
      await page.getByRole('menuitem', { name: 'Add job' }).click();
      const dialog = page.getByRole('dialog');
      const editor = dialog.locator('.cm-content').first();
      // Bull Board fetches the queue's schema after the dialog opens: on a loaded machine that takes a while.
      await expect
        .poll(() => editor.textContent(), { timeout: 15_000 })
        .toMatch(/"kind": "day",\s*"from": "\d{4}-\d{2}-\d{2}",\s*"to": "\d{4}-\d{2}-\d{2}",\s*"force": false/);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'bull-board-add-job.png') });

      await dialog.locator('#job-name').fill('backfill');
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(
        JSON.stringify({ kind: 'day', from: '2024-08-06', to: '2024-08-12', force: true, via: 'html' }),
      );
      await dialog.getByRole('button', { name: 'Add', exact: true }).click();
      await dialog.waitFor({ state: 'hidden' });

      await expect.poll(() => backfills.queue.getJobCountByTypes(...ALL), { timeout: 10_000 }).toBe(before + 1);
      const [job] = (await backfills.queue.getJobs([...ALL])).sort((a, b) => b.timestamp - a.timestamp);
      const done = await backfills.settled(job!, 60_000);
      expect(done.name).toBe('backfill');
      const result = done.returnvalue as BackfillResult;
      // Forced: the five served days are fetched again; the two days past the fixtures are 404s.
      expect(result).toMatchObject({
        kind: 'day',
        from: '2024-08-06',
        to: '2024-08-12',
        skipped: [],
        loaded: ['2024-08-06', '2024-08-07', '2024-08-08', '2024-08-09', '2024-08-10'],
      });
      expect(result.failed.map((failure) => failure.key)).toEqual(['2024-08-11', '2024-08-12']);
      expect(result.failed[0]!.error).toMatch(/404/);

      await page.goto(`${service.dashboardUrl}/queues/queue/backfills?status=completed`);
      await page.getByText(`#${done.id}`).first().waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'bull-board-backfills.png') });
    } finally {
      await backfills.close();
    }
  });
});

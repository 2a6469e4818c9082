import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { dashboardContext, launchChromium, SCREENSHOTS, startDayBackfill } from '../support/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import type { RunningService } from '../../src/service/run-service.ts';
import { BACKFILL_FROM, BACKFILL_TO, BROKEN_DAY, routeBackfillDays } from '../support/backfill-days.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startSignedInService } from '../support/service.ts';
import { UpstreamServer } from '../support/upstream-server.ts';

/**
 * /backfills followed key by key in a real browser (Debian's chromium,
 * headless, driven by playwright-core) against the real server with real
 * Redis, Postgres, BullMQ workers and a local Hugging Face whose pages answer
 * slowly, so that a second backfill waits behind the first: its state in
 * words, a key list with a failed key's error, a cancel confirmed on its own
 * page. Screenshots go to test-results/screenshots/.
 */

describe('/backfills in a browser, key by key', () => {
  const hf = new UpstreamServer();
  let db: TestDatabase;
  let service: RunningService;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await hf.start();
    routeBackfillDays(hf);
    db = await createTestDatabase();
    ({ service } = await startSignedInService(db.url, hf.baseUrl, ['worker', 'dashboard'], {
      // One fetch at a time, each slow: the backfills queue up behind each other.
      extraEnv: { PAPERBOY_WORKER_CONCURRENCY: '1' },
      logger: createLogger({ level: 'silent', pretty: false }),
    }));
    browser = await launchChromium();
    const context = await dashboardContext(browser, { width: 1400, height: 900 });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.shutdown('test over');
    await db?.drop();
    await hf.stop();
  });

  /** Starts a day backfill from the form, as a person would; returns its id. */
  const startBackfill = (from: string, to: string) => startDayBackfill(page, service.dashboardUrl!, from, to);

  it('shows a backfill queued behind another, cancels a third after a confirmation, and lists every key with its error', async () => {
    // The placeholders follow the chosen kind (the served script).
    await page.goto(`${service.dashboardUrl}/backfills`);
    expect(await page.getAttribute('#from', 'placeholder')).toBe('2024-08-01');
    await page.selectOption('#kind', 'week');
    // The served script is deferred: on a loaded machine it may run just after the choice.
    await expect.poll(() => page.getAttribute('#from', 'placeholder')).toBe('2024-W31');
    await page.selectOption('#kind', 'month');
    await expect.poll(() => page.getAttribute('#to', 'placeholder')).toBe('2024-06');

    // Slow enough that the first backfill still runs while the browser (on a loaded machine) does the rest.
    hf.delay = (url) => (url.startsWith('/papers/date/') ? 1_500 : 0);
    try {
      const first = await startBackfill(BACKFILL_FROM, BACKFILL_TO);
      // Days past the fixtures: Hugging Face answers 404, so each fails with its error.
      const second = await startBackfill('2024-08-11', '2024-08-13');
      const secondCard = page.locator(`li.backfill[data-id="${second}"]`);
      // The list refreshes by itself while backfills run: no reload.
      await expect
        .poll(() => secondCard.locator('.state').textContent(), { timeout: 10_000 })
        .toBe(`queued behind backfill #${first}`);
      expect(await secondCard.locator('.done').textContent()).toMatch(
        new RegExp(`^waiting for the fetches of backfill #${first} \\(same queue, first in first out\\)`),
      );
      await page.screenshot({ path: path.join(SCREENSHOTS, 'backfills-queued.png'), fullPage: true });

      // A refresh carries only the key tables the reader has open: the others fold away empty, filled when opened.
      const running = page.locator(`li.backfill[data-id="${first}"]`);
      await running.locator('details.keys[data-lazy]').waitFor({ timeout: 10_000 });
      await running.locator('details.keys summary').click();
      await running.locator('details.keys:not([data-lazy]) table.keys tbody tr').first().waitFor({ timeout: 10_000 });
      expect(await running.locator('table.keys tbody tr').count()).toBe(10);

      // A third one, cancelled: the Cancel link asks first, and says what would be dropped.
      const third = await startBackfill('2024-08-14', '2024-08-19');
      const thirdCard = page.locator(`li.backfill[data-id="${third}"]`);
      // Once it has planned its keys, the confirmation can count them.
      await expect
        .poll(() => thirdCard.locator('.state').textContent(), { timeout: 10_000 })
        .toMatch(/^queued behind backfills #\d+ and #\d+$/);
      await thirdCard.locator('a.cancel').click();
      await page.waitForURL(`${service.dashboardUrl}/backfills/${third}/cancel`);
      expect(await page.locator('h1').textContent()).toBe(`Cancel backfill #${third}?`);
      expect(await page.locator('p.warning').textContent()).toMatch(
        /: 6 key\(s\) not yet fetched will be dropped; fetches running now finish\.$/,
      );
      await page.screenshot({ path: path.join(SCREENSHOTS, 'backfills-cancel.png'), fullPage: true });
      await page.getByRole('button', { name: `Cancel backfill #${third}` }).click();
      await page.waitForURL(/\/backfills\?cancelled=\d+$/);
      await thirdCard.and(page.locator('[data-state="cancelled"]')).waitFor({ timeout: 20_000 });
      expect(await thirdCard.locator('.state').textContent()).toBe('cancelled');
      expect(await thirdCard.locator('.done').textContent()).toBe('cancelled after 0 of 6 keys; 6 never fetched');
      expect(await thirdCard.locator('a.cancel').count()).toBe(0);

      const firstCard = page.locator(`li.backfill[data-id="${first}"]`);
      await firstCard.and(page.locator('[data-state="completed"]')).waitFor({ timeout: 60_000 });
      await secondCard.and(page.locator('[data-state="completed"]')).waitFor({ timeout: 30_000 });
    } finally {
      hf.delay = undefined;
    }
    // The finished list no longer refreshes: open the key lists on a fresh load.
    await page.goto(`${service.dashboardUrl}/backfills`);
    const firstCard = page.locator('li.backfill').nth(2);
    expect(await firstCard.locator('.done').textContent()).toBe('10/10 keys done (100%)');
    expect(await firstCard.locator('ul.failures li code').allTextContents()).toEqual([BROKEN_DAY]);
    await firstCard.locator('details.keys summary').click();
    const rows = firstCard.locator('table.keys tbody tr');
    expect(await rows.count()).toBe(10);
    // The failed key first, with its error.
    expect(await rows.first().getAttribute('class')).toBe('failed');
    expect(await rows.first().locator('td').first().textContent()).toBe(BROKEN_DAY);
    expect(await rows.first().locator('td.detail').textContent()).toMatch(/no DailyPapers data-props blob/);
    expect(await firstCard.locator('tr.empty').count()).toBe(2);
    expect(await firstCard.locator('a[href="/papers?day=2024-08-01"]').count()).toBe(1);
    const secondCard = page.locator('li.backfill').nth(1);
    await secondCard.locator('details.keys summary').click();
    expect(await secondCard.locator('tr.failed td.detail').allTextContents()).toEqual([
      expect.stringMatching(/404/),
      expect.stringMatching(/404/),
      expect.stringMatching(/404/),
    ]);

    for (const width of [1400, 800]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({
        path: path.join(SCREENSHOTS, width === 1400 ? 'backfills.png' : 'backfills-800.png'),
        fullPage: true,
      });
      // Nothing wider than the window: long errors wrap instead of scrolling the page sideways.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
    }
    // The fetches are slowed on purpose (about 20 s in all); a loaded machine adds its share.
  }, 180_000);
});

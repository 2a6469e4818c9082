import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PASSWORD, USER } from './dashboard-credentials.ts';

/**
 * What every browser test starts from: Debian's chromium, headless, driven by
 * playwright-core (never a downloaded browser), and a context signed in to
 * the dashboard. Screenshots go to SCREENSHOTS.
 */

export const SCREENSHOTS = path.resolve('test-results/screenshots');
const CHROMIUM = process.env.PAPERBOY_CHROMIUM ?? '/usr/bin/chromium';

/** @throws naming Debian's package when there is no chromium: a missing browser fails the test, never skips it. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium), or set PAPERBOY_CHROMIUM`,
    );
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** A context with the dashboard's credentials, at this window size. */
export function dashboardContext(
  browser: Browser,
  viewport: { width: number; height: number } = { width: 1280, height: 900 },
): Promise<BrowserContext> {
  return browser.newContext({ httpCredentials: { username: USER, password: PASSWORD }, viewport });
}

/**
 * Starts a day backfill from the /backfills form, as a person would, fetched
 * as HTML pages (the days the tests serve are pages); returns its id, read
 * from the `?created=` the form lands on.
 */
export async function startDayBackfill(page: Page, dashboardUrl: string, from: string, to: string): Promise<string> {
  await page.goto(`${dashboardUrl}/backfills`);
  await page.selectOption('#kind', 'day');
  await page.fill('#from', from);
  await page.fill('#to', to);
  await page.selectOption('#via', 'html');
  await page.click('#new-backfill button[type="submit"]');
  await page.waitForURL(/\/backfills\?created=\d+$/);
  return new URL(page.url()).searchParams.get('created')!;
}

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
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

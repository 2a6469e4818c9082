import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, type Page } from 'playwright-core';
import { dashboardContext, launchChromium, SCREENSHOTS } from '../support/browser.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestRef } from '../../src/domain/digest-key.ts';
import type { RunningService } from '../../src/service/run-service.ts';
import { ingestDigest } from '../../src/stages/ingest-digest.ts';
import { apiEntries } from '../support/digests.ts';
import { FakeGithub } from '../support/fake-github.ts';
import { enrichFromFakeGithub } from '../support/fake-github-enrichment.ts';
import { ingestSuite } from '../support/ingest-suite.ts';
import { buildListPage } from '../support/page-builder.ts';
import { startSignedInService } from '../support/service.ts';

/**
 * A paper's page and the rising repositories in a real browser (Debian's
 * chromium, headless, driven by playwright-core) against the real dashboard,
 * on history built by the real stages: one day's page fetched again and again
 * from a local Hugging Face with the upvotes changed, at irregular intervals,
 * and repositories refreshed from a local GitHub whose star counts move.
 * Screenshots go to test-results/screenshots/.
 */

const DAY = '2025-10-08';
/** Upvotes added to the day's real counts at each fetch, and the wait before the next fetch (irregular on purpose). */
const FETCHES: Array<{ extra: number; waitMs: number }> = [
  { extra: 0, waitMs: 400 },
  { extra: 9, waitMs: 2_200 },
  { extra: 14, waitMs: 700 },
  { extra: 31, waitMs: 1_500 },
  { extra: 33, waitMs: 0 },
];
/** Stars added to the first served count at each GitHub refresh after the first, and the wait after: each refresh a change. */
const REFRESHES: Array<{ extra: number; waitMs: number }> = [
  { extra: 12, waitMs: 1_300 },
  { extra: 40, waitMs: 400 },
  { extra: 95, waitMs: 2_000 },
  { extra: 180, waitMs: 0 },
];

describe("a paper's history and the rising repositories in a browser", () => {
  const suite = ingestSuite();
  const github = new FakeGithub();
  let service: RunningService;
  let browser: Browser;
  let page: Page;
  const entries = apiEntries('hf-api-daily_papers-2025-10-08.json');
  // The day's paper with a repository (NVlabs/Fast-dLLM).
  const paperId = String(entries[1]!.paper.id);

  beforeAll(async () => {
    await github.start();
    suite.hf.route('/papers/date/2025-10-03', {
      body: buildListPage({ entries: apiEntries('hf-api-daily_papers-2025-10-03.json'), date: '2025-10-03' }),
    });
    await ingestDigest(suite.deps, digestRef('day', '2025-10-03'));
    for (const fetch of FETCHES) {
      const variant = structuredClone(entries);
      for (const [index, entry] of variant.entries()) entry.paper.upvotes += fetch.extra + (index % 4);
      suite.hf.route(`/papers/date/${DAY}`, { body: buildListPage({ entries: variant, date: DAY }) });
      await ingestDigest(suite.deps, digestRef('day', DAY), { force: true });
      await sleep(fetch.waitMs);
    }

    await enrichFromFakeGithub(suite.pool, github);
    const { rows } = await suite.pool.query<{ full_name: string; stars: number }>(
      `select full_name, stars from repos order by id`,
    );
    const refs = await suite.pool.query<{ ref: string }>(`select ref from repo_refs where status = 'resolved'`);
    for (const [step, refresh] of REFRESHES.entries()) {
      // Every other repository moves too, by its own amount: the rising order is not the stars order.
      rows.forEach((row, index) => {
        const moves = index % 2 === 0 || row.full_name === 'NVlabs/Fast-dLLM';
        // Each its own pace (some fast early, some late), so the sparklines differ as real ones do.
        const pace = index % 3 === 0 ? step * step * 9 : refresh.extra + step * index;
        if (moves) github.starsOverride.set(row.full_name.toLowerCase(), row.stars + pace + 1);
      });
      await enrichFromFakeGithub(suite.pool, github, { refs: refs.rows.map((row) => row.ref) });
      await sleep(refresh.waitMs);
    }

    ({ service } = await startSignedInService(suite.db.url, suite.hf.baseUrl, ['dashboard']));
    browser = await launchChromium();
    const context = await dashboardContext(browser, { width: 1400, height: 900 });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.shutdown('test over');
    await github.stop();
  });

  it("draws the paper's upvote history and each repository's stars, one point per row, values on hover", async () => {
    await page.goto(`${service.dashboardUrl}/papers/${paperId}`);
    const metrics = await suite.pool.query(`select count(*)::int as n from paper_metrics where paper_id = $1`, [
      paperId,
    ]);
    expect(metrics.rows[0].n).toBe(FETCHES.length);
    const upvotes = page.locator('figure[data-series="upvotes"] circle.point');
    expect(await upvotes.count()).toBe(metrics.rows[0].n);

    const repos = await suite.pool.query<{ full_name: string; n: number }>(
      `select r.full_name, count(s.*)::int as n
       from paper_repos pr join repo_refs f on f.ref = pr.ref join repos r on r.id = f.repo_id
       join repo_snapshots s on s.repo_id = r.id
       where pr.paper_id = $1 group by r.full_name`,
      [paperId],
    );
    expect(repos.rows).toContainEqual({ full_name: 'NVlabs/Fast-dLLM', n: 1 + REFRESHES.length });
    for (const repo of repos.rows) {
      const points = page.locator(
        `section.repo[data-repo="${repo.full_name}"] figure[data-series="stars"] circle.point`,
      );
      expect(await points.count()).toBe(repo.n);
    }

    // Irregular intervals stay irregular: the gaps between points follow the gaps between observations.
    const xs = await upvotes.evaluateAll((circles) => circles.map((circle) => Number(circle.getAttribute('cx'))));
    const times = await upvotes.evaluateAll((circles) =>
      circles.map((circle) => Date.parse(circle.getAttribute('data-at') ?? '')),
    );
    const ratio = (xs[2]! - xs[1]!) / (xs[1]! - xs[0]!);
    expect(ratio).toBeCloseTo((times[2]! - times[1]!) / (times[1]! - times[0]!), 1);

    // Hovering a point shows its time and value.
    const last = await suite.pool.query<{ upvotes: number }>(
      `select upvotes from paper_metrics where paper_id = $1 order by observed_at desc limit 1`,
      [paperId],
    );
    await upvotes.last().hover();
    const tooltip = page.locator('.chart-tooltip');
    await expect.poll(() => tooltip.textContent()).toMatch(new RegExp(`UTC: ${last.rows[0]!.upvotes} upvotes$`));
    expect(await upvotes.last().locator('title').textContent()).toBe(await tooltip.textContent());
    await page.screenshot({ path: path.join(SCREENSHOTS, 'paper.png'), fullPage: true });

    // The table fallback holds the same rows.
    await page.locator('figure[data-series="upvotes"] details summary').click();
    expect(await page.locator('figure[data-series="upvotes"] table.history tbody tr').count()).toBe(FETCHES.length);
  });

  it('finds the paper from /papers: searches, filters, pages forward and back, and opens it', async () => {
    const ids = () =>
      page.locator('table.papers tbody td.paper > a').evaluateAll((links) => links.map((link) => link.textContent));
    await page.goto(`${service.dashboardUrl}/papers?limit=4`);
    await page.getByLabel('Search titles and abstracts').fill('model');
    await page.getByRole('button', { name: 'Show papers' }).click();
    await page.waitForURL(/q=model/);
    expect(new URL(page.url()).searchParams.get('limit')).toBe('4');
    const searched = await ids();
    expect(searched).toHaveLength(4);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'papers.png'), fullPage: true });

    // A filter: the URL holds it, and every row meets it.
    await page.locator('details.filters summary').click();
    await page.getByLabel('Min upvotes').fill('5');
    await page.getByRole('button', { name: 'Show papers' }).click();
    await page.waitForURL(/min_upvotes=5/);
    const upvotes = await page.locator('table.papers tbody td.num:nth-child(3)').allTextContents();
    expect(upvotes.length).toBeGreaterThan(0);
    expect(upvotes.every((value) => Number(value) >= 5)).toBe(true);
    const first = await ids();

    // Forward twice and back twice: the same pages, and none repeats another.
    await page.getByRole('link', { name: 'Next →' }).click();
    const second = await ids();
    await page.getByRole('link', { name: 'Next →' }).click();
    const third = await ids();
    expect(new Set([...first, ...second, ...third]).size).toBe(first.length + second.length + third.length);
    await page.getByRole('link', { name: '← Previous' }).click();
    expect(await ids()).toEqual(second);
    await page.getByRole('link', { name: '← Previous' }).click();
    expect(await ids()).toEqual(first);
    expect(await page.getByRole('link', { name: '← Previous' }).count()).toBe(0);

    // Then the paper itself, with code, opened from the list.
    const { rows } = await suite.pool.query<{ title: string }>(`select title from papers where id = $1`, [paperId]);
    await page.goto(`${service.dashboardUrl}/papers`);
    await page.getByLabel('Search titles and abstracts').fill('"block diffusion"');
    await page.locator('details.filters summary').click();
    await page.locator('select[name=has_code]').selectOption('true');
    await page.getByRole('button', { name: 'Show papers' }).click();
    await page.waitForURL(/has_code=true/);
    await page.getByRole('link', { name: rows[0]!.title }).click();
    await page.waitForURL(new RegExp(`/papers/${paperId.replace('.', '\\.')}$`));
    const history = await suite.pool.query(`select count(*)::int as n from paper_metrics where paper_id = $1`, [
      paperId,
    ]);
    expect(await page.locator('figure[data-series="upvotes"] circle.point').count()).toBe(history.rows[0].n);
    const stars = await suite.pool.query(
      `select count(*)::int as n from repo_snapshots s join repos r on r.id = s.repo_id where r.full_name = 'NVlabs/Fast-dLLM'`,
    );
    expect(
      await page.locator('section.repo[data-repo="NVlabs/Fast-dLLM"] figure[data-series="stars"] circle.point').count(),
    ).toBe(stars.rows[0].n);
  });

  it('lists rising repositories in the order of repos_rising_over, each with a sparkline', async () => {
    await page.goto(`${service.dashboardUrl}/repos`);
    const { rows } = await suite.pool.query<{ repo_id: string }>(
      `select repo_id::text from repos_rising_over(interval '7 days') limit 50`,
    );
    expect(rows.length).toBeGreaterThan(5);
    const shown = await page
      .locator('tr.repo-row')
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-repo-id')));
    expect(shown).toEqual(rows.map((row) => row.repo_id));
    const fast = page.locator('tr.repo-row[data-repo="NVlabs/Fast-dLLM"] svg.sparkline circle.point');
    expect(await fast.count()).toBe(REFRESHES.length + 1);
    await page.selectOption('select[name="window"]', '30d');
    await page.click('form.new button[type="submit"]');
    await page.waitForURL(/\/repos\?window=30d$/);
    expect(await page.locator('select[name="window"]').inputValue()).toBe('30d');
    await page.goto(`${service.dashboardUrl}/repos?window=7d`);
    await fast.last().hover();
    await expect.poll(() => page.locator('.chart-tooltip').textContent()).toMatch(/UTC: [\d,]+ stars$/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'repos.png'), fullPage: true });
  });

  it('fits 1,400 and 800 pixel windows: nothing scrolls sideways', async () => {
    for (const width of [1400, 800]) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, url] of [
        ['papers', '/papers?q=model&has_code=true&min_upvotes=1'],
        ['paper', `/papers/${paperId}`],
        ['repos', '/repos?window=7d'],
      ]) {
        await page.goto(`${service.dashboardUrl}${url}`);
        const [scrollWidth, clientWidth] = await page.evaluate<[number, number]>(
          '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
        );
        expect(scrollWidth, `${name} at ${width}`).toBeLessThanOrEqual(clientWidth);
        // The chart scales with the page: its drawing is as wide as its box.
        if (name === 'paper') {
          const box = await page.locator('figure[data-series="upvotes"] svg').boundingBox();
          expect(box!.width).toBeGreaterThan(width / 2);
          expect(box!.width).toBeLessThanOrEqual(clientWidth);
        }
        if (width === 800) await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-800.png`), fullPage: true });
      }
    }
  });
});

import * as cheerio from 'cheerio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPapers } from '../../src/db/query.repository.ts';
import { createLogger } from '../../src/logger.ts';
import type { RunningService } from '../../src/service/run-service.ts';
import { loadDigest } from '../../src/stages/load-digest.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { AUTH } from '../support/dashboard-credentials.ts';
import { API_2026_07_31_LATER, apiEntries, listedFromApi, listedFromHtml2024 } from '../support/digests.ts';
import { FakeGithub } from '../support/fake-github.ts';
import { enrichFromFakeGithub } from '../support/fake-github-enrichment.ts';
import { startSignedInService } from '../support/service.ts';

const logger = createLogger({ level: 'silent', pretty: false });
const HOSTILE_TITLE = `<script>alert("title")</script><img src=x onerror=alert(1)> & "quotes"`;
const HOSTILE_REPO_LANGUAGE = '<b>Python</b>';

/**
 * The dashboard's /papers page over a database loaded from the real
 * captures (three days, repositories resolved by the GitHub stand-in): the
 * page is read as a browser without JavaScript would, following its own
 * links.
 */
describe('/papers: search, filters, orders and pages in the dashboard', () => {
  const github = new FakeGithub();
  let db: TestDatabase;
  let service: RunningService;
  let base: string;

  beforeAll(async () => {
    await github.start();
    db = await createTestDatabase();
    const entries = apiEntries(API_2026_07_31_LATER);
    entries[0]!.title = HOSTILE_TITLE;
    entries[0]!.paper.title = HOSTILE_TITLE;
    const days: Array<[string, ReturnType<typeof listedFromApi>]> = [
      ['2024-08-01', listedFromHtml2024()],
      ['2025-10-08', listedFromApi('hf-api-daily_papers-2025-10-08.json')],
      ['2026-07-31', listedFromApi(API_2026_07_31_LATER, entries)],
    ];
    for (const [day, papers] of days)
      await loadDigest(db.pool, {
        digest: { source: 'hf', kind: 'day', key: day },
        parsed: { origin: 'api', papers, warnings: [] },
        observedAt: new Date(`${day}T20:00:00Z`),
        fetch: { url: 'test', httpStatus: 200, error: null },
      });
    await enrichFromFakeGithub(db.pool, github);
    await db.pool.query(`update repos set language = $1 where id = (select min(id) from repos)`, [
      HOSTILE_REPO_LANGUAGE,
    ]);
    ({ service } = await startSignedInService(db.url, 'http://127.0.0.1:9', ['dashboard'], { logger }));
    base = service.dashboardUrl!;
  });

  afterAll(async () => {
    await service?.shutdown('test over');
    await db?.drop();
    await github.stop();
  });

  async function open(path: string) {
    const response = await fetch(new URL(path, base), { headers: AUTH, redirect: 'manual' });
    const html = await response.text();
    const $ = cheerio.load(html);
    return {
      status: response.status,
      location: response.headers.get('location'),
      html,
      $,
      ids: $('table.papers tbody td.paper > a')
        .map((_, link) => decodeURIComponent($(link).attr('href')!.replace('/papers/', '')))
        .get(),
      next: $('a[rel=next]').attr('href'),
      previous: $('a[rel=prev]').attr('href'),
    };
  }

  it('pages forward to the end and back to the start by its own links, each paper once, in the order asked', async () => {
    for (const query of ['since=2024-01-01&limit=7', 'sort=listed&limit=6', 'sort=stars&limit=5', 'q=model&limit=4']) {
      const sort = new URLSearchParams(query).get('sort') ?? undefined;
      const q = new URLSearchParams(query).get('q') ?? undefined;
      const expected = (
        await findPapers(
          db.pool,
          {
            ...(sort ? { sort: sort as 'listed' | 'stars' } : {}),
            ...(q ? { q } : {}),
            ...(query.startsWith('since') ? { since: '2024-01-01' } : {}),
          },
          { limit: 1000 },
        )
      ).map((row) => row.id);
      expect(expected.length, query).toBeGreaterThan(10);
      const forward: string[][] = [];
      let page = await open(`/papers?${query}`);
      expect(page.previous, 'the first page has no previous one').toBeUndefined();
      for (;;) {
        expect(page.status).toBe(200);
        forward.push(page.ids);
        if (!page.next) break;
        page = await open(page.next);
      }
      expect(forward.flat(), query).toEqual(expected);
      const backward: string[][] = [page.ids];
      while (page.previous) {
        let response = await open(page.previous);
        // Back at the first page: sent to its own URL.
        if (response.status === 303) response = await open(response.location!);
        page = response;
        backward.unshift(page.ids);
      }
      expect(backward, query).toEqual(forward);
    }
  });

  it('shows each row: title linking to the paper, listing date, upvotes, comments, best repository with stars and language', async () => {
    const page = await open('/papers?sort=stars&limit=3');
    const { rows } = await db.pool.query(
      `select id, title, to_char(first_listed_on, 'YYYY-MM-DD') as listed_on, upvotes, num_comments, repo, repo_stars, repo_language
       from paper_overview where repo is not null order by repo_stars desc, id limit 3`,
    );
    expect(page.ids).toEqual(rows.map((row) => row.id));
    const first = page.$('table.papers tbody tr').first();
    const cells = first
      .find('td')
      .map((_, cell) => page.$(cell).text().trim())
      .get();
    expect(cells[0]).toContain(rows[0].title);
    expect(cells[1]).toBe(rows[0].listed_on);
    expect(cells[2]).toBe(String(rows[0].upvotes));
    expect(cells[3]).toBe(String(rows[0].num_comments ?? '–'));
    expect(cells[4]).toContain(rows[0].repo);
    expect(cells[4]).toContain(`★ ${rows[0].repo_stars}`);
    expect(first.find('td.repo a').attr('href')).toBe(`https://github.com/${rows[0].repo}`);
    expect(page.$('th[aria-sort]').text()).toBe('Repository');
  });

  it('keeps the whole query in the URL: the form shows it, and the JSON link asks the API the same', async () => {
    const page = await open('/papers?q=language%20models&min_upvotes=3&has_code=true&sort=upvotes');
    expect(page.$('input[name=q]').val()).toBe('language models');
    expect(page.$('input[name=min_upvotes]').val()).toBe('3');
    expect(page.$('select[name=has_code] option[selected]').val()).toBe('true');
    expect(page.$('select[name=sort] option[selected]').val()).toBe('upvotes');
    expect(page.$('details.filters').attr('open')).toBeDefined();
    const api = page.$('a[href^="/api/papers"]').attr('href')!;
    const answer = (await (await fetch(new URL(api, base), { headers: AUTH })).json()) as {
      items: Array<{ id: string }>;
    };
    // The page's own size too: the API's default is not the page's.
    expect(answer.items.map((item) => item.id)).toEqual(page.ids);
    expect(page.ids.length).toBeGreaterThan(0);
  });

  it("links each page's JSON to that same page: its limit and cursor kept, a `before` page by the row before it", async () => {
    const json = async (page: Awaited<ReturnType<typeof open>>) => {
      const api = page.$('a[href^="/api/papers"]').attr('href')!;
      expect(api).not.toMatch(/[?&]before=/);
      const response = await fetch(new URL(api, base), { headers: AUTH });
      expect(response.status, api).toBe(200);
      return ((await response.json()) as { items: Array<{ id: string }> }).items.map((item) => item.id);
    };
    for (const query of ['since=2024-01-01&limit=4', 'sort=listed&limit=3']) {
      const first = await open(`/papers?${query}`);
      const second = await open(first.next!);
      const third = await open(second.next!);
      expect(third.ids, query).toHaveLength(Number(new URLSearchParams(query).get('limit')));
      for (const page of [first, second, third]) expect(await json(page), query).toEqual(page.ids);
      // Back from the third page by `before`: the second page again, under a URL without a cursor.
      const back = await open(third.previous!);
      expect(new URL(third.previous!, base).searchParams.has('before')).toBe(true);
      expect(back.ids, query).toEqual(second.ids);
      expect(await json(back), query).toEqual(second.ids);
    }
  });

  it('sends a form with empty fields to the URL of what was asked, and says a refused value on the page with the fields kept', async () => {
    const empty = await open('/papers?q=&day=&since=7d&until=&min_upvotes=&has_code=&language=&sort=');
    expect(empty).toMatchObject({ status: 303, location: '/papers?since=7d' });
    const refused = await open('/papers?min_upvotes=many&q=agents');
    expect(refused.status).toBe(400);
    expect(refused.$('p.error').text()).toMatch(/^min_upvotes: must be a whole number/);
    expect(refused.$('input[name=min_upvotes]').val()).toBe('many');
    expect(refused.$('input[name=q]').val()).toBe('agents');
    const relevance = await open('/papers?sort=relevance');
    expect(relevance.status).toBe(400);
    expect(relevance.$('p.error').text()).toMatch(/give q/);
    const foreignCursor = await open(
      `/papers?sort=listed&cursor=${Buffer.from('{"u":1,"id":"x"}').toString('base64url')}`,
    );
    expect(foreignCursor.status).toBe(400);
    expect(foreignCursor.$('p.error').text()).toMatch(/^cursor/);
    // A bad `before` is refused under its own name, not as `cursor`.
    const badBefore = await open('/papers?sort=listed&before=not-ours');
    expect(badBefore.status).toBe(400);
    expect(badBefore.$('p.error').text()).toBe('before: not a cursor this API returned');
  });

  it('renders hostile titles and languages as text, never as markup', async () => {
    const page = await open(`/papers?q=${encodeURIComponent('alert title')}`);
    const withHostile = await open('/papers?day=2026-07-31&limit=100');
    for (const { $, html } of [page, withHostile]) {
      expect($('main script, main img, main b').length).toBe(0);
      expect(html).not.toContain('<script>alert');
    }
    expect(
      withHostile
        .$('td.paper > a')
        .map((_, a) => withHostile.$(a).text())
        .get(),
    ).toContain(HOSTILE_TITLE);
    const hostileRepo = await open('/papers?sort=stars&limit=100');
    expect(hostileRepo.$('td.repo .sub').text()).toContain(HOSTILE_REPO_LANGUAGE);
    expect(hostileRepo.$('main b').length).toBe(0);
  });

  it('is behind the dashboard credentials, and in the navigation', async () => {
    expect((await fetch(new URL('/papers', base), { redirect: 'manual' })).status).toBe(401);
    const page = await open('/papers');
    expect(page.$('header nav a[aria-current=page]').text()).toBe('Papers');
  });
});

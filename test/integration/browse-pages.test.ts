import { load, type CheerioAPI } from 'cheerio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paperPagePath } from '../../src/dashboard/paper-page.ts';
import { markRefNotFound } from '../../src/db/repos.repository.ts';
import { digestRef } from '../../src/domain/digest-key.ts';
import type { RunningService } from '../../src/service/run-service.ts';
import { ingestDigest } from '../../src/stages/ingest-digest.ts';
import { AUTH } from '../support/dashboard-credentials.ts';
import { apiEntries } from '../support/digests.ts';
import { FakeGithub } from '../support/fake-github.ts';
import { enrichFromFakeGithub } from '../support/fake-github-enrichment.ts';
import { ingestSuite } from '../support/ingest-suite.ts';
import { buildListPage } from '../support/page-builder.ts';
import { PAPER_PAGE_CAPTURE } from '../support/paper-page-builder.ts';
import { startSignedInService } from '../support/service.ts';
import { readFixture } from '../support/upstream-server.ts';

const PAGE_ID = '2509.24002';
const DAY = '2025-10-08';
const DAY_BEFORE = '2025-10-07';
/** Markup that would run if it were not escaped, and the hostile texts of test/integration/security.test.ts. */
const INJECTION = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1">`;
const HOSTILE_TITLE = `${INJECTION} '); DROP TABLE papers; --`;
const HOSTILE_ABSTRACT = `back\\slash "quoted" 'single' ${INJECTION} </p><p>`;
const HOSTILE_AUTHOR = `nul\u0000byte and a lone \ud800 surrogate ${INJECTION}`;
const HOSTILE_REPO = `evil/<img src=x onerror="window.__pwned=1">`;
/** Other days' real papers, so there are more repositories than one page of /repos holds. */
const MORE_DAYS: Array<[string, string]> = [
  ['2025-10-03', 'hf-api-daily_papers-2025-10-03.json'],
  ['2026-05-08', 'hf-api-daily_papers-2026-05-08-zzjjay.json'],
  ['2026-07-31', 'hf-api-daily_papers-2026-07-31.json'],
];

/**
 * `/papers/<id>` and `/repos` through the real dashboard server, on a
 * database filled by the real ingest and enrichment stages from a local
 * Hugging Face and GitHub serving the captures.
 */
describe('the paper page and rising repositories (real dashboard, Postgres, ingest and enrichment)', () => {
  const suite = ingestSuite();
  const github = new FakeGithub();
  let service: RunningService;
  const entries = apiEntries('hf-api-daily_papers-2025-10-08.json');
  const hostile = entries[1]!.paper as Record<string, any>;
  const hostileId = String(hostile.id);

  beforeAll(async () => {
    await github.start();
    hostile.title = HOSTILE_TITLE;
    entries[1]!.title = HOSTILE_TITLE;
    hostile.summary = HOSTILE_ABSTRACT;
    entries[1]!.summary = HOSTILE_ABSTRACT;
    hostile.ai_summary = INJECTION;
    hostile.authors = [{ name: HOSTILE_AUTHOR }, { name: INJECTION }];
    // The day before lists the same papers with fewer upvotes: two listings and two observations each.
    const earlier = structuredClone(entries).map((entry) => {
      entry.paper.upvotes = Math.max(0, entry.paper.upvotes - 7);
      return entry;
    });
    suite.hf
      .route(`/papers/date/${DAY_BEFORE}`, { body: buildListPage({ entries: earlier, date: DAY_BEFORE }) })
      .route(`/papers/date/${DAY}`, { body: buildListPage({ entries, date: DAY }) })
      .route(`/papers/${PAGE_ID}`, {
        body: readFixture(PAPER_PAGE_CAPTURE),
        headers: { 'content-type': 'text/html; charset=utf-8' },
      });
    for (const [day, file] of MORE_DAYS)
      suite.hf.route(`/papers/date/${day}`, { body: buildListPage({ entries: apiEntries(file), date: day }) });
    for (const day of [DAY_BEFORE, DAY, ...MORE_DAYS.map(([day]) => day)])
      await ingestDigest(suite.deps, digestRef('day', day));
    await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));

    // Two GitHub refreshes, some repositories gaining stars in between: growth differs from repository to repository.
    await enrichFromFakeGithub(suite.pool, github);
    const { rows } = await suite.pool.query<{ full_name: string; stars: number }>(
      `select full_name, stars from repos order by id`,
    );
    rows.forEach((row, index) => {
      if (index % 3 === 0) github.starsOverride.set(row.full_name.toLowerCase(), row.stars + 5 * index + 1);
    });
    const refs = await suite.pool.query<{ ref: string }>(`select ref from repo_refs where status = 'resolved'`);
    await enrichFromFakeGithub(suite.pool, github, { refs: refs.rows.map((row) => row.ref) });
    // A repository row whose name and language are hostile: GitHub's answers are not trusted to be well-formed.
    await suite.pool.query(
      `update repos set full_name = $1, language = $2
       where id = (select f.repo_id from paper_repos pr join repo_refs f on f.ref = pr.ref where pr.paper_id = $3 limit 1)`,
      [HOSTILE_REPO, INJECTION, hostileId],
    );

    ({ service } = await startSignedInService(suite.db.url, suite.hf.baseUrl, ['dashboard']));
  });

  afterAll(async () => {
    await service?.shutdown('test over');
    await github.stop();
  });

  async function get(path: string): Promise<{ status: number; location: string | null; html: string; $: CheerioAPI }> {
    const response = await fetch(`${service.dashboardUrl}${path}`, { headers: AUTH, redirect: 'manual' });
    const html = await response.text();
    return { status: response.status, location: response.headers.get('location'), html, $: load(html) };
  }

  it('redirects every other spelling of an arXiv id to the canonical page', async () => {
    for (const spelling of [
      `${PAGE_ID}v2`,
      `arXiv:${PAGE_ID}`,
      encodeURIComponent(`https://arxiv.org/abs/${PAGE_ID}v1`),
      encodeURIComponent(`https://arxiv.org/pdf/${PAGE_ID}`),
    ]) {
      const answer = await get(`/papers/${spelling}`);
      expect([answer.status, answer.location], spelling).toEqual([301, `/papers/${PAGE_ID}`]);
    }
    const page = await get(`/papers/${PAGE_ID}`);
    expect(page.status).toBe(200);
    const { rows } = await suite.pool.query(`select title from papers where id = $1`, [PAGE_ID]);
    expect(page.$('main h1').text()).toBe(rows[0].title);
    // The layout's navigation, the Papers entry marked current.
    expect(page.$('header nav a[aria-current="page"]').text()).toBe('Papers');
  });

  it('answers an unknown paper with a 404 page in the layout', async () => {
    for (const id of ['2501.00001', 'arXiv:2501.00001v3', 'not-a-paper']) {
      const page = await get(`/papers/${encodeURIComponent(id)}`);
      expect(page.status, id).toBe(404);
      expect(page.$('main h1').text()).toBe('No such paper');
      expect(page.$('header nav a')).not.toHaveLength(0);
    }
    const oldStyle = await get('/papers/hep-th/9901001v2');
    expect(oldStyle.status).toBe(404);
    expect(oldStyle.$('p.error code').first().text()).toBe('hep-th/9901001');
    expect((await get('/papers/%E0%A4%A')).status).toBe(400);
  });

  it('opens a paper without an arXiv id under its stored id, with no arXiv links', async () => {
    await suite.pool.query(
      `insert into papers (id, title, upvotes, raw) values ('other:openreview-x1', 'Not on arXiv', 3, '{}')`,
    );
    const page = await get(`/papers/${encodeURIComponent('other:openreview-x1')}`);
    expect(page.status).toBe(200);
    expect(page.$('main h1').text()).toBe('Not on arXiv');
    expect(page.$('a[href*="arxiv.org"]')).toHaveLength(0);
    expect(page.$('[data-series="upvotes"]').text()).toBe('No history yet.');
    // The JSON API opens it under the same id.
    const api = await get(`/api/papers/${encodeURIComponent('other:openreview-x1')}`);
    expect(api.status).toBe(200);
    expect(JSON.parse(api.html)).toMatchObject({ paper: { id: 'other:openreview-x1', title: 'Not on arXiv' } });
  });

  it('reaches a paper whose id holds slashes by its page path: an old-style arXiv id and an other: id with /../', async () => {
    for (const [id, title] of [
      ['cs.CL/0101001', 'An old-style arXiv paper'] as const,
      ['other:openreview/../x2', 'Slashes and dots in its id'] as const,
    ]) {
      await suite.pool.query(`insert into papers (id, title, upvotes, raw) values ($1, $2, 1, '{}')`, [id, title]);
      const page = await get(paperPagePath(id));
      expect(page.status, id).toBe(200);
      expect(page.$('main article').attr('data-id')).toBe(id);
      expect(page.$('main h1').text()).toBe(title);
      // Its id with every character percent-encoded reaches it too, without a redirect.
      expect((await get(`/papers/${encodeURIComponent(id)}`)).status, id).toBe(200);
    }
    expect(paperPagePath('cs.CL/0101001')).toBe('/papers/cs.CL/0101001');
  });

  it('lists every listing of the paper with its rank and upvotes then, and draws one point per history row', async () => {
    const id = String(entries[3]!.paper.id);
    const page = await get(`/papers/${id}`);
    expect(page.status).toBe(200);
    const listings = await suite.pool.query(
      `select kind || ' ' || key as digest, to_char(listed_on, 'YYYY-MM-DD') as date, rank::text, upvotes::text
       from listings where paper_id = $1 order by listed_on, kind, key`,
      [id],
    );
    expect(listings.rows).toHaveLength(2);
    const shown = page
      .$('table.listings tbody tr')
      .toArray()
      .map((row) => {
        const cells = page.$(row).find('td').toArray();
        return {
          digest: page.$(cells[0]).text(),
          date: page.$(cells[1]).text(),
          rank: page.$(cells[2]).text(),
          upvotes: page.$(cells[3]).text().replace(/,/g, ''),
        };
      });
    expect(shown).toEqual(listings.rows);
    const metrics = await suite.pool.query(`select count(*)::int as n from paper_metrics where paper_id = $1`, [id]);
    expect(metrics.rows[0].n).toBe(2);
    expect(page.$('[data-series="upvotes"] circle.point')).toHaveLength(metrics.rows[0].n);
    for (const section of page.$('section.repo').toArray()) {
      const name = page.$(section).attr('data-repo')!;
      const snapshots = await suite.pool.query(
        `select count(*)::int as n from repo_snapshots s join repos r on r.id = s.repo_id where r.full_name = $1`,
        [name],
      );
      expect(page.$(section).find('circle.point'), name).toHaveLength(snapshots.rows[0].n);
    }
  });

  it("shows the paper's own page counts and its text", async () => {
    const page = await get(`/papers/${PAGE_ID}`);
    const { rows } = await suite.pool.query(
      `select citing_models, citing_datasets, citing_spaces, collections, daily_rank from paper_details where paper_id = $1`,
      [PAGE_ID],
    );
    const counts = page
      .$('dl.page-detail dd')
      .toArray()
      .map((dd) => Number(page.$(dd).text().replace(/,/g, '')));
    const row = rows[0];
    expect(counts).toEqual([
      row.citing_models,
      row.citing_datasets,
      row.citing_spaces,
      row.collections,
      row.daily_rank,
    ]);
    const paper = await suite.pool.query(`select abstract, authors from papers where id = $1`, [PAGE_ID]);
    expect(page.$('.abstract').text()).toBe(paper.rows[0].abstract);
    expect(page.$('.authors').text()).toBe(paper.rows[0].authors.join(', '));
    expect(page.$(`p.links a[href="${suite.hf.baseUrl}/papers/${PAGE_ID}"]`)).toHaveLength(1);
    expect(page.$(`p.links a[href="https://arxiv.org/pdf/${PAGE_ID}"]`)).toHaveLength(1);
  });

  it('renders hostile titles, abstracts, authors and repository names as text on both pages', async () => {
    const page = await get(`/papers/${hostileId}`);
    expect(page.status).toBe(200);
    expect(page.$('main h1').text()).toBe(HOSTILE_TITLE);
    expect(page.$('.abstract').text()).toBe(HOSTILE_ABSTRACT);
    expect(page.$('.authors').text()).toBe(`nul\ufffdbyte and a lone \ufffd surrogate ${INJECTION}, ${INJECTION}`);
    expect(page.$('.ai-summary').text()).toBe(INJECTION);
    const repo = page.$('section.repo').filter((_, section) => page.$(section).attr('data-repo') === HOSTILE_REPO);
    expect(repo.find('h3 a').text()).toBe(HOSTILE_REPO);
    expect(page.$('head > title').text()).toBe(`${HOSTILE_TITLE} · paperboy`);
    expect(page.$('main script, img, main p p')).toHaveLength(0);
    expect(
      page
        .$('script')
        .toArray()
        .map((script) => page.$(script).attr('src')),
    ).toEqual(['/assets/chart-tooltip.js']);
    expect(page.html).toContain('&#60;script&#62;window.__pwned=1&#60;/script&#62;');

    const repos = await get('/repos?window=30d');
    const row = repos.$('tr.repo-row').filter((_, tr) => repos.$(tr).attr('data-repo') === HOSTILE_REPO);
    expect(row).toHaveLength(1);
    expect(row.find('td.name').text()).toBe(HOSTILE_REPO);
    expect(row.find('td').eq(3).text()).toBe(INJECTION);
    expect(row.find(`td.papers a[href="/papers/${hostileId}"]`)).toHaveLength(1);
    expect(repos.$('main script, img')).toHaveLength(0);
  });

  it('lists rising repositories in exactly the order of repos_rising_over, page after page', async () => {
    for (const [window, interval] of [
      ['30d', '30 days'],
      ['1w', '7 days'],
    ]) {
      const { rows } = await suite.pool.query<{ repo_id: string }>(
        `select repo_id::text from repos_rising_over($1::interval)`,
        [interval],
      );
      expect(rows.length).toBeGreaterThan(50);
      const shown: string[] = [];
      let path: string | undefined = `/repos?window=${window}`;
      let pages = 0;
      while (path) {
        const page = await get(path);
        expect(page.status).toBe(200);
        expect(page.$('select[name="window"] option[selected]').text()).toBe(interval);
        shown.push(
          ...page
            .$('tr.repo-row')
            .toArray()
            .map((row) => page.$(row).attr('data-repo-id')!),
        );
        path = page.$('a[rel="next"]').attr('href');
        pages += 1;
      }
      expect(pages).toBe(2);
      expect(shown).toEqual(rows.map((row) => row.repo_id));
    }
    const growth = await suite.pool.query(`select count(distinct growth)::int as n from repos_rising_over('30 days')`);
    expect(growth.rows[0].n).toBeGreaterThan(3);
  });

  it('filters by language and draws each row its star history over the window', async () => {
    const { rows } = await suite.pool.query<{ repo_id: string; snapshots: number }>(
      `select r.repo_id::text, (select count(*)::int from repo_snapshots s where s.repo_id = r.repo_id) as snapshots
       from repos_rising_over('30 days') r where lower(r.language) = 'python'`,
    );
    expect(rows.length).toBeGreaterThan(1);
    const page = await get('/repos?window=30d&language=python');
    const shown = page.$('tr.repo-row').toArray();
    expect(shown.map((row) => page.$(row).attr('data-repo-id'))).toEqual(rows.map((row) => row.repo_id));
    expect(page.$('input[name="language"]').attr('value')).toBe('python');
    // Every snapshot is younger than the window: each one is a point of the row's sparkline.
    for (const [index, row] of rows.entries())
      expect(page.$(shown[index]).find('svg.sparkline[data-series="stars"] circle.point')).toHaveLength(row.snapshots);
    expect(rows.some((row) => row.snapshots > 1)).toBe(true);
  });

  it('reads window and language as the API does: any window it takes, empty fields dropped', async () => {
    const api = await fetch(`${service.dashboardUrl}/api/repos?rising=true&window=2w&language=python&limit=100`, {
      headers: AUTH,
    });
    expect(api.status).toBe(200);
    const expected = ((await api.json()) as { items: Array<{ repo_id: string }> }).items.map((row) => row.repo_id);
    const page = await get('/repos?window=2w&language=python');
    expect(page.status).toBe(200);
    expect(page.$('select[name="window"] option[selected]').text()).toBe('14 days');
    expect(
      page
        .$('tr.repo-row')
        .toArray()
        .map((row) => page.$(row).attr('data-repo-id')),
    ).toEqual(expected);
    // What the form sends with the language left empty: the page's own URL leaves it out.
    const form = await get('/repos?window=30d&language=');
    expect(form.status).toBe(303);
    expect(form.location).toBe('/repos?window=30d');
  });

  // After the tests that read repositories: it marks two of them gone.
  it('shows a repository GitHub now answers 404 for as not live, as /papers and /api/papers do', async () => {
    // Papers with one reference, resolved to a live repository, none of those the tests above look at.
    const { rows } = await suite.pool.query<{ paper_id: string; ref: string; repo_id: string }>(
      `select pr.paper_id, pr.ref, f.repo_id::text
       from paper_repos pr join repo_refs f on f.ref = pr.ref join repos r on r.id = f.repo_id
       where f.status = 'resolved' and r.status = 'ok' and pr.paper_id <> all($1::text[])
         and (select count(*) from paper_repos o where o.paper_id = pr.paper_id) = 1
         and (select count(*) from repo_refs o where o.repo_id = f.repo_id) = 1
       order by pr.paper_id limit 2`,
      [[PAGE_ID, hostileId, String(entries[3]!.paper.id)]],
    );
    expect(rows).toHaveLength(2);
    const [markedByEnrichment, repoOnly] = rows as [(typeof rows)[0], (typeof rows)[0]];
    // What enrichment does on a 404: the repository and the reference not_found, the reference keeping its repo_id.
    await markRefNotFound(suite.pool, markedByEnrichment.ref, Number(markedByEnrichment.repo_id), new Date());
    // A repository gone while a reference to it still says resolved (another spelling was the one checked).
    await suite.pool.query(`update repos set status = 'not_found' where id = $1`, [repoOnly.repo_id]);
    for (const { paper_id: id, ref } of rows) {
      const page = await get(paperPagePath(id));
      expect(page.status, id).toBe(200);
      const section = page.$('section.repo');
      expect(section, id).toHaveLength(1);
      expect(section.attr('data-repo'), id).toBe(ref);
      expect(section.find('h3').text(), id).toContain('not resolved on GitHub (not_found)');
      expect(section.find('h3').text(), id).not.toMatch(/stars|forks/);
      expect(section.find('circle.point'), id).toHaveLength(0);
      const api = await fetch(`${service.dashboardUrl}/api/papers/${encodeURIComponent(id)}`, { headers: AUTH });
      const detail = (await api.json()) as { paper: { repo: string | null }; repos: Array<Record<string, unknown>> };
      // paper_overview's best repository (what /papers and /api/papers list): none.
      expect(detail.paper.repo, id).toBeNull();
      expect(detail.repos, id).toMatchObject([
        { ref, status: 'not_found', full_name: null, stars: null, forks: null, star_history: [] },
      ]);
    }
  });

  it('refuses an unknown window, parameter or cursor with a 400 page saying what is allowed', async () => {
    const window = await get('/repos?window=14');
    expect(window.status).toBe(400);
    expect(window.$('p.error').text()).toBe(
      'Not a view of rising repositories: window: "14" is not a window from 1d to 3650d, such as 7d or 2w',
    );
    expect(window.$('header nav a[aria-current="page"]').text()).toBe('Repositories');
    const unknown = await get('/repos?sort=stars');
    expect(unknown.status).toBe(400);
    expect(unknown.$('p.error').text()).toContain('Unrecognized key: "sort"');
    const cursor = await get('/repos?window=7d&cursor=not-ours');
    expect(cursor.status).toBe(400);
    expect(cursor.$('p.error').text()).toContain('cursor: not a cursor this API returned');
    const hostileWindow = await get(`/repos?window=${encodeURIComponent(INJECTION)}`);
    expect(hostileWindow.status).toBe(400);
    expect(hostileWindow.$('script, img')).toHaveLength(0);
  });
});

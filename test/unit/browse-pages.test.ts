import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { paperPagePath, renderPaperNotFound, renderPaperPage, webUrl } from '../../src/dashboard/paper-page.ts';
import { reposHref, renderReposPage, renderReposRefused } from '../../src/dashboard/repos-page.ts';
import type { PaperDetail, RisingRepoRow, StarObservationRow } from '../../src/db/query.repository.ts';

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
const AT = (iso: string) => new Date(iso);

function detail(overrides: Partial<PaperDetail['paper']> = {}): PaperDetail {
  return {
    paper: {
      id: '2509.24002',
      title: 'MCPMark: A Benchmark',
      upvotes: 94,
      num_comments: 5,
      published_at: AT('2025-09-28T00:00:00Z'),
      listed_on: '2025-09-30',
      repo: 'eval-sys/mcpmark',
      repo_stars: 120,
      repo_language: 'Python',
      repo_license: 'Apache-2.0',
      organization: 'EvalSys',
      ai_keywords: ['benchmark', 'agents'],
      last_listed_on: '2025-10-01',
      first_seen_at: AT('2025-09-30T08:00:00Z'),
      last_seen_at: AT('2025-10-01T08:00:00Z'),
      repo_archived: false,
      repo_pushed_at: null,
      abstract: 'We present a benchmark.',
      authors: ['Ada Lovelace', 'Alan Turing'],
      ai_summary: 'A benchmark for MCP.',
      project_page: 'https://mcpmark.ai',
      submitted_by: 'someone',
      detail_status: 'ok',
      daily_rank: 1,
      citing_models: 3,
      citing_datasets: 1,
      citing_spaces: 2,
      collections: 5,
      ...overrides,
    },
    listings: [
      {
        source: 'hf',
        kind: 'day',
        key: '2025-09-30',
        listed_on: '2025-09-30',
        rank: 2,
        upvotes: 40,
        first_seen_at: AT('2025-09-30T08:00:00Z'),
        last_seen_at: AT('2025-09-30T20:00:00Z'),
      },
      {
        source: 'hf',
        kind: 'week',
        key: '2025-W40',
        listed_on: '2025-09-29',
        rank: 7,
        upvotes: 94,
        first_seen_at: AT('2025-10-01T08:00:00Z'),
        last_seen_at: AT('2025-10-01T08:00:00Z'),
      },
    ],
    upvoteHistory: [
      { observed_at: AT('2025-09-30T08:00:00Z'), upvotes: 40, num_comments: 2 },
      { observed_at: AT('2025-09-30T20:00:00Z'), upvotes: 71, num_comments: null },
      { observed_at: AT('2025-10-01T08:00:00Z'), upvotes: 94, num_comments: 5 },
    ],
    repos: [
      {
        ref: 'eval-sys/mcpmark',
        source: 'github_repo',
        status: 'resolved',
        full_name: 'eval-sys/mcpmark',
        stars: 120,
        forks: 9,
        language: 'Python',
        license_spdx: 'Apache-2.0',
        archived: false,
        pushed_at: null,
        star_history: [
          { observed_at: '2025-09-30T09:00:00.000Z', stars: 100, forks: 8 },
          { observed_at: '2025-10-01T09:00:00.000Z', stars: 120, forks: 9 },
        ],
      },
      {
        ref: 'gone/away',
        source: 'abstract',
        status: 'not_found',
        full_name: null,
        stars: null,
        forks: null,
        language: null,
        license_spdx: null,
        archived: null,
        pushed_at: null,
        star_history: [],
      },
    ],
    page: {
      status: 'ok',
      daily_rank: 1,
      submitter_organization: 'EvalSys',
      github_repo_added_by: null,
      citing_models: 3,
      citing_datasets: 1,
      citing_spaces: 2,
      collections: 5,
      observed_at: AT('2025-10-01T08:00:00Z'),
      next_check_at: null,
    },
    pageHistory: [
      {
        observed_at: AT('2025-10-01T08:00:00Z'),
        daily_rank: 1,
        citing_models: 3,
        citing_datasets: 1,
        citing_spaces: 2,
        collections: 5,
      },
    ],
  };
}

describe('the paper page', () => {
  const HF = 'https://huggingface.co';

  it('shows the text, the links, every listing, the charts and the own-page counts', () => {
    const page = renderPaperPage(detail(), { hfBaseUrl: HF });
    const $ = load(page.main);
    expect($('h1').text()).toBe('MCPMark: A Benchmark');
    expect($('.authors').text()).toBe('Ada Lovelace, Alan Turing');
    expect($('.abstract').text()).toBe('We present a benchmark.');
    expect($('.ai-summary').text()).toBe('A benchmark for MCP.');
    expect(
      $('.keywords .chip')
        .toArray()
        .map((chip) => $(chip).text()),
    ).toEqual(['benchmark', 'agents']);
    const links = $('p.links a')
      .toArray()
      .map((link) => $(link).attr('href'));
    expect(links).toEqual([
      'https://huggingface.co/papers/2509.24002',
      'https://arxiv.org/abs/2509.24002',
      'https://arxiv.org/pdf/2509.24002',
      'https://mcpmark.ai',
      'https://github.com/eval-sys/mcpmark',
      'https://github.com/gone/away',
    ]);
    const listings = $('table.listings tbody tr')
      .toArray()
      .map((row) =>
        $(row)
          .find('td')
          .slice(0, 4)
          .toArray()
          .map((cell) => $(cell).text()),
      );
    expect(listings).toEqual([
      ['day 2025-09-30', '2025-09-30', '2', '40'],
      ['week 2025-W40', '2025-09-29', '7', '94'],
    ]);
    expect($('[data-series="upvotes"] circle.point')).toHaveLength(3);
    // A row without a comment count draws no comment point.
    expect($('[data-series="comments"] circle.point')).toHaveLength(2);
    expect($('section.repo[data-repo="eval-sys/mcpmark"] circle.point')).toHaveLength(2);
    expect($('section.repo[data-repo="gone/away"] .no-history').text()).toBe('No history yet.');
    expect($('section.repo[data-repo="gone/away"] h3').text()).toContain('not resolved on GitHub (not_found)');
    expect(
      $('dl.page-detail div')
        .toArray()
        .map((item) => $(item).text()),
    ).toEqual(['Citing models3', 'Citing datasets1', 'Citing Spaces2', 'In collections5', 'Rank on its daily page1']);
  });

  it('says what is not known yet: no history, no own page, no abstract', () => {
    const empty = {
      ...detail({ abstract: null, ai_summary: null, ai_keywords: null }),
      upvoteHistory: [],
      page: undefined,
    };
    const $ = load(renderPaperPage(empty, { hfBaseUrl: HF }).main);
    expect($('[data-series="upvotes"]').text()).toBe('No history yet.');
    expect($('svg[aria-label="Upvotes"]')).toHaveLength(0);
    expect($.text()).toContain('Its own page has not been fetched yet.');
    expect($.text()).toContain('No abstract yet');
  });

  it('renders hostile text as text, and a non-web project page as text, never as a link', () => {
    const hostile = detail({
      title: HOSTILE,
      abstract: HOSTILE,
      authors: [HOSTILE],
      ai_summary: HOSTILE,
      ai_keywords: [HOSTILE],
      project_page: 'javascript:alert(1)',
    });
    hostile.repos[0]!.full_name = HOSTILE;
    const page = renderPaperPage(hostile, { hfBaseUrl: HF });
    const $ = load(page.main);
    expect($('script, img')).toHaveLength(0);
    expect($('h1').text()).toBe(HOSTILE);
    expect($('.abstract').text()).toBe(HOSTILE);
    expect($('a[href^="javascript:"]')).toHaveLength(0);
    expect($('p.links').text()).toContain('project page: javascript:alert(1)');
    expect(page.title).not.toContain('<');
  });

  it('links a non-arXiv paper to Hugging Face only, and paths keep an old-style id readable', () => {
    const $ = load(renderPaperPage(detail({ id: 'other:openreview x1' }), { hfBaseUrl: HF }).main);
    expect($('p.links a').first().attr('href')).toBe('https://huggingface.co/papers/other%3Aopenreview%20x1');
    expect($('a[href*="arxiv.org"]')).toHaveLength(0);
    expect(paperPagePath('hep-th/9901001')).toBe('/papers/hep-th/9901001');
    expect(paperPagePath('other:a b')).toBe('/papers/other%3Aa%20b');
    // Only an old-style arXiv id keeps a readable slash: another id's `/../` would be resolved away as a dot segment.
    expect(paperPagePath('cs.CL/0101001')).toBe('/papers/cs.CL/0101001');
    expect(paperPagePath('other:a/../b')).toBe('/papers/other%3Aa%2F..%2Fb');
    expect(new URL(paperPagePath('other:a/../b'), 'http://x').pathname).toBe('/papers/other%3Aa%2F..%2Fb');
    expect(webUrl(' https://x.org/a ')).toBe('https://x.org/a');
    expect(webUrl('javascript:alert(1)')).toBeUndefined();
    expect(load(renderPaperNotFound(HOSTILE).main)('script')).toHaveLength(0);
  });
});

describe('the rising repositories page', () => {
  const rows: RisingRepoRow[] = [
    {
      repo_id: '11',
      full_name: 'a/rising',
      stars: 500,
      growth: 120,
      language: 'Python',
      papers: ['2509.24002', 'hep-th/9901001'],
    },
    { repo_id: '12', full_name: HOSTILE, stars: 90, growth: null, language: HOSTILE, papers: [] },
  ];
  const histories = new Map<string, StarObservationRow[]>([
    [
      '11',
      [
        { repo_id: '11', observed_at: AT('2025-10-01T00:00:00Z'), stars: 380 },
        { repo_id: '11', observed_at: AT('2025-10-03T00:00:00Z'), stars: 450 },
        { repo_id: '11', observed_at: AT('2025-10-04T00:00:00Z'), stars: 500 },
      ],
    ],
    ['12', []],
  ]);

  it('lists the rows in the order given, each with its sparkline, growth and papers', () => {
    const page = renderReposPage({
      windowDays: 30,
      language: undefined,
      rows,
      histories,
      nextCursor: 'abc',
      cursor: undefined,
    });
    const $ = load(page.main);
    expect(
      $('tr.repo-row')
        .toArray()
        .map((row) => $(row).attr('data-repo-id')),
    ).toEqual(['11', '12']);
    expect($('tr[data-repo-id="11"] svg.sparkline circle.point')).toHaveLength(3);
    expect($('tr[data-repo-id="11"] .growth').text()).toBe('+120');
    expect($('tr[data-repo-id="12"] .growth').text()).toBe('unknown');
    expect(
      $('tr[data-repo-id="11"] td.papers a')
        .toArray()
        .map((link) => $(link).attr('href')),
    ).toEqual(['/papers/2509.24002', '/papers/hep-th/9901001']);
    expect($('select[name="window"] option[selected]').attr('value')).toBe('30d');
    expect($('a[rel="next"]').attr('href')).toBe('/repos?window=30d&cursor=abc');
    expect($('script, img')).toHaveLength(0);
    expect($('tr[data-repo-id="12"] td.name').text()).toBe(HOSTILE);
  });

  it('keeps the window, the language and the cursor in its links', () => {
    expect(reposHref({ windowDays: 7, language: 'C++', cursor: 'x' })).toBe(
      '/repos?window=7d&language=C%2B%2B&cursor=x',
    );
  });

  it('links a later page back to the first page of the same view, without its cursor', () => {
    const $ = load(
      renderReposPage({ windowDays: 7, language: 'C++', rows, histories, nextCursor: 'next', cursor: 'here' }).main,
    );
    const first = $('nav.pages a').filter((_, link) => $(link).text() === 'First page');
    expect(first.attr('href')).toBe('/repos?window=7d&language=C%2B%2B');
    expect($('a[rel="next"]').attr('href')).toBe('/repos?window=7d&language=C%2B%2B&cursor=next');
    const firstPage = load(
      renderReposPage({ windowDays: 7, language: undefined, rows, histories, nextCursor: 'next', cursor: undefined })
        .main,
    );
    expect(firstPage('nav.pages a').filter((_, link) => firstPage(link).text() === 'First page')).toHaveLength(0);
  });

  it('offers 7, 30 and 90 days, and a window the URL asked for besides them', () => {
    const offered = (windowDays: number) => {
      const $ = load(
        renderReposPage({ windowDays, language: undefined, rows, histories, nextCursor: undefined, cursor: undefined })
          .main,
      );
      const options = $('select[name="window"] option').toArray();
      return {
        values: options.map((option) => $(option).attr('value')),
        labels: options.map((option) => $(option).text()),
        selected: $('select[name="window"] option[selected]').attr('value'),
      };
    };
    expect(offered(30)).toEqual({
      values: ['7d', '30d', '90d'],
      labels: ['7 days', '30 days', '90 days'],
      selected: '30d',
    });
    expect(offered(14)).toEqual({
      values: ['7d', '14d', '30d', '90d'],
      labels: ['7 days', '14 days', '30 days', '90 days'],
      selected: '14d',
    });
  });

  it('shows a refused view with the form and the reason, escaped', () => {
    const $ = load(
      renderReposRefused(`window: "${HOSTILE}" is not a window from 1d to 3650d`, {
        window: HOSTILE,
        language: HOSTILE,
      }).main,
    );
    expect($('p.error').text()).toContain('is not a window from 1d to 3650d');
    expect($('script, img')).toHaveLength(0);
    expect($('select[name="window"] option[selected]').attr('value')).toBe('7d');
    expect($('input[name="language"]').attr('value')).toBe(HOSTILE);
    const kept = load(renderReposRefused('cursor: not a cursor', { window: '90d', language: null }).main);
    expect(kept('select[name="window"] option[selected]').attr('value')).toBe('90d');
  });
});

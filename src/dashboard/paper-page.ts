import type { PaperDetail, PaperRepoRow } from '../db/query.repository.ts';
import { paperLinks } from '../domain/feed-entries.ts';
import { escapeHtml } from '../domain/html.ts';
import { isArxivId } from '../domain/paper-id.ts';
import { CHART_TOOLTIP_SCRIPT_NAME } from './chart-tooltip-script.ts';
import { renderTimeChart, TIME_CHART_STYLES } from './time-chart.ts';
import { formatUtc } from './time-format.ts';

/**
 * `/papers/<id>`: one paper, everything paperboy knows of it: its text,
 * links, every listing, its upvote and comment history and each
 * repository's star history drawn, and what its own Hugging Face page says.
 * Pure: the detail in, the page's parts out; every stored text is escaped.
 */

export interface RenderedPage {
  title: string;
  main: string;
  styles: string;
  /** Served scripts (src/dashboard/assets.ts): the charts' tooltip. The page works without them. */
  scripts?: readonly string[];
}

/** The served script that shows a chart point's value at once on hover. */
export const CHART_SCRIPTS = [CHART_TOOLTIP_SCRIPT_NAME] as const;

/**
 * The dashboard path of a paper's page, percent-encoded: an old-style arXiv
 * id keeps its slash readable (hep-th/9901001), every other id has its
 * slashes encoded too, so an `other:` id holding `/../` is not resolved away
 * as a dot segment by the browser. The route decodes both to the id.
 */
export function paperPagePath(id: string): string {
  const encoded = encodeURIComponent(id);
  return `/papers/${isArxivId(id) ? encoded.replace(/%2F/g, '/') : encoded}`;
}

/** A stored URL as a link target only when it is a web address: a `javascript:` one stays text. */
export function webUrl(value: string | null): string | undefined {
  return value !== null && /^https?:\/\/[^\s]+$/i.test(value.trim()) ? value.trim() : undefined;
}

export function renderPaperPage(detail: PaperDetail, options: { hfBaseUrl: string }): RenderedPage {
  const { paper } = detail;
  const main = [
    `<article class="paper" data-id="${escapeHtml(paper.id)}">`,
    `<h1>${escapeHtml(paper.title)}</h1>`,
    renderByline(detail),
    renderLinks(detail, options.hfBaseUrl),
    renderFacts(detail),
    paper.ai_keywords?.length
      ? `<p class="chips keywords">${paper.ai_keywords.map((keyword) => `<span class="chip">${escapeHtml(keyword)}</span>`).join('')}</p>`
      : '',
    paper.ai_summary ? `<h2>AI summary</h2><p class="ai-summary">${escapeHtml(paper.ai_summary)}</p>` : '',
    `<h2>Abstract</h2>`,
    paper.abstract
      ? `<p class="abstract">${escapeHtml(paper.abstract)}</p>`
      : `<p class="muted">No abstract yet: the paper was seen on a list without one.</p>`,
    `<h2>Upvotes over time</h2>`,
    renderTimeChart(
      detail.upvoteHistory.map((row) => ({ at: row.observed_at, value: row.upvotes })),
      { series: 'upvotes', unit: 'upvotes', label: 'Upvotes' },
    ),
    `<h2>Comments over time</h2>`,
    renderTimeChart(
      detail.upvoteHistory.flatMap((row) =>
        row.num_comments === null ? [] : [{ at: row.observed_at, value: row.num_comments }],
      ),
      { series: 'comments', unit: 'comments', label: 'Comments' },
    ),
    renderListings(detail),
    renderRepos(detail.repos),
    renderPageDetail(detail),
    `</article>`,
  ].join('\n');
  return { title: escapeHtml(paper.title), main, styles: TIME_CHART_STYLES + PAPER_STYLES, scripts: CHART_SCRIPTS };
}

/** The page for an id no paper has. */
export function renderPaperNotFound(id: string): RenderedPage {
  return {
    title: 'No such paper',
    main: `<h1>No such paper</h1>
<p class="error">paperboy has no paper <code>${escapeHtml(id)}</code>. Ingest it with <code>paperboy ingest paper ${escapeHtml(id)}</code>, or find papers on <a href="/papers">Papers</a>.</p>`,
    styles: '',
  };
}

function renderByline({ paper }: PaperDetail): string {
  const parts = [
    paper.authors?.length ? `<span class="authors">${paper.authors.map(escapeHtml).join(', ')}</span>` : '',
    paper.organization ? `<span>${escapeHtml(paper.organization)}</span>` : '',
    paper.published_at ? `<span>published ${escapeHtml(paper.published_at.toISOString().slice(0, 10))}</span>` : '',
    paper.submitted_by ? `<span>submitted by ${escapeHtml(paper.submitted_by)}</span>` : '',
  ].filter(Boolean);
  return parts.length ? `<p class="byline">${parts.join(' · ')}</p>` : '';
}

function renderLinks(detail: PaperDetail, hfBaseUrl: string): string {
  const { paper } = detail;
  const links = paperLinks({ id: paper.id, repo: null }, hfBaseUrl);
  const anchors = [`<a href="${escapeHtml(links.page)}">Hugging Face page</a>`];
  if (links.arxiv) {
    anchors.push(`<a href="${escapeHtml(links.arxiv)}">arXiv abstract</a>`);
    anchors.push(`<a href="https://arxiv.org/pdf/${escapeHtml(paper.id)}">PDF</a>`);
  }
  const project = webUrl(paper.project_page);
  if (project) anchors.push(`<a href="${escapeHtml(project)}">project page</a>`);
  else if (paper.project_page) anchors.push(`<span>project page: ${escapeHtml(paper.project_page)}</span>`);
  for (const repo of detail.repos) {
    const name = repo.full_name ?? repo.ref;
    anchors.push(`<a href="https://github.com/${escapeHtml(name)}">${escapeHtml(name)}</a>`);
  }
  return `<p class="links">${anchors.join('')}</p>`;
}

function renderFacts({ paper }: PaperDetail): string {
  const facts: Array<[string, string]> = [
    ['Upvotes', paper.upvotes.toLocaleString('en')],
    ['Comments', paper.num_comments === null ? 'unknown' : paper.num_comments.toLocaleString('en')],
    ['First listed', paper.listed_on ?? 'never'],
    ['Last listed', paper.last_listed_on ?? 'never'],
  ];
  return `<dl class="facts">${facts.map(([term, value]) => `<div><dt>${term}</dt><dd>${escapeHtml(value)}</dd></div>`).join('')}</dl>`;
}

function renderListings({ listings }: PaperDetail): string {
  if (listings.length === 0) return `<h2>Listings</h2><p class="muted">Not on any list paperboy fetched.</p>`;
  const rows = listings
    .map(
      (listing) =>
        `<tr><td>${escapeHtml(listing.kind)} <code>${escapeHtml(listing.key)}</code></td><td>${escapeHtml(listing.listed_on)}</td>` +
        `<td class="num">${listing.rank}</td><td class="num">${listing.upvotes.toLocaleString('en')}</td>` +
        `<td>${escapeHtml(formatUtc(listing.first_seen_at))}</td><td>${escapeHtml(formatUtc(listing.last_seen_at))}</td></tr>`,
    )
    .join('');
  return `<h2>Listings (${listings.length})</h2>
<div class="wide"><table class="listings"><thead><tr><th>Digest</th><th>Date</th><th class="num">Rank</th><th class="num">Upvotes then</th><th>First seen</th><th>Last seen</th></tr></thead>
<tbody>${rows}</tbody></table></div>`;
}

function renderRepos(repos: readonly PaperRepoRow[]): string {
  if (repos.length === 0) return `<h2>Repositories</h2><p class="muted">No repository linked.</p>`;
  const items = repos.map((repo) => {
    const name = repo.full_name ?? repo.ref;
    const facts =
      repo.full_name === null
        ? [`not resolved on GitHub (${escapeHtml(repo.status)})`]
        : [
            `${(repo.stars ?? 0).toLocaleString('en')} stars`,
            `${(repo.forks ?? 0).toLocaleString('en')} forks`,
            repo.language ? escapeHtml(repo.language) : '',
            repo.license_spdx ? escapeHtml(repo.license_spdx) : '',
            repo.archived ? 'archived' : '',
            repo.pushed_at ? `pushed ${escapeHtml(repo.pushed_at.toISOString().slice(0, 10))}` : '',
          ].filter(Boolean);
    const chart = renderTimeChart(
      repo.star_history.map((row) => ({ at: new Date(row.observed_at), value: row.stars })),
      { series: 'stars', unit: 'stars', label: `Stars of ${name}` },
    );
    return `<section class="repo" data-repo="${escapeHtml(name)}">
<h3><a href="https://github.com/${escapeHtml(name)}">${escapeHtml(name)}</a> <span class="muted">${facts.join(' · ')}</span></h3>
<p class="hint">linked from ${repo.source === 'github_repo' ? "the paper's own GitHub field" : escapeHtml(repo.source)}</p>
${chart}
</section>`;
  });
  return `<h2>Repositories (${repos.length})</h2>\n${items.join('\n')}`;
}

function renderPageDetail({ page, pageHistory }: PaperDetail): string {
  const heading = `<h2>On its Hugging Face page</h2>`;
  if (!page) return `${heading}<p class="muted">Its own page has not been fetched yet.</p>`;
  if (page.status === 'not_found')
    return `${heading}<p class="muted">Hugging Face had no page for it (as of ${escapeHtml(formatUtc(page.observed_at))}).</p>`;
  const counts: Array<[string, number | null]> = [
    ['Citing models', page.citing_models],
    ['Citing datasets', page.citing_datasets],
    ['Citing Spaces', page.citing_spaces],
    ['In collections', page.collections],
    ['Rank on its daily page', page.daily_rank],
  ];
  const facts = counts
    .map(
      ([term, value]) =>
        `<div><dt>${term}</dt><dd>${value === null ? 'unknown' : value.toLocaleString('en')}</dd></div>`,
    )
    .join('');
  const history = pageHistory
    .map(
      (row) =>
        `<tr><td>${escapeHtml(formatUtc(row.observed_at))}</td>${[row.citing_models, row.citing_datasets, row.citing_spaces, row.collections, row.daily_rank].map((value) => `<td class="num">${value ?? ''}</td>`).join('')}</tr>`,
    )
    .join('');
  const organization = page.submitter_organization
    ? `<p class="hint">submitted for ${escapeHtml(page.submitter_organization)}</p>`
    : '';
  return `${heading}
<dl class="facts page-detail">${facts}</dl>
${organization}<p class="hint">as of ${escapeHtml(formatUtc(page.observed_at))}</p>
<details><summary>How these counts changed (${pageHistory.length} ${pageHistory.length === 1 ? 'row' : 'rows'})</summary>
<div class="wide"><table class="history"><thead><tr><th>Observed (UTC)</th><th class="num">Models</th><th class="num">Datasets</th><th class="num">Spaces</th><th class="num">Collections</th><th class="num">Daily rank</th></tr></thead><tbody>${history}</tbody></table></div>
</details>`;
}

const PAPER_STYLES = `
article.paper h1{overflow-wrap:anywhere}
.byline{color:#4a5366;margin:-.4rem 0 .8rem;overflow-wrap:anywhere}
p.links{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;margin:.6rem 0}
p.links>*{overflow-wrap:anywhere}
dl.facts{display:flex;flex-wrap:wrap;gap:.6rem 1.6rem;margin:1rem 0}dl.facts dt{font-size:.8rem;color:#6b7385}dl.facts dd{margin:0;font-weight:600}
.abstract,.ai-summary{overflow-wrap:anywhere;max-width:48rem}
.wide{overflow-x:auto;max-width:100%}
table.listings{border-collapse:collapse;background:#fff;border:1px solid #dde1e8;width:100%;font-size:.9rem}
table.listings td,table.listings th{padding:.35rem .6rem;border-bottom:1px solid #eef0f4;text-align:left}
section.repo h3{font-size:1rem;margin:1.2rem 0 .2rem;overflow-wrap:anywhere}
section.repo h3 .muted{font-weight:400}
`;

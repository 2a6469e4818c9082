import type { PaperRow, SearchRow } from '../db/query.repository.ts';
import { escapeHtml } from '../domain/html.ts';
import { PAGE_LIMITS, PAPER_QUERY, type PaperSort } from '../domain/paper-query.ts';
import { renderDashboardPage } from './page-layout.ts';
import { paperPagePath } from './paper-page.ts';

/**
 * The /papers page, server-rendered: a search box, the shared paper filters
 * and the order as one GET form (so the URL holds the whole query, to
 * bookmark or send), a page of papers, and links to the pages before and
 * after it. Pure: rows and the query in, HTML out; every value escaped.
 */

export interface PapersPageInput {
  /** The query as given (text, each field by its URL name), for the form and the links. */
  form: Readonly<Record<string, string>>;
  rows: ReadonlyArray<PaperRow | SearchRow>;
  sort: PaperSort;
  /** The URL of the page before and after this one; undefined at either end. */
  previous?: string;
  next?: string;
  /** Why the query was refused (the parameter named); no rows then. */
  error?: string;
  /**
   * The API's cursor for this very page, when its URL has none of its own:
   * a page reached by `before` (which the API does not take) starts after
   * the row before it.
   */
  apiCursor?: string;
  savedSearches: readonly string[];
}

const SORT_LABELS: Record<PaperSort, string> = {
  relevance: 'best match (with a search)',
  upvotes: 'most upvoted',
  listed: 'newest listing',
  stars: 'most starred repository',
};

const FIELD_LABELS: Record<string, string> = {
  day: 'Day',
  since: 'Since',
  until: 'Until',
  min_upvotes: 'Min upvotes',
  has_code: 'Code',
  has_model: 'Cited by a model',
  language: 'Language',
  saved_search: 'Saved search',
};

const YES_NO_LABELS: Record<string, readonly [string, string]> = {
  has_code: ['with a repository', 'without'],
  has_model: ['yes', 'no'],
};

const DEFINITIONS = new Map(PAPER_QUERY.map((definition) => [definition.name as string, definition]));

export function renderPapersPage(input: PapersPageInput): string {
  const { form } = input;
  const field = (name: string, control: string) =>
    `<label title="${escapeHtml(DEFINITIONS.get(name)?.description)}">${FIELD_LABELS[name]}${control}</label>`;
  const text = (name: string, placeholder: string, type = 'text') =>
    field(
      name,
      `<input type="${type}" name="${name}" placeholder="${escapeHtml(placeholder)}" value="${escapeHtml(form[name])}"${type === 'number' ? ' min="0"' : ''}>`,
    );
  const select = (name: string, options: ReadonlyArray<readonly [string, string]>) =>
    `<select name="${name}">${options
      .map(
        ([value, label]) =>
          `<option value="${escapeHtml(value)}"${(form[name] ?? '') === value ? ' selected' : ''}>${escapeHtml(label)}</option>`,
      )
      .join('')}</select>`;
  const yesNo = (name: string) =>
    field(
      name,
      select(name, [
        ['', 'any'],
        ['true', YES_NO_LABELS[name]![0]],
        ['false', YES_NO_LABELS[name]![1]],
      ]),
    );
  // A saved search the URL asks for that is not configured (any longer) is applied: the form shows it, as its own
  // option, so a resubmit keeps it.
  const savedSearchField = () => {
    const asked = form.saved_search;
    const names = asked && !input.savedSearches.includes(asked) ? [...input.savedSearches, asked] : input.savedSearches;
    return names.length > 0
      ? field('saved_search', select('saved_search', [['', 'any'], ...names.map((name) => [name, name] as const)]))
      : '';
  };
  const sorts = (Object.keys(SORT_LABELS) as PaperSort[]).map((sort) => [sort, SORT_LABELS[sort]] as const);
  const filters = [
    text('day', 'YYYY-MM-DD', 'text'),
    text('since', '2024-08-01 or 7d'),
    text('until', 'YYYY-MM-DD'),
    text('min_upvotes', '0', 'number'),
    yesNo('has_code'),
    text('language', 'Python'),
    yesNo('has_model'),
    savedSearchField(),
  ].join('');
  const searchForm = `<form method="get" action="/papers" class="new papers" role="search">
<label class="search">Search titles and abstracts<input type="search" name="q" value="${escapeHtml(form.q)}" placeholder='diffusion "video generation" -survey'></label>
<label>Order${select('sort', [
    ['', form.q ? 'best match' : 'most upvoted'],
    ...sorts.filter(([sort]) => sort !== 'relevance' && (sort !== 'upvotes' || form.q)),
  ])}</label>
<button type="submit">Show papers</button>${form.limit ? `<input type="hidden" name="limit" value="${escapeHtml(form.limit)}">` : ''}
<details class="filters"${hasFilter(form) ? ' open' : ''}><summary>Filters</summary><div class="fields">${filters}</div></details>
<p class="hint">Search takes <code>"a phrase"</code>, <code>-word</code> and <code>or</code>. Days are Hugging Face's daily pages. Newest listing orders papers by their first listing; most starred lists papers with a repository only.</p>
</form>`;
  const body = input.error
    ? `<p class="error">${escapeHtml(input.error)}</p>`
    : input.rows.length === 0
      ? `<p class="notice">No paper matches this query.</p>`
      : renderTable(input.rows, input.sort);
  const pager = `<nav class="pager" aria-label="pages">${
    input.previous ? `<a rel="prev" href="${escapeHtml(input.previous)}">← Previous</a>` : '<span></span>'
  }${input.next ? `<a rel="next" href="${escapeHtml(input.next)}">Next →</a>` : ''}</nav>`;
  // The same page as JSON: the query, the page's size (the API's default differs) and its cursor (the API's
  // encoding). `before` is the page's alone: without the cursor of the row before it (given as apiCursor),
  // as on a page refused, the link asks for the query's first page.
  const api = `/api/papers${queryString(
    { ...form, limit: form.limit ?? String(PAGE_LIMITS.page.default), cursor: input.apiCursor ?? form.cursor ?? '' },
    ['before'],
  )}`;
  return renderDashboardPage({
    title: 'Papers',
    path: '/papers',
    styles: PAPERS_STYLES,
    main: `<h1>Papers</h1>
${searchForm}
${body}
${input.error ? '' : pager}
<p class="muted">The same query as JSON: <a href="${escapeHtml(api)}"><code>${escapeHtml(api)}</code></a></p>`,
  });
}

function hasFilter(form: Readonly<Record<string, string>>): boolean {
  return Object.keys(FIELD_LABELS).some((name) => form[name]);
}

function renderTable(rows: ReadonlyArray<PaperRow | SearchRow>, sort: PaperSort): string {
  const lines = rows.map((row) => {
    const repo = row.repo
      ? `<a href="https://github.com/${escapeHtml(row.repo)}">${escapeHtml(row.repo)}</a><span class="sub">★ ${row.repo_stars ?? '?'}${row.repo_language ? ` · ${escapeHtml(row.repo_language)}` : ''}</span>`
      : '<span class="sub">no repository</span>';
    return `<tr>
<td class="paper"><a href="${escapeHtml(paperPagePath(row.id))}">${escapeHtml(row.title)}</a><span class="sub">${escapeHtml(row.id)}${'rank' in row ? ` · match ${row.rank.toFixed(4)}` : ''}</span></td>
<td class="day">${escapeHtml(row.listed_on ?? '–')}</td>
<td class="num">${row.upvotes}</td>
<td class="num">${row.num_comments ?? '–'}</td>
<td class="repo">${repo}</td>
</tr>`;
  });
  const sorted = (column: PaperSort) => (sort === column ? ' aria-sort="descending"' : '');
  return `<table class="papers">
<thead><tr><th scope="col">Paper</th><th scope="col"${sorted('listed')}>Listed</th><th scope="col" class="num"${sorted('upvotes')}>Upvotes</th><th scope="col" class="num">Comments</th><th scope="col"${sorted('stars')}>Repository</th></tr></thead>
<tbody>
${lines.join('\n')}
</tbody>
</table>`;
}

/** `?name=value&…` of the given fields (empty ones left out), in the definitions' order; '' when none. */
export function queryString(form: Readonly<Record<string, string>>, leaveOut: readonly string[] = []): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) if (value && !leaveOut.includes(name)) params.set(name, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}

const PAPERS_STYLES = `
main{max-width:76rem}
form.papers{align-items:flex-end}
form.papers label.search{flex:1 1 22rem}
form.papers input[type=search]{width:100%}
details.filters{width:100%;margin:0}
details.filters summary{cursor:pointer;color:#3554d1;font-size:.9rem}
details.filters .fields{display:flex;flex-wrap:wrap;gap:.8rem 1rem;margin-top:.7rem}
details.filters input,details.filters select{min-width:0;width:9.5rem}
table.papers{width:100%;border-collapse:collapse;margin-top:1.2rem;background:#fff;border:1px solid #dde1e8;border-radius:8px;overflow:hidden}
table.papers th{text-align:left;white-space:nowrap;font-size:.8rem;color:#4a5366;font-weight:600;padding:.55rem .7rem;border-bottom:1px solid #dde1e8;background:#fafbfc}
table.papers th[aria-sort]::after{content:" ↓"}
table.papers td{padding:.55rem .7rem;border-bottom:1px solid #eef0f4;vertical-align:top}
table.papers tr:last-child td{border-bottom:0}
td.paper a{font-weight:600;color:#1d2330;text-decoration:none}td.paper a:hover{text-decoration:underline}
td.paper{overflow-wrap:anywhere}td.repo{overflow-wrap:anywhere;max-width:16rem}
.sub{display:block;font-size:.8rem;color:#6b7385}
td.day{white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums}
nav.pager{display:flex;justify-content:space-between;margin:1rem 0}
nav.pager a{padding:.4rem .9rem;border:1px solid #c3c9d4;border-radius:5px;background:#fff;text-decoration:none;color:#3554d1}
@media (max-width:900px){td.repo{max-width:11rem}table.papers th,table.papers td{padding:.45rem .45rem}}
`;

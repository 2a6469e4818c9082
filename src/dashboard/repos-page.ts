import type { RisingRepoRow, StarObservationRow } from '../db/query.repository.ts';
import { escapeHtml } from '../domain/html.ts';
import { DEFAULT_WINDOW_DAYS } from '../domain/paper-query.ts';
import { CHART_SCRIPTS, paperPagePath, type RenderedPage } from './paper-page.ts';
import { renderSparkline, TIME_CHART_STYLES } from './time-chart.ts';

/**
 * `/repos`: repositories rising over a window, in the order of the SQL
 * function repos_rising_over, each with its star history over the window as
 * a sparkline and the papers that link to it. Pure: rows in, the page's
 * parts out. The URL holds the window, the language and the cursor, so a
 * view can be bookmarked.
 */

/** The windows the form offers, in days; the URL takes any the API does (`window=2w`), and the form shows it. */
export const OFFERED_WINDOWS = [7, 30, 90] as const;

export interface ReposView {
  windowDays: number;
  language: string | undefined;
  rows: readonly RisingRepoRow[];
  /** Each row's star history over the window, by repo_id. */
  histories: ReadonlyMap<string, readonly StarObservationRow[]>;
  /** The next page's cursor when this page is full. */
  nextCursor: string | undefined;
  /** Where the rows start: set on every page after the first. */
  cursor: string | undefined;
}

/** The query string of a view: what its links and bookmarks hold. */
export function reposHref(view: {
  windowDays: number;
  language?: string | undefined;
  cursor?: string | undefined;
}): string {
  const params = new URLSearchParams({ window: windowParameter(view.windowDays) });
  if (view.language !== undefined) params.set('language', view.language);
  if (view.cursor !== undefined) params.set('cursor', view.cursor);
  return `/repos?${params.toString()}`;
}

export function renderReposPage(view: ReposView): RenderedPage {
  const rows = view.rows.map((row) => renderRow(row, view.histories.get(row.repo_id) ?? [], view.windowDays));
  const table = rows.length
    ? `<table class="rising"><thead><tr><th>Repository</th><th class="num">Stars</th><th class="num">Growth</th><th>Language</th><th>Stars over ${view.windowDays} days</th><th>Papers</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`
    : `<p class="muted">No repositories${view.language === undefined ? '' : ` in ${escapeHtml(view.language)}`}${view.cursor ? ' after this point' : ' yet: enrichment fills them from the papers’ links'}.</p>`;
  const pages = [
    view.cursor ? `<a href="${escapeHtml(reposHref({ ...view, cursor: undefined }))}">First page</a>` : '',
    view.nextCursor
      ? `<a rel="next" href="${escapeHtml(reposHref({ ...view, cursor: view.nextCursor }))}">Next page</a>`
      : '',
  ].filter(Boolean);
  return {
    title: 'Rising repositories',
    main: `<h1>Rising repositories</h1>
${renderForm(view.windowDays, view.language)}
<p class="hint">Growth is the stars now minus the stars at the window’s start (the last snapshot before it, else the first one inside it); unknown growth comes last.</p>
${table}
${pages.length ? `<nav class="pages">${pages.join('')}</nav>` : ''}`,
    styles: TIME_CHART_STYLES + REPOS_STYLES,
    scripts: CHART_SCRIPTS,
  };
}

/** The page for a view that cannot be shown: the form with what was asked, and why not. */
export function renderReposRefused(
  message: string,
  asked: { window: string | null; language: string | null },
): RenderedPage {
  const windowDays = OFFERED_WINDOWS.find((days) => windowParameter(days) === asked.window) ?? DEFAULT_WINDOW_DAYS;
  return {
    title: 'Rising repositories',
    main: `<h1>Rising repositories</h1>
${renderForm(windowDays, asked.language ?? undefined)}
<p class="error">Not a view of rising repositories: ${escapeHtml(message)}</p>`,
    styles: REPOS_STYLES,
  };
}

/** The query language's spelling of a window of whole days: `7d`. */
const windowParameter = (days: number) => `${days}d`;

function renderForm(windowDays: number, language: string | undefined): string {
  // A window asked for in the URL that the form does not offer (`2w`) is shown as its own option.
  const windows = (OFFERED_WINDOWS as readonly number[]).includes(windowDays)
    ? OFFERED_WINDOWS
    : [...OFFERED_WINDOWS, windowDays].sort((a, b) => a - b);
  const options = windows
    .map(
      (days) =>
        `<option value="${windowParameter(days)}"${days === windowDays ? ' selected' : ''}>${days} days</option>`,
    )
    .join('');
  return `<form class="new" method="get" action="/repos">
<label>Window<select name="window">${options}</select></label>
<label>Language<input name="language" value="${escapeHtml(language ?? '')}" placeholder="any, e.g. Python"></label>
<button type="submit">Show</button>
</form>`;
}

function renderRow(row: RisingRepoRow, history: readonly StarObservationRow[], windowDays: number): string {
  const growth = row.growth === null ? 'unknown' : `${row.growth > 0 ? '+' : ''}${row.growth.toLocaleString('en')}`;
  const sparkline = renderSparkline(
    history.map((point) => ({ at: point.observed_at, value: point.stars })),
    { series: 'stars', unit: 'stars', label: `Stars of ${row.full_name} over ${windowDays} days` },
  );
  const papers = row.papers.length
    ? row.papers.map((id) => `<a href="${escapeHtml(paperPagePath(id))}">${escapeHtml(id)}</a>`).join(' ')
    : '<span class="muted">none</span>';
  return `<tr class="repo-row" data-repo-id="${escapeHtml(row.repo_id)}" data-repo="${escapeHtml(row.full_name)}">
<td class="name"><a href="https://github.com/${escapeHtml(row.full_name)}">${escapeHtml(row.full_name)}</a></td>
<td class="num">${row.stars.toLocaleString('en')}</td><td class="num growth">${growth}</td>
<td>${escapeHtml(row.language ?? '')}</td><td>${sparkline}</td><td class="papers">${papers}</td></tr>`;
}

const REPOS_STYLES = `
table.rising{border-collapse:collapse;background:#fff;border:1px solid #dde1e8;width:100%;font-size:.9rem;margin-top:1rem}
table.rising td,table.rising th{padding:.4rem .6rem;border-bottom:1px solid #eef0f4;text-align:left;vertical-align:middle}
table.rising td.name,table.rising td.papers{overflow-wrap:anywhere}
table.rising td.papers a{margin-right:.4rem;white-space:nowrap}
table.rising td.num,table.rising th.num{text-align:right;font-variant-numeric:tabular-nums}
nav.pages{display:flex;gap:1.2rem;margin-top:1rem}
`;

import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import { sendPapersPage } from './papers-routes.ts';
import { getPaperDetail, getStarHistories, risingRepos } from '../db/query.repository.ts';
import { decodeRisingCursor, encodeRisingCursor, type RisingCursor } from '../domain/cursors.ts';
import { escapeHtml } from '../domain/html.ts';
import { hasNul, NUL_PROBLEM } from '../domain/input-rules.ts';
import { canonicalPaperId } from '../domain/paper-id.ts';
import { DEFAULT_WINDOW_DAYS, parseQuery, QueryParameterError, RISING_PAGE_QUERY } from '../domain/paper-query.ts';
import { decodeSegment } from './api-routes.ts';
import { renderDashboardPage } from './page-layout.ts';
import { paperPagePath, renderPaperNotFound, renderPaperPage, type RenderedPage } from './paper-page.ts';
import { redirectWithoutEmptyFields } from './form-url.ts';
import { renderReposPage, renderReposRefused } from './repos-page.ts';

/**
 * The database, browsed: `/papers` (search, filters, sort, keyset pages),
 * `/papers/<id>` (one paper with its history drawn) and `/repos` (rising
 * repositories). Read-only pages; the server has authenticated the request.
 */
export interface BrowseRoutes {
  pool: pg.Pool;
  /** Hugging Face's base URL: the papers' links. */
  hfBaseUrl: string;
  /** The configured saved searches: a filter of the papers. */
  savedSearches: readonly string[];
}

const HTML = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
const PAPER_PREFIX = '/papers/';
/** Rising repositories per page. */
const REPOS_PAGE_SIZE = 50;

/** Handles the request if the path is one of ours; false otherwise. */
export async function handleBrowseRequest(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  routes: BrowseRoutes,
): Promise<boolean> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (url.pathname === '/papers') {
    await sendPapersPage(response, url, routes);
    return true;
  }
  // `/papers` itself is the list's (the lead's); everything below it is one paper.
  if (url.pathname.startsWith(PAPER_PREFIX) && url.pathname.length > PAPER_PREFIX.length) {
    await sendPaper(response, url.pathname.slice(PAPER_PREFIX.length), routes);
    return true;
  }
  if (url.pathname === '/repos') {
    await sendRepos(response, url, routes);
    return true;
  }
  return false;
}

/**
 * A paper's page under its canonical id: any other spelling of an arXiv id
 * (a version, `arXiv:`, an abs or PDF URL, percent-encoded or not) is
 * redirected there; an id no paper has is a 404 page.
 */
async function sendPaper(response: ServerResponse, rest: string, routes: BrowseRoutes): Promise<void> {
  const given = decodeSegment(rest);
  if (given === undefined || given.trim() === '')
    return sendPage(response, 400, '/papers', refusedPaper('the path is not a paper id (bad percent-encoding)'));
  if (hasNul(given)) return sendPage(response, 400, '/papers', refusedPaper(`the id ${NUL_PROBLEM}`));
  const id = canonicalPaperId(given);
  const detail = await getPaperDetail(routes.pool, id);
  if (!detail) return sendPage(response, 404, '/papers', renderPaperNotFound(id));
  if (id !== given) {
    response.writeHead(301, { location: paperPagePath(id), 'cache-control': 'no-store' }).end();
    return;
  }
  sendPage(response, 200, '/papers', renderPaperPage(detail, { hfBaseUrl: routes.hfBaseUrl }));
}

function refusedPaper(reason: string): RenderedPage {
  return {
    title: 'Not a paper id',
    main: `<h1>Not a paper id</h1><p class="error">${escapeHtml(reason)}.</p>`,
    styles: '',
  };
}

/** The rising repositories of the window and language the URL asks for, from its cursor on. */
async function sendRepos(response: ServerResponse, url: URL, routes: BrowseRoutes): Promise<void> {
  if (redirectWithoutEmptyFields(response, url)) return;
  let view: { windowDays: number; language: string | undefined; cursor: string | undefined };
  let after: RisingCursor | undefined;
  try {
    const { window, language, cursor } = parseQuery(RISING_PAGE_QUERY, 'none', url.searchParams);
    view = { windowDays: window ?? DEFAULT_WINDOW_DAYS, language, cursor };
    after = decodeRisingCursor(cursor);
  } catch (error) {
    if (!(error instanceof QueryParameterError)) throw error;
    const asked = { window: url.searchParams.get('window'), language: url.searchParams.get('language') };
    return sendPage(response, 400, '/repos', renderReposRefused(error.message, asked));
  }
  const rows = await risingRepos(
    routes.pool,
    { windowDays: view.windowDays, language: view.language },
    { limit: REPOS_PAGE_SIZE, after },
  );
  const histories = await getStarHistories(
    routes.pool,
    rows.map((row) => row.repo_id),
    view.windowDays,
  );
  const last = rows.at(-1);
  const nextCursor =
    rows.length === REPOS_PAGE_SIZE && last
      ? encodeRisingCursor({ growth: last.growth, stars: last.stars, id: last.repo_id })
      : undefined;
  sendPage(response, 200, '/repos', renderReposPage({ ...view, rows, histories, nextCursor }));
}

function sendPage(response: ServerResponse, status: number, path: string, page: RenderedPage): void {
  response.writeHead(status, HTML).end(renderDashboardPage({ ...page, path }));
}

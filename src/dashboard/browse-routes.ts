import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import { sendPapersPage } from './papers-routes.ts';
import { getPaperDetail, getStarHistories, risingRepos } from '../db/query.repository.ts';
import { decodeRisingCursor, encodeRisingCursor, type RisingCursor } from '../domain/cursors.ts';
import { escapeHtml } from '../domain/html.ts';
import { hasNul, NUL_PROBLEM } from '../domain/input-rules.ts';
import { canonicalPaperId } from '../domain/paper-id.ts';
import { QueryParameterError } from '../domain/paper-query.ts';
import { decodeSegment } from './api-routes.ts';
import { renderDashboardPage } from './page-layout.ts';
import { paperPagePath, renderPaperNotFound, renderPaperPage, type RenderedPage } from './paper-page.ts';
import { DEFAULT_REPO_WINDOW, renderReposPage, renderReposRefused, REPO_WINDOWS } from './repos-page.ts';

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
const REPOS_PARAMETERS = new Set(['window', 'language', 'cursor']);
const MAX_LANGUAGE_LENGTH = 100;

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
    await sendRepos(response, url.searchParams, routes);
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

class RefusedView extends Error {}

/** The rising repositories of the window and language the URL asks for, from its cursor on. */
async function sendRepos(response: ServerResponse, params: URLSearchParams, routes: BrowseRoutes): Promise<void> {
  const asked = { window: params.get('window') ?? undefined, language: params.get('language') ?? undefined };
  let view: ReturnType<typeof readReposView>;
  let after: RisingCursor | undefined;
  try {
    view = readReposView(params);
    after = decodeRisingCursor(view.cursor);
  } catch (error) {
    if (error instanceof RefusedView || error instanceof QueryParameterError)
      return sendPage(response, 400, '/repos', renderReposRefused(error.message, asked));
    throw error;
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

/** @throws RefusedView naming the parameter when one is unknown, repeated or out of range. */
function readReposView(params: URLSearchParams): {
  windowDays: number;
  language: string | undefined;
  cursor: string | undefined;
} {
  for (const name of new Set(params.keys())) {
    if (!REPOS_PARAMETERS.has(name))
      throw new RefusedView(`unknown parameter "${name}"; this page takes ${[...REPOS_PARAMETERS].join(', ')}`);
    if (params.getAll(name).length > 1) throw new RefusedView(`${name}: given more than once`);
  }
  const window = params.get('window');
  const windowDays =
    window === null ? DEFAULT_REPO_WINDOW : REPO_WINDOWS.find((days) => String(days) === window.trim());
  if (windowDays === undefined)
    throw new RefusedView(`window: "${window}" is not one of ${REPO_WINDOWS.join(', ')} (days)`);
  const language = params.get('language')?.trim() || undefined;
  if (language !== undefined && hasNul(language)) throw new RefusedView(`language: ${NUL_PROBLEM}`);
  if (language !== undefined && language.length > MAX_LANGUAGE_LENGTH)
    throw new RefusedView(`language: longer than ${MAX_LANGUAGE_LENGTH} characters`);
  const cursor = params.get('cursor') ?? undefined;
  return { windowDays, language, cursor: cursor === '' ? undefined : cursor };
}

function sendPage(response: ServerResponse, status: number, path: string, page: RenderedPage): void {
  response.writeHead(status, HTML).end(renderDashboardPage({ ...page, path }));
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import { findFeedEntries } from '../db/feed.repository.ts';
import type { PaperFilters } from '../db/query.repository.ts';
import { etagOf, httpDate, isNotModified } from '../domain/conditional-get.ts';
import {
  FEED_CONTENT_TYPES,
  FEED_FORMATS,
  lastUpdated,
  renderFeed,
  type FeedDescription,
  type FeedFormat,
} from '../domain/feed-entries.ts';
import { PAPER_FILTERS, parseQuery, QueryParameterError } from '../domain/paper-query.ts';
import { decodeSegment } from './api-routes.ts';
import { FEED_TOKEN_PARAMETER, tokenSubject, withoutToken, type FeedTokens } from './feed-tokens.ts';
import { renderFeedsPage, type FeedLink } from './feeds-page.ts';

/**
 * The feeds: `/feeds/papers.{atom,rss,json}` with any of the paper filters
 * and `limit`; `/feeds/searches/<saved search>.{atom,rss,json}` for each
 * configured saved search (with `limit`); and `/feeds`, the page listing
 * them with their URLs. The server lets a feed path through on its token
 * (`tokenOpens`) or the dashboard's credentials; the page needs the
 * credentials, since it shows the tokens.
 */

export interface FeedRoutes {
  pool: pg.Pool;
  hfBaseUrl: string;
  savedSearches: readonly string[];
  /** Undefined without credentials: no token is needed, and none is shown. */
  tokens: FeedTokens | undefined;
}

/** Which papers a feed shows; a route adds the format. */
export type FeedTarget = { kind: 'papers' } | { kind: 'search'; search: string };
export type FeedRoute = FeedTarget & { format: FeedFormat };

/**
 * Readers poll every 10 to 60 minutes and the pages behind the feeds change
 * at most hourly: five minutes spares a reader that polls too often (or
 * several clients behind one cache) without delaying news much. `private`:
 * each response is for credentials or a token, never for a shared cache.
 */
const CACHE_CONTROL = 'private, max-age=300';

/** Bumped when the documents change for the same rows, so no reader keeps an old rendering on a 304. */
const DOCUMENT_VERSION = 1;

const FEED_PATH = /^\/feeds\/(?:papers|searches\/([^/]+))\.(atom|rss|json)$/;

/** The feed a path names; undefined when it names none (a search's name that is not valid percent-encoding). */
export function parseFeedPath(path: string): FeedRoute | undefined {
  const match = FEED_PATH.exec(path);
  if (!match) return undefined;
  const format = match[2] as FeedFormat;
  if (match[1] === undefined) return { kind: 'papers', format };
  const search = decodeSegment(match[1]);
  return search === undefined ? undefined : { kind: 'search', search, format };
}

/** The canonical path of a feed: what its tokens sign, whichever percent-encoding a reader sent. */
export function feedPath(route: FeedRoute): string {
  return route.kind === 'papers'
    ? `/feeds/papers.${route.format}`
    : `/feeds/searches/${encodeURIComponent(route.search)}.${route.format}`;
}

/** True when the URL is a feed's and carries that feed's token, once. */
export function tokenOpens(url: URL, tokens: FeedTokens): boolean {
  const route = parseFeedPath(url.pathname);
  const given = url.searchParams.getAll(FEED_TOKEN_PARAMETER);
  return (
    route !== undefined &&
    given.length === 1 &&
    tokens.verify(tokenSubject(feedPath(route), url.searchParams), given[0]!)
  );
}

/** A feed's URL, path and sorted query, with its token when there are credentials. */
export function feedUrl(origin: string, route: FeedRoute, params: URLSearchParams, tokens: FeedTokens | undefined) {
  const subject = tokenSubject(feedPath(route), params);
  const query = withoutToken(params);
  query.sort();
  if (tokens) query.append(FEED_TOKEN_PARAMETER, tokens.sign(subject));
  const search = query.toString();
  return `${origin}${feedPath(route)}${search ? `?${search}` : ''}`;
}

/**
 * The origin the client reached us at, for absolute URLs: the Host header
 * (the dashboard answers only to loopback names without credentials), and
 * https when a proxy in front says so.
 */
function requestOrigin(request: IncomingMessage): string {
  const forwarded = String(request.headers['x-forwarded-proto'] ?? '')
    .split(',')[0]
    ?.trim();
  const scheme = forwarded === 'https' ? 'https' : 'http';
  try {
    return new URL(`${scheme}://${request.headers.host ?? 'localhost'}`).origin;
  } catch {
    return `${scheme}://localhost`;
  }
}

const TEXT = { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' };

/** Handles the request if the path is one of ours; false otherwise. */
export async function handleFeedRequest(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  routes: FeedRoutes,
): Promise<boolean> {
  const path = url.pathname;
  if (path !== '/feeds' && !path.startsWith('/feeds/')) return false;
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    response.writeHead(405, { ...TEXT, allow: 'GET, HEAD' }).end('feeds are read-only\n');
    return true;
  }
  if (path === '/feeds') {
    // The form sends every field: the empty ones are no filter.
    const asked = new URLSearchParams([...url.searchParams].filter(([, value]) => value !== ''));
    let problem: string | undefined;
    try {
      parseQuery(PAPER_FILTERS, 'feed', asked);
    } catch (error) {
      if (!(error instanceof QueryParameterError)) throw error;
      problem = error.message;
    }
    // A refused filter is said on the page, the fields kept as typed, and no URL made of them.
    const links = feedLinks(requestOrigin(request), routes, problem ? new URLSearchParams() : asked);
    const form = Object.fromEntries(asked);
    const page = renderFeedsPage({ links, tokens: Boolean(routes.tokens), form, error: problem });
    response
      .writeHead(problem ? 400 : 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(page);
    return true;
  }
  const route = parseFeedPath(path);
  if (!route || (route.kind === 'search' && !routes.savedSearches.includes(route.search))) {
    response.writeHead(404, TEXT).end(route ? `no saved search "${route.search}" is configured\n` : 'no such feed\n');
    return true;
  }
  const params = withoutToken(url.searchParams);
  let query: PaperFilters & { limit: number };
  try {
    query =
      route.kind === 'papers'
        ? parseQuery(PAPER_FILTERS, 'feed', params)
        : { ...parseQuery([], 'feed', params), saved_search: route.search };
  } catch (error) {
    if (!(error instanceof QueryParameterError)) throw error;
    response.writeHead(400, TEXT).end(`${error.message}\n`);
    return true;
  }
  const { limit, ...filters } = query;
  const entries = await findFeedEntries(routes.pool, filters, { limit });
  const origin = requestOrigin(request);
  const description = describeFeed(route, params, origin, routes);
  const lastModified = lastUpdated(entries);
  const etag = etagOf(route.format, [DOCUMENT_VERSION, description, entries]);
  const headers: Record<string, string> = { etag, 'cache-control': CACHE_CONTROL };
  if (lastModified) headers['last-modified'] = httpDate(lastModified);
  if (isNotModified(request.headers, { etag, lastModified })) {
    response.writeHead(304, headers).end();
    return true;
  }
  const body = renderFeed(route.format, entries, description);
  response.writeHead(200, { ...headers, 'content-type': FEED_CONTENT_TYPES[route.format] });
  response.end(method === 'HEAD' ? undefined : body);
  return true;
}

function describeFeed(route: FeedRoute, params: URLSearchParams, origin: string, routes: FeedRoutes): FeedDescription {
  const query = new URLSearchParams(params);
  query.sort();
  const given = [...query].map(([name, value]) => `${name}=${value}`).join(', ');
  const title =
    route.kind === 'papers'
      ? `paperboy: papers${given ? ` (${given})` : ''}`
      : `paperboy: saved search "${route.search}"${given ? ` (${given})` : ''}`;
  return {
    title,
    description: `${title}, newest listing first, from Hugging Face's papers pages`,
    id: feedUrl(origin, route, params, undefined),
    selfUrl: feedUrl(origin, route, params, routes.tokens),
    hfBaseUrl: routes.hfBaseUrl,
  };
}

/** An example of a filtered feed: listed in the last week, at least 20 upvotes, with Python code. */
const EXAMPLE_FILTERS = 'since=7d&min_upvotes=20&has_code=true&language=Python';

/** Every feed the page lists: the form's, all papers, the example, and each saved search; each in three formats. */
function feedLinks(origin: string, routes: FeedRoutes, asked: URLSearchParams): FeedLink[] {
  const links: FeedLink[] = [];
  const add = (label: string, target: FeedTarget, query = '') => {
    const urls = FEED_FORMATS.map(
      (format) => [format, feedUrl(origin, { ...target, format }, new URLSearchParams(query), routes.tokens)] as const,
    );
    links.push({ label, urls: Object.fromEntries(urls) as Record<FeedFormat, string> });
  };
  if (asked.size > 0)
    add(
      `Papers with ${[...asked].map(([name, value]) => `${name}=${value}`).join(', ')}`,
      { kind: 'papers' },
      asked.toString(),
    );
  add('All papers', { kind: 'papers' });
  add(
    'Example: listed in the last 7 days, at least 20 upvotes, with code, in Python',
    { kind: 'papers' },
    EXAMPLE_FILTERS,
  );
  for (const search of routes.savedSearches) add(`Saved search "${search}"`, { kind: 'search', search });
  return links;
}

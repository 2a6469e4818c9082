import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import { sendPapersPage } from './papers-routes.ts';

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
  return false;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';

/**
 * The database, browsed: `/papers` (search, filters, sort, keyset pages),
 * `/papers/<id>` (one paper with its history drawn) and `/repos` (rising
 * repositories). Read-only pages; the server has authenticated the request.
 */
export interface BrowseRoutes {
  pool: pg.Pool;
  /** Hugging Face's base URL: the papers' links. */
  hfBaseUrl: string;
}

/** Handles the request if the path is one of ours; false otherwise. */
export function handleBrowseRequest(
  request: IncomingMessage,
  _response: ServerResponse,
  url: URL,
  _routes: BrowseRoutes,
): Promise<boolean> {
  if (request.method !== 'GET') return Promise.resolve(false);
  void url;
  return Promise.resolve(false);
}

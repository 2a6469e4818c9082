import type { IncomingMessage, ServerResponse } from 'node:http';

/** The dashboard's front page, `/`. For now it sends the reader to the backfills. */
export function handleStatusRequest(request: IncomingMessage, response: ServerResponse, url: URL): boolean {
  if (url.pathname !== '/' || request.method !== 'GET') return false;
  response.writeHead(302, { location: '/backfills' }).end();
  return true;
}

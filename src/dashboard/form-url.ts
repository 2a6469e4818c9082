import type { ServerResponse } from 'node:http';

/**
 * A GET form sends its empty fields too (`?language=`): a page's own URL
 * leaves them out, so it says only what was asked and a bookmark stays clean.
 * Answers a request that has empty fields with a 303 to the URL without them
 * (true: the request is answered); false when it has none.
 */
export function redirectWithoutEmptyFields(response: ServerResponse, url: URL): boolean {
  const given = [...url.searchParams];
  if (!given.some(([, value]) => value === '')) return false;
  const kept = new URLSearchParams(given.filter(([, value]) => value !== ''));
  response.writeHead(303, { location: `${url.pathname}${kept.size ? `?${kept}` : ''}` }).end();
  return true;
}

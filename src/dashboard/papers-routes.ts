import type { ServerResponse } from 'node:http';
import type pg from 'pg';
import { cursorOf, findPapers, type PaperRow, type SearchRow } from '../db/query.repository.ts';
import { decodePaperCursor, encodePaperCursor } from '../domain/cursors.ts';
import { PAPER_QUERY, parseQuery, QueryParameterError, sortOf, type PaperSort } from '../domain/paper-query.ts';
import { redirectWithoutEmptyFields } from './form-url.ts';
import { queryString, renderPapersPage } from './papers-page.ts';

/**
 * GET /papers: the papers matching a query, a keyset page at a time, forward
 * (`cursor`: the row the page starts after) or back (`before`: the row it
 * ends before). The query is the API's (the same definitions read it), so a
 * page's URL and the JSON link under it ask the same thing.
 */

const HTML = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };

export async function sendPapersPage(
  response: ServerResponse,
  url: URL,
  context: { pool: pg.Pool; savedSearches: readonly string[] },
): Promise<void> {
  if (redirectWithoutEmptyFields(response, url)) return;
  const form = Object.fromEntries(url.searchParams);
  const render = (status: number, page: Omit<Parameters<typeof renderPapersPage>[0], 'form' | 'savedSearches'>) =>
    void response
      .writeHead(status, HTML)
      .end(renderPapersPage({ ...page, form, savedSearches: context.savedSearches }));
  let sort: PaperSort = 'upvotes';
  try {
    const { limit, cursor, before, ...query } = parseQuery(PAPER_QUERY, 'page', url.searchParams);
    sort = sortOf(query);
    if (cursor !== undefined && before !== undefined)
      throw new QueryParameterError('before: a page is after one row or before another, not both');
    const edge = { after: decodePaperCursor(cursor, sort), before: decodePaperCursor(before, sort, 'before') };
    // One row more than shown: whether there is a page beyond this one in the direction read.
    const rows = await findPapers(context.pool, query, { limit: limit + 1, ...edge });
    if (edge.before && rows.length <= limit) {
      // Back at the start: the first page, under its own URL.
      response.writeHead(303, { location: `/papers${queryString(form, ['before', 'cursor'])}` }).end();
      return;
    }
    const shown = edge.before ? rows.slice(-limit) : rows.slice(0, limit);
    const link = (direction: 'cursor' | 'before', row: PaperRow | SearchRow) =>
      `/papers${queryString({ ...form, cursor: '', before: '', [direction]: encodePaperCursor(cursorOf(row, sort)) })}`;
    const hasPrevious = edge.before !== undefined || edge.after !== undefined;
    const hasNext = edge.before !== undefined || rows.length > limit;
    render(200, {
      rows: shown,
      sort,
      // A page reached by `before` starts after the row fetched before it: the API's cursor for this page.
      apiCursor: edge.before ? encodePaperCursor(cursorOf(rows.at(-limit - 1)!, sort)) : undefined,
      previous: hasPrevious && shown.length > 0 ? link('before', shown[0]!) : undefined,
      next: hasNext && shown.length > 0 ? link('cursor', shown.at(-1)!) : undefined,
    });
  } catch (error) {
    if (!(error instanceof QueryParameterError)) throw error;
    render(400, { rows: [], sort, error: error.message });
  }
}

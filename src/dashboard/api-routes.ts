import type pg from 'pg';
import { cursorOf, findPapers, getPaperDetail, listRepos, risingRepos } from '../db/query.repository.ts';
import {
  decodePaperCursor,
  decodeRepoCursor,
  decodeRisingCursor,
  encodePaperCursor,
  encodeRepoCursor,
  encodeRisingCursor,
} from '../domain/cursors.ts';
import { hasNul, NUL_PROBLEM } from '../domain/input-rules.ts';
import { canonicalPaperId } from '../domain/paper-id.ts';
import {
  DEFAULT_WINDOW_DAYS,
  PAPER_QUERY,
  parseQuery,
  QueryParameterError,
  REPO_FILTERS,
  sortOf,
  type QueryParameter,
} from '../domain/paper-query.ts';
import { buildOpenApiDocument } from './openapi-document.ts';

/**
 * The read-only JSON API: `/api/papers`, `/api/papers/:id`, `/api/repos`, and
 * `/api/openapi.json` describing it (openapi-document.ts).
 * Query parameters are read by the one definition the CLI and the feeds
 * share (domain/paper-query.ts: unknown ones refused, so a typo is an error
 * rather than a silently ignored filter); pages are keyset pages with an
 * opaque cursor (domain/cursors.ts); every value reaches SQL as a parameter,
 * and only once it is within what its column can hold: a bad one is a 400
 * naming it, never a failed query.
 */

export interface ApiResponse {
  status: number;
  body: unknown;
}

const NO_PARAMETERS: readonly QueryParameter[] = [];
/** Built on the first request: it depends on nothing but the code. */
let openApiDocument: ReturnType<typeof buildOpenApiDocument> | undefined;

/** A list's answer: its items and, when the page is full, the cursor of its last item for the next one. */
function listPage<T>(rows: T[], limit: number, cursorOf: (last: T) => string): ApiResponse {
  const last = rows.at(-1);
  return { status: 200, body: { items: rows, next_cursor: rows.length === limit && last ? cursorOf(last) : null } };
}

class BadRequest extends Error {}

/** A path segment percent-decoded; undefined when it is not valid percent-encoded UTF-8 (`%ZZ`). */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** For an API path that takes no parameters: a 400 naming the first one given, or undefined when there is none. */
export function refuseParameters(params: URLSearchParams): ApiResponse | undefined {
  try {
    parseQuery(NO_PARAMETERS, 'none', params);
    return undefined;
  } catch (error) {
    if (error instanceof QueryParameterError) return { status: 400, body: { error: error.message } };
    throw error;
  }
}

/** @returns the response, or undefined when the path is not an API path. */
export async function handleApiRequest(
  pool: pg.Pool,
  path: string,
  params: URLSearchParams,
): Promise<ApiResponse | undefined> {
  try {
    if (path === '/api/papers') {
      const { limit, cursor, ...query } = parseQuery(PAPER_QUERY, 'api', params);
      const sort = sortOf(query);
      const rows = await findPapers(pool, query, { limit, after: decodePaperCursor(cursor, sort) });
      return listPage(rows, limit, (last) => encodePaperCursor(cursorOf(last, sort)));
    }
    const paper = /^\/api\/papers\/(.+)$/.exec(path);
    if (paper) {
      parseQuery(NO_PARAMETERS, 'none', params);
      const given = decodeSegment(paper[1]!);
      if (given === undefined) throw new BadRequest('id: not a valid paper id');
      if (hasNul(given)) throw new BadRequest(`id: ${NUL_PROBLEM}`);
      const id = canonicalPaperId(given);
      const detail = await getPaperDetail(pool, id);
      return detail ? { status: 200, body: detail } : { status: 404, body: { error: `no paper ${id}` } };
    }
    if (path === '/api/repos') {
      const { limit, cursor, rising, window, language } = parseQuery(REPO_FILTERS, 'api', params);
      if (rising) {
        const rows = await risingRepos(
          pool,
          { windowDays: window ?? DEFAULT_WINDOW_DAYS, language },
          { limit, after: decodeRisingCursor(cursor) },
        );
        return listPage(rows, limit, (last) =>
          encodeRisingCursor({ growth: last.growth, stars: last.stars, id: last.repo_id }),
        );
      }
      if (window !== undefined) throw new BadRequest('window: only with rising=true');
      const rows = await listRepos(pool, { language }, { limit, after: decodeRepoCursor(cursor) });
      return listPage(rows, limit, (last) => encodeRepoCursor({ stars: last.stars, id: last.id }));
    }
    if (path === '/api/openapi.json') {
      parseQuery(NO_PARAMETERS, 'none', params);
      openApiDocument ??= buildOpenApiDocument();
      return { status: 200, body: openApiDocument };
    }
    return undefined;
  } catch (error) {
    if (error instanceof BadRequest || error instanceof QueryParameterError)
      return { status: 400, body: { error: error.message } };
    throw error;
  }
}

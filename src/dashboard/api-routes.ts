import type pg from 'pg';
import { z } from 'zod';
import { getPaperDetail, listPapers, listRepos } from '../db/query.repository.ts';
import { isCalendarDate } from '../domain/digest-key.ts';
import {
  dateRangeProblem,
  hasNul,
  isPgBigintId,
  isPgCount,
  NUL_PROBLEM,
  parseWholeNumber,
} from '../domain/input-rules.ts';
import { setOwn } from '../domain/own-keys.ts';
import { canonicalPaperId } from '../domain/paper-id.ts';
import { describeIssues } from '../domain/zod-issues.ts';

/**
 * The read-only JSON API: `/api/papers`, `/api/papers/:id`, `/api/repos`.
 * Query parameters are validated with zod (unknown ones refused, so a typo is
 * an error rather than a silently ignored filter); pages are keyset pages with
 * an opaque cursor; every value reaches SQL as a parameter, and only once it
 * is within what its column can hold (domain/input-rules.ts): a bad one is a
 * 400 naming it, never a failed query.
 */

export interface ApiResponse {
  status: number;
  body: unknown;
}

const MAX_PAGE = 100;
const date = z.string().refine(isCalendarDate, 'must be a date in YYYY-MM-DD form');
/** A whole number in decimal digits within `range` (parseWholeNumber's rule and message). */
const wholeNumber = (range?: { min?: number; max?: number }) =>
  z.string().transform((text, context) => {
    try {
      return parseWholeNumber(text, range);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });
const limit = wholeNumber({ min: 1, max: MAX_PAGE }).default(20);
const boolean = z.enum(['true', 'false']).transform((value) => value === 'true');
const storableText = z.string().refine((value) => !hasNul(value), NUL_PROBLEM);
const language = storableText.min(1).max(50);

const papersQuery = z.strictObject({
  day: date.optional(),
  since: date.optional(),
  until: date.optional(),
  min_upvotes: wholeNumber().optional(),
  has_code: boolean.optional(),
  has_model: boolean.optional(),
  language: language.optional(),
  limit,
  cursor: z.string().max(500).optional(),
});

const reposQuery = z.strictObject({
  language: language.optional(),
  limit,
  cursor: z.string().max(500).optional(),
});

const count = z.number().refine(isPgCount);
const paperCursor = z.strictObject({ u: count, id: storableText.min(1).max(100) });
const repoCursor = z.strictObject({ s: count, id: z.string().refine(isPgBigintId) });

function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A list's answer: its items and, when the page is full, the cursor of its last item for the next one. */
function listPage<T>(rows: T[], limit: number, cursorOf: (last: T) => unknown): ApiResponse {
  const last = rows.at(-1);
  return {
    status: 200,
    body: { items: rows, next_cursor: rows.length === limit && last ? encodeCursor(cursorOf(last)) : null },
  };
}

function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequest('cursor: not a cursor this API returned');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new BadRequest('cursor: not a cursor this API returned');
  return parsed.data;
}

class BadRequest extends Error {}

function parseQuery<T>(schema: z.ZodType<T>, params: URLSearchParams): T {
  const raw: Record<string, string> = {};
  for (const [key, value] of params) {
    // Own keys only: `key in raw` would find `constructor` or `toString` on Object.prototype.
    if (Object.hasOwn(raw, key)) throw new BadRequest(`${key}: given more than once`);
    // A `__proto__` parameter stays a key, so that zod refuses it as unknown.
    setOwn(raw, key, value);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new BadRequest(describeIssues(parsed.error, { rootName: 'query' }));
  return parsed.data;
}

/** A path segment percent-decoded; undefined when it is not valid percent-encoded UTF-8 (`%ZZ`). */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

const noParameters = z.strictObject({});

/** For an API path that takes no parameters: a 400 naming the first one given, or undefined when there is none. */
export function refuseParameters(params: URLSearchParams): ApiResponse | undefined {
  try {
    parseQuery(noParameters, params);
    return undefined;
  } catch (error) {
    if (error instanceof BadRequest) return { status: 400, body: { error: error.message } };
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
      const query = parseQuery(papersQuery, params);
      const unordered = dateRangeProblem(query);
      if (unordered) throw new BadRequest(unordered);
      const after = decodeCursor(query.cursor, paperCursor);
      const rows = await listPapers(
        pool,
        {
          day: query.day,
          since: query.since,
          until: query.until,
          minUpvotes: query.min_upvotes,
          hasCode: query.has_code,
          hasModel: query.has_model,
          language: query.language,
        },
        { limit: query.limit, after: after && { upvotes: after.u, id: after.id } },
      );
      return listPage(rows, query.limit, (last) => ({ u: last.upvotes, id: last.id }));
    }
    const paper = /^\/api\/papers\/(.+)$/.exec(path);
    if (paper) {
      parseQuery(noParameters, params);
      const given = decodeSegment(paper[1]!);
      if (given === undefined) throw new BadRequest('id: not a valid paper id');
      if (hasNul(given)) throw new BadRequest(`id: ${NUL_PROBLEM}`);
      const id = canonicalPaperId(given);
      const detail = await getPaperDetail(pool, id);
      return detail ? { status: 200, body: detail } : { status: 404, body: { error: `no paper ${id}` } };
    }
    if (path === '/api/repos') {
      const query = parseQuery(reposQuery, params);
      const after = decodeCursor(query.cursor, repoCursor);
      const rows = await listRepos(
        pool,
        { language: query.language },
        { limit: query.limit, after: after && { stars: after.s, id: after.id } },
      );
      return listPage(rows, query.limit, (last) => ({ s: last.stars, id: last.id }));
    }
    return undefined;
  } catch (error) {
    if (error instanceof BadRequest) return { status: 400, body: { error: error.message } };
    throw error;
  }
}

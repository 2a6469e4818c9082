import { z } from 'zod';
import { isCalendarDate, utcDay } from './digest-key.ts';
import { dateRangeProblem, hasNul, NUL_PROBLEM, parseWholeNumber } from './input-rules.ts';
import { setOwn } from './own-keys.ts';
import { describeIssues } from './zod-issues.ts';

/**
 * The one definition of what a reader may ask of paperboy's papers and
 * repositories. The CLI's options (src/cli/query-options.ts), the JSON API's
 * and the feeds' query parsing (parseQuery below) and the OpenAPI document
 * are all derived from these lists: adding a filter is adding one entry here
 * (and its SQL in src/db/query.repository.ts).
 *
 * Every value arrives as text (a URL parameter, a command-line argument) and
 * is read by the entry's schema: the same rule, the same message, wherever it
 * came from. Pure: "today" is handed in where a value depends on it.
 */

/**
 * The longest look back, in days, for `since` durations and `window`: 10
 * years. Hugging Face's daily papers began in 2023 and paperboy's star history
 * with its first enrichment, so a longer window reaches no older data (growth
 * over it is measured from the first snapshot, as for 10 years); and an
 * unbounded one overflows Postgres (`now() - interval` out of the timestamp
 * range, `make_interval(days => …)` beyond `integer`) or a JavaScript Date.
 */
export const MAX_LOOKBACK_DAYS = 3650;

/** Where a query comes from: its paging bounds and defaults differ, its filters never do. */
export type QuerySurface = 'api' | 'feed' | 'cli' | 'page';
/** The growth window of `rising` when none is given. */
export const DEFAULT_WINDOW_DAYS = 7;

export interface QueryParameter {
  /** The URL parameter (API and feeds). */
  name: string;
  /** The command-line option, `--` + the name with dashes unless said otherwise. */
  cli?: string;
  description: string;
  /** Reads the parameter's text; a refusal's message is prefixed with the parameter's name. */
  schema: z.ZodType<unknown, string>;
  /** A yes/no filter: on the command line, the option alone means true. */
  flag?: boolean;
  /** An example value, for the documentation. */
  example: string;
}

/**
 * The text a rule written as a function accepts, as a JSON Schema `pattern`
 * (zod cannot see into a transform): what the OpenAPI document shows. The
 * rule still decides; test/unit/openapi-document.test.ts checks that every
 * sample text the rule takes fits its pattern, and that the examples do.
 */
const TEXT_FORMS = {
  digits: '^[0-9]+$',
  date: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
  since: '^([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]+[hdw])$',
  window: '^[0-9]+[dw]$',
} as const;

/** A whole number in decimal digits within `range` (parseWholeNumber's rule and message). */
export const wholeNumber = (range?: { min?: number; max?: number }) =>
  readBy((text) => parseWholeNumber(text, range), TEXT_FORMS.digits);

const storableText = z.string().refine((value) => !hasNul(value), NUL_PROBLEM);
const date = z.string().refine(isCalendarDate, 'must be a date in YYYY-MM-DD form').meta({ pattern: TEXT_FORMS.date });
const yesNo = z.enum(['true', 'false']).transform((value) => value === 'true');
const HOURS = { h: 1, d: 24, w: 168 } as const;

/**
 * A date (YYYY-MM-DD) or a duration back from `now` (`24h`, `7d`, `2w`) →
 * the UTC date it reaches back to.
 *
 * @throws RangeError naming what is wrong.
 */
export function sinceDate(value: string, now = new Date()): string {
  if (isCalendarDate(value)) return value;
  const match = /^(\d+)([hdw])$/.exec(value);
  if (!match) throw new RangeError(`"${value}" is not a duration such as 7d, 24h or 2w, nor a date`);
  const hours = Number(match[1]) * HOURS[match[2] as keyof typeof HOURS];
  if (hours > MAX_LOOKBACK_DAYS * 24)
    throw new RangeError(`"${value}" reaches back more than ${MAX_LOOKBACK_DAYS} days`);
  return utcDay(new Date(now.getTime() - hours * 3_600_000));
}

/** `7d` / `2w` (at least a day, at most MAX_LOOKBACK_DAYS) → days. */
export function windowDays(value: string): number {
  const match = /^(\d+)([dw])$/.exec(value);
  const days = match ? Number(match[1]) * (match[2] === 'w' ? 7 : 1) : 0;
  if (days < 1 || days > MAX_LOOKBACK_DAYS)
    throw new RangeError(`"${value}" is not a window from 1d to ${MAX_LOOKBACK_DAYS}d, such as 7d or 2w`);
  return days;
}

/** A schema from a function that reads text or throws a RangeError; `pattern`: the text it accepts, for the documentation. */
function readBy<T>(read: (text: string) => T, pattern: string) {
  return z
    .string()
    .transform((text, context) => {
      try {
        return read(text);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .meta({ pattern });
}

/**
 * The paper filters. Listing dates are a daily page's: `day`, `since` and
 * `until` select papers listed on Hugging Face's daily pages of those days.
 */
export const PAPER_FILTERS = [
  {
    name: 'day',
    description: 'listed on the daily page of this date (YYYY-MM-DD)',
    schema: date,
    example: '2024-08-01',
  },
  {
    name: 'since',
    description: 'listed on a daily page on or after this date, or this long ago: YYYY-MM-DD, 24h, 7d, 2w',
    schema: readBy((text) => sinceDate(text), TEXT_FORMS.since),
    example: '7d',
  },
  {
    name: 'until',
    description: 'listed on a daily page on or before this date (YYYY-MM-DD)',
    schema: date,
    example: '2024-08-31',
  },
  {
    name: 'min_upvotes',
    description: 'at least this many upvotes',
    schema: wholeNumber(),
    example: '20',
  },
  {
    name: 'has_code',
    description: 'true: only papers with a resolved GitHub repository; false: only those without',
    schema: yesNo,
    flag: true,
    example: 'true',
  },
  {
    name: 'has_model',
    description: 'true: only papers a Hugging Face model cites (as their own page last said); false: the others',
    schema: yesNo,
    flag: true,
    example: 'true',
  },
  {
    name: 'language',
    description: "primary language of the paper's best repository (case-insensitive)",
    schema: storableText.min(1).max(50),
    example: 'Python',
  },
  {
    name: 'q',
    cli: 'text',
    description:
      'full-text search over titles and abstracts (websearch syntax: "a phrase", -not, or); best match first',
    schema: storableText.min(1).max(200),
    example: 'diffusion "video generation" -survey',
  },
  {
    name: 'saved_search',
    description: 'listed by this saved search (a PAPERBOY_SAVED_SEARCHES entry, as ingested)',
    schema: storableText.min(1).max(200),
    example: 'lightweight',
  },
] as const satisfies readonly QueryParameter[];

/** The orders papers can be listed in; see PAPER_ORDER. */
export const PAPER_SORTS = ['upvotes', 'relevance', 'listed', 'stars'] as const;
export type PaperSort = (typeof PAPER_SORTS)[number];

/**
 * How papers are ordered: where papers are listed page by page (the API, the
 * CLI, the dashboard's papers), not in feeds (always newest listing first).
 */
export const PAPER_ORDER = [
  {
    name: 'sort',
    description:
      'the order: upvotes (most first; the default without q), relevance (best match first; the default with q, ' +
      "only with q), listed (newest first listing first; papers with a listing), stars (the best repository's " +
      'stars, most first; papers with a repository)',
    schema: z.enum(PAPER_SORTS),
    example: 'listed',
  },
] as const satisfies readonly QueryParameter[];

/** Everything a paged list of papers takes besides paging: the filters and the order. */
export const PAPER_QUERY = [...PAPER_FILTERS, ...PAPER_ORDER] as const;

/** The order a query asks for: its `sort`, else best match with a text, else most upvoted. */
export function sortOf(query: { q?: string; sort?: PaperSort }): PaperSort {
  const sort = query.sort ?? (query.q === undefined ? 'upvotes' : 'relevance');
  if (sort === 'relevance' && query.q === undefined)
    throw new QueryParameterError('sort: relevance orders by how well a text matches; give q (the text) too');
  return sort;
}

const REPO_LANGUAGE = {
  name: 'language',
  description: 'primary language (case-insensitive)',
  schema: storableText.min(1).max(50),
  example: 'Python',
} as const satisfies QueryParameter;

const GROWTH_WINDOW = {
  name: 'window',
  description: 'the growth window with rising: 7d, 2w, … (default 7d)',
  schema: readBy(windowDays, TEXT_FORMS.window),
  example: '7d',
} as const satisfies QueryParameter;

/** The repository filters. */
export const REPO_FILTERS = [
  REPO_LANGUAGE,
  {
    name: 'rising',
    description: 'true: rank by star growth over `window` instead of by stars',
    schema: yesNo,
    flag: true,
    example: 'true',
  },
  GROWTH_WINDOW,
] as const satisfies readonly QueryParameter[];

/** Paging: how many, and where the previous page stopped. Bounds and defaults depend on the surface. */
export const PAGE_LIMITS: Readonly<Record<QuerySurface, { max: number; default: number }>> = {
  api: { max: 100, default: 20 },
  feed: { max: 100, default: 50 },
  cli: { max: 10_000, default: 50 },
  page: { max: 100, default: 25 },
};

/**
 * A cursor's text: it carries a row's paper id, which is unbounded text, so
 * the bound is generous (ids of any length Hugging Face uses fit many times
 * over); the HTTP server's header limit bounds a URL anyway.
 */
const cursorText = z.string().min(1).max(4096);

/** Where the previous page stopped: the page after it. */
export const CURSOR_PARAMETER = {
  name: 'cursor',
  description: "the previous page's next_cursor: the page after it",
  schema: cursorText,
  example: 'eyJ1Ijo0MiwiaWQiOiIyNDA3LjIxNzgzIn0',
} as const satisfies QueryParameter;

/** The paging parameters a surface takes; `none`: an endpoint that takes no parameter at all. */
export function pagingParameters(surface: QuerySurface | 'none'): QueryParameter[] {
  if (surface === 'none') return [];
  const { max, default: byDefault } = PAGE_LIMITS[surface];
  const limit: QueryParameter = {
    name: 'limit',
    description: `at most this many (1 to ${max}; default ${byDefault})`,
    schema: wholeNumber({ min: 1, max }),
    example: String(byDefault),
  };
  // A feed is always its first page: readers poll it, they do not page.
  if (surface === 'feed') return [limit];
  // The dashboard's pages go back as well as forward.
  if (surface === 'page') {
    const before: QueryParameter = {
      name: 'before',
      description: "a page's first row, as a cursor: the page before it",
      schema: cursorText,
      example: 'eyJ1Ijo0MiwiaWQiOiIyNDA3LjIxNzgzIn0',
    };
    return [limit, CURSOR_PARAMETER, before];
  }
  return [limit, CURSOR_PARAMETER];
}

/**
 * The dashboard's `/repos`, always the rising view: the API's `window` and
 * `language`, and a cursor to page forward.
 */
export const RISING_PAGE_QUERY = [
  REPO_LANGUAGE,
  GROWTH_WINDOW,
  CURSOR_PARAMETER,
] as const satisfies readonly QueryParameter[];

type Values<P extends readonly QueryParameter[]> = {
  [E in P[number] as E['name']]?: z.output<E['schema']>;
};

/** The paper filters as read: snake_case names, typed values, absent when not given. */
export type PaperFilterValues = Values<typeof PAPER_FILTERS>;
/** The filters and the order. */
export type PaperQueryValues = Values<typeof PAPER_QUERY>;
export type RepoFilterValues = Values<typeof REPO_FILTERS>;
export interface PageValues {
  limit: number;
  cursor?: string;
  before?: string;
}

/** A query the caller got wrong: the message names the parameter. */
export class QueryParameterError extends RangeError {
  override name = 'QueryParameterError';
}

/**
 * Reads a query's parameters by these definitions: unknown, repeated or
 * malformed ones are a QueryParameterError naming the parameter (a typo is an
 * error, never a silently ignored filter); `__proto__` is an unknown
 * parameter like any other. Absent `limit` takes the surface's default.
 */
export function parseQuery<P extends readonly QueryParameter[]>(
  definitions: P,
  surface: QuerySurface | 'none',
  params: URLSearchParams,
): Values<P> & PageValues {
  const all = [...definitions, ...pagingParameters(surface)];
  const raw: Record<string, string> = {};
  for (const [key, value] of params) {
    // Own keys only: `key in raw` would find `constructor` or `toString` on Object.prototype.
    if (Object.hasOwn(raw, key)) throw new QueryParameterError(`${key}: given more than once`);
    setOwn(raw, key, value);
  }
  const shape: Record<string, z.ZodType> = {};
  for (const definition of all) shape[definition.name] = definition.schema.optional();
  const parsed = z.strictObject(shape).safeParse(raw);
  if (!parsed.success) throw new QueryParameterError(describeIssues(parsed.error, { rootName: 'query' }));
  const values = parsed.data as Values<P> & Partial<PageValues>;
  const unordered = dateRangeProblem(values as { since?: string; until?: string });
  if (unordered) throw new QueryParameterError(unordered);
  return { ...values, limit: values.limit ?? (surface === 'none' ? 0 : PAGE_LIMITS[surface].default) };
}

/** The CLI option's long name of a parameter: `--min-upvotes`. */
export function cliName(definition: QueryParameter): string {
  return `--${(definition.cli ?? definition.name).replaceAll('_', '-')}`;
}

import { canonicalPaperId, isArxivId } from './paper-id.ts';

/**
 * What a digest is (its kind and key) and where it lives upstream. Pure: the
 * URL is built from a base URL handed in, never read from the environment.
 */

export const DIGEST_SOURCE_HF = 'hf';

/** Every page kind Hugging Face serves a list on; `key` identifies the page within its kind. */
export type DigestKind = 'day' | 'week' | 'month' | 'trending' | 'front' | 'search' | 'paper';

export const DIGEST_KINDS: readonly DigestKind[] = ['day', 'week', 'month', 'trending', 'front', 'search', 'paper'];

/** The list kinds (fetch-digest jobs); `paper`, one paper's own page, has a job of its own (fetch-paper). */
export const LIST_KINDS = DIGEST_KINDS.filter((kind) => kind !== 'paper') as [DigestKind, ...DigestKind[]];

/** Kinds whose key is a date range (and that the JSON API serves too). */
export type PeriodKind = 'day' | 'week' | 'month';

export interface DigestRef {
  source: typeof DIGEST_SOURCE_HF;
  kind: DigestKind;
  /**
   * day YYYY-MM-DD, week YYYY-Www (ISO week), month YYYY-MM; trending and
   * front: the UTC date of the fetch (one listing per day, refreshed as the
   * page moves); search: the normalised query; paper: the canonical id.
   */
  key: string;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_WEEK = /^(\d{4})-W(\d{2})$/;
const ISO_MONTH = /^(\d{4})-(\d{2})$/;
const MAX_QUERY_LENGTH = 200;

/** True for a real calendar date written YYYY-MM-DD (2024-02-30 is not one). */
export function isCalendarDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** Number of ISO weeks in a year: 53 when 28 December falls in week 53. */
export function isoWeeksInYear(year: number): number {
  return isoWeekOf(new Date(Date.UTC(year, 11, 28))).week;
}

/** The ISO week (and its year) a UTC date belongs to. */
export function isoWeekOf(date: Date): { year: number; week: number } {
  const thursday = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  thursday.setUTCDate(thursday.getUTCDate() + 3 - ((thursday.getUTCDay() + 6) % 7));
  const firstThursday = new Date(Date.UTC(thursday.getUTCFullYear(), 0, 4));
  const week =
    1 +
    Math.round(
      ((thursday.getTime() - firstThursday.getTime()) / 86_400_000 - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7,
    );
  return { year: thursday.getUTCFullYear(), week };
}

/** YYYY-MM-DD of a date in UTC. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** YYYY-MM-DD of the UTC day `count` days before `now`. */
export function daysBefore(now: Date, count: number): string {
  return utcDay(new Date(now.getTime() - count * 86_400_000));
}

/** The key of the period of a kind that holds a date: 2024-08-01, 2024-W31, 2024-08. */
export function periodKey(kind: PeriodKind, date: Date): string {
  if (kind === 'day') return utcDay(date);
  if (kind === 'month') return utcDay(date).slice(0, 7);
  const { year, week } = isoWeekOf(date);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The first UTC day of a period key that is valid for its kind (see digestRef). */
export function periodStart(kind: PeriodKind, key: string): Date {
  switch (kind) {
    case 'day':
      return new Date(`${key}T00:00:00Z`);
    case 'month':
      return new Date(`${key}-01T00:00:00Z`);
    case 'week': {
      const [year, week] = key.split('-W').map(Number) as [number, number];
      // ISO week 1 holds 4 January; weeks start on Monday.
      const january4 = new Date(Date.UTC(year, 0, 4));
      const monday = new Date(january4);
      monday.setUTCDate(january4.getUTCDate() - ((january4.getUTCDay() + 6) % 7) + (week - 1) * 7);
      return monday;
    }
  }
}

/**
 * The one rule for keys not published yet, for `ingest` and `backfill`
 * alike: a valid key whose period starts after `today` (UTC) is refused;
 * today's day, this week and this month are allowed. `name` is how the
 * caller's user wrote the key.
 *
 * @throws RangeError naming the latest key there is to fetch.
 */
export function assertNotInFuture(kind: PeriodKind, key: string, today: Date, name = `"${key}"`): void {
  const current = periodKey(kind, today);
  if (periodStart(kind, key) > periodStart(kind, current)) {
    throw new RangeError(`${name} is in the future: the latest ${kind} there is to fetch is ${current}`);
  }
}

function invalid(kind: DigestKind, key: string, expected: string): never {
  throw new RangeError(`"${key}" is not a valid ${kind} key: expected ${expected}`);
}

/**
 * Builds and validates a digest reference. `now` supplies the key of the
 * kinds that have none of their own (trending, front).
 *
 * @throws RangeError when the key is not valid for the kind: the caller's
 * input is wrong, not the upstream.
 */
export function digestRef(kind: DigestKind, key: string | undefined, now = new Date()): DigestRef {
  const ref = (validKey: string): DigestRef => ({ source: DIGEST_SOURCE_HF, kind, key: validKey });
  const given = (key ?? '').trim();
  switch (kind) {
    case 'day':
      if (!isCalendarDate(given)) throw new RangeError(`"${given}" is not a calendar date in YYYY-MM-DD form`);
      return ref(given);
    case 'week': {
      const match = ISO_WEEK.exec(given);
      const week = Number(match?.[2]);
      if (!match || week < 1 || week > isoWeeksInYear(Number(match[1])))
        invalid(kind, given, 'an ISO week such as 2024-W31');
      return ref(given);
    }
    case 'month': {
      const match = ISO_MONTH.exec(given);
      const month = Number(match?.[2]);
      if (!match || month < 1 || month > 12) invalid(kind, given, 'a month such as 2024-08');
      return ref(given);
    }
    case 'trending':
    case 'front':
      return ref(utcDay(now));
    case 'search': {
      const query = given.replace(/\s+/g, ' ');
      if (query === '' || query.length > MAX_QUERY_LENGTH)
        invalid(kind, given, `a search text of 1 to ${MAX_QUERY_LENGTH} characters`);
      return ref(query);
    }
    case 'paper': {
      const id = canonicalPaperId(given);
      if (!isArxivId(id)) invalid(kind, given, 'an arXiv id such as 2407.21783');
      return ref(id);
    }
  }
}

/** Shorthand for the daily page of one date. */
export function dayDigest(date: string): DigestRef {
  return digestRef('day', date);
}

/** The page URL of a digest under the given Hugging Face base URL. */
export function digestUrl(baseUrl: string, ref: DigestRef): string {
  switch (ref.kind) {
    case 'day':
      return `${baseUrl}/papers/date/${ref.key}`;
    case 'week':
      return `${baseUrl}/papers/week/${ref.key}`;
    case 'month':
      return `${baseUrl}/papers/month/${ref.key}`;
    case 'trending':
      return `${baseUrl}/papers/trending`;
    case 'front':
      return `${baseUrl}/papers`;
    case 'search':
      return `${baseUrl}/papers?q=${encodeURIComponent(ref.key)}`;
    case 'paper':
      return `${baseUrl}/papers/${ref.key}`;
  }
}

/** The JSON twin of a paper's own page: `/api/papers/<id>`. */
export function paperApiUrl(baseUrl: string, id: string): string {
  return `${baseUrl}/api/papers/${encodeURIComponent(id)}`;
}

/** The JSON API's query parameter for a period kind: date=, week= or month=. */
export function apiPeriodParameter(kind: PeriodKind): 'date' | 'week' | 'month' {
  return kind === 'day' ? 'date' : kind;
}

export function isPeriodKind(kind: DigestKind): kind is PeriodKind {
  return kind === 'day' || kind === 'week' || kind === 'month';
}

/** How a digest is fetched: its HTML page, or the JSON API's entries (period digests only). */
export const TRANSPORTS = ['html', 'api'] as const;
export type Transport = (typeof TRANSPORTS)[number];

/**
 * The transport a digest is fetched by when none is asked for: the
 * configured one for period digests; HTML for the rest (the JSON API serves
 * no trending, front or search list, and a paper's counts are on its page only).
 */
export function transportFor(kind: DigestKind, configured: Transport): Transport {
  return isPeriodKind(kind) ? configured : 'html';
}

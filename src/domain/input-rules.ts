/**
 * What a value from a user (an API parameter, a cursor, a `paperboy query`
 * option) must be before it reaches SQL. Postgres refuses the rest anyway,
 * but as a failed query: a 500 or a stack trace instead of a message naming
 * the value. One definition each; the API and the CLI only add the name of
 * the parameter or option to the message.
 */

/** Postgres `integer`'s largest value: upvotes, comments and stars are `integer` columns. */
export const PG_INTEGER_MAX = 2_147_483_647;
/** Postgres `bigint`'s largest value: GitHub repository ids are `bigint`. */
const PG_BIGINT_MAX = 9_223_372_036_854_775_807n;

/** A count Postgres can compare with an `integer` column: a whole number from 0 to PG_INTEGER_MAX. */
export function isPgCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= PG_INTEGER_MAX;
}

/** A repository id Postgres can compare with a `bigint` column: decimal digits, at most PG_BIGINT_MAX. */
export function isPgBigintId(text: string): boolean {
  return /^[0-9]{1,19}$/.test(text) && BigInt(text) <= PG_BIGINT_MAX;
}

/**
 * A whole number written in decimal digits, from `min` to `max` (by default
 * a count: 0 to PG_INTEGER_MAX). Nothing else: `Number()` would read `""` and
 * `" "` as 0, `0x10` as 16 and `1e1` as 10; here they are errors, as are a
 * sign, a decimal point and any other digits than 0–9.
 *
 * @throws RangeError saying what is wrong, for the caller to prefix with the value's name.
 */
export function parseWholeNumber(text: string, { min = 0, max = PG_INTEGER_MAX } = {}): number {
  if (text === '') throw new RangeError(`is empty: give a whole number from ${min} to ${max}`);
  if (!/^[0-9]+$/.test(text)) throw new RangeError(`must be a whole number from ${min} to ${max} in decimal digits`);
  const value = Number(text);
  if (value < min) throw new RangeError(`must be at least ${min}`);
  if (value > max) throw new RangeError(`must be at most ${max}`);
  return value;
}

/** Postgres `text` cannot hold NUL: a value with one fails its query. */
export const NUL_PROBLEM = 'must not contain NUL (U+0000)';

export function hasNul(text: string): boolean {
  return text.includes('\u0000');
}

/**
 * A date range (YYYY-MM-DD, either end open) whose end comes before its
 * start selects nothing: that is a mistake to name, not an empty answer.
 * `prefix` goes before each name (`--` on the command line).
 *
 * @returns what is wrong, or undefined when the range is in order.
 */
export function dateRangeProblem(range: { since?: string; until?: string }, prefix = ''): string | undefined {
  const { since, until } = range;
  if (since === undefined || until === undefined || since <= until) return undefined;
  return `${prefix}until: ${until} is before ${prefix}since (${since})`;
}

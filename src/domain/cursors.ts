import { z } from 'zod';
import { isCalendarDate } from './digest-key.ts';
import { hasNul, isPgBigintId, isPgCount, NUL_PROBLEM, PG_INTEGER_MAX } from './input-rules.ts';
import { QueryParameterError, type PaperSort } from './paper-query.ts';

/**
 * Keyset cursors: where the previous page stopped, as an opaque base64url
 * JSON text. Handed out by the API and the CLI (`next_cursor`), read back by
 * both: a text that is not one of ours is a refusal naming `cursor`, never a
 * failed query.
 */

/**
 * A page's edge row of papers, as the values of its order's key columns
 * (src/db/query.repository.ts): `upvotes` [upvotes desc, id asc];
 * `relevance` [rank (4 decimals, as returned) desc, upvotes desc, id asc];
 * `listed` [first listing date desc, upvotes desc, id asc]; `stars` [the best
 * repository's stars desc, id asc]. The id breaks every tie, so pages never
 * repeat or skip a paper whatever the other values.
 */
export interface PaperCursor {
  sort: PaperSort;
  key: ReadonlyArray<string | number>;
}

/** The last row of a page of rising repositories (growth desc, unknown growth last, stars desc, id asc). */
export interface RisingCursor {
  growth: number | null;
  stars: number;
  id: string;
}

/** The last row of a page of repositories by stars (stars desc, id asc). */
export interface RepoCursor {
  stars: number;
  id: string;
}

const count = z.number().refine(isPgCount);
/**
 * Any id papers.id can hold: it is unbounded `text` (an `other:` id is
 * whatever Hugging Face lists, at any length), so a cursor at a page's edge
 * carries it whatever its length, and no length bound here refuses a Next
 * link the server handed out. The size of a cursor is bounded where it
 * arrives: in a URL, by the HTTP server's header limit.
 */
const paperId = z
  .string()
  .min(1)
  .refine((value) => !hasNul(value), NUL_PROBLEM);
const repoId = z.string().refine(isPgBigintId);
const listedOn = z.string().refine(isCalendarDate);
/** Each order's cursor as encoded (short names keep URLs short); each is refused where another order is asked for. */
const PAPER_CURSORS = {
  upvotes: { fields: ['u', 'id'], schema: z.strictObject({ u: count, id: paperId }) },
  relevance: {
    fields: ['r', 'u', 'id'],
    schema: z.strictObject({ r: z.number().min(0).max(1e6), u: count, id: paperId }),
  },
  listed: { fields: ['l', 'u', 'id'], schema: z.strictObject({ l: listedOn, u: count, id: paperId }) },
  stars: { fields: ['s', 'id'], schema: z.strictObject({ s: count, id: paperId }) },
} as const satisfies Record<
  PaperSort,
  { fields: readonly string[]; schema: z.ZodType<Record<string, string | number>> }
>;
const starsCursor = z.strictObject({ s: count, id: repoId });
/** The last backfill of a page (they are listed newest first, by their id: BullMQ's counter). */
const backfillCursor = z.strictObject({ b: z.int().min(1).max(Number.MAX_SAFE_INTEGER) });
const risingCursor = z.strictObject({
  g: z.number().int().min(-PG_INTEGER_MAX).max(PG_INTEGER_MAX).nullable(),
  s: count,
  id: repoId,
});

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** `parameter` is the name the text was given under (`cursor`, or the dashboard's `before`): the refusal says it. */
function decode<T>(text: string, schema: z.ZodType<T>, parameter = 'cursor'): T {
  const refusal = () => new QueryParameterError(`${parameter}: not a cursor this API returned`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw refusal();
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw refusal();
  return parsed.data;
}

export function encodePaperCursor(cursor: PaperCursor): string {
  const { fields } = PAPER_CURSORS[cursor.sort];
  return encode(Object.fromEntries(fields.map((field, i) => [field, cursor.key[i]])));
}

/**
 * The cursor of a page in `sort` order; a cursor of another order is refused,
 * naming `parameter` (`cursor` unless the text came as another one, such as `before`).
 */
export function decodePaperCursor(
  text: string | undefined,
  sort: PaperSort,
  parameter = 'cursor',
): PaperCursor | undefined {
  if (text === undefined) return undefined;
  const { fields, schema } = PAPER_CURSORS[sort];
  const decoded = decode<Record<string, string | number>>(text, schema, parameter);
  return { sort, key: fields.map((field) => decoded[field]!) };
}

export function encodeRepoCursor(cursor: RepoCursor): string {
  return encode({ s: cursor.stars, id: cursor.id });
}

export function decodeRepoCursor(text: string | undefined): RepoCursor | undefined {
  if (text === undefined) return undefined;
  const { s, id } = decode(text, starsCursor);
  return { stars: s, id };
}

export function encodeRisingCursor(cursor: RisingCursor): string {
  return encode({ g: cursor.growth, s: cursor.stars, id: cursor.id });
}

export function decodeRisingCursor(text: string | undefined): RisingCursor | undefined {
  if (text === undefined) return undefined;
  const { g, s, id } = decode(text, risingCursor);
  return { growth: g, stars: s, id };
}

export function encodeBackfillCursor(lastId: string): string {
  return encode({ b: Number(lastId) });
}

/** The id the next page's backfills are below. */
export function decodeBackfillCursor(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return decode(text, backfillCursor).b;
}

import { z } from 'zod';
import { hasNul, isPgBigintId, isPgCount, NUL_PROBLEM, PG_INTEGER_MAX } from './input-rules.ts';
import { QueryParameterError } from './paper-query.ts';

/**
 * Keyset cursors: where the previous page stopped, as an opaque base64url
 * JSON text. Handed out by the API and the CLI (`next_cursor`), read back by
 * both: a text that is not one of ours is a refusal naming `cursor`, never a
 * failed query.
 */

/**
 * The last row of a page of papers. Lists are ordered by upvotes desc, id
 * asc; a search by its rank (4 decimals, as returned) desc, then upvotes
 * desc, id asc: the id breaks every tie, so pages never repeat or skip a
 * paper whatever ranks are equal.
 */
export interface PaperCursor {
  upvotes: number;
  id: string;
  /** A search's rank of that row. */
  rank?: number;
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
const paperId = z
  .string()
  .min(1)
  .max(100)
  .refine((value) => !hasNul(value), NUL_PROBLEM);
const repoId = z.string().refine(isPgBigintId);
const listCursor = z.strictObject({ u: count, id: paperId });
const searchCursor = z.strictObject({ r: z.number().min(0).max(1e6), u: count, id: paperId });
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

function decode<T>(text: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new QueryParameterError('cursor: not a cursor this API returned');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new QueryParameterError('cursor: not a cursor this API returned');
  return parsed.data;
}

export function encodePaperCursor(cursor: PaperCursor): string {
  return encode(
    cursor.rank === undefined
      ? { u: cursor.upvotes, id: cursor.id }
      : { r: cursor.rank, u: cursor.upvotes, id: cursor.id },
  );
}

/** A search's cursor holds a rank, a list's does not: each is refused where the other is expected. */
export function decodePaperCursor(text: string | undefined, searching: boolean): PaperCursor | undefined {
  if (text === undefined) return undefined;
  if (searching) {
    const { r, u, id } = decode(text, searchCursor);
    return { rank: r, upvotes: u, id };
  }
  const { u, id } = decode(text, listCursor);
  return { upvotes: u, id };
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

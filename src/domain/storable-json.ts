/**
 * Makes parsed JSON storable in Postgres, which cannot hold some things a
 * JSON text can: NUL characters (in text or jsonb) and lone UTF-16
 * surrogates (in jsonb). Both become U+FFFD, in keys and values alike; the
 * rest is returned as it was. Depth is bounded: real entries are about five
 * levels deep, and an unbounded one would exhaust the stack here, in
 * JSON.stringify and in Postgres.
 */

import { setOwn } from './own-keys.ts';

export const MAX_JSON_DEPTH = 64;

export class TooDeepError extends RangeError {
  override name = 'TooDeepError';
}

export function storableText(text: string): string {
  return text.toWellFormed().replaceAll('\u0000', '\uFFFD');
}

/** What a walk found worth saying: keys named `__proto__` (schemas drop them: see parseDailyPaperEntries). */
export interface StorableReport {
  protoKeys: number;
}

/** @throws TooDeepError when the value nests deeper than `maxDepth`. */
export function storableJson(value: unknown, maxDepth = MAX_JSON_DEPTH, report?: StorableReport, depth = 0): unknown {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= maxDepth) throw new TooDeepError(`nested deeper than ${maxDepth} levels`);
  if (Array.isArray(value)) return value.map((item) => storableJson(item, maxDepth, report, depth + 1));
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '__proto__' && report) report.protoKeys += 1;
    // Own properties whatever the key: `__proto__` in upstream JSON stays a key, never a prototype.
    setOwn(result, storableText(key), storableJson(item, maxDepth, report, depth + 1));
  }
  return result;
}

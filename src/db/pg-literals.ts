/**
 * Values pre-serialized the way Postgres reads them as text parameters.
 * Doing it ourselves lets a loader build batch k+1 while batch k runs on the
 * server, instead of pg serializing it on the critical path.
 */

/** `['a', 'b"c']` → `{"a","b\"c"}`: a text[] literal. */
export function textArrayLiteral(items: readonly string[] | null): string | null {
  if (items === null) return null;
  return `{${items.map((item) => `"${item.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** A bytea in hex input format. */
export function byteaLiteral(bytes: Buffer): string {
  return `\\x${bytes.toString('hex')}`;
}

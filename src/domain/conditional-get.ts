import { createHash } from 'node:crypto';

/**
 * Conditional GET (RFC 9110 §13): a response's validators and whether a
 * request's preconditions say the client already has it. Pure.
 */

/** A strong ETag: a hash of everything the response is made from. */
export function etagOf(prefix: string, parts: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 27);
  return `"${prefix}-${hash}"`;
}

/** An HTTP date, to the second (Last-Modified has no finer resolution). */
export function httpDate(time: Date): string {
  return time.toUTCString();
}

/**
 * True when the client's copy is current: If-None-Match names the ETag (weak
 * comparison, `*` included), or, only when there is no If-None-Match,
 * If-Modified-Since is not before Last-Modified.
 */
export function isNotModified(
  headers: { 'if-none-match'?: string; 'if-modified-since'?: string },
  validators: { etag: string; lastModified: Date | undefined },
): boolean {
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
    return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(validators.etag));
  }
  const since = Date.parse(headers['if-modified-since'] ?? '');
  if (Number.isNaN(since) || validators.lastModified === undefined) return false;
  return Math.floor(validators.lastModified.getTime() / 1000) * 1000 <= since;
}

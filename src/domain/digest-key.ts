/**
 * What a digest is (its kind and key) and where it lives upstream. Pure: the
 * URL is built from a base URL handed in, never read from the environment.
 */

export const DIGEST_SOURCE_HF = 'hf';

/** Every page kind Hugging Face serves a list on; `key` identifies the page within its kind. */
export type DigestKind = 'day' | 'week' | 'month' | 'trending' | 'front' | 'search' | 'paper';

export interface DigestRef {
  source: typeof DIGEST_SOURCE_HF;
  kind: DigestKind;
  key: string;
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD (2024-02-30 is not one). */
export function isCalendarDate(value: string): boolean {
  const match = ISO_DATE.exec(value);
  if (!match) return false;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * @throws RangeError when the key is not valid for the kind: the caller's
 * input is wrong, not the upstream.
 */
export function dayDigest(date: string): DigestRef {
  if (!isCalendarDate(date)) {
    throw new RangeError(`"${date}" is not a calendar date in YYYY-MM-DD form`);
  }
  return { source: DIGEST_SOURCE_HF, kind: 'day', key: date };
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
      return `${baseUrl}/papers/${encodeURIComponent(ref.key)}`;
  }
}

import { createHmac } from 'node:crypto';
import { safeEqual } from './security.ts';

/**
 * Read-only feed tokens. Feed readers rarely speak basic auth, so when the
 * dashboard has credentials a feed's URL carries `token=`: an HMAC-SHA256,
 * base64url, of the feed's canonical path and query (token left out; see
 * `tokenSubject`). It opens that one feed, in that one format, with those
 * very parameters: nothing else (the server consults it for feed paths only).
 *
 * The key is derived from PAPERBOY_FEED_SECRET when set, else from the
 * dashboard's user and password: changing the one in use revokes every
 * token. With a feed secret of its own, the password can change without
 * breaking the readers' subscriptions.
 */

export const FEED_TOKEN_PARAMETER = 'token';

export interface FeedTokens {
  /** The token of a subject (tokenSubject's). */
  sign(subject: string): string;
  /** True when `token` is the subject's; compared in constant time. */
  verify(subject: string, token: string): boolean;
}

/** A label of its own: the key differs from every other HMAC keyed by the same password (the CSRF token's). */
const KEY_LABEL = 'paperboy feed tokens v1';

export function createFeedTokens(source: { secret?: string; user: string; password: string }): FeedTokens {
  const key = createHmac('sha256', source.secret ?? `${source.user}:${source.password}`)
    .update(KEY_LABEL)
    .digest();
  const sign = (subject: string) => createHmac('sha256', key).update(subject).digest('base64url');
  return { sign, verify: (subject, token) => safeEqual(token, sign(subject)) };
}

/**
 * What a token signs: the feed's canonical path and its query without the
 * token, parameters sorted by name (so their order in a URL does not matter)
 * and encoded as URLSearchParams writes them.
 */
export function tokenSubject(path: string, params: URLSearchParams): string {
  const query = withoutToken(params);
  query.sort();
  return `${path}?${query.toString()}`;
}

/** The parameters less the token. */
export function withoutToken(params: URLSearchParams): URLSearchParams {
  return new URLSearchParams([...params].filter(([name]) => name !== FEED_TOKEN_PARAMETER));
}

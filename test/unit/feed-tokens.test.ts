import { describe, expect, it } from 'vitest';
import { createFeedTokens, tokenSubject } from '../../src/dashboard/feed-tokens.ts';
import { feedPath, feedUrl, parseFeedPath, tokenOpens } from '../../src/dashboard/feed-routes.ts';

const CREDENTIALS = { user: 'operator', password: 'correct horse battery' };
const SECRET = 'a feed secret of at least thirty-two characters';

describe('feed tokens', () => {
  it('sign the canonical path and the sorted query, without the token', () => {
    const tokens = createFeedTokens(CREDENTIALS);
    const subject = tokenSubject('/feeds/papers.atom', new URLSearchParams('min_upvotes=20&has_code=true&token=x'));
    expect(subject).toBe('/feeds/papers.atom?has_code=true&min_upvotes=20');
    expect(tokens.sign(subject)).toMatch(/^[\w-]{43}$/);
    expect(tokens.verify(subject, tokens.sign(subject))).toBe(true);
    expect(tokens.verify(`${subject}&limit=5`, tokens.sign(subject))).toBe(false);
    expect(tokens.verify(subject, '')).toBe(false);
  });

  it('are revoked by a new secret, or a new password when there is no secret', () => {
    const subject = '/feeds/papers.rss?';
    const token = createFeedTokens(CREDENTIALS).sign(subject);
    expect(createFeedTokens({ ...CREDENTIALS, password: 'another password' }).verify(subject, token)).toBe(false);
    const withSecret = createFeedTokens({ ...CREDENTIALS, secret: SECRET }).sign(subject);
    expect(withSecret).not.toBe(token);
    expect(
      createFeedTokens({ ...CREDENTIALS, password: 'another password', secret: SECRET }).verify(subject, withSecret),
    ).toBe(true);
    expect(createFeedTokens({ ...CREDENTIALS, secret: `${SECRET}!` }).verify(subject, withSecret)).toBe(false);
  });

  it("open the URL they were made for, whatever the parameters' order or the search's encoding", () => {
    const tokens = createFeedTokens(CREDENTIALS);
    const route = parseFeedPath('/feeds/searches/large%20models.json')!;
    expect(route).toEqual({ kind: 'search', search: 'large models', format: 'json' });
    expect(feedPath(route)).toBe('/feeds/searches/large%20models.json');
    const url = new URL(feedUrl('http://dash.test', route, new URLSearchParams('limit=5'), tokens));
    expect(tokenOpens(url, tokens)).toBe(true);
    const token = url.searchParams.get('token')!;
    expect(
      tokenOpens(new URL(`http://dash.test/feeds/searches/large%20models.json?token=${token}&limit=5`), tokens),
    ).toBe(true);
    expect(
      tokenOpens(new URL(`http://dash.test/feeds/searches/large%20models.atom?limit=5&token=${token}`), tokens),
    ).toBe(false);
    expect(tokenOpens(new URL(`http://dash.test/api/papers?limit=5&token=${token}`), tokens)).toBe(false);
    expect(parseFeedPath('/feeds/searches/%ZZ.json')).toBeUndefined();
  });
});

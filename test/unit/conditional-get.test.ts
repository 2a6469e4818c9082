import { describe, expect, it } from 'vitest';
import { etagOf, httpDate, isNotModified } from '../../src/domain/conditional-get.ts';

describe('conditional GET', () => {
  const etag = etagOf('atom', ['rows', 1]);
  const lastModified = new Date('2024-08-02T10:00:00.500Z');

  it('makes a quoted strong ETag that changes with what it is made from', () => {
    expect(etag).toMatch(/^"atom-[\w-]{27}"$/);
    expect(etagOf('atom', ['rows', 1])).toBe(etag);
    expect(etagOf('atom', ['rows', 2])).not.toBe(etag);
    expect(etagOf('rss', ['rows', 1])).not.toBe(etag);
  });

  it('If-None-Match: a listed tag (weakly compared) or *; it overrides If-Modified-Since', () => {
    expect(isNotModified({ 'if-none-match': etag }, { etag, lastModified })).toBe(true);
    expect(isNotModified({ 'if-none-match': `"other", W/${etag}` }, { etag, lastModified })).toBe(true);
    expect(isNotModified({ 'if-none-match': '*' }, { etag, lastModified })).toBe(true);
    expect(
      isNotModified(
        { 'if-none-match': '"other"', 'if-modified-since': httpDate(lastModified) },
        { etag, lastModified },
      ),
    ).toBe(false);
  });

  it('If-Modified-Since: not before Last-Modified, to the second', () => {
    expect(isNotModified({ 'if-modified-since': httpDate(lastModified) }, { etag, lastModified })).toBe(true);
    expect(isNotModified({ 'if-modified-since': 'Fri, 02 Aug 2024 09:59:59 GMT' }, { etag, lastModified })).toBe(false);
    expect(isNotModified({ 'if-modified-since': 'yesterday' }, { etag, lastModified })).toBe(false);
    expect(isNotModified({ 'if-modified-since': httpDate(lastModified) }, { etag, lastModified: undefined })).toBe(
      false,
    );
    expect(isNotModified({}, { etag, lastModified })).toBe(false);
  });
});

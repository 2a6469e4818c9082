import { describe, expect, it } from 'vitest';
import { decodePaperCursor, encodePaperCursor } from '../../src/domain/cursors.ts';
import { PAPER_QUERY, parseQuery } from '../../src/domain/paper-query.ts';

describe('paper cursors', () => {
  it('carry any paper id papers.id can hold, however long, back to the page after it', () => {
    const id = `other:${'a-long-openreview-title/'.repeat(40)}é`;
    expect(id.length).toBeGreaterThan(100);
    for (const cursor of [
      { sort: 'upvotes' as const, key: [3, id] },
      { sort: 'listed' as const, key: ['2026-07-31', 3, id] },
      { sort: 'stars' as const, key: [12, id] },
    ])
      expect(decodePaperCursor(encodePaperCursor(cursor), cursor.sort)).toEqual(cursor);
  });

  it('of such an id are taken as `cursor` and `before` by the query parser, as the pages hand them out', () => {
    const id = `other:${'a-long-openreview-title/'.repeat(40)}é`;
    const cursor = encodePaperCursor({ sort: 'listed', key: ['2026-07-31', 3, id] });
    expect(cursor.length).toBeGreaterThan(1000);
    const read = parseQuery(PAPER_QUERY, 'page', new URLSearchParams({ sort: 'listed', before: cursor }));
    expect(decodePaperCursor(read.before, 'listed', 'before')?.key).toEqual(['2026-07-31', 3, id]);
    expect(parseQuery(PAPER_QUERY, 'api', new URLSearchParams({ cursor })).cursor).toBe(cursor);
  });

  it('still refuse an empty id, or one with NUL, naming the parameter given', () => {
    const text = (id: string) => Buffer.from(JSON.stringify({ u: 1, id })).toString('base64url');
    expect(() => decodePaperCursor(text(''), 'upvotes')).toThrow('cursor: not a cursor this API returned');
    expect(() => decodePaperCursor(text('a\u0000b'), 'upvotes', 'before')).toThrow(
      'before: not a cursor this API returned',
    );
  });
});

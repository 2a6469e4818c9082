import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertPapers } from '../../src/db/papers.repository.ts';
import { withTransaction } from '../../src/db/pool.ts';
import { handleApiRequest } from '../../src/dashboard/api-routes.ts';
import { SEARCH_CANDIDATES, searchPapers } from '../../src/db/query.repository.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { listedFromHtml2024 } from '../support/digests.ts';

const LLAMA = '2407.21783'; // "The Llama 3 Herd of Models": "llama" in its title and abstract

/**
 * Search ranks the SEARCH_CANDIDATES most upvoted matches. Copies of the
 * real Llama 3 paper with another title (so "llama" is only in their
 * abstracts: a lower rank) and more upvotes push the original out of the
 * candidates once there are SEARCH_CANDIDATES of them, not before.
 */
describe('search candidates', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
    const llama = listedFromHtml2024()
      .filter((listed) => listed.paper.id === LLAMA)
      .map((listed) => listed.paper);
    expect(llama).toHaveLength(1);
    await withTransaction(db.pool, (tx) => upsertPapers(tx, llama, new Date()));
    await db.pool.query(`update papers set upvotes = 0 where id = $1`, [LLAMA]);
  });

  afterAll(async () => {
    await db.drop();
  });

  async function addCopies(from: number, to: number) {
    await db.pool.query(
      `insert into papers (id, title, abstract, authors, published_at, upvotes, num_comments, raw, content_hash, observed_at)
       select format('8000.%s', lpad(g::text, 5, '0')), 'A copy, number ' || g, abstract, authors, published_at, 1000 + g, 0, '{}'::jsonb, '\\x', now()
       from papers, generate_series($2::int, $3::int) g where id = $1`,
      [LLAMA, from, to],
    );
  }

  it('ranks every match while there are no more than the candidates: the title match first', async () => {
    await addCopies(1, SEARCH_CANDIDATES - 1);
    const rows = await searchPapers(db.pool, 'llama', {}, { limit: 5 });
    expect(rows[0]!.id).toBe(LLAMA);
    expect(rows[0]!.rank).toBeGreaterThan(rows[1]!.rank);
    // The copies tie on rank and follow by upvotes.
    expect(rows.slice(1).map((row) => row.id)).toEqual(['8000.00099', '8000.00098', '8000.00097', '8000.00096']);
  });

  it('ranks only the most upvoted matches once there are more', async () => {
    await addCopies(SEARCH_CANDIDATES, SEARCH_CANDIDATES);
    const rows = await searchPapers(db.pool, 'llama', {}, { limit: SEARCH_CANDIDATES + 10 });
    expect(rows).toHaveLength(SEARCH_CANDIDATES);
    expect(rows.map((row) => row.id)).not.toContain(LLAMA);
    expect(rows[0]!.id).toBe('8000.00100');
  });

  it('pages through equal ranks and equal upvotes without repeating or skipping a paper (the id breaks the tie)', async () => {
    // Every copy ties on rank; these also tie on upvotes.
    await db.pool.query(`update papers set upvotes = 7 where id like '8000.%'`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const params = new URLSearchParams({ q: 'llama', limit: '7', ...(cursor ? { cursor } : {}) });
      const response = await handleApiRequest(db.pool, '/api/papers', params);
      const body = response!.body as { items: Array<{ id: string; rank: number }>; next_cursor: string | null };
      seen.push(...body.items.map((item) => item.id));
      cursor = body.next_cursor;
    } while (cursor);
    const all = await searchPapers(db.pool, 'llama', {}, { limit: SEARCH_CANDIDATES });
    expect(seen).toEqual(all.map((row) => row.id));
    expect(new Set(seen).size).toBe(SEARCH_CANDIDATES);
    expect(seen.slice(0, 3)).toEqual(['8000.00001', '8000.00002', '8000.00003']);
  });
});

import type { PaperRecord } from '../domain/paper.ts';
import type { PgQueryable } from './queryable.ts';

const COLUMNS = ['id', 'title', 'abstract', 'authors', 'published_at', 'upvotes', 'raw'] as const;
// Postgres allows 65535 parameters per statement; 500 rows keeps well under it.
const ROWS_PER_STATEMENT = 500;

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/**
 * Inserts new papers and updates changed ones. A row whose values are all
 * unchanged is not rewritten at all (the `is distinct from` guard), so a
 * re-run of the same digest writes no tuple. Rows are sent in id order so
 * that concurrent loads of overlapping digests lock rows in the same order
 * and cannot deadlock. `papers` must not repeat an id (dedupe first).
 */
export async function upsertPapers(db: PgQueryable, papers: readonly PaperRecord[]): Promise<UpsertCounts> {
  const sorted = [...papers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const counts: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
  for (let start = 0; start < sorted.length; start += ROWS_PER_STATEMENT) {
    const batch = sorted.slice(start, start + ROWS_PER_STATEMENT);
    const { rows } = await db.query<{ inserted: boolean }>(upsertStatement(batch.length), batch.flatMap(toParameters));
    const inserted = rows.filter((row) => row.inserted).length;
    counts.inserted += inserted;
    counts.updated += rows.length - inserted;
    counts.unchanged += batch.length - rows.length;
  }
  return counts;
}

function toParameters(paper: PaperRecord): unknown[] {
  return [paper.id, paper.title, paper.abstract, paper.authors, paper.publishedAt, paper.upvotes, JSON.stringify(paper.raw)];
}

const statementCache = new Map<number, string>();

function upsertStatement(rowCount: number): string {
  const cached = statementCache.get(rowCount);
  if (cached) return cached;
  const width = COLUMNS.length;
  const tuples = Array.from({ length: rowCount }, (_, row) => {
    const p = (column: number) => `$${row * width + column + 1}`;
    return `(${p(0)}, ${p(1)}, ${p(2)}, ${p(3)}::text[], ${p(4)}::timestamptz, ${p(5)}::integer, ${p(6)}::jsonb)`;
  });
  const statement = `
    insert into papers as p (${COLUMNS.join(', ')})
    values ${tuples.join(',\n           ')}
    on conflict (id) do update set
      title = excluded.title,
      abstract = excluded.abstract,
      authors = excluded.authors,
      published_at = excluded.published_at,
      upvotes = excluded.upvotes,
      raw = excluded.raw,
      updated_at = now()
    where (p.title, p.abstract, p.authors, p.published_at, p.upvotes, p.raw)
          is distinct from
          (excluded.title, excluded.abstract, excluded.authors, excluded.published_at, excluded.upvotes, excluded.raw)
    returning (xmax = 0) as inserted`;
  statementCache.set(rowCount, statement);
  return statement;
}

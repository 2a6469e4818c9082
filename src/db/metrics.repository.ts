import type { PaperRecord } from '../domain/paper.ts';
import type { PgQueryable } from './queryable.ts';

/**
 * Appends an upvotes/comments observation for each paper whose values differ
 * from its latest earlier observation: the history holds changes, not
 * samples. Observations may arrive out of order (a re-parse of an old page);
 * each is compared with what was known at its own time.
 *
 * @returns the number of rows appended.
 */
export async function appendPaperMetrics(
  db: PgQueryable,
  papers: readonly PaperRecord[],
  observedAt: Date,
): Promise<number> {
  if (papers.length === 0) return 0;
  const sorted = [...papers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const { rowCount } = await db.query(
    `insert into paper_metrics (paper_id, observed_at, upvotes, num_comments)
     select i.paper_id, $1, i.upvotes, i.num_comments
     from unnest($2::text[], $3::int[], $4::int[]) with ordinality as i(paper_id, upvotes, num_comments, position)
     where not exists (
       select 1
       from (select m.upvotes, m.num_comments
             from paper_metrics m
             where m.paper_id = i.paper_id and m.observed_at <= $1
             order by m.observed_at desc
             limit 1) latest
       where (latest.upvotes, latest.num_comments) is not distinct from (i.upvotes, i.num_comments))
     order by i.position
     on conflict (paper_id, observed_at) do nothing`,
    [observedAt, sorted.map((p) => p.id), sorted.map((p) => p.upvotes), sorted.map((p) => p.numComments)],
  );
  return rowCount ?? 0;
}

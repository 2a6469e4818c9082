import { inLockOrder } from './lock-order.ts';
import type { PgQueryable } from './queryable.ts';

/** What a page said about a paper's engagement at one moment. */
export interface MetricObservation {
  id: string;
  upvotes: number;
  numComments: number | null;
}

/**
 * Appends an upvotes/comments observation for each paper whose values differ
 * from its latest earlier observation: the history holds changes, not
 * samples. A comment count the page did not carry (null) is the earlier
 * one: unknown is not a change. Observations may arrive out of order (a re-parse of an old page);
 * each is compared with what was known at its own time.
 *
 * @returns the number of rows appended.
 */
export async function appendPaperMetrics(
  db: PgQueryable,
  papers: readonly MetricObservation[],
  observedAt: Date,
): Promise<number> {
  if (papers.length === 0) return 0;
  const sorted = inLockOrder(papers, (paper) => paper.id);
  const { rowCount } = await db.query(
    `insert into paper_metrics (paper_id, observed_at, upvotes, num_comments)
     select i.paper_id, $1, i.upvotes, coalesce(i.num_comments, latest.num_comments)
     from unnest($2::text[], $3::int[], $4::int[]) with ordinality as i(paper_id, upvotes, num_comments, position)
     left join lateral (
       select m.upvotes, m.num_comments
       from paper_metrics m
       where m.paper_id = i.paper_id and m.observed_at <= $1
       order by m.observed_at desc
       limit 1) latest on true
     where (latest.upvotes, latest.num_comments) is distinct from (i.upvotes, coalesce(i.num_comments, latest.num_comments))
     order by i.position
     on conflict (paper_id, observed_at) do nothing`,
    [observedAt, sorted.map((p) => p.id), sorted.map((p) => p.upvotes), sorted.map((p) => p.numComments)],
  );
  // An observation that arrived late can make the next recorded point redundant
  // (same values, later time): drop it, so the history is the same whatever
  // order loads ran in. Known limit: if values later turn out to have
  // reverted (v, u, v) and the middle observation arrives last of all, the
  // dropped point is not restored.
  await db.query(
    `delete from paper_metrics m
     using unnest($2::text[]) as i(paper_id)
     where m.paper_id = i.paper_id
       and m.observed_at = (select min(n.observed_at) from paper_metrics n where n.paper_id = i.paper_id and n.observed_at > $1)
       and exists (select 1 from paper_metrics c
                   where c.paper_id = i.paper_id and c.observed_at = $1
                     and (c.upvotes, c.num_comments) is not distinct from (m.upvotes, m.num_comments))`,
    [observedAt, sorted.map((p) => p.id)],
  );
  return rowCount ?? 0;
}

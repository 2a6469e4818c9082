import type { FeedEntry } from '../domain/feed-entries.ts';
import type { PgQueryable } from './queryable.ts';
import { filterClause, parameterIn, relationToFilter, type PaperFilters } from './query.repository.ts';

/**
 * The feeds' read: the papers matching the filters (the same clause as
 * findPapers), newest listing first, with what an entry shows (FeedEntry:
 * `updated` is the later of papers.updated_at, which moves only when the
 * paper's content does, upvotes included, and the best repository's
 * updated_at, which moves only when its values do, stars included).
 */

/**
 * The first `limit` papers matching the filters, by latest listing date
 * (newest first), then upvotes, then id: a total order, so a page is the same
 * page until something changes. Papers never listed (only their own page
 * fetched) are in no feed. With `q`, the text must match; it does not rank.
 */
export async function findFeedEntries(
  db: PgQueryable,
  filters: PaperFilters,
  page: { limit: number },
): Promise<FeedEntry[]> {
  const params: unknown[] = [];
  const param = parameterIn(params);
  const where = filterClause(filters, params);
  const text =
    filters.q === undefined
      ? ''
      : `and o.id in (select s.id from papers s where s.search @@ websearch_to_tsquery('english', ${param(filters.q)}))`;
  const limit = param(page.limit);
  // Rows are chosen on ids, dates and upvotes first; the wide columns are read for the page only.
  const { rows } = await db.query<FeedEntry>(
    `with latest as (
       select l.paper_id, max(l.listed_on) as listed_on from listings l group by l.paper_id),
     chosen as (
       select o.id, latest.listed_on, o.upvotes
       from latest join ${relationToFilter(filters)} o on o.id = latest.paper_id
       where ${where} ${text}
       order by latest.listed_on desc, o.upvotes desc, o.id
       limit ${limit})
     select c.id, p.title, p.authors, p.abstract, p.ai_summary, p.upvotes, o.repo, o.repo_stars,
            to_char(c.listed_on, 'YYYY-MM-DD') as listed_on, greatest(p.updated_at, r.updated_at) as updated
     from chosen c
     join papers p on p.id = c.id
     join paper_overview o on o.id = c.id
     left join repos r on lower(r.full_name) = lower(o.repo)
     order by c.listed_on desc, c.upvotes desc, c.id`,
    params,
  );
  return rows;
}

import type { DigestRef } from '../domain/digest-key.ts';
import { inLockOrder } from './lock-order.ts';
import type { PgQueryable } from './queryable.ts';

/** One paper's place on one digest. */
export interface ListingRow {
  paperId: string;
  rank: number;
  upvotes: number;
  /** The date the listing is for, YYYY-MM-DD (domain/listing-date.ts). */
  listedOn: string;
}

/**
 * Records that `digest` listed these papers, as seen on a page fetched at
 * `seenAt`. first/last seen only widen; rank, upvotes and the listing date
 * follow the newest observation, except that a search keeps its earliest
 * date: its one row per paper is refreshed by every run, and without a
 * daily-page day its date is the fetch day, which would otherwise move
 * forward with each run. A listing whose values would not change is not
 * rewritten. Listings are never deleted: a paper that drops off a digest
 * keeps its row (its last_seen_at stops).
 *
 * @returns the number of listing rows inserted or changed.
 */
export async function upsertListings(
  db: PgQueryable,
  digest: DigestRef,
  listed: readonly ListingRow[],
  seenAt: Date,
): Promise<number> {
  if (listed.length === 0) return 0;
  const sorted = inLockOrder(listed, (row) => row.paperId);
  const { rowCount } = await db.query(
    `insert into listings as l (source, kind, key, paper_id, rank, upvotes, listed_on, first_seen_at, last_seen_at)
     select $1, $2, $3, i.paper_id, i.rank, i.upvotes, i.listed_on, $4, $4
     from unnest($5::text[], $6::int[], $7::int[], $8::date[]) with ordinality as i(paper_id, rank, upvotes, listed_on, position)
     order by i.position
     on conflict (source, kind, key, paper_id) do update set
       rank = case when excluded.last_seen_at >= l.last_seen_at then excluded.rank else l.rank end,
       upvotes = case when excluded.last_seen_at >= l.last_seen_at then excluded.upvotes else l.upvotes end,
       listed_on = case when l.kind = 'search' then least(l.listed_on, excluded.listed_on)
                        when excluded.last_seen_at >= l.last_seen_at then excluded.listed_on else l.listed_on end,
       first_seen_at = least(l.first_seen_at, excluded.first_seen_at),
       last_seen_at = greatest(l.last_seen_at, excluded.last_seen_at)
     where excluded.last_seen_at > l.last_seen_at
        or excluded.first_seen_at < l.first_seen_at
        or (excluded.last_seen_at = l.last_seen_at
            and (l.rank, l.upvotes, l.listed_on) is distinct from (excluded.rank, excluded.upvotes, excluded.listed_on))
        or (l.kind = 'search' and excluded.listed_on < l.listed_on)`,
    [
      digest.source,
      digest.kind,
      digest.key,
      seenAt,
      sorted.map((item) => item.paperId),
      sorted.map((item) => item.rank),
      sorted.map((item) => item.upvotes),
      sorted.map((item) => item.listedOn),
    ],
  );
  return rowCount ?? 0;
}

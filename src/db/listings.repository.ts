import type { DigestRef } from '../domain/digest-key.ts';
import { inLockOrder } from './lock-order.ts';
import type { PgQueryable } from './queryable.ts';

/** One paper's place on one digest. */
export interface ListingRow {
  paperId: string;
  rank: number;
  upvotes: number;
}

/**
 * Records that `digest` listed these papers at `listedAt`. first/last listed
 * only widen; rank and upvotes follow the newest observation; a listing whose
 * values would not change is not rewritten. Listings are never deleted: a
 * paper that drops off a digest keeps its row (its last_listed_at stops).
 *
 * @returns the number of listing rows inserted or changed.
 */
export async function upsertListings(
  db: PgQueryable,
  digest: DigestRef,
  listed: readonly ListingRow[],
  listedAt: Date,
): Promise<number> {
  if (listed.length === 0) return 0;
  const sorted = inLockOrder(listed, (row) => row.paperId);
  const { rowCount } = await db.query(
    `insert into listings as l (source, kind, key, paper_id, rank, upvotes, first_listed_at, last_listed_at)
     select $1, $2, $3, i.paper_id, i.rank, i.upvotes, $4, $4
     from unnest($5::text[], $6::int[], $7::int[]) with ordinality as i(paper_id, rank, upvotes, position)
     order by i.position
     on conflict (source, kind, key, paper_id) do update set
       rank = case when excluded.last_listed_at >= l.last_listed_at then excluded.rank else l.rank end,
       upvotes = case when excluded.last_listed_at >= l.last_listed_at then excluded.upvotes else l.upvotes end,
       first_listed_at = least(l.first_listed_at, excluded.first_listed_at),
       last_listed_at = greatest(l.last_listed_at, excluded.last_listed_at)
     where excluded.last_listed_at > l.last_listed_at
        or excluded.first_listed_at < l.first_listed_at
        or (excluded.last_listed_at = l.last_listed_at
            and (l.rank, l.upvotes) is distinct from (excluded.rank, excluded.upvotes))`,
    [
      digest.source,
      digest.kind,
      digest.key,
      listedAt,
      sorted.map((item) => item.paperId),
      sorted.map((item) => item.rank),
      sorted.map((item) => item.upvotes),
    ],
  );
  return rowCount ?? 0;
}

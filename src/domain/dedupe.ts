import type { ListedPaper } from './paper.ts';

/**
 * One paper can appear twice on one page (e.g. pinned and listed). Merge by
 * canonical id, keeping the best (lowest) rank and the highest upvote count;
 * the result is ordered by rank. Different ids never merge, whatever their
 * titles: two distinct papers can share a title.
 */
export function dedupeListedPapers(listed: readonly ListedPaper[]): ListedPaper[] {
  const byId = new Map<string, ListedPaper>();
  for (const item of listed) {
    const seen = byId.get(item.paper.id);
    if (!seen) {
      byId.set(item.paper.id, item);
      continue;
    }
    const richer = item.paper.upvotes > seen.paper.upvotes ? item.paper : seen.paper;
    byId.set(item.paper.id, { rank: Math.min(seen.rank, item.rank), paper: richer });
  }
  return [...byId.values()].sort((a, b) => a.rank - b.rank);
}

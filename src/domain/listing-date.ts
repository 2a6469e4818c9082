import { periodKey, periodStart, utcDay, type DigestRef } from './digest-key.ts';

/**
 * The date a listing is for, as opposed to when paperboy fetched the page: a
 * daily page of 2024-08-01 fetched today lists its papers on 2024-08-01.
 * Migration 0007 fills existing rows by the same rules, in SQL.
 *
 * - day: the page's date (its key);
 * - week, month: the day the paper was on the daily page (`submittedOnDailyAt`,
 *   UTC) when that day lies inside the period, else the period's first day;
 * - trending, front, search: the day the paper was on the daily page when
 *   known, else the day of the fetch (for trending and front, their key; a
 *   search's row keeps the earliest date it was given: see upsertListings).
 *
 * `submittedOnDailyAt` is the entry's ISO timestamp as received, null when
 * the entry has none (older papers, card sightings).
 *
 * @returns the date as YYYY-MM-DD.
 * @throws RangeError for a single paper page: it is not a listing.
 */
export function listingDate(digest: DigestRef, submittedOnDailyAt: string | null, fetchedAt: Date): string {
  const onDaily = submittedOnDailyAt === null ? null : new Date(submittedOnDailyAt);
  switch (digest.kind) {
    case 'day':
      return digest.key;
    case 'week':
    case 'month':
      // A day outside the period would date the listing outside the page that lists it.
      if (onDaily !== null && periodKey(digest.kind, onDaily) === digest.key) return utcDay(onDaily);
      return utcDay(periodStart(digest.kind, digest.key));
    case 'trending':
    case 'front':
    case 'search':
      return onDaily === null ? utcDay(fetchedAt) : utcDay(onDaily);
    case 'paper':
      throw new RangeError(`a single paper page (${digest.key}) is not a listing and has no listing date`);
  }
}

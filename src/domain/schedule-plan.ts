import { CronExpressionParser } from 'cron-parser';
import { daysBefore, digestRef, periodKey, type DigestRef } from './digest-key.ts';

/**
 * What each schedule fetches when it fires. Pure: the caller supplies the
 * time and what the database already holds.
 */

export const SCHEDULE_NAMES = [
  'daily-recent',
  'periods',
  'trending',
  'searches',
  'refetch-recent',
  'paper-details',
  'repos-refresh',
  'prune-pages',
] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

/** Cron patterns (in the configured time zone, UTC by default). */
export const DEFAULT_SCHEDULES: Readonly<Record<ScheduleName, string>> = {
  // Today's and yesterday's pages fill up during the day.
  'daily-recent': '*/30 * * * *',
  // The weekly and monthly pages, nightly.
  periods: '15 2 * * *',
  // Trending and the front page move all the time.
  trending: '5 * * * *',
  // Saved topic searches (PAPERBOY_SAVED_SEARCHES), daily.
  searches: '30 3 * * *',
  // Upvotes settle over about two weeks: re-fetch the last 14 days nightly.
  'refetch-recent': '45 2 * * *',
  // The own pages of papers listed in the last 14 days (counts of citing models, comments, rank), daily.
  'paper-details': '20 4 * * *',
  // GitHub repositories due for a refresh (fresh papers' daily, others weekly): not a digest fetch.
  'repos-refresh': '0 5 * * *',
  // Stored page bodies no re-parse will need (see src/stages/prune-pages.ts), daily, after the nightly fetches: not a digest fetch.
  'prune-pages': '50 4 * * *',
};

/** How far back the daily schedule looks for days it never loaded (a scheduler never replays missed ticks). */
export const CATCH_UP_DAYS = 7;
export const REFETCH_DAYS = 14;
/** Papers listed within this many days (today included) have their own page fetched daily. */
export const DETAIL_DAYS = 14;

export interface PlanInput {
  now: Date;
  savedSearches: readonly string[];
  /** Days (YYYY-MM-DD) within the catch-up window that already have a good fetch. */
  fetchedDays: ReadonlySet<string>;
  /** Papers whose own page is due (listed within DETAIL_DAYS, or a 404 due for another look): `paper-details` only. */
  detailsDue?: readonly string[];
}

export function isScheduleName(name: string): name is ScheduleName {
  return (SCHEDULE_NAMES as readonly string[]).includes(name);
}

/** The digests one firing of `schedule` should fetch, without duplicates. */
export function planSchedule(schedule: ScheduleName, input: PlanInput): DigestRef[] {
  const { now } = input;
  const refs: DigestRef[] = [];
  switch (schedule) {
    case 'daily-recent': {
      refs.push(digestRef('day', daysBefore(now, 0)), digestRef('day', daysBefore(now, 1)));
      for (let back = 2; back <= CATCH_UP_DAYS; back += 1) {
        const day = daysBefore(now, back);
        if (!input.fetchedDays.has(day)) refs.push(digestRef('day', day));
      }
      break;
    }
    case 'periods': {
      const lastWeek = new Date(now.getTime() - 7 * 86_400_000);
      const lastMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
      for (const [kind, date] of [
        ['week', now],
        ['week', lastWeek],
        ['month', now],
        ['month', lastMonth],
      ] as const) {
        refs.push(digestRef(kind, periodKey(kind, date)));
      }
      break;
    }
    case 'trending':
      refs.push(digestRef('trending', undefined, now), digestRef('front', undefined, now));
      break;
    case 'searches':
      for (const search of input.savedSearches) refs.push(digestRef('search', search));
      break;
    case 'refetch-recent':
      for (let back = 2; back <= REFETCH_DAYS; back += 1) refs.push(digestRef('day', daysBefore(now, back)));
      break;
    case 'paper-details':
      for (const id of input.detailsDue ?? []) refs.push(digestRef('paper', id));
      break;
    case 'repos-refresh':
    case 'prune-pages':
      break;
  }
  const seen = new Set<string>();
  return refs.filter((ref) => {
    const id = `${ref.kind}/${ref.key}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** True for a time zone the runtime knows (an IANA name such as Europe/Paris, or UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * What is wrong with a schedule's pattern, if anything: a cron pattern that
 * BullMQ's own parser (cron-parser) reads in `tz`, or `every:<ms>` with a
 * whole number of milliseconds, at least 1.
 */
export function schedulePatternProblem(pattern: string, tz: string): string | undefined {
  if (pattern.startsWith('every:')) {
    return /^every:[1-9]\d{0,9}$/.test(pattern)
      ? undefined
      : `"${pattern}" is not every:<milliseconds> with a whole number of at least 1`;
  }
  try {
    CronExpressionParser.parse(pattern, { tz: isTimeZone(tz) ? tz : 'UTC', strict: false });
    return undefined;
  } catch (error) {
    return `"${pattern}" is not a cron pattern (${(error as Error).message})`;
  }
}

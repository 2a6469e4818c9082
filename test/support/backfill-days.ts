import { apiEntries, captureWithoutBlobOrCards, listedFromApi, listedFromHtml2024 } from './digests.ts';
import { buildListPage } from './page-builder.ts';
import { readFixture, type UpstreamServer } from './upstream-server.ts';

/**
 * Ten days of Hugging Face pages for backfill tests, from real captures: the
 * real 2024-08-01 page, pages built from real API payloads of other dates,
 * a weekend that redirects (empty) and one day whose layout is gone (broken).
 */
export const BACKFILL_FROM = '2024-08-01';
export const BACKFILL_TO = '2024-08-10';
export const EMPTY_DAYS = ['2024-08-03', '2024-08-04'];
export const BROKEN_DAY = '2024-08-05';

const BUILT_DAYS: Record<string, string> = {
  '2024-08-02': 'hf-api-daily_papers-2024-05-27.json',
  '2024-08-06': 'hf-api-daily_papers-2025-01-21.json',
  '2024-08-07': 'hf-api-daily_papers-2025-03-17.json',
  '2024-08-08': 'hf-api-daily_papers-2025-06-25.json',
  '2024-08-09': 'hf-api-daily_papers-2025-10-03.json',
  '2024-08-10': 'hf-api-daily_papers-2025-10-08.json',
};

export const LOADED_DAYS = ['2024-08-01', ...Object.keys(BUILT_DAYS)].sort();

/** Serves the ten days on `hf`; returns the paper ids each loaded day lists. */
export function routeBackfillDays(hf: UpstreamServer): Map<string, string[]> {
  const expected = new Map<string, string[]>();
  hf.route('/papers/date/2024-08-01', { body: readFixture('hf-html/hf-papers-date-2024-08-01.html') });
  expected.set(
    '2024-08-01',
    listedFromHtml2024().map((listed) => listed.paper.id),
  );
  for (const [day, file] of Object.entries(BUILT_DAYS)) {
    const entries = apiEntries(file);
    hf.route(`/papers/date/${day}`, { body: buildListPage({ entries, date: day }) });
    expected.set(
      day,
      listedFromApi(file, entries).map((listed) => listed.paper.id),
    );
  }
  for (const day of EMPTY_DAYS) hf.route(`/papers/date/${day}`, { status: 302, headers: { location: '/papers' } });
  hf.route(`/papers/date/${BROKEN_DAY}`, { body: captureWithoutBlobOrCards() });
  return expected;
}

import { daysBefore } from '../../src/domain/digest-key.ts';
import { apiEntries, captureWithoutBlobOrCards, listedFromApi } from './digests.ts';
import { buildListPage } from './page-builder.ts';
import type { UpstreamServer } from './upstream-server.ts';

/**
 * What the daily schedule's run at the service's start finds on `hf`: today
 * a real day's page (built from a real API capture), yesterday a capture
 * whose layout is gone (a failed fetch with its error class), and the days
 * of catch-up before them nothing (404s).
 */
export function routeRecentDays(
  hf: UpstreamServer,
  now = new Date(),
): { loaded: string; papers: number; broken: string } {
  const loaded = daysBefore(now, 0);
  const broken = daysBefore(now, 1);
  const file = 'hf-api-daily_papers-2025-10-08.json';
  const entries = apiEntries(file);
  hf.route(`/papers/date/${loaded}`, { body: buildListPage({ entries, date: loaded }) });
  hf.route(`/papers/date/${broken}`, { body: captureWithoutBlobOrCards() });
  return { loaded, papers: listedFromApi(file, entries).length, broken };
}

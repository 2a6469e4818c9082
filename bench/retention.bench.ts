import type http from 'node:http';
import type pg from 'pg';
import { measurePageStore } from '../src/db/retention.repository.ts';
import { daysBefore, type DigestRef } from '../src/domain/digest-key.ts';
import { planSchedule, type ScheduleName } from '../src/domain/schedule-plan.ts';
import type { HttpClient } from '../src/http/http-client.ts';
import type { Logger } from '../src/logger.ts';
import { ingestDigest } from '../src/stages/ingest-digest.ts';
import { measureKept, prunePages } from '../src/stages/prune-pages.ts';
import { DigestUpstream } from '../test/support/digest-upstream.ts';
import { startLocalServer } from '../test/support/local-server.ts';
import { buildListPage } from '../test/support/page-builder.ts';
import { clientFor } from '../test/support/upstream-server.ts';
import { emptyDatabase, type Figure } from './harness.ts';

const DAY_MS = 86_400_000;
const RETENTION_DAYS = 30;

/**
 * Page-store growth: `days` simulated days of the default schedules' fetches
 * (daily-recent every 30 minutes for today and yesterday, trending and the
 * front page hourly, refetch-recent of 13 days and the 4 period pages once)
 * against a local Hugging Face whose every answer has moved upvotes, as busy
 * pages do. Time is compressed: the fetches run back to back, then each is
 * dated as if spread over its day, more than RETENTION_DAYS days ago. Reports
 * the bytes stored per simulated day without retention, and what a prune
 * with the default retention keeps per day of older history (the latest
 * page of each day, week and month), and a year of both.
 */
export async function benchRetention(
  pool: pg.Pool,
  options: { days: number; logger: Logger; log: (line: string) => void },
): Promise<Figure[]> {
  const upstream = await startChangingUpstream();
  const http = clientFor(upstream);
  try {
    await emptyDatabase(pool);
    const started = performance.now();
    let fetches = 0;
    // The simulated days end RETENTION_DAYS + 10 days ago: all of them are past the retention window.
    const firstDay = Date.now() - (RETENTION_DAYS + 10 + options.days) * DAY_MS;
    for (let day = 0; day < options.days; day += 1) {
      fetches += await simulateDay(pool, http, upstream.baseUrl, new Date(firstDay + day * DAY_MS), options.logger);
    }
    const before = await measurePageStore(pool);
    const summary = await prunePages(pool, { retentionDays: RETENTION_DAYS });
    const kept = await measureKept(pool, summary);
    const perKind = await keptPerKind(pool);
    const seconds = (performance.now() - started) / 1000;
    options.log(
      `retention: ${fetches} fetches over ${options.days} simulated days in ${seconds.toFixed(1)} s; ` +
        `stored ${before.bodies} bodies (${mb(before.storedBytes)}), pruned ${summary.pruned.bodies}, kept ${kept.bodies} ` +
        `(${Object.entries(perKind)
          .map(([kind, row]) => `${kind}: ${row.digests} digests, ${mb(row.storedBytes)}`)
          .join('; ')})`,
    );

    const grownPerDay = before.storedBytes / options.days;
    // Past the window a day of history keeps the last version of its day, trending and front pages (both keyed
    // by date), and its share of a week's and a month's.
    const average = (kind: string) => (perKind[kind] ? perKind[kind].storedBytes / perKind[kind].digests : 0);
    const keptPerDay =
      average('day') + average('trending') + average('front') + average('week') / 7 + average('month') / (365.25 / 12);
    const yearWithout = 365 * grownPerDay;
    const yearWith = RETENTION_DAYS * grownPerDay + (365 - RETENTION_DAYS) * keptPerDay;
    const schedule = `${fetches / options.days} fetches a day`;
    return [
      {
        name: 'retention: page-store bytes added per simulated day of the default schedules (no retention)',
        value: grownPerDay / 1e6,
        unit: 'MB/day',
        baseline: null,
        ratio: null,
        target: 'measured',
        met: null,
        note:
          `${schedule} (daily-recent 48x today and yesterday, trending and front 24x, refetch-recent 13, periods 4), every answer's upvotes moved; ` +
          `${before.bodies / options.days} distinct bodies a day, brotli as stored; mean of ${options.days} simulated days`,
      },
      {
        name: `retention: page-store bytes kept per day of history older than ${RETENTION_DAYS} days, after prune`,
        value: keptPerDay / 1e6,
        unit: 'MB/day',
        baseline: grownPerDay / 1e6,
        // Lower is better.
        ratio: grownPerDay / keptPerDay,
        target: '<= 0.05x the bytes stored per day',
        met: keptPerDay <= 0.05 * grownPerDay,
        note:
          `baseline: the bytes stored per simulated day without retention; kept: the last body of the day's daily, trending and front pages, ` +
          `plus 1/7 of a week's and 1/30 of a month's (each the mean over the digests of that kind the prune kept)`,
      },
      {
        name: `retention: page store after a year of the default schedules, ${RETENTION_DAYS}-day retention`,
        value: yearWith / 1e9,
        unit: 'GB',
        baseline: yearWithout / 1e9,
        ratio: yearWithout / yearWith,
        target: '<= 0.2x no retention',
        met: yearWith <= 0.2 * yearWithout,
        note: `${RETENTION_DAYS} days of everything plus ${365 - RETENTION_DAYS} days of kept history, from the two figures above; baseline: 365 days of everything`,
      },
    ];
  } finally {
    await http.close();
    await upstream.close();
  }
}

/** One day's fetches, back to back, then dated as the schedules would have made them. Returns how many. */
async function simulateDay(pool: pg.Pool, http: HttpClient, baseUrl: string, day: Date, logger: Logger) {
  const midnight = Math.floor(day.getTime() / DAY_MS) * DAY_MS;
  const at = (minutes: number) => new Date(midnight + minutes * 60_000);
  // Every day of the catch-up window already fetched: the steady state, where daily-recent fetches two pages.
  const fetchedDays = new Set(Array.from({ length: 6 }, (_, back) => daysBefore(day, back + 2)));
  const ticks: Array<{ time: Date; schedule: ScheduleName }> = [];
  for (let half = 0; half < 48; half += 1) ticks.push({ time: at(half * 30), schedule: 'daily-recent' });
  for (let hour = 0; hour < 24; hour += 1) ticks.push({ time: at(hour * 60 + 5), schedule: 'trending' });
  ticks.push({ time: at(2 * 60 + 15), schedule: 'periods' }, { time: at(2 * 60 + 45), schedule: 'refetch-recent' });
  ticks.sort((a, b) => a.time.getTime() - b.time.getTime());
  let fetches = 0;
  for (const tick of ticks) {
    const refs = planSchedule(tick.schedule, { now: tick.time, savedSearches: [], fetchedDays });
    for (const ref of refs) {
      await ingestDigest({ http, pool, hf: { baseUrl, token: undefined }, logger }, ref);
      await backdate(pool, ref, tick.time);
      fetches += 1;
    }
  }
  return fetches;
}

/** Dates a digest's latest fetch, and the body it stored, at `time`. */
async function backdate(pool: pg.Pool, ref: DigestRef, time: Date): Promise<void> {
  await pool.query(
    `with latest as (
       update digest_fetches set fetched_at = $4
       where id = (select max(id) from digest_fetches where source = $1 and kind = $2 and key = $3)
       returning content_sha256
     )
     update page_bodies set stored_at = $4 where sha256 = (select content_sha256 from latest)`,
    [ref.source, ref.kind, ref.key, time],
  );
}

/** What the prune kept, by the kind of the digest whose latest body it is. */
async function keptPerKind(pool: pg.Pool): Promise<Record<string, { digests: number; storedBytes: number }>> {
  const { rows } = await pool.query<{ kind: string; digests: number; stored: string }>(
    `select f.kind, count(*)::int as digests, sum(octet_length(b.body)) as stored
     from (select distinct on (source, kind, key) kind, content_sha256 from digest_fetches
           where content_sha256 is not null order by source, kind, key, fetched_at desc, id desc) f
     join page_bodies b on b.sha256 = f.content_sha256
     group by f.kind`,
  );
  return Object.fromEntries(rows.map((row) => [row.kind, { digests: row.digests, storedBytes: Number(row.stored) }]));
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

/**
 * A local Hugging Face whose list pages (day, week, month, trending, front)
 * move on every request: the same papers (DigestUpstream's, a day's own),
 * each answer with every paper's upvotes one higher than the last.
 */
async function startChangingUpstream() {
  const papers = new DigestUpstream();
  let answers = 0;
  const server = await startLocalServer((request: http.IncomingMessage, response: http.ServerResponse) => {
    const url = request.url ?? '';
    const match = /^\/papers(?:\/(date|week|month)\/([\w-]+)|\/(trending))?$/.exec(url);
    if (!match) return void response.writeHead(404).end();
    answers += 1;
    const [, kind, key, trending] = match;
    const date = kind === 'date' ? key! : '2024-08-01';
    const seed = kind === 'date' ? key! : kind ? '2024-08-01' : trending ? '2024-07-31' : '2024-07-30';
    const entries = papers.entries(seed).map((entry) => {
      entry.paper.upvotes += answers;
      return entry;
    });
    const body = Buffer.from(
      kind === 'week' || kind === 'month'
        ? buildListPage({ entries, date, layout: '2025', periodType: kind })
        : buildListPage({ entries, date }),
    );
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(body.length) });
    response.end(body);
  });
  return server;
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type pg from 'pg';
import {
  countFailedFetchesSince,
  findLastGoodFetchByKind,
  findRecentFailedFetches,
} from '../db/fetch-status.repository.ts';
import { listReportedLimits } from '../db/limits.repository.ts';
import { DIGEST_KINDS } from '../domain/digest-key.ts';
import { SCHEDULE_NAMES } from '../domain/schedule-plan.ts';
import { SCHEDULER_PREFIX, type PaperboyQueues } from '../queue/contracts.ts';
import type { BudgetReader } from '../queue/request-budget.ts';
import { readScheduleRuns } from '../queue/schedule-runs.ts';
import { QUEUE_STATES, renderStatusPage, type Part, type ScheduleStatus, type StatusView } from './status-page.ts';

export interface StatusRoutes {
  pool: pg.Pool;
  queues: PaperboyQueues;
  budget: BudgetReader<string>;
}

/** How many failed fetches the page lists. */
const RECENT_FAILURES = 20;

/** The dashboard's front page, `/`: the status page (see status-page.ts). */
export async function handleStatusRequest(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  routes: StatusRoutes,
): Promise<boolean> {
  if (url.pathname !== '/' || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
  const html = renderStatusPage(await readStatus(routes, new Date()));
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
  return true;
}

/**
 * Reads every source of the page at once: four indexed queries, a few Redis
 * reads. A source that fails (Redis or Postgres down) is said in its own
 * section; the others still show.
 */
async function readStatus(routes: StatusRoutes, now: Date): Promise<StatusView> {
  const { pool, queues, budget } = routes;
  const [schedules, queueCounts, budgets, lastGood, failures] = await Promise.all([
    settle(readSchedules(queues)),
    settle(
      Promise.all(
        Object.values(queues).map(async (queue) => ({
          name: queue.name,
          counts: withZeros(await queue.getJobCounts(...QUEUE_STATES, 'prioritized')),
        })),
      ),
    ),
    settle(
      Promise.all([budget.read(), listReportedLimits(pool)]).then(([buckets, reported]) => ({ buckets, reported })),
    ),
    settle(findLastGoodFetchByKind(pool, DIGEST_KINDS).then((fetches) => ({ kinds: DIGEST_KINDS, fetches }))),
    settle(
      Promise.all([
        findRecentFailedFetches(pool, RECENT_FAILURES),
        countFailedFetchesSince(pool, new Date(now.getTime() - 86_400_000)),
      ]).then(([recent, lastDay]) => ({ recent, lastDay })),
    ),
  ]);
  return { now, schedules, queues: queueCounts, budgets, lastGood, failures };
}

/**
 * paperboy's job schedulers (pattern and next run, as BullMQ holds them)
 * with each one's last recorded run; a schedule that ran but is no longer
 * registered is listed too, without a pattern.
 */
async function readSchedules(queues: PaperboyQueues): Promise<ScheduleStatus[]> {
  const [schedulers, runs] = await Promise.all([
    queues.digests.getJobSchedulers(0, -1, true),
    readScheduleRuns(queues.digests),
  ]);
  const statuses = new Map<string, ScheduleStatus>();
  for (const scheduler of schedulers) {
    if (!scheduler.key.startsWith(SCHEDULER_PREFIX)) continue;
    const name = scheduler.key.slice(SCHEDULER_PREFIX.length);
    statuses.set(name, {
      name,
      ...(scheduler.pattern ? { pattern: scheduler.pattern } : {}),
      ...(scheduler.every ? { everyMs: scheduler.every } : {}),
      ...(scheduler.tz ? { tz: scheduler.tz } : {}),
      ...(scheduler.next ? { next: new Date(scheduler.next) } : {}),
      lastRun: runs.get(name),
    });
  }
  for (const [name, run] of runs) if (!statuses.has(name)) statuses.set(name, { name, lastRun: run });
  // In the order the schedules are defined (the daily one first); unknown names after them.
  const rank = (name: string) => {
    const index = (SCHEDULE_NAMES as readonly string[]).indexOf(name);
    return index === -1 ? SCHEDULE_NAMES.length : index;
  };
  return [...statuses.values()].sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

/** Prioritized jobs wait too: counted with the waiting ones. */
function withZeros(counts: Record<string, number>): Record<(typeof QUEUE_STATES)[number], number> {
  const counted = Object.fromEntries(QUEUE_STATES.map((state) => [state, counts[state] ?? 0])) as Record<
    (typeof QUEUE_STATES)[number],
    number
  >;
  counted.waiting += counts.prioritized ?? 0;
  return counted;
}

async function settle<T>(read: Promise<T>): Promise<Part<T>> {
  try {
    return { value: await read };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * The dashboard's front page: what runs when, what came in, what failed,
 * how full the queues are and where the upstream budgets stand. Pure: the
 * route reads the sources into a StatusView and this renders it; every value
 * goes through escapeHtml.
 */

import { escapeHtml } from '../domain/html.ts';
import type { FailedFetch, LastGoodFetch } from '../db/fetch-status.repository.ts';
import type { ReportedLimit } from '../db/limits.repository.ts';
import type { BucketState } from '../queue/request-budget.ts';
import type { ScheduleRun } from '../queue/schedule-runs.ts';
import { BULL_BOARD_PATH } from './bull-board.ts';
import { renderDashboardPage } from './page-layout.ts';
import { formatUtc, relativeAge } from './time-format.ts';

/** One source of the page: read, or the reason it could not be (the rest of the page still shows). */
export type Part<T> = { value: T } | { error: string };

export interface ScheduleStatus {
  name: string;
  /** The cron pattern or `every` interval in force (as registered with BullMQ), absent when not registered. */
  pattern?: string;
  everyMs?: number;
  tz?: string;
  next?: Date;
  lastRun?: ScheduleRun;
}

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'waiting-children', 'failed', 'completed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

export interface QueueStatus {
  name: string;
  counts: Record<QueueState, number>;
}

export interface StatusView {
  now: Date;
  schedules: Part<ScheduleStatus[]>;
  queues: Part<QueueStatus[]>;
  budgets: Part<{ buckets: ReadonlyArray<BucketState<string>>; reported: readonly ReportedLimit[] }>;
  lastGood: Part<{ kinds: readonly string[]; fetches: readonly LastGoodFetch[] }>;
  failures: Part<{ recent: readonly FailedFetch[]; lastDay: number }>;
}

export function renderStatusPage(view: StatusView): string {
  const { now } = view;
  const main = `<h1>Status</h1>
<p class="hint">As of ${time(now, now)}. Start a backfill on <a href="/backfills">Backfills</a>; every job is in <a href="${BULL_BOARD_PATH}">Bull Board</a>.</p>
<h2 id="schedules">Schedules</h2>
${part(view.schedules, (schedules) => renderSchedules(schedules, now))}
<h2 id="queues">Queues</h2>
${part(view.queues, renderQueues)}
<h2 id="fetches">Last successful fetch by kind</h2>
${part(view.lastGood, ({ kinds, fetches }) => renderLastGood(kinds, fetches, now))}
<h2 id="failures">Recent failed fetches</h2>
${part(view.failures, ({ recent, lastDay }) => renderFailures(recent, lastDay, now))}
<h2 id="budgets">Upstream budgets</h2>
${part(view.budgets, ({ buckets, reported }) => renderBudgets(buckets, reported, now))}`;
  return renderDashboardPage({ title: 'Status', path: '/', main, styles: STYLES });
}

function part<T>(source: Part<T>, render: (value: T) => string): string {
  return 'error' in source
    ? `<p class="error">Could not read this: ${escapeHtml(source.error)}</p>`
    : render(source.value);
}

/** A time in the dashboard's one format, with its age beside it. */
function time(at: Date, now: Date): string {
  return `<time datetime="${escapeHtml(at.toISOString())}">${escapeHtml(formatUtc(at))}</time> <span class="age">(${escapeHtml(relativeAge(at, now))})</span>`;
}

function renderSchedules(schedules: readonly ScheduleStatus[], now: Date): string {
  if (schedules.length === 0)
    return '<p class="notice">No schedule is registered: start paperboy with the schedule role (<code>paperboy start</code> or <code>paperboy schedule</code>).</p>';
  const rows = schedules.map(
    (schedule) => `<tr data-schedule="${escapeHtml(schedule.name)}">
<td class="name">${escapeHtml(schedule.name)}</td>
<td class="pattern">${renderPattern(schedule)}</td>
<td class="last-run">${renderLastRun(schedule.lastRun, now)}</td>
<td class="next-run">${schedule.next ? time(schedule.next, now) : '<span class="muted">not scheduled</span>'}</td>
</tr>`,
  );
  return `<div class="table"><table class="status">
<thead><tr><th>Schedule</th><th>Pattern</th><th>Last run</th><th>Next run</th></tr></thead>
<tbody>${rows.join('\n')}</tbody>
</table></div>`;
}

function renderPattern(schedule: ScheduleStatus): string {
  if (schedule.pattern)
    return `<code>${escapeHtml(schedule.pattern)}</code>${schedule.tz && schedule.tz !== 'UTC' ? ` <span class="age">${escapeHtml(schedule.tz)}</span>` : ''}`;
  if (schedule.everyMs !== undefined) return `every ${escapeHtml(formatInterval(schedule.everyMs))}`;
  return '<span class="muted">no longer registered</span>';
}

function renderLastRun(run: ScheduleRun | undefined, now: Date): string {
  if (!run) return '<span class="muted">never</span>';
  return `${time(run.finishedAt, now)}<div class="detail"><span class="state ${run.outcome}">${run.outcome}</span> ${escapeHtml(run.detail)}</div>`;
}

function renderQueues(queues: readonly QueueStatus[]): string {
  const head = QUEUE_STATES.map((state) => `<th class="num">${escapeHtml(state)}</th>`).join('');
  const rows = queues.map((queue) => {
    const page = `${BULL_BOARD_PATH}/queue/${encodeURIComponent(queue.name)}`;
    const cells = QUEUE_STATES.map((state) => {
      const count = queue.counts[state];
      const text = escapeHtml(count.toLocaleString('en'));
      return `<td class="num${state === 'failed' && count > 0 ? ' alert' : ''}" data-state="${state}">${
        count > 0 ? `<a href="${escapeHtml(`${page}?status=${state}`)}">${text}</a>` : text
      }</td>`;
    });
    return `<tr data-queue="${escapeHtml(queue.name)}"><td class="name"><a href="${escapeHtml(page)}">${escapeHtml(queue.name)}</a></td>${cells.join('')}</tr>`;
  });
  return `<div class="table"><table class="status">
<thead><tr><th>Queue</th>${head}</tr></thead>
<tbody>${rows.join('\n')}</tbody>
</table></div>`;
}

function renderLastGood(kinds: readonly string[], fetches: readonly LastGoodFetch[], now: Date): string {
  const byKind = new Map(fetches.map((fetch) => [fetch.kind, fetch]));
  const rows = kinds.map((kind) => {
    const fetch = byKind.get(kind);
    return `<tr data-kind="${escapeHtml(kind)}"><td class="name">${escapeHtml(kind)}</td>${
      fetch
        ? `<td>${time(fetch.fetchedAt, now)}</td><td><code>${escapeHtml(fetch.key)}</code></td><td>${escapeHtml(fetch.outcome.replace('_', ' '))}, ${escapeHtml(fetch.paperCount)} paper${fetch.paperCount === 1 ? '' : 's'}</td>`
        : '<td colspan="3"><span class="muted">never</span></td>'
    }</tr>`;
  });
  return `<div class="table"><table class="status">
<thead><tr><th>Kind</th><th>Fetched</th><th>Digest</th><th>Outcome</th></tr></thead>
<tbody>${rows.join('\n')}</tbody>
</table></div>`;
}

function renderFailures(recent: readonly FailedFetch[], lastDay: number, now: Date): string {
  const summary = `<p class="hint">${escapeHtml(lastDay.toLocaleString('en'))} failed in the last 24 hours${
    recent.length ? `; the latest ${recent.length} below` : ''
  }. Failed jobs and their retries are in <a href="${BULL_BOARD_PATH}">Bull Board</a>.</p>`;
  if (recent.length === 0) return summary;
  const items = recent.map(
    (failure) => `<li class="backfill failure">
<div class="row"><span class="title">${escapeHtml(failure.kind)} <code>${escapeHtml(failure.key)}</code></span><span class="chips">${
      failure.errorClass ? `<span class="chip failed">${escapeHtml(failure.errorClass)}</span>` : ''
    }${failure.httpStatus === null ? '' : `<span class="chip">HTTP ${escapeHtml(failure.httpStatus)}</span>`}</span></div>
<p class="error-text">${escapeHtml(failure.error ?? 'no error recorded')}</p>
<div class="meta">${time(failure.fetchedAt, now)} · <span class="url">${escapeHtml(failure.url)}</span></div>
</li>`,
  );
  return `${summary}<ol class="backfills failures">${items.join('\n')}</ol>`;
}

function renderBudgets(
  buckets: ReadonlyArray<BucketState<string>>,
  reported: readonly ReportedLimit[],
  now: Date,
): string {
  const rows = [
    ...buckets.map((bucket) => {
      const paused = bucket.pausedUntil ? `paused until ${time(bucket.pausedUntil, now)}` : 'not paused';
      const remaining =
        bucket.remaining === undefined
          ? '<span class="muted">not reported</span>'
          : `${escapeHtml(bucket.remaining.toLocaleString('en'))}${bucket.resetAt ? `, resets ${time(bucket.resetAt, now)}` : ''}`;
      return `<tr data-budget="${escapeHtml(`${bucket.upstream}:${bucket.bucket}`)}"><td class="name">${escapeHtml(bucket.upstream)} ${escapeHtml(bucket.bucket)}</td><td>${escapeHtml(bucket.policy.quota.toLocaleString('en'))} per ${escapeHtml(formatInterval(bucket.policy.windowMs))}</td><td>${remaining}</td><td>${paused}</td></tr>`;
    }),
    ...reported
      .filter((limit) => !buckets.some((bucket) => bucket.upstream === limit.upstream))
      .map(
        (limit) =>
          `<tr data-budget="${escapeHtml(`${limit.upstream}:${limit.resource}`)}"><td class="name">${escapeHtml(limit.upstream)} ${escapeHtml(limit.resource)}</td><td><span class="muted">set by the server</span></td><td>${escapeHtml(limit.remaining.toLocaleString('en'))}${
            limit.resetAt ? `, resets ${time(limit.resetAt, now)}` : ''
          }</td><td>reported ${time(limit.observedAt, now)}</td></tr>`,
      ),
  ];
  return `<div class="table"><table class="status">
<thead><tr><th>Budget</th><th>Quota</th><th>Remaining</th><th>State</th></tr></thead>
<tbody>${rows.join('\n')}</tbody>
</table></div>`;
}

/** `30 s`, `5 min`, `1 h`, `1.5 s`: an interval as an operator would say it. */
export function formatInterval(ms: number): string {
  for (const [size, unit] of [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1_000, 's'],
  ] as const) {
    if (ms >= size) return `${Number((ms / size).toFixed(1))} ${unit}`;
  }
  return `${ms} ms`;
}

const STYLES = `
.table{overflow-x:auto}
table.status{width:100%;border-collapse:collapse;background:#fff;border:1px solid #dde1e8;border-radius:8px}
table.status th,table.status td{text-align:left;padding:.45rem .7rem;border-bottom:1px solid #eef0f4;vertical-align:top;overflow-wrap:anywhere}
table.status th{font-size:.8rem;color:#4a5366;font-weight:600;background:#f9fafb}
table.status tbody tr:last-child td{border-bottom:0}
table.status td.name,table.status td.pattern{font-weight:600;overflow-wrap:normal;white-space:nowrap}
table.status td.pattern{font-weight:normal}
table.status .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.status td.alert a,table.status td.alert{color:#b42318;font-weight:600}
.age{color:#6b7385;font-size:.85rem;white-space:nowrap}
.detail{font-size:.85rem;color:#4a5366;margin-top:.2rem}
time{white-space:nowrap}
ol.failures{gap:.5rem}li.failure{padding:.6rem 1rem}
li.failure .error-text{margin:.3rem 0;font-size:.9rem;overflow-wrap:anywhere}
li.failure .url{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
`;

import { keyDays, type BackfillKind } from '../domain/backfill-plan.ts';
import { escapeHtml } from '../domain/html.ts';
import { formatDuration } from '../domain/request-budget.ts';
import type { BackfillKey, KeyStatus } from '../queue/backfill-keys.ts';
import { FINISHED_PHASES, type BackfillStatus } from '../queue/backfill-status.ts';
import { QUEUES } from '../queue/contracts.ts';
import { BULL_BOARD_PATH } from './bull-board.ts';
import { formatUtc } from './time-format.ts';

/**
 * The list of backfills on /backfills (and /backfills/list, what the page's
 * script swaps in while one runs): each a card with its state in words, its
 * progress, and its keys one by one in a table that folds away (a year of
 * days is 365 rows), failed keys first. Pure: statuses in, HTML out; every
 * value goes through `escapeHtml`.
 */

export interface BackfillListInput {
  backfills: readonly BackfillStatus[];
  readOnly: boolean;
  /**
   * The backfills whose key tables to fill in; the others' tables fold away
   * empty (`data-lazy`), to be asked for when opened. The script's refresh
   * names the ones the reader has open, so a refresh every 1.5 s does not
   * carry every key of every backfill; a page load (no script needed) fills
   * in all of them.
   */
  keysFor?: ReadonlySet<string>;
}

export function renderBackfillList(input: BackfillListInput): string {
  if (input.backfills.length === 0) return '<p class="muted">No backfills yet.</p>';
  const running = input.backfills.some((backfill) => !FINISHED_PHASES.has(backfill.phase));
  const cards = input.backfills.map((backfill) =>
    renderBackfill(backfill, input.readOnly, !input.keysFor || input.keysFor.has(backfill.id)),
  );
  return `<ol class="backfills" data-running="${running}">${cards.join('')}</ol>`;
}

/** "queued behind backfill #2", "cancelled": the state chip's words. */
export function phaseLabel(backfill: Pick<BackfillStatus, 'phase' | 'queuedBehind'>): string {
  if (backfill.phase !== 'queued' || backfill.queuedBehind.length === 0) return backfill.phase;
  const ids = backfill.queuedBehind.map((id) => `#${id}`);
  return ids.length === 1
    ? `queued behind backfill ${ids[0]}`
    : `queued behind backfills ${ids.slice(0, -1).join(', ')} and ${ids.at(-1)}`;
}

/** "day 2024-08-01 → 2024-08-10 via HTML pages (force), with paper pages". */
export function describeRequest(backfill: BackfillStatus): string {
  const { request } = backfill;
  if (!request) return 'not a backfill request';
  return `${request.kind} ${request.from} → ${request.to}${request.via === 'html' ? ' via HTML pages' : ' via API'}${request.force ? ' (force)' : ''}${request.details ? ', with paper pages' : ''}`;
}

function renderBackfill(backfill: BackfillStatus, readOnly: boolean, withKeys: boolean): string {
  const { counts, phase } = backfill;
  const percent =
    backfill.total === 0 ? (FINISHED_PHASES.has(phase) ? 100 : 0) : Math.floor((100 * backfill.done) / backfill.total);
  const chips = (
    [
      ['loaded', counts.loaded],
      ['empty', counts.empty],
      ['not modified', counts.not_modified],
      ['skipped (already fetched)', counts.skipped],
      ['failed', counts.failed],
      ['cancelled', counts.cancelled],
    ] as const
  )
    .filter(([, count]) => count > 0)
    .map(([label, count]) => `<span class="chip ${label.split(' ')[0]}">${escapeHtml(label)} ${count}</span>`)
    .join('');
  const cancellable = !readOnly && !FINISHED_PHASES.has(phase) && phase !== 'cancelling';
  const id = encodeURIComponent(backfill.id);
  return `<li class="backfill" data-id="${escapeHtml(backfill.id)}" data-state="${escapeHtml(phase)}">
  <div class="row"><span class="title">#${escapeHtml(backfill.id)} ${escapeHtml(describeRequest(backfill))}</span>
  <span class="state ${escapeHtml(phase)}">${escapeHtml(phaseLabel(backfill))}</span></div>
  <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${percent}"><div style="width:${percent}%"></div></div>
  <div class="row"><span class="done">${progressText(backfill, percent)}${papersText(backfill)}</span><span class="chips">${chips}</span></div>
  ${backfill.error ? `<p class="error">${escapeHtml(backfill.error)}</p>` : ''}
  ${renderFailures(backfill)}
  ${renderKeys(backfill, withKeys)}
  <div class="row meta"><span>created ${escapeHtml(formatUtc(backfill.createdAt))}${
    backfill.finishedAt ? `, finished ${escapeHtml(formatUtc(backfill.finishedAt).slice(11, 19))}` : ''
  } · <a href="${BULL_BOARD_PATH}/queue/${QUEUES.backfills}/${id}">job in Bull Board</a></span>${
    cancellable ? `<a class="cancel" href="/backfills/${id}/cancel">Cancel…</a>` : ''
  }</div>
</li>`;
}

/** What the card says under its bar: how far, and what it waits for. Escaped. */
function progressText(backfill: BackfillStatus, percent: number): string {
  const eta =
    backfill.secondsLeft !== undefined
      ? `, about <span class="eta">${escapeHtml(formatDuration(backfill.secondsLeft * 1000))}</span> left at the budget's pace`
      : '';
  if (backfill.phase === 'cancelled') {
    const fetched = backfill.total - backfill.counts.cancelled;
    return `cancelled after ${fetched} of ${backfill.total} keys; ${backfill.counts.cancelled} never fetched`;
  }
  if (backfill.phase === 'queued' && backfill.queuedBehind.length > 0) {
    return `waiting for the fetches of ${escapeHtml(phaseLabel(backfill).replace('queued behind ', ''))} (same queue, first in first out)${eta}`;
  }
  if (backfill.phase === 'queued' && backfill.keys.length === 0) return `waiting for a worker to plan its keys${eta}`;
  return `${backfill.done}/${backfill.total} keys done (${percent}%)${eta}`;
}

function papersText(backfill: BackfillStatus): string {
  const { papers } = backfill;
  if (!papers) return '';
  return (
    `; paper pages <span class="papers">${papers.done}/${papers.total}</span>` +
    `${papers.notFound ? `, ${papers.notFound} not found` : ''}${papers.failed ? `, ${papers.failed} failed` : ''}`
  );
}

const FAILURES_SHOWN = 5;

/** The failed keys with their errors, in view without opening anything (the key table has them all). */
function renderFailures(backfill: BackfillStatus): string {
  if (backfill.failed.length === 0) return '';
  const shown = backfill.failed.slice(0, FAILURES_SHOWN);
  const more = backfill.failed.length - shown.length;
  return `<ul class="failures">${shown
    .map((failure) => `<li><code>${escapeHtml(failure.key)}</code> ${escapeHtml(failure.error)}</li>`)
    .join('')}${more > 0 ? `<li class="muted">and ${more} more failed key(s): see the key list</li>` : ''}</ul>`;
}

const STATUS_LABELS: Record<KeyStatus, string> = {
  failed: 'failed',
  pending: 'not fetched yet',
  loaded: 'loaded',
  empty: 'empty',
  not_modified: 'not modified',
  skipped: 'skipped (already fetched)',
  cancelled: 'cancelled',
};

/** Failed first, then what is still to come, then the rest; each group in key order. */
const STATUS_ORDER: Record<KeyStatus, number> = {
  failed: 0,
  pending: 1,
  loaded: 2,
  empty: 2,
  not_modified: 2,
  skipped: 2,
  cancelled: 2,
};

function renderKeys(backfill: BackfillStatus, withKeys: boolean): string {
  const { request, keys } = backfill;
  if (!request || keys.length === 0) return '';
  const failed = backfill.counts.failed ? `, ${backfill.counts.failed} failed` : '';
  const summary = `<summary>${keys.length} key(s), one by one${failed}</summary>`;
  if (!withKeys)
    return `<details class="keys" data-for="${escapeHtml(backfill.id)}" data-lazy="true">${summary}<p class="muted">Loading the keys…</p></details>`;
  const ordered = [...keys].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
  return `<details class="keys" data-for="${escapeHtml(backfill.id)}">${summary}
<table class="keys"><thead><tr><th>Key</th><th>Outcome</th><th class="number">Papers</th><th>Error or job</th></tr></thead><tbody>${ordered
    .map((key) => renderKey(request.kind, key))
    .join('')}</tbody></table></details>`;
}

function renderKey(kind: BackfillKind, key: BackfillKey): string {
  const code = `<code>${escapeHtml(key.key)}</code>`;
  // A key with papers links to them in the papers browser; an empty, failed or unfetched one has none to show.
  const hasPapers =
    key.papers !== 0 && (key.status === 'loaded' || key.status === 'not_modified' || key.status === 'skipped');
  const label =
    key.status === 'skipped' && key.papers === 0 ? 'skipped (already fetched: empty)' : STATUS_LABELS[key.status];
  const detail = key.error
    ? escapeHtml(key.error)
    : key.job
      ? `<a href="${BULL_BOARD_PATH}/queue/${encodeURIComponent(key.job.queue)}/${encodeURIComponent(key.job.id)}">fetch job</a>`
      : '';
  return `<tr class="${key.status}"><td>${hasPapers ? `<a href="${escapeHtml(papersHref(kind, key.key))}">${code}</a>` : code}</td><td>${escapeHtml(label)}</td><td class="number">${key.papers ?? '–'}</td><td class="detail">${detail}</td></tr>`;
}

/** The papers browser's filter for a key: its day, or the days of its week or month. */
export function papersHref(kind: BackfillKind, key: string): string {
  if (kind === 'day') return `/papers?${new URLSearchParams({ day: key }).toString()}`;
  return `/papers?${new URLSearchParams(keyDays(kind, key)).toString()}`;
}

/** The list's own styles: the states in words and the key table. */
export const BACKFILL_LIST_STYLES = `
.state.queued{background:#fdf3dc;color:#7a5200}.state.running{background:#e6ecfd;color:#2a43a8}
.state.cancelling,.state.cancelled{background:#f1e9e7;color:#6e3b30}
a.cancel{font-size:.85rem;color:#b42318;border:1px solid #e4a5a0;border-radius:5px;padding:.2rem .8rem;text-decoration:none;background:#fff}
table.keys{width:100%;border-collapse:collapse;margin:.4rem 0;font-size:.85rem}
table.keys th,table.keys td{text-align:left;padding:.2rem .5rem;border-bottom:1px solid #eef0f4;vertical-align:top}
table.keys .number{text-align:right}
table.keys td:not(.detail){white-space:nowrap}
table.keys td.detail{overflow-wrap:anywhere}
table.keys tr.failed td{background:#fdecea}table.keys tr.failed td:first-child{border-left:3px solid #b42318}
ul.failures{font-size:.85rem}ul.failures li{overflow-wrap:anywhere}
`;

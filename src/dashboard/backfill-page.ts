import { BACKFILL_KINDS } from '../domain/backfill-plan.ts';
import { escapeHtml } from '../domain/html.ts';
import { estimateMs, formatDuration, type HfBucket } from '../domain/request-budget.ts';
import type { BackfillStatus } from '../queue/backfill-status.ts';
import type { BucketState } from '../queue/request-budget.ts';
import { renderDashboardPage } from './page-layout.ts';

/**
 * The /backfills page, server-rendered. Pure: statuses in, HTML out. Every
 * value that reaches the page goes through `escapeHtml`. A small script
 * refreshes the list while a backfill runs; without it the page still works.
 */

export interface BackfillPageInput {
  backfills: readonly BackfillStatus[];
  csrfToken: string;
  readOnly: boolean;
  maxKeys: number;
  /** Where Hugging Face's budgets stand: what a backfill of a year costs by each transport. */
  budgets?: readonly BucketState[];
  /** What the form held when it was refused, so the user can correct it. */
  form?: { kind?: string; from?: string; to?: string; force?: boolean; via?: string; details?: boolean };
  notice?: string;
  error?: string;
}

const FINISHED = new Set(['completed', 'failed']);

export function renderBackfillsPage(input: BackfillPageInput): string {
  const form = input.form ?? {};
  const kindOptions = BACKFILL_KINDS.map(
    (kind) => `<option value="${kind}"${form.kind === kind ? ' selected' : ''}>${kind}</option>`,
  ).join('');
  const viaOptions = VIAS.map(
    ([via, label]) => `<option value="${via}"${(form.via ?? 'api') === via ? ' selected' : ''}>${label}</option>`,
  ).join('');
  const formSection = input.readOnly
    ? `<p class="muted">Read-only mode: backfills can be watched here, not started or cancelled.</p>`
    : `<form method="post" action="/backfills" class="new" id="new-backfill">
        <input type="hidden" name="csrf" value="${escapeHtml(input.csrfToken)}">
        <label>Kind <select name="kind" id="kind">${kindOptions}</select></label>
        <label>From <input name="from" id="from" required placeholder="2024-08-01" value="${escapeHtml(form.from)}"></label>
        <label>To <input name="to" id="to" required placeholder="2024-08-10" value="${escapeHtml(form.to)}"></label>
        <label>Via <select name="via" id="via">${viaOptions}</select></label>
        <label class="check"><input type="checkbox" name="force" id="force"${form.force ? ' checked' : ''}> re-fetch keys already loaded</label>
        <label class="check"><input type="checkbox" name="details" id="details"${form.details ? ' checked' : ''}> then each listed paper's own page (pages budget)</label>
        <button type="submit">Start backfill</button>
        <p class="hint">Keys: day YYYY-MM-DD, week YYYY-Www, month YYYY-MM; both ends included; at most ${input.maxKeys} keys.</p>
        ${budgetHint(input.budgets)}
      </form>`;
  return renderDashboardPage({
    title: 'Backfills',
    path: '/backfills',
    main: `<h1>Backfills</h1>
${input.notice ? `<p class="notice" role="status">${escapeHtml(input.notice)}</p>` : ''}
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
${formSection}
<h2>Recent backfills</h2>
<div id="backfill-list">${renderBackfillList(input.backfills, input)}</div>`,
    script: REFRESH_SCRIPT,
  });
}

const VIAS = [
  ['api', 'JSON API (faster)'],
  ['html', 'HTML pages'],
] as const;

/** What a year of days costs at each bucket's current pace, so nobody has to guess. */
function budgetHint(budgets: readonly BucketState[] | undefined): string {
  if (!budgets || budgets.length === 0) return '';
  const line = (bucket: HfBucket, label: string) => {
    const state = budgets.find((candidate) => candidate.bucket === bucket);
    if (!state) return '';
    const { quota, windowMs } = state.policy;
    return `${label}: ${quota} requests per ${formatDuration(windowMs)}, a year of days ≈ ${formatDuration(estimateMs(365, state.policy, state.pausedUntil))}`;
  };
  return `<p class="hint" id="budget-hint">Hugging Face budgets, all workers together: ${escapeHtml(line('api', 'API'))}; ${escapeHtml(line('pages', 'HTML pages'))}.</p>`;
}

/** The list alone: what the page's script swaps in every two seconds. */
export function renderBackfillList(
  backfills: readonly BackfillStatus[],
  input: Pick<BackfillPageInput, 'csrfToken' | 'readOnly'>,
): string {
  if (backfills.length === 0) return '<p class="muted">No backfills yet.</p>';
  const running = backfills.some((backfill) => !FINISHED.has(backfill.state));
  return `<ol class="backfills" data-running="${running}">${backfills.map((backfill) => renderBackfill(backfill, input)).join('')}</ol>`;
}

function renderBackfill(backfill: BackfillStatus, input: Pick<BackfillPageInput, 'csrfToken' | 'readOnly'>): string {
  const { request, counts } = backfill;
  const percent =
    backfill.total === 0
      ? FINISHED.has(backfill.state)
        ? 100
        : 0
      : Math.floor((100 * backfill.done) / backfill.total);
  const title = request
    ? `${request.kind} ${request.from} → ${request.to}${request.via === 'html' ? ' via HTML pages' : ' via API'}${request.force ? ' (force)' : ''}${request.details ? ', with paper pages' : ''}`
    : 'not a backfill request';
  const chips = (
    [
      ['loaded', counts.loaded],
      ['empty', counts.empty],
      ['not modified', counts.not_modified],
      ['skipped (already loaded)', counts.skipped],
      ['failed', counts.failed],
      ['cancelled', counts.cancelled],
    ] as const
  )
    .filter(([, count]) => count > 0)
    .map(([label, count]) => `<span class="chip ${label.split(' ')[0]}">${escapeHtml(label)} ${count}</span>`)
    .join('');
  const cancellable = !input.readOnly && !FINISHED.has(backfill.state) && !backfill.cancelRequested;
  const failedList =
    backfill.failed.length === 0
      ? ''
      : `<details${backfill.failed.length <= 5 ? ' open' : ''}><summary>${backfill.failed.length} failed key(s)</summary><ul class="failures">${backfill.failed
          .map((failure) => `<li><code>${escapeHtml(failure.key)}</code> ${escapeHtml(failure.error)}</li>`)
          .join('')}</ul></details>`;
  return `<li class="backfill" data-id="${escapeHtml(backfill.id)}" data-state="${escapeHtml(backfill.state)}">
  <div class="row"><span class="title">#${escapeHtml(backfill.id)} ${escapeHtml(title)}</span>
  <span class="state ${escapeHtml(backfill.state)}">${escapeHtml(backfill.cancelRequested && !FINISHED.has(backfill.state) ? 'cancelling' : backfill.state)}</span></div>
  <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${percent}"><div style="width:${percent}%"></div></div>
  <div class="row"><span class="done">${backfill.done}/${backfill.total} keys done (${percent}%)${
    backfill.secondsLeft !== undefined
      ? `, about <span class="eta">${escapeHtml(formatDuration(backfill.secondsLeft * 1000))}</span> left at the budget's pace`
      : ''
  }${
    backfill.papers
      ? `; paper pages <span class="papers">${backfill.papers.done}/${backfill.papers.total}</span>` +
        `${backfill.papers.notFound ? `, ${backfill.papers.notFound} not found` : ''}${backfill.papers.failed ? `, ${backfill.papers.failed} failed` : ''}`
      : ''
  }</span><span class="chips">${chips}</span></div>
  ${backfill.error ? `<p class="error">${escapeHtml(backfill.error)}</p>` : ''}
  ${failedList}
  <div class="row meta"><span>created ${escapeHtml(backfill.createdAt.toISOString().replace('T', ' ').slice(0, 19))} UTC${
    backfill.finishedAt
      ? `, finished ${escapeHtml(backfill.finishedAt.toISOString().replace('T', ' ').slice(11, 19))}`
      : ''
  }</span>${
    cancellable
      ? `<form method="post" action="/backfills/${encodeURIComponent(backfill.id)}/cancel"><input type="hidden" name="csrf" value="${escapeHtml(input.csrfToken)}"><button class="cancel" type="submit">Cancel</button></form>`
      : ''
  }</div>
</li>`;
}

const REFRESH_SCRIPT = `
(function () {
  var list = document.getElementById('backfill-list');
  function running() { var ol = list.querySelector('ol'); return ol && ol.getAttribute('data-running') === 'true'; }
  setInterval(function () {
    if (!running()) return;
    fetch('/backfills/list', { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) list.innerHTML = html; }).catch(function () {});
  }, 1500);
})();`;

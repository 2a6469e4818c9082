import { BACKFILL_KINDS } from '../domain/backfill-plan.ts';
import { estimateMs, formatDuration, type HfBucket } from '../domain/request-budget.ts';
import type { BackfillStatus } from '../queue/backfill-status.ts';
import type { BucketState } from '../queue/request-budget.ts';

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

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
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
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Backfills · paperboy</title>
<style>${STYLES}</style>
</head>
<body>
<header><strong>paperboy</strong><nav><a href="/backfills" aria-current="page">Backfills</a><a href="/queues">Queues (Bull Board)</a><a href="/metrics">Metrics</a></nav></header>
<main>
<h1>Backfills</h1>
${input.notice ? `<p class="notice" role="status">${escapeHtml(input.notice)}</p>` : ''}
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
${formSection}
<h2>Recent backfills</h2>
<div id="backfill-list">${renderBackfillList(input.backfills, input)}</div>
</main>
<script>${REFRESH_SCRIPT}</script>
</body>
</html>`;
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

const STYLES = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;background:#f5f6f8}
header{display:flex;gap:2rem;align-items:center;padding:.8rem 2rem;background:#1d2330;color:#fff}
header nav{display:flex;gap:1.2rem}
header a{color:#c9d1e3;text-decoration:none}header a[aria-current]{color:#fff;font-weight:600}
main{max-width:60rem;margin:0 auto;padding:1.5rem 2rem 3rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.1rem;margin:2rem 0 .8rem}
form.new{display:flex;flex-wrap:wrap;gap:.8rem 1rem;align-items:flex-end;padding:1rem 1.2rem;background:#fff;border:1px solid #dde1e8;border-radius:8px}
label{display:flex;flex-direction:column;font-size:.85rem;color:#4a5366;gap:.25rem}
label.check{flex-direction:row;align-items:center;gap:.4rem;padding-bottom:.5rem}
input,select{font:inherit;padding:.4rem .55rem;border:1px solid #c3c9d4;border-radius:5px;min-width:9rem;background:#fff}
input[type=checkbox]{min-width:0;width:1rem;height:1rem;margin:0}
button{font:inherit;padding:.45rem 1rem;border:0;border-radius:5px;background:#3554d1;color:#fff;cursor:pointer}
button.cancel{background:#fff;color:#b42318;border:1px solid #e4a5a0;padding:.25rem .8rem}
.hint,.muted{color:#6b7385;font-size:.85rem;margin:0;width:100%}
.notice{background:#e8f4ec;border:1px solid #b5dcc2;padding:.6rem .9rem;border-radius:6px}
.error{background:#fdecea;border:1px solid #f1b8b2;padding:.6rem .9rem;border-radius:6px;color:#8a1c12}
ol.backfills{list-style:none;padding:0;margin:0;display:flex;flex-direction:column;gap:.8rem}
li.backfill{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:.9rem 1.1rem}
.row{display:flex;justify-content:space-between;align-items:center;gap:1rem;flex-wrap:wrap}
.title{font-weight:600}
.state{font-size:.8rem;padding:.1rem .55rem;border-radius:99px;background:#eef0f4;color:#4a5366}
.state.completed{background:#e3f4e8;color:#1e6b37}.state.failed{background:#fdecea;color:#8a1c12}
.state.active,.state.waiting-children{background:#e6ecfd;color:#2a43a8}
.progress{height:.6rem;background:#eef0f4;border-radius:99px;overflow:hidden;margin:.6rem 0}
.progress>div{height:100%;background:#3554d1;transition:width .4s}
.done{font-size:.85rem;color:#4a5366}
.chips{display:flex;gap:.35rem;flex-wrap:wrap}
.chip{font-size:.78rem;padding:.05rem .5rem;border-radius:4px;background:#eef0f4}
.chip.loaded{background:#e3f4e8}.chip.failed{background:#fdecea}.chip.empty,.chip.skipped{background:#f3f0e6}
details{margin-top:.5rem;font-size:.85rem}ul.failures{margin:.3rem 0;padding-left:1.2rem}
.meta{margin-top:.5rem;font-size:.8rem;color:#6b7385}.meta form{margin:0}
code{font-family:ui-monospace,monospace;font-size:.85em}
`;

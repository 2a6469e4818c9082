import { BACKFILL_KINDS, KEY_FORMS, type BackfillKind } from '../domain/backfill-plan.ts';
import { escapeHtml } from '../domain/html.ts';
import { estimateMs, formatDuration, type HfBucket } from '../domain/request-budget.ts';
import type { BackfillStatus } from '../queue/backfill-status.ts';
import type { BucketState } from '../queue/request-budget.ts';
import { BACKFILL_LIST_STYLES, describeRequest, renderBackfillList } from './backfill-list.ts';
import { BACKFILLS_SCRIPT_NAME } from './backfills-script.ts';
import { renderDashboardPage } from './page-layout.ts';

/**
 * The /backfills page and the confirmation before a cancel, server-rendered.
 * Pure: statuses in, HTML out. Every value that reaches the page goes
 * through `escapeHtml`. A served script (backfills-script.ts) refreshes the
 * list while a backfill runs and sets the placeholders to the chosen kind's
 * keys; without it the page still works.
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

export function renderBackfillsPage(input: BackfillPageInput): string {
  const form = input.form ?? {};
  const chosen: BackfillKind = BACKFILL_KINDS.includes(form.kind as BackfillKind) ? (form.kind as BackfillKind) : 'day';
  // Each option carries its kind's key form and example: the script shows the chosen one's as placeholders.
  const kindOptions = BACKFILL_KINDS.map(
    (kind) =>
      `<option value="${kind}" data-from="${KEY_FORMS[kind].from}" data-to="${KEY_FORMS[kind].to}" data-form="${KEY_FORMS[kind].form}"${form.kind === kind ? ' selected' : ''}>${kind}</option>`,
  ).join('');
  const viaOptions = VIAS.map(
    ([via, label]) => `<option value="${via}"${(form.via ?? 'api') === via ? ' selected' : ''}>${label}</option>`,
  ).join('');
  const formSection = input.readOnly
    ? `<p class="muted">Read-only mode: backfills can be watched here, not started or cancelled.</p>`
    : `<form method="post" action="/backfills" class="new" id="new-backfill">
        <input type="hidden" name="csrf" value="${escapeHtml(input.csrfToken)}">
        <label>Kind <select name="kind" id="kind">${kindOptions}</select></label>
        <label>From <input name="from" id="from" required placeholder="${KEY_FORMS[chosen].from}" value="${escapeHtml(form.from)}"></label>
        <label>To <input name="to" id="to" required placeholder="${KEY_FORMS[chosen].to}" value="${escapeHtml(form.to)}"></label>
        <label>Via <select name="via" id="via">${viaOptions}</select></label>
        <label class="check"><input type="checkbox" name="force" id="force"${form.force ? ' checked' : ''}> re-fetch keys already fetched</label>
        <label class="check"><input type="checkbox" name="details" id="details"${form.details ? ' checked' : ''}> then each listed paper's own page (pages budget)</label>
        <button type="submit">Start backfill</button>
        <p class="hint">Keys: ${BACKFILL_KINDS.map((kind) => `${kind} ${KEY_FORMS[kind].form}`).join(', ')}; both ends included; at most ${input.maxKeys} keys.</p>
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
<div id="backfill-list">${renderBackfillList({ backfills: input.backfills, readOnly: input.readOnly })}</div>`,
    styles: BACKFILL_LIST_STYLES,
    scripts: [BACKFILLS_SCRIPT_NAME],
  });
}

/**
 * The step between the Cancel link and the cancel itself: what cancelling
 * drops, and a form (with the token) that does it. Works without JavaScript.
 */
export function renderCancelConfirmation(input: { backfill: BackfillStatus; csrfToken: string }): string {
  const { backfill } = input;
  const id = escapeHtml(backfill.id);
  const notFetched = backfill.keys.filter((key) => key.status === 'pending').length;
  const fetched = backfill.keys.filter((key) => key.status !== 'pending').length;
  const dropped =
    backfill.keys.length === 0
      ? `It has not planned its keys yet: all ${backfill.request ? 'of them' : 'its work'} will be dropped.`
      : `${notFetched} key(s) not yet fetched will be dropped${fetched > 0 ? `; the ${fetched} already done stay as they are` : ''}; fetches running now finish.`;
  return renderDashboardPage({
    title: `Cancel backfill #${id}?`,
    path: '/backfills',
    main: `<h1>Cancel backfill #${id}?</h1>
<p class="warning" role="status"><strong>#${id} ${escapeHtml(describeRequest(backfill))}</strong>: ${escapeHtml(dropped)}</p>
<form method="post" action="/backfills/${encodeURIComponent(backfill.id)}/cancel" class="new confirm">
  <input type="hidden" name="csrf" value="${escapeHtml(input.csrfToken)}">
  <button type="submit" class="danger">Cancel backfill #${id}</button>
  <a href="/backfills">Keep it running</a>
</form>`,
    styles:
      'button.danger{background:#b42318}form.confirm{align-items:center}' +
      '.warning{background:#fdf3dc;border:1px solid #ecd29b;padding:.6rem .9rem;border-radius:6px}',
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

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Queue } from 'bullmq';
import { checkBackfillRequest } from '../domain/backfill-plan.ts';
import { decodeBackfillCursor, encodeBackfillCursor } from '../domain/cursors.ts';
import { parseQuery, QueryParameterError } from '../domain/paper-query.ts';
import { cancelBackfill, findBackfill, isBackfillId } from '../queue/backfill-flow.ts';
import type { PaperboyQueues } from '../queue/contracts.ts';
import type { BudgetReader } from '../queue/request-budget.ts';
import { enqueueBackfill, FINISHED_PHASES, getBackfillStatus, listBackfills } from '../queue/backfill-status.ts';
import { decodeSegment, refuseParameters } from './api-routes.ts';
import { toApiBackfill, toApiBackfillDetail } from './backfill-json.ts';
import { renderBackfillList } from './backfill-list.ts';
import { renderBackfillsPage, renderCancelConfirmation, type BackfillPageInput } from './backfill-page.ts';

/**
 * /backfills (the page and its form), /backfills/list (the list, for the
 * page's refresh), GET /backfills/:id/cancel (the confirmation) and its POST,
 * and /api/backfills[/:id] (JSON). The dashboard server has already
 * authenticated the request and, for a write, checked its origin and
 * read-only mode; the form's CSRF token is checked here.
 */
export interface BackfillRoutes {
  backfills: Queue;
  queues: PaperboyQueues;
  /** Hugging Face's budgets: the time a backfill will take. */
  budget: BudgetReader;
  csrf: { token: string; verify(candidate: unknown): boolean };
  readOnly: boolean;
  maxKeys: number;
}

const MAX_FORM_BYTES = 16 * 1024;
/** Backfills on the page: the most recent ones. */
const PAGE_SIZE = 20;
const HTML = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/** Handles the request if the path is one of ours; false otherwise. */
export async function handleBackfillRequest(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  routes: BackfillRoutes,
): Promise<boolean> {
  const path = url.pathname;
  const method = request.method ?? 'GET';
  const cancelMatch = /^\/backfills\/([^/]+)\/cancel$/.exec(path);
  const apiMatch = /^\/api\/backfills(?:\/([^/]+))?$/.exec(path);
  if (path === '/backfills' && method === 'GET') {
    const notice = url.searchParams.has('created')
      ? `Backfill #${url.searchParams.get('created')} queued.`
      : url.searchParams.has('cancelled')
        ? `Backfill #${url.searchParams.get('cancelled')} is being cancelled: fetches not yet started are dropped.`
        : undefined;
    await sendPage(response, 200, routes, { notice });
  } else if (path === '/backfills/list' && method === 'GET') {
    const { items } = await listBackfills(routes.backfills, { limit: PAGE_SIZE }, await routes.budget.read());
    const keysFor = openKeyLists(url.searchParams);
    response.writeHead(200, HTML).end(renderBackfillList({ backfills: items, readOnly: routes.readOnly, keysFor }));
  } else if (path === '/backfills' && method === 'POST') {
    await createFromForm(request, response, routes);
  } else if (cancelMatch && method === 'GET') {
    await confirmCancel(response, routes, segmentOf(cancelMatch[1]!));
  } else if (cancelMatch && method === 'POST') {
    const form = await readForm(request);
    if (!routes.csrf.verify(form.get('csrf'))) return (refuseToken(response), true);
    const id = segmentOf(cancelMatch[1]!);
    const outcome = await cancelBackfill(routes.queues, id);
    if (outcome === 'not_found') await sendPage(response, 404, routes, { error: `There is no backfill #${id}.` });
    // Finished since the confirmation was shown: say so, as the confirmation would now.
    else if (outcome === 'finished') await confirmCancel(response, routes, id);
    else response.writeHead(303, { location: `/backfills?cancelled=${encodeURIComponent(id)}` }).end();
  } else if (apiMatch && method === 'GET') {
    const answer = await answerApi(apiMatch[1], url.searchParams, routes);
    response.writeHead(answer.status, JSON_TYPE).end(JSON.stringify(answer.body));
  } else {
    return false;
  }
  return true;
}

/**
 * `open=3,7`: the backfills whose key tables the page's script has open, so
 * the list fills in only theirs; without it, all (the list as a page load
 * shows it). What is not a backfill id is ignored: a stale page asks for
 * nothing harmful.
 */
function openKeyLists(params: URLSearchParams): ReadonlySet<string> | undefined {
  const open = params.get('open');
  if (open === null) return undefined;
  return new Set(open.split(',').filter(isBackfillId).slice(0, PAGE_SIZE));
}

/** A path segment percent-decoded; undecodable (`%ZZ`), as given: not the shape of a backfill id either. */
function segmentOf(segment: string): string {
  return decodeSegment(segment) ?? segment;
}

/** GET /api/backfills (a page, as /api/papers pages) and /api/backfills/:id (with every key). */
async function answerApi(
  segment: string | undefined,
  params: URLSearchParams,
  routes: BackfillRoutes,
): Promise<{ status: number; body: unknown }> {
  if (segment !== undefined) {
    const refused = refuseParameters(params);
    if (refused) return refused;
    const job = await findBackfill(routes.backfills, segmentOf(segment));
    if (!job) return { status: 404, body: { error: 'no such backfill' } };
    return {
      status: 200,
      body: toApiBackfillDetail(await getBackfillStatus(routes.backfills, job, await routes.budget.read())),
    };
  }
  try {
    const { limit, cursor } = parseQuery([], 'api', params);
    const page = await listBackfills(
      routes.backfills,
      { limit, before: decodeBackfillCursor(cursor) },
      await routes.budget.read(),
    );
    return {
      status: 200,
      body: { items: page.items.map(toApiBackfill), next_cursor: page.next ? encodeBackfillCursor(page.next) : null },
    };
  } catch (error) {
    if (error instanceof QueryParameterError) return { status: 400, body: { error: error.message } };
    throw error;
  }
}

/** The confirmation before a cancel; a backfill that is gone or finished, or read-only mode, says so instead. */
async function confirmCancel(response: ServerResponse, routes: BackfillRoutes, id: string): Promise<void> {
  const job = await findBackfill(routes.backfills, id);
  if (!job) return sendPage(response, 404, routes, { error: `There is no backfill #${id}.` });
  if (routes.readOnly)
    return sendPage(response, 403, routes, { error: 'Read-only mode: backfills cannot be cancelled here.' });
  const backfill = await getBackfillStatus(routes.backfills, job);
  if (FINISHED_PHASES.has(backfill.phase))
    return sendPage(response, 409, routes, {
      error: `Backfill #${id} has finished (${backfill.phase}): nothing to cancel.`,
    });
  if (backfill.phase === 'cancelling')
    return sendPage(response, 409, routes, { error: `Backfill #${id} is being cancelled already.` });
  response.writeHead(200, HTML).end(renderCancelConfirmation({ backfill, csrfToken: routes.csrf.token }));
}

async function createFromForm(
  request: IncomingMessage,
  response: ServerResponse,
  routes: BackfillRoutes,
): Promise<void> {
  const form = await readForm(request);
  if (!routes.csrf.verify(form.get('csrf'))) return refuseToken(response);
  const fields = {
    kind: form.get('kind') ?? '',
    from: (form.get('from') ?? '').trim(),
    to: (form.get('to') ?? '').trim(),
    force: form.get('force') === 'on',
    via: form.get('via') ?? 'api',
    details: form.get('details') === 'on',
  };
  const checked = checkBackfillRequest(fields, { today: new Date(), maxKeys: routes.maxKeys });
  if (!checked.ok) return sendPage(response, 400, routes, { error: `Not started: ${checked.problem}`, form: fields });
  const id = await enqueueBackfill(routes.backfills, checked.request);
  response.writeHead(303, { location: `/backfills?created=${encodeURIComponent(id)}` }).end();
}

async function sendPage(
  response: ServerResponse,
  status: number,
  routes: BackfillRoutes,
  extra: Pick<BackfillPageInput, 'notice' | 'error' | 'form'>,
) {
  // One read of the budget buckets for the form's estimates and every backfill's time left.
  const budgets = await routes.budget.read();
  const page = renderBackfillsPage({
    backfills: (await listBackfills(routes.backfills, { limit: PAGE_SIZE }, budgets)).items,
    budgets,
    csrfToken: routes.csrf.token,
    readOnly: routes.readOnly,
    maxKeys: routes.maxKeys,
    ...extra,
  });
  response.writeHead(status, HTML).end(page);
}

function refuseToken(response: ServerResponse): void {
  response
    .writeHead(403, { 'content-type': 'text/plain; charset=utf-8' })
    .end('missing or wrong form token: reload the page and try again\n');
}

export class FormTooLargeError extends Error {}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new FormTooLargeError(`form larger than ${MAX_FORM_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

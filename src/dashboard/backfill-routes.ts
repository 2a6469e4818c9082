import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Queue } from 'bullmq';
import { checkBackfillRequest } from '../domain/backfill-plan.ts';
import { cancelBackfill, findBackfill } from '../queue/backfill-flow.ts';
import type { PaperboyQueues } from '../queue/contracts.ts';
import type { BudgetReader } from '../queue/request-budget.ts';
import { backfillStatus, enqueueBackfill, listBackfills } from '../queue/backfill-status.ts';
import { decodeSegment, refuseParameters } from './api-routes.ts';
import { renderBackfillList, renderBackfillsPage, type BackfillPageInput } from './backfill-page.ts';

/**
 * /backfills (the page and its form), /backfills/list (the list, for the
 * page's refresh), POST /backfills/:id/cancel, and /api/backfills[/:id]
 * (JSON). The dashboard server has already authenticated the request and,
 * for a write, checked its origin and read-only mode; the form's CSRF token
 * is checked here.
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
    response.writeHead(200, HTML).end(
      renderBackfillList(await listBackfills(routes.backfills, 20, await routes.budget.read()), {
        csrfToken: routes.csrf.token,
        readOnly: routes.readOnly,
      }),
    );
  } else if (path === '/backfills' && method === 'POST') {
    await createFromForm(request, response, routes);
  } else if (cancelMatch && method === 'POST') {
    const form = await readForm(request);
    if (!routes.csrf.verify(form.get('csrf'))) return (refuseToken(response), true);
    // Undecodable (`%ZZ`), the segment as given: not the shape of a backfill id either.
    const id = decodeSegment(cancelMatch[1]!) ?? cancelMatch[1]!;
    const outcome = await cancelBackfill(routes.queues, id);
    if (outcome === 'not_found') await sendPage(response, 404, routes, { error: `There is no backfill #${id}.` });
    else response.writeHead(303, { location: `/backfills?cancelled=${encodeURIComponent(id)}` }).end();
  } else if (apiMatch && method === 'GET') {
    const refused = refuseParameters(url.searchParams);
    if (refused) {
      response.writeHead(refused.status, JSON_TYPE).end(JSON.stringify(refused.body));
    } else if (apiMatch[1] === undefined) {
      response
        .writeHead(200, JSON_TYPE)
        .end(JSON.stringify({ backfills: await listBackfills(routes.backfills, 50, await routes.budget.read()) }));
    } else {
      const job = await findBackfill(routes.backfills, decodeSegment(apiMatch[1]) ?? apiMatch[1]);
      if (!job) response.writeHead(404, JSON_TYPE).end(JSON.stringify({ error: 'no such backfill' }));
      else
        response
          .writeHead(200, JSON_TYPE)
          .end(JSON.stringify(await backfillStatus(routes.backfills, job, await routes.budget.read())));
    }
  } else {
    return false;
  }
  return true;
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
    backfills: await listBackfills(routes.backfills, 20, budgets),
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

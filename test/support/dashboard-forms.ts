import { expect } from 'vitest';
import { AUTH } from './dashboard-credentials.ts';

/**
 * The dashboard's forms as a browser without JavaScript uses them: the
 * CSRF token read from the page's hidden `csrf` field, then a url-encoded
 * POST whose answer (a 303, a 400 or a 403) is looked at, not followed.
 */

/** The CSRF token of the form on this page; an assertion fails if the page has none. */
export function csrfTokenIn(html: string): string {
  const token = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  expect(token, 'the CSRF token of the page').toBeDefined();
  return token!;
}

/** The CSRF token of the form on a dashboard page (/backfills unless named), read with the test credentials. */
export async function formToken(dashboardUrl: string, path = '/backfills'): Promise<string> {
  return csrfTokenIn(await (await fetch(`${dashboardUrl}${path}`, { headers: AUTH })).text());
}

/** POSTs these fields as a url-encoded form, with exactly these headers besides its content type; no redirect followed. */
export function postForm(
  dashboardUrl: string,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string>,
): Promise<Response> {
  return fetch(`${dashboardUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ConfigError } from '../errors.ts';

/**
 * The dashboard's guards, as pure functions of the request: who may look
 * (basic auth), whether a write may happen (same origin, CSRF token,
 * read-only mode) and which Host names a dashboard without credentials
 * answers to.
 */

export interface DashboardAccess {
  credentials: Readonly<{ user: string; password: string }> | undefined;
  readOnly: boolean;
}

export type Refusal = { status: 401 | 403 | 421; message: string; headers?: Record<string, string> };

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * A dashboard can start and trigger fetches: without credentials it is only
 * allowed on a loopback address, where nobody but local users reach it.
 *
 * @throws ConfigError naming the variables to set.
 */
export function assertSafeBinding(host: string, access: DashboardAccess): void {
  if (!access.credentials && !isLoopbackHost(host)) {
    throw new ConfigError([
      `DASHBOARD_HOST: ${host} is not a loopback address; set DASHBOARD_USER and DASHBOARD_PASSWORD before exposing the dashboard (or bind it to 127.0.0.1)`,
    ]);
  }
}

/**
 * Equal texts, compared in constant time. Hashed first: timingSafeEqual needs
 * equal lengths, and a length must not leak either.
 */
export function safeEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Basic auth, compared in constant time; undefined means the request may go on. */
export function checkCredentials(request: IncomingMessage, access: DashboardAccess): Refusal | undefined {
  if (access.credentials) {
    const header = request.headers.authorization ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
    const given = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    const expected = `${access.credentials.user}:${access.credentials.password}`;
    if (!safeEqual(given, expected)) {
      return {
        status: 401,
        message: 'authentication required',
        headers: { 'www-authenticate': 'Basic realm="paperboy dashboard", charset="UTF-8"' },
      };
    }
    return undefined;
  }
  // Without credentials, only loopback names: a DNS-rebinding page (evil.example resolving to
  // 127.0.0.1) would otherwise be "same origin" with us.
  const hostName = hostNameOf(request.headers.host);
  if (!hostName || !isLoopbackHost(hostName)) {
    return {
      status: 421,
      message: `this dashboard has no credentials and answers only to localhost, not to "${request.headers.host ?? ''}"`,
    };
  }
  return undefined;
}

function hostNameOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return undefined;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isWrite(request: IncomingMessage): boolean {
  return !SAFE_METHODS.has(request.method ?? 'GET');
}

/**
 * A write must come from a page of this dashboard: the browser says so in
 * Sec-Fetch-Site or, failing that, in Origin (sent with every cross-origin
 * and every non-GET fetch or form post). A write naming neither is refused
 * too: a browser that sends neither cannot be told apart from a forged post.
 */
export function checkWrite(request: IncomingMessage, access: DashboardAccess): Refusal | undefined {
  if (access.readOnly)
    return { status: 403, message: 'the dashboard is read-only (DASHBOARD_READ_ONLY): no changes are allowed' };
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined) {
    return fetchSite === 'same-origin'
      ? undefined
      : { status: 403, message: `cross-site request refused (Sec-Fetch-Site: ${fetchSite})` };
  }
  const origin = request.headers.origin;
  if (origin === undefined) return { status: 403, message: 'write refused: the request names no Origin' };
  if (origin !== `http://${request.headers.host}` && origin !== `https://${request.headers.host}`) {
    return { status: 403, message: `cross-site request refused (Origin: ${origin})` };
  }
  return undefined;
}

/**
 * The anti-CSRF token of the dashboard's own forms: an HMAC only the server
 * can compute. Keyed by the password when there is one (so every dashboard
 * replica agrees), else by a secret of this process.
 */
export function createCsrfTokens(access: DashboardAccess): { token: string; verify(candidate: unknown): boolean } {
  const key = access.credentials
    ? `${access.credentials.user}:${access.credentials.password}`
    : randomBytes(32).toString('hex');
  const token = createHmac('sha256', key).update('paperboy-dashboard-csrf').digest('base64url');
  return {
    token,
    verify: (candidate) => typeof candidate === 'string' && safeEqual(candidate, token),
  };
}

/**
 * The Content-Security-Policy of every dashboard response: the browser loads
 * nothing from any origin but the dashboard's own, so the dashboard works
 * offline and tells no third party that someone opened it.
 *
 * - Scripts only from this origin, never inline: our pages load theirs from
 *   /assets/ (assets.ts), Bull Board from its static files. Bull Board's one
 *   inline script element holds its config as `application/json`, which the
 *   browser never runs, so it needs no allowance.
 * - Inline styles are allowed: our pages carry a <style>, and Bull Board sets
 *   style attributes (its loading screen, React's inline styles).
 * - base-uri 'self': Bull Board's page sets <base href="/queues/"> and
 *   resolves its static files against it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "object-src 'none'",
].join('; ');

/**
 * Bull Board's page (its index.ejs) links IBM Plex from a font CDN. Offline
 * that request fails, and online it tells a third party that someone opened
 * the dashboard; the Content-Security-Policy would block it anyway, but the
 * page should not even try. Without the link Bull Board's own CSS falls back
 * to the system's fonts (`"IBM Plex Sans", system-ui, …`). Pure.
 */

/** A `<link>` whose href is an absolute http(s) or protocol-relative URL: anything not from this origin. */
const OUTSIDE_LINK = /<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?\/\/[^>]*>\s*/gi;

/** The HTML without any `<link>` to another origin (stylesheets, preconnects, font preloads). */
export function withoutOutsideLinks(html: string): string {
  return html.replace(OUTSIDE_LINK, '');
}

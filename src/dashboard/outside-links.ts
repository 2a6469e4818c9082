/**
 * Bull Board's page (its index.ejs) links IBM Plex from a font CDN. Offline
 * that request fails, and online it tells a third party that someone opened
 * the dashboard; the Content-Security-Policy would block it anyway, but the
 * page should not even try. The dashboard sends the page without any link to
 * another origin and with links to the same fonts served locally
 * (bull-board-fonts.ts). Pure.
 */

/** A `<link>` whose href is an absolute http(s) or protocol-relative URL: anything not from this origin. */
const OUTSIDE_LINK = /<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?\/\/[^>]*>\s*/gi;

/** The HTML without any `<link>` to another origin (stylesheets, preconnects, font preloads). */
export function withoutOutsideLinks(html: string): string {
  return html.replace(OUTSIDE_LINK, '');
}

/** The HTML with a stylesheet link for each of `hrefs` (this origin's), at the end of its head. */
export function withStylesheets(html: string, hrefs: readonly string[]): string {
  const links = hrefs.map((href) => `<link href="${href.replace(/[&"<>]/g, '')}" rel="stylesheet">\n`).join('');
  return html.replace(/<\/head>/i, `${links}</head>`);
}

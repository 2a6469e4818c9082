import type { FeedFormat } from '../domain/feed-entries.ts';
import { escapeHtml } from '../domain/html.ts';
import { PAPER_FILTERS } from '../domain/paper-query.ts';
import { renderDashboardPage } from './page-layout.ts';

/**
 * The /feeds page, server-rendered: each feed with its full URLs (tokens
 * included when the dashboard has credentials) and a form that makes the URLs
 * of any filter combination. Pure: links in, HTML out; every value escaped.
 */

export interface FeedLink {
  label: string;
  urls: Readonly<Record<FeedFormat, string>>;
}

export interface FeedsPageInput {
  links: readonly FeedLink[];
  /** Whether the URLs carry tokens. */
  tokens: boolean;
  /** The filters the form was sent with, as given. */
  form?: Readonly<Record<string, string>>;
  /** Why the form's filters were refused (the parameter named). */
  error?: string;
}

const FORMAT_LABELS: Record<FeedFormat, string> = { atom: 'Atom', rss: 'RSS', json: 'JSON Feed' };

export function renderFeedsPage(input: FeedsPageInput): string {
  const feeds = input.links
    .map((link) => {
      const urls = (Object.entries(link.urls) as Array<[FeedFormat, string]>)
        .map(
          ([format, url]) =>
            `<li>${FORMAT_LABELS[format]}: <a href="${escapeHtml(url)}"><code>${escapeHtml(url)}</code></a></li>`,
        )
        .join('');
      return `<li class="backfill"><div class="title">${escapeHtml(link.label)}</div><ul>${urls}</ul></li>`;
    })
    .join('\n');
  const fields = PAPER_FILTERS.map(
    (filter) =>
      `<label>${filter.name}<input name="${filter.name}" placeholder="${escapeHtml(filter.example)}" title="${escapeHtml(filter.description)}" value="${escapeHtml(input.form?.[filter.name])}"></label>`,
  ).join('');
  const access = input.tokens
    ? `<p class="hint">Each URL carries a read-only token for that feed alone: it opens nothing else (not this page, the API or another feed). Changing PAPERBOY_FEED_SECRET (or, when it is unset, the dashboard password) revokes every token. Basic auth works too.</p>`
    : `<p class="hint">This dashboard has no credentials and answers on this machine only: feed URLs need no token.</p>`;
  return renderDashboardPage({
    title: 'Feeds',
    path: '/feeds',
    styles: 'ul{margin:.4rem 0 0;padding-left:1.2rem}li code{word-break:break-all}main>.hint{margin-bottom:1rem}',
    main: `<h1>Feeds</h1>
<p>Atom 1.0, RSS 2.0 and JSON Feed 1.1: newest listing first, 50 entries unless <code>limit</code> (1 to 100) says otherwise.</p>
${access}
<ol class="backfills">
${feeds}
</ol>
<h2>Any filter combination</h2>
${input.error ? `<p class="error">Not a feed: ${escapeHtml(input.error)}</p>` : ''}
<form method="get" action="/feeds" class="new">${fields}<label>limit<input name="limit" placeholder="50" value="${escapeHtml(input.form?.limit)}"></label><button type="submit">Make feed URLs</button></form>`,
  });
}

import { Feed, type Item } from 'feed';
import { escapeHtml } from './html.ts';
import { isArxivId } from './paper-id.ts';

/**
 * Feed documents (Atom 1.0, RSS 2.0, JSON Feed 1.1) from feed entries,
 * written by the `feed` library (jpmonette/feed), never by templates. Pure.
 *
 * The library escapes each value once for its container: CDATA or escaped
 * text in XML, a JSON string in JSON. What it is given is the value in the
 * form the element declares:
 * - Atom: the library declares every entry title, summary and content
 *   `type="html"`, so each is HTML: a title's text is HTML-escaped here.
 * - RSS: titles are plain text (the RSS Best Practices Profile), the
 *   description and content:encoded HTML.
 * - JSON Feed: title and summary plain text, content_html HTML.
 * XML 1.0 cannot carry some characters at all (C0 controls other than tab,
 * LF and CR; U+FFFE, U+FFFF): in Atom and RSS they become U+FFFD, as a NUL
 * does when a paper is stored. JSON carries them as they are.
 */

export const FEED_FORMATS = ['atom', 'rss', 'json'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];

export const FEED_CONTENT_TYPES: Readonly<Record<FeedFormat, string>> = {
  atom: 'application/atom+xml; charset=utf-8',
  rss: 'application/rss+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
};

/** A paper as a feed shows it (src/db/feed.repository.ts reads it). */
export interface FeedEntry {
  id: string;
  title: string;
  authors: string[] | null;
  abstract: string | null;
  ai_summary: string | null;
  upvotes: number;
  /** The best repository's full name, and its stars. */
  repo: string | null;
  repo_stars: number | null;
  /** The paper's latest listing date, YYYY-MM-DD. */
  listed_on: string;
  /** When a value the entry shows last changed. */
  updated: Date;
}

export interface FeedDescription {
  title: string;
  description: string;
  /** The feed's stable id: its URL without a token. */
  id: string;
  /** The feed's own URL, as its reader fetches it (token included). */
  selfUrl: string;
  /** Where the entries link to (HF_BASE_URL); never part of an entry's id. */
  hfBaseUrl: string;
}

/**
 * A paper's entry id: its page at huggingface.co, whatever HF_BASE_URL says,
 * so that no configuration (a mirror, a test server) ever changes a paper's
 * id and readers never see one paper twice.
 */
export function paperEntryId(id: string): string {
  return `https://huggingface.co${paperPath(id)}`;
}

/** A paper's page path on Hugging Face: an arXiv id as it is, any other percent-encoded. */
function paperPath(id: string): string {
  return `/papers/${isArxivId(id) ? id : encodeURIComponent(id)}`;
}

/** How a text enters a format: as is for JSON, made XML-safe for Atom and RSS. */
function textFor(format: FeedFormat): (value: string) => string {
  return format === 'json' ? (value) => value : xmlText;
}

/** The paper's links: its Hugging Face page, arXiv (arXiv ids only) and its best repository. */
export function paperLinks(entry: Pick<FeedEntry, 'id' | 'repo'>, hfBaseUrl: string) {
  return {
    page: `${hfBaseUrl}${paperPath(entry.id)}`,
    arxiv: isArxivId(entry.id) ? `https://arxiv.org/abs/${entry.id}` : undefined,
    repo: entry.repo === null ? undefined : `https://github.com/${entry.repo}`,
  };
}

/** The time the newest entry changed: the feed's `updated` and Last-Modified (undefined for no entries). */
export function lastUpdated(entries: readonly FeedEntry[]): Date | undefined {
  const times = entries.map((entry) => entry.updated.getTime());
  return times.length === 0 ? undefined : new Date(Math.max(...times));
}

// Not a Char of XML 1.0 (https://www.w3.org/TR/xml/#charsets); lone surrogates cannot come from Postgres.
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Text XML 1.0 can carry: each character it cannot becomes U+FFFD. */
export function xmlText(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

/**
 * The library's XML writer (xml-js) splits a CDATA section at the first
 * `]]>` of its text only: a second one would end the section and break the
 * document. A zero-width space after the `]]` of every later one keeps the
 * document well-formed, at the cost of one invisible character.
 */
export function cdataText(text: string): string {
  let first = true;
  return text.replace(/]]>/g, (end) => {
    if (first) {
      first = false;
      return end;
    }
    return ']]\u200B>';
  });
}

/** The entry's HTML body: its numbers and links, authors, abstract and AI summary; every value escaped. */
function contentHtml(entry: FeedEntry, hfBaseUrl: string, text: (value: string) => string): string {
  const links = paperLinks(entry, hfBaseUrl);
  const html = (value: string) => escapeHtml(text(value));
  const anchor = (href: string, label: string) => `<a href="${escapeHtml(href)}">${html(label)}</a>`;
  const linkList = [anchor(links.page, 'Hugging Face')];
  if (links.arxiv) linkList.push(anchor(links.arxiv, `arXiv ${entry.id}`));
  if (links.repo && entry.repo)
    linkList.push(
      `${anchor(links.repo, entry.repo)}${entry.repo_stars === null ? '' : ` (${entry.repo_stars} stars)`}`,
    );
  const parts = [
    `<p>${entry.upvotes} upvotes on Hugging Face; listed ${entry.listed_on}</p>`,
    `<p>${linkList.join(' · ')}</p>`,
  ];
  if (entry.authors?.length) parts.push(`<p>${html(entry.authors.join(', '))}</p>`);
  if (entry.abstract) parts.push(`<p>${html(entry.abstract)}</p>`);
  if (entry.ai_summary) parts.push(`<p><strong>AI summary:</strong> ${html(entry.ai_summary)}</p>`);
  return parts.join('\n');
}

/** The library's item for an entry, its values in the form `format` declares for them (see the module comment). */
export function feedItem(entry: FeedEntry, format: FeedFormat, hfBaseUrl: string): Item {
  const text = textFor(format);
  const title = { atom: escapeHtml(text(entry.title)), rss: cdataText(text(entry.title)), json: entry.title }[format];
  const abstract = entry.abstract ? text(entry.abstract) : undefined;
  return {
    id: paperEntryId(entry.id),
    title,
    link: paperLinks(entry, hfBaseUrl).page,
    date: entry.updated,
    published: new Date(`${entry.listed_on}T00:00:00Z`),
    description: abstract === undefined ? undefined : format === 'json' ? abstract : `<p>${escapeHtml(abstract)}</p>`,
    content: contentHtml(entry, hfBaseUrl, text),
    // None rather than an empty list: the library's JSON writer reads the first author of any list.
    author: entry.authors?.length ? entry.authors.map((name) => ({ name: text(name) })) : undefined,
  };
}

const JSON_FEED_1_1 = 'https://jsonfeed.org/version/1.1';

/**
 * The feed as `format`. The library writes JSON Feed version 1 (one
 * `author` per item); the document is turned into 1.1 as an object, not as
 * text: the version, and `authors` with every author.
 */
export function renderFeed(format: FeedFormat, entries: readonly FeedEntry[], feed: FeedDescription): string {
  const text = textFor(format);
  const document = new Feed({
    id: feed.id,
    title: text(feed.title),
    description: text(feed.description),
    link: `${feed.hfBaseUrl}/papers`,
    updated: lastUpdated(entries) ?? new Date(0),
    generator: 'paperboy',
    feedLinks: { [format]: feed.selfUrl },
  });
  for (const entry of entries) document.addItem(feedItem(entry, format, feed.hfBaseUrl));
  if (format === 'atom') return document.atom1();
  if (format === 'rss') return document.rss2();
  const json = JSON.parse(document.json1()) as { version: string; items: Array<Record<string, unknown>> };
  json.version = JSON_FEED_1_1;
  json.items.forEach((item, index) => {
    delete item.author;
    const authors = entries[index]!.authors ?? [];
    if (authors.length > 0) item.authors = authors.map((name) => ({ name }));
  });
  return JSON.stringify(json);
}

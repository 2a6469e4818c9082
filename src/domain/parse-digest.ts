import { load, type CheerioAPI } from 'cheerio';
import { z } from 'zod';
import type { Transport } from './digest-key.ts';
import { InvalidPayloadError, LayoutChangedError, TransientError } from '../errors.ts';
import { dedupeListedPapers } from './dedupe.ts';
import { MAX_JSON_DEPTH, storableJson, TooDeepError, type StorableReport } from './storable-json.ts';
import { hfDailyPaperEntrySchema, hfDailyPapersPropsSchema } from './hf-schema.ts';
import { parsePaperCards } from './parse-cards.ts';
import { describeIssues } from './zod-issues.ts';
import { toPaperRecord, type ListedCard, type ListedPaper } from './paper.ts';

/**
 * Bumped whenever parsing output can change for the same bytes; recorded on
 * every fetch, so `paperboy reparse` knows which stored pages to parse again.
 */
export const PARSER_VERSION = 2;

export interface ParseContext {
  /** The page URL, for error messages. */
  url: string;
}

/**
 * A parsed list page, by where its records came from (`origin`): `blob`,
 * the page's data blob (the normal case), or `api`, the JSON API's entries:
 * full records. `cards`: the blob was missing but the page's paper cards were readable:
 * ids, titles and upvotes only. Either list may be empty: a page that lists
 * nothing is not an error.
 */
export type ParsedDigest =
  | { origin: 'blob' | 'api'; papers: ListedPaper[]; warnings: string[] }
  | { origin: 'cards'; cards: ListedCard[]; warnings: string[] };

/**
 * The page ends before its closing </html> tag: the body was cut off in
 * transit. Transient (a refetch usually gets the whole page); nothing loaded.
 */
export class TruncatedPageError extends TransientError {
  override name = 'TruncatedPageError';
}

const dailyPaperEntriesSchema = z.array(hfDailyPaperEntrySchema);

/** data-target values of the component that carries a paper list. */
const LIST_TARGETS = ['DailyPapers'];
const EXCERPT_CHARS = 300;
/** A validation error names its first three issues, then how many more: a page failing everywhere stays one line. */
const ISSUES_SHOWN = { rootName: '(root)', max: 3 };
const CLOSING_HTML = /<\/html>\s*$/i;

/**
 * Parses a Hugging Face papers list page (daily, weekly, monthly, trending,
 * search, front page). Pure: no IO, no logging. The whole page is validated
 * before anything is returned, so a caller never sees a partial list.
 *
 * The blob is found by its `data-target` whatever the attribute order,
 * quoting or extra classes, and its entities are decoded once (by the HTML
 * parser). Svelte comment markers and injected styles are ignored.
 *
 * @throws TruncatedPageError when the page ends before </html>.
 * @throws LayoutChangedError when the page has neither a list blob nor paper cards.
 * @throws InvalidPayloadError when the blob is not valid JSON or an entry fails validation.
 */
export function parseListPage(html: string, context: ParseContext): ParsedDigest {
  // Checked first: an HTML parser silently drops a tag cut off mid-attribute,
  // which would make a truncated page look like a changed layout.
  if (!CLOSING_HTML.test(html.slice(-64))) {
    throw new TruncatedPageError(`page ${context.url} ends before </html> (${html.length} characters): truncated body`);
  }
  // htmlparser2 (via `xml: { xmlMode: false }`) is several times faster than
  // Cheerio's default parse5 on these ~0.2-1 MB pages and handles them fine.
  const $ = load(html, { xml: { xmlMode: false, decodeEntities: true } });
  const propsText = findListProps($);
  const { cards, unreadable } = parsePaperCards($);
  const cardWarnings = unreadable > 0 ? [`${unreadable} paper card(s) could not be read`] : [];

  if (propsText === undefined) {
    if (cards.length === 0) {
      throw new LayoutChangedError(
        `no DailyPapers data-props blob and no paper cards on ${context.url}: the page layout changed or this is not a papers page`,
        context.url,
        excerptOf($),
      );
    }
    return {
      origin: 'cards',
      cards,
      warnings: [
        `no DailyPapers blob: ${cards.length} papers read from the page's cards (ids, titles, upvotes only)`,
        ...cardWarnings,
      ],
    };
  }
  const parsed = parseDailyPapersProps(propsText, context);
  return { ...parsed, warnings: [...parsed.warnings, ...cardWarnings, ...crossCheck(parsed.papers, cards)] };
}

/** Parses the (already entity-decoded) JSON text of a DailyPapers `data-props` attribute. */
export function parseDailyPapersProps(
  propsText: string,
  context: ParseContext,
): Extract<ParsedDigest, { origin: 'blob' | 'api' }> {
  let props: unknown;
  try {
    props = JSON.parse(propsText);
  } catch (error) {
    throw new InvalidPayloadError(`DailyPapers blob on ${context.url} is not valid JSON: ${(error as Error).message}`);
  }
  const shape = hfDailyPapersPropsSchema.safeParse(props);
  if (!shape.success) {
    throw new InvalidPayloadError(
      `DailyPapers blob on ${context.url} has no dailyPapers array: ${describeIssues(shape.error, ISSUES_SHOWN)}`,
    );
  }
  return { ...parseDailyPaperEntries(shape.data.dailyPapers, context), origin: 'blob' };
}

/** Validates and maps a daily-papers array (the blob's `dailyPapers`, or the API's body). */
export function parseDailyPaperEntries(
  entries: readonly unknown[],
  context: ParseContext,
): Extract<ParsedDigest, { origin: 'blob' | 'api' }> {
  let storable: unknown;
  const report: StorableReport = { protoKeys: 0 };
  try {
    storable = storableJson(entries, MAX_JSON_DEPTH, report);
  } catch (error) {
    if (error instanceof TooDeepError)
      throw new InvalidPayloadError(`daily papers on ${context.url}: an entry is ${error.message}`);
    throw error;
  }
  const validated = dailyPaperEntriesSchema.safeParse(storable);
  if (!validated.success) {
    throw new InvalidPayloadError(
      `daily papers on ${context.url} failed validation: ${describeIssues(validated.error, ISSUES_SHOWN)}`,
    );
  }
  const listed = validated.data.map((entry, index) => ({ rank: index + 1, paper: toPaperRecord(entry) }));
  const papers = dedupeListedPapers(listed);
  const warnings = papers.length === listed.length ? [] : [`${listed.length - papers.length} duplicate entries merged`];
  if (report.protoKeys > 0) {
    // The schemas keep unknown keys in `raw`, but not this one: as a key it would be a prototype to every JS reader.
    warnings.push(`${report.protoKeys} key(s) named "__proto__" dropped from the entries (not stored)`);
  }
  return { origin: 'api', papers, warnings };
}

function findListProps($: CheerioAPI): string | undefined {
  for (const target of LIST_TARGETS) {
    const props = $(`[data-target="${target}"]`).first().attr('data-props');
    if (props !== undefined) return props;
  }
  return undefined;
}

/** The blob is the truth; cards that disagree with it are worth a warning on the fetch, not a failure. */
function crossCheck(papers: readonly ListedPaper[], cards: readonly ListedCard[]): string[] {
  if (cards.length === 0) return [];
  const inBlob = new Set(papers.map((item) => item.paper.id));
  const onCards = new Set(cards.map((item) => item.card.id));
  const onlyInBlob = [...inBlob].filter((id) => !onCards.has(id));
  const onlyOnCards = [...onCards].filter((id) => !inBlob.has(id));
  if (onlyInBlob.length === 0 && onlyOnCards.length === 0) return [];
  return [
    `blob and cards disagree: ${onlyInBlob.length} only in the blob (${onlyInBlob.slice(0, 5).join(', ')}), ` +
      `${onlyOnCards.length} only on cards (${onlyOnCards.slice(0, 5).join(', ')})`,
  ];
}

/** The start of what the page says (its main text, else its body text): enough to see what came back. */
function excerptOf($: CheerioAPI): string {
  const text = $('main').text() || $('body').text() || $.root().text();
  return text.replace(/\s+/g, ' ').trim().slice(0, EXCERPT_CHARS);
}

/**
 * Parses a fetched (or stored) body by transport: what `ingest` does after a
 * fetch and `reparse` does with stored bytes.
 */
export function parseDigestBody(transport: Transport, body: Buffer, context: ParseContext): ParsedDigest {
  if (transport === 'html') return parseListPage(body.toString('utf8'), context);
  let entries: unknown;
  try {
    entries = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new InvalidPayloadError(`API body of ${context.url} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(entries)) throw new InvalidPayloadError(`API body of ${context.url} is not a JSON array`);
  return parseDailyPaperEntries(entries, context);
}

import { z } from 'zod';
import type { Transport } from './digest-key.ts';
import { InvalidPayloadError, LayoutChangedError } from '../errors.ts';
import { dedupeListedPapers } from './dedupe.ts';
import { excerptOf, findProps, ISSUES_SHOWN, loadWholePage, parseJsonText, storablePayload } from './hf-page.ts';
import { hfDailyPaperEntrySchema, hfDailyPapersPropsSchema } from './hf-schema.ts';
import { parsePaperCards } from './parse-cards.ts';
import { describeIssues } from './zod-issues.ts';
import { toPaperRecord, type ListedCard, type ListedPaper } from './paper.ts';

/**
 * Bumped whenever parsing output can change for the same bytes; recorded on
 * every fetch, so `paperboy reparse` knows which stored pages to parse again.
 * 3: a card whose vote box shows "-" (no upvotes yet) reads as 0 upvotes
 * instead of being skipped as unreadable.
 */
export const PARSER_VERSION = 3;

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

// Thrown by parseListPage: its callers import it from here, as they did before paper pages shared it.
export { TruncatedPageError } from './hf-page.ts';

const dailyPaperEntriesSchema = z.array(hfDailyPaperEntrySchema);

/** data-target values of the component that carries a paper list. */
const LIST_TARGETS = ['DailyPapers'];

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
  const $ = loadWholePage(html, context.url);
  const propsText = findProps($, LIST_TARGETS);
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
  const props = parseJsonText(propsText, `DailyPapers blob on ${context.url}`);
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
  const storable = storablePayload(entries, `daily papers on ${context.url}: an entry`, 'the entries');
  const validated = dailyPaperEntriesSchema.safeParse(storable.value);
  if (!validated.success) {
    throw new InvalidPayloadError(
      `daily papers on ${context.url} failed validation: ${describeIssues(validated.error, ISSUES_SHOWN)}`,
    );
  }
  const listed = validated.data.map((entry, index) => ({ rank: index + 1, paper: toPaperRecord(entry) }));
  const papers = dedupeListedPapers(listed);
  const merged = papers.length === listed.length ? [] : [`${listed.length - papers.length} duplicate entries merged`];
  return { origin: 'api', papers, warnings: [...merged, ...storable.warnings] };
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

/**
 * Parses a fetched (or stored) body by transport: what `ingest` does after a
 * fetch and `reparse` does with stored bytes.
 */
export function parseDigestBody(transport: Transport, body: Buffer, context: ParseContext): ParsedDigest {
  if (transport === 'html') return parseListPage(body.toString('utf8'), context);
  const entries = parseJsonText(body.toString('utf8'), `API body of ${context.url}`);
  if (!Array.isArray(entries)) throw new InvalidPayloadError(`API body of ${context.url} is not a JSON array`);
  return parseDailyPaperEntries(entries, context);
}

import { load } from 'cheerio';
import { z } from 'zod';
import { LayoutChangedError, PermanentError, TransientError } from '../errors.ts';
import { dedupeListedPapers } from './dedupe.ts';
import { hfDailyPaperEntrySchema, hfDailyPapersPropsSchema } from './hf-schema.ts';
import { toPaperRecord, type ListedPaper } from './paper.ts';

/**
 * Bumped whenever parsing output can change for the same bytes; recorded on
 * every fetch so old pages can be re-parsed by a newer parser.
 */
export const PARSER_VERSION = 1;

export interface ParseContext {
  /** The page URL, for error messages. */
  url: string;
}

export interface ParsedDigest {
  /** Deduplicated, ordered by rank. Empty means the page lists no papers (not an error). */
  papers: ListedPaper[];
  /** Problems worth recording that did not stop the parse. */
  warnings: string[];
}

/** The upstream payload is well-formed but does not match the schema: permanent, nothing loaded. */
export class InvalidPayloadError extends PermanentError {
  override name = 'InvalidPayloadError';
}

/**
 * The page ends before its closing </html> tag: the body was cut off in
 * transit. Transient (a refetch usually gets the whole page); nothing loaded.
 */
export class TruncatedPageError extends TransientError {
  override name = 'TruncatedPageError';
}

const EXCERPT_CHARS = 300;
const CLOSING_HTML = /<\/html>\s*$/i;

/**
 * Parses a Hugging Face daily-papers page into listed papers. Pure: no IO, no
 * logging. The whole page is validated before anything is returned, so a
 * caller never sees a partial list.
 *
 * @throws TruncatedPageError when the page ends before </html>.
 * @throws LayoutChangedError when the page has no DailyPapers blob.
 * @throws InvalidPayloadError when the blob is not valid JSON or an entry fails validation.
 */
export function parseDailyPapersPage(html: string, context: ParseContext): ParsedDigest {
  // Checked first: an HTML parser silently drops a tag cut off mid-attribute,
  // which would make a truncated page look like a changed layout.
  if (!CLOSING_HTML.test(html.slice(-64))) {
    throw new TruncatedPageError(`page ${context.url} ends before </html> (${html.length} characters): truncated body`);
  }
  // htmlparser2 (via `xml: { xmlMode: false }`) is several times faster than
  // Cheerio's default parse5 on these ~0.2-1 MB pages and handles them fine.
  const $ = load(html, { xml: { xmlMode: false, decodeEntities: true } });
  const blob = $('[data-target="DailyPapers"]').first();
  const propsText = blob.attr('data-props');
  if (blob.length === 0 || propsText === undefined) {
    throw new LayoutChangedError(
      `no DailyPapers data-props blob on ${context.url}: the page layout changed or this is not a papers page`,
      context.url,
      excerptOf(html),
    );
  }
  return parseDailyPapersProps(propsText, context);
}

/** Parses the (already entity-decoded) JSON text of a DailyPapers `data-props` attribute. */
export function parseDailyPapersProps(propsText: string, context: ParseContext): ParsedDigest {
  let props: unknown;
  try {
    props = JSON.parse(propsText);
  } catch (error) {
    throw new InvalidPayloadError(
      `DailyPapers blob on ${context.url} is not valid JSON (truncated page?): ${(error as Error).message}`,
    );
  }
  const shape = hfDailyPapersPropsSchema.safeParse(props);
  if (!shape.success) {
    throw new InvalidPayloadError(
      `DailyPapers blob on ${context.url} has no dailyPapers array: ${summarizeIssues(shape.error)}`,
    );
  }
  return parseDailyPaperEntries(shape.data.dailyPapers, context);
}

/** Validates and maps a daily-papers array (the blob's `dailyPapers`, or the API's body). */
export function parseDailyPaperEntries(entries: readonly unknown[], context: ParseContext): ParsedDigest {
  const validated = z.array(hfDailyPaperEntrySchema).safeParse(entries);
  if (!validated.success) {
    throw new InvalidPayloadError(
      `daily papers on ${context.url} failed validation: ${summarizeIssues(validated.error)}`,
    );
  }
  const listed = validated.data.map((entry, index) => ({ rank: index + 1, paper: toPaperRecord(entry) }));
  const papers = dedupeListedPapers(listed);
  const warnings: string[] = [];
  if (papers.length !== listed.length) {
    warnings.push(`${listed.length - papers.length} duplicate entries merged`);
  }
  return { papers, warnings };
}

function summarizeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  const more = error.issues.length > 3 ? ` (+${error.issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}

function excerptOf(html: string): string {
  return html.slice(0, EXCERPT_CHARS).replace(/\s+/g, ' ').trim();
}

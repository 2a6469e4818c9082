import { load, type CheerioAPI } from 'cheerio';
import { InvalidPayloadError, TransientError } from '../errors.ts';
import { MAX_JSON_DEPTH, storableJson, TooDeepError, type StorableReport } from './storable-json.ts';

/**
 * What every Hugging Face page parser does before its own schema: check the
 * body is whole, load it, find a Svelte component's `data-props`, make the
 * JSON storable. Shared by list pages (parse-digest.ts) and paper pages
 * (parse-paper-page.ts), so both fail the same way on the same damage. Pure.
 */

/**
 * The page ends before its closing </html> tag: the body was cut off in
 * transit. Transient (a refetch usually gets the whole page); nothing loaded.
 */
export class TruncatedPageError extends TransientError {
  override name = 'TruncatedPageError';
}

/** A validation error names its first three issues, then how many more: a page failing everywhere stays one line. */
export const ISSUES_SHOWN = { rootName: '(root)', max: 3 };

const EXCERPT_CHARS = 300;
const CLOSING_HTML = /<\/html>\s*$/i;

/**
 * Loads a page after checking it arrived whole.
 *
 * @throws TruncatedPageError when the page ends before </html>.
 */
export function loadWholePage(html: string, url: string): CheerioAPI {
  // Checked first: an HTML parser silently drops a tag cut off mid-attribute,
  // which would make a truncated page look like a changed layout.
  if (!CLOSING_HTML.test(html.slice(-64))) {
    throw new TruncatedPageError(`page ${url} ends before </html> (${html.length} characters): truncated body`);
  }
  // htmlparser2 (via `xml: { xmlMode: false }`) is several times faster than
  // Cheerio's default parse5 on these ~0.2-1 MB pages and handles them fine.
  return load(html, { xml: { xmlMode: false, decodeEntities: true } });
}

/**
 * The `data-props` of the first component rendered for one of `targets`,
 * whatever the attribute order, quoting or extra classes; its entities are
 * decoded once (by the HTML parser), so the server's `&quot;` form and a
 * re-saved single-quoted form read the same.
 */
export function findProps($: CheerioAPI, targets: readonly string[]): string | undefined {
  for (const target of targets) {
    const props = $(`[data-target="${target}"]`).first().attr('data-props');
    if (props !== undefined) return props;
  }
  return undefined;
}

/** The start of what the page says (its main text, else its body text): enough to see what came back. */
export function excerptOf($: CheerioAPI): string {
  const text = $('main').text() || $('body').text() || $.root().text();
  return text.replace(/\s+/g, ' ').trim().slice(0, EXCERPT_CHARS);
}

/**
 * @param what names the text in the error, e.g. "DailyPapers blob on <url>".
 * @throws InvalidPayloadError when the text is not JSON.
 */
export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidPayloadError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Parsed upstream JSON made storable (see storable-json.ts), with a warning
 * for each kind of thing left out.
 *
 * @param what names the value in the error, e.g. "daily papers on <url>: an entry".
 * @param where names it in the warning, e.g. "the entries".
 * @throws InvalidPayloadError when the value nests deeper than MAX_JSON_DEPTH.
 */
export function storablePayload(value: unknown, what: string, where: string): { value: unknown; warnings: string[] } {
  const report: StorableReport = { protoKeys: 0 };
  let storable: unknown;
  try {
    storable = storableJson(value, MAX_JSON_DEPTH, report);
  } catch (error) {
    if (error instanceof TooDeepError) throw new InvalidPayloadError(`${what} is ${error.message}`);
    throw error;
  }
  // The schemas keep unknown keys in `raw`, but not this one: as a key it would be a prototype to every JS reader.
  const warnings =
    report.protoKeys > 0 ? [`${report.protoKeys} key(s) named "__proto__" dropped from ${where} (not stored)`] : [];
  return { value: storable, warnings };
}

import type { CheerioAPI } from 'cheerio';
import type { z } from 'zod';
import { InvalidPayloadError, LayoutChangedError } from '../errors.ts';
import type { Transport } from './digest-key.ts';
import { excerptOf, findProps, ISSUES_SHOWN, loadWholePage, parseJsonText, storablePayload } from './hf-page.ts';
import { hfPaperContentPropsSchema, hfPaperSchema, type HfDailyPaperEntry } from './hf-schema.ts';
import { PG_INTEGER_MAX } from './input-rules.ts';
import type { PaperDetailRecord, ParsedPaperPage } from './paper-detail.ts';
import { canonicalPaperId } from './paper-id.ts';
import { collapseWhitespace, toPaperRecord } from './paper.ts';
import { describeIssues } from './zod-issues.ts';

export interface PaperPageContext {
  /** The page URL, for error messages. */
  url: string;
  /** The canonical id requested (see paper-id.ts): a page or body about another paper is refused. */
  id: string;
}

type CitingCounts = Pick<PaperDetailRecord, 'citingModels' | 'citingDatasets' | 'citingSpaces' | 'collections'>;

/** data-target values of the component that carries a paper page's props. */
const PAPER_TARGETS = ['PaperContent'];

/**
 * Props never stored: the commenters' and upvoters' profiles (people, not
 * the paper: their counts are stored instead), and the viewer's own flags (a
 * logged-out fetcher's: all false or "*").
 */
const NOT_STORED = new Set([
  'comments',
  'upvoters',
  'canSubmit',
  'upvoted',
  'acceptLanguages',
  'primaryEmailConfirmed',
  'canReadDatabase',
  'canManagePapers',
  'hasHfLevelAccess',
]);

/** The page's sections with a count in their heading, by the heading's text. */
const COUNTED_SECTIONS: ReadonlyArray<readonly [keyof CitingCounts, string]> = [
  ['citingModels', 'Models citing this paper'],
  ['citingDatasets', 'Datasets citing this paper'],
  ['citingSpaces', 'Spaces citing this paper'],
  ['collections', 'Collections including this paper'],
];

/** A heading's count: digits, maybe in groups of three ("1,234"; a no-break space once collapsed is a space). */
const SECTION_COUNT = /^(?:\d+|\d{1,3}(?:[, ]\d{3})+)$/;

/**
 * Parses one paper's page (`/papers/<id>`): its PaperContent props, through
 * the listings' schema and mapping for the paper, and the counts its
 * "citing this paper" sections show. Pure: no IO, no logging. A section
 * missing (or showing no plain count) leaves its count null with a warning.
 *
 * @throws TruncatedPageError when the page ends before </html>.
 * @throws LayoutChangedError when the page has no PaperContent props.
 * @throws InvalidPayloadError when the props are not valid JSON, fail validation, or are about another paper.
 */
export function parsePaperPage(html: string, context: PaperPageContext): ParsedPaperPage {
  const $ = loadWholePage(html, context.url);
  const propsText = findProps($, PAPER_TARGETS);
  if (propsText === undefined) {
    throw new LayoutChangedError(
      `no PaperContent data-props on ${context.url}: the page layout changed or this is not a paper page`,
      context.url,
      excerptOf($),
    );
  }
  const what = `PaperContent props on ${context.url}`;
  const storable = storablePayload(parseJsonText(propsText, what), what, 'the PaperContent props');
  const props = validated(hfPaperContentPropsSchema, storable.value, what);
  const { paper, comments, upvoters, dailyPaperRank, submitterOrganization } = props;
  const id = requestedPaperId(paper.id, context);

  // Hidden comments count too: the page still lists them (as hidden, their text replaced).
  const numComments = comments?.filter((comment) => comment.type === 'comment').length;
  const entry: HfDailyPaperEntry = { paper };
  if (numComments !== undefined) entry.numComments = numComments;
  // A listing entry carries the organization beside the paper; a page names it as the submitter's.
  if (!paper.organization && submitterOrganization) entry.organization = submitterOrganization;

  const warnings = [...storable.warnings];
  if (upvoters && upvoters.length > paper.upvotes) {
    warnings.push(
      `${context.url} shows ${upvoters.length} upvoter profiles but paper.upvotes is ${paper.upvotes}: the counts disagree`,
    );
  }
  const counted = readSectionCounts($, context.url);

  const raw: Record<string, unknown> = Object.fromEntries(
    Object.entries(props).filter(([key]) => !NOT_STORED.has(key)),
  );
  if (numComments !== undefined) raw['numComments'] = numComments;
  if (upvoters) raw['numUpvotersShown'] = upvoters.length;

  return {
    origin: 'page',
    paper: toPaperRecord(entry),
    detail: {
      id,
      dailyRank: dailyPaperRank ?? null,
      submitterOrganization: submitterOrganization?.name ?? null,
      githubRepoAddedBy: paper.githubRepoAddedBy ?? null,
      ...counted.counts,
      raw,
    },
    warnings: [...warnings, ...counted.warnings],
  };
}

/**
 * Parses the JSON twin of a paper page (`/api/papers/<id>`, already parsed
 * JSON): the paper object alone, so the detail has no counts, rank or
 * submitter organization (null: not observed).
 *
 * @throws InvalidPayloadError when the body fails validation or is about another paper.
 */
export function parsePaperApi(body: unknown, context: PaperPageContext): ParsedPaperPage {
  const what = `API body of ${context.url}`;
  const storable = storablePayload(body, what, 'the API body');
  const paper = validated(hfPaperSchema, storable.value, what);
  const id = requestedPaperId(paper.id, context);
  return {
    origin: 'api',
    paper: toPaperRecord({ paper }),
    detail: {
      id,
      dailyRank: null,
      submitterOrganization: null,
      githubRepoAddedBy: paper.githubRepoAddedBy ?? null,
      citingModels: null,
      citingDatasets: null,
      citingSpaces: null,
      collections: null,
      raw: paper,
    },
    warnings: storable.warnings,
  };
}

/**
 * Parses a fetched (or stored) paper body by transport: what `ingest` does
 * after a fetch and `reparse` does with stored bytes.
 *
 * @throws as parsePaperPage ('html') or parsePaperApi ('api'); InvalidPayloadError when an API body is not JSON.
 */
export function parsePaperBody(transport: Transport, body: Buffer, context: PaperPageContext): ParsedPaperPage {
  if (transport === 'html') return parsePaperPage(body.toString('utf8'), context);
  return parsePaperApi(parseJsonText(body.toString('utf8'), `API body of ${context.url}`), context);
}

function validated<Schema extends z.ZodType>(schema: Schema, value: unknown, what: string): z.output<Schema> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new InvalidPayloadError(`${what} failed validation: ${describeIssues(result.error, ISSUES_SHOWN)}`);
  }
  return result.data;
}

/** The canonical id of the paper a page is about, which must be the one asked for: a wrong page is not stored under the id. */
function requestedPaperId(pageId: string, context: PaperPageContext): string {
  const id = canonicalPaperId(pageId);
  if (id !== canonicalPaperId(context.id)) {
    throw new InvalidPayloadError(`${context.url} is about paper ${id}, not the requested ${context.id}`);
  }
  return id;
}

/**
 * The counts in the headings of the page's "citing this paper" sections. A
 * section that is missing, or whose heading shows no plain count, stays null
 * with a warning: never a guess (a missing section is not zero).
 */
function readSectionCounts($: CheerioAPI, url: string): { counts: CitingCounts; warnings: string[] } {
  const headings = $('h1, h2, h3, h4, h5, h6')
    .toArray()
    .map((heading) => collapseWhitespace($(heading).text()));
  const counts: CitingCounts = { citingModels: null, citingDatasets: null, citingSpaces: null, collections: null };
  const missing: string[] = [];
  const warnings: string[] = [];
  for (const [field, label] of COUNTED_SECTIONS) {
    const heading = headings.find((text) => text.toLowerCase().startsWith(label.toLowerCase()));
    if (heading === undefined) {
      missing.push(`no "${label}" section on ${url}: ${field} not read`);
      continue;
    }
    const shown = heading.slice(label.length).trim();
    const count = SECTION_COUNT.test(shown) ? Number(shown.replace(/\D/g, '')) : null;
    if (count === null || count > PG_INTEGER_MAX) {
      warnings.push(`the "${label}" heading on ${url} shows no count ("${heading}"): ${field} not read`);
      continue;
    }
    counts[field] = count;
  }
  if (missing.length === COUNTED_SECTIONS.length) {
    return {
      counts,
      warnings: [`no "citing this paper" or "including this paper" sections on ${url}: no counts read`],
    };
  }
  return { counts, warnings: [...missing, ...warnings] };
}

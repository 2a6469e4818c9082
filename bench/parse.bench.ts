import { load } from 'cheerio';
import { parseListPage } from '../src/domain/parse-digest.ts';
import { parsePaperPage } from '../src/domain/parse-paper-page.ts';
import { apiCaptureFiles, apiEntries } from '../test/support/digests.ts';
import { buildListPage } from '../test/support/page-builder.ts';
import { buildPaperPage, PAPER_PAGE_CAPTURE } from '../test/support/paper-page-builder.ts';
import { readFixture } from '../test/support/upstream-server.ts';
import { median, type Figure } from './harness.ts';

/** Parse passes over the whole page set per round: enough megabytes for a stable rate. */
const PASSES = 10;

/**
 * Parser throughput: MB/s of parseListPage (Cheerio on htmlparser2, the blob
 * found by data-target, zod validation of every entry, the cards parsed as a
 * cross-check) over real pages — the 2024-08-01 capture and pages built from
 * every real API capture, in both layouts — against a same-run baseline that
 * only cuts the blob out with a regex and JSON.parses it (no DOM, no
 * validation, no cards: the least any parser can do). Also the heap a parse
 * grows by, peak and retained.
 */
export function benchParse(options: { repeats: number; log: (line: string) => void }): Figure[] {
  const pages = pageSet();
  const megabytes = pages.reduce((sum, page) => sum + Buffer.byteLength(page.html), 0) / 1e6;
  options.log(`parse: ${pages.length} pages, ${megabytes.toFixed(1)} MB per pass (sizes ${sizeRange(pages)})`);

  // Both must find the same papers, or the comparison means nothing.
  for (const page of pages) {
    const ours = parseListPage(page.html, { url: page.name });
    const theirs = regexBaseline(page.html);
    const count = ours.origin === 'cards' ? ours.cards.length : ours.papers.length;
    if (count !== theirs.length)
      throw new Error(`parse bench: ${page.name}: parser found ${count} papers, baseline ${theirs.length}`);
  }
  const rate = (run: (html: string) => unknown) => mbPerSecond(pages, run, options.repeats);
  const baseline = rate(regexBaseline);
  const ours = rate((html) => parseListPage(html, { url: 'bench' }));
  const heap = heapPerParse(pages.map((page) => page.html));
  return [
    {
      name: 'parse: digest pages through parseListPage',
      value: ours,
      unit: 'MB/s',
      baseline,
      ratio: ours / baseline,
      target: '>= 0.2x regex + JSON.parse',
      met: ours / baseline >= 0.2,
      note: `baseline: the DailyPapers blob cut out with a regex, entities decoded, JSON.parse; ${pages.length} real and built pages, median of ${options.repeats} rounds of ${PASSES} passes`,
    },
    {
      name: 'parse: heap growth over one parse of the largest page',
      value: heap.peakMb,
      unit: 'MB',
      baseline: null,
      ratio: null,
      target: '< 5 MB',
      met: heap.peakMb < 5,
      note: heap.gcExposed
        ? `retained after the parse (the parsed papers themselves): ${heap.retainedMb.toFixed(2)} MB`
        : 'run with --expose-gc for this figure',
    },
    benchPaperPages(options),
  ];
}

/**
 * A paper's own page through parsePaperPage (the PaperContent props found and
 * validated, the citing sections' counts read) against the least a parser
 * that reads those counts can do: the page parsed into a DOM by the same
 * parser (the counts are in the markup, not in the props) and the props
 * cut out with a regex and JSON.parsed. Unlike a list page, a paper page is
 * mostly markup (a 10 kB blob in 120 kB), so a regex alone would measure
 * only the blob. Pages: the real capture (single-quoted props) and the same
 * page as the server quotes it.
 */
function benchPaperPages(options: { repeats: number; log: (line: string) => void }): Figure {
  const id = '2509.24002';
  const pages: Page[] = [
    { name: PAPER_PAGE_CAPTURE, html: readFixture(PAPER_PAGE_CAPTURE).toString('utf8') },
    { name: 'the capture, server-quoted', html: buildPaperPage() },
  ];
  for (const page of pages) {
    const ours = parsePaperPage(page.html, { url: page.name, id });
    const theirs = propsByRegex(page.html, 'PaperContent') as { paper: { upvotes: number } };
    if (ours.paper.upvotes !== theirs.paper.upvotes) throw new Error(`parse bench: ${page.name}: upvotes differ`);
  }
  const megabytes = pages.reduce((sum, page) => sum + Buffer.byteLength(page.html), 0) / 1e6;
  options.log(`parse: ${pages.length} paper pages, ${megabytes.toFixed(2)} MB per pass`);
  const domAndProps = (html: string) => [
    load(html, { xml: { xmlMode: false, decodeEntities: true } }),
    propsByRegex(html, 'PaperContent'),
  ];
  const baseline = mbPerSecond(pages, domAndProps, options.repeats);
  const ours = mbPerSecond(pages, (html) => parsePaperPage(html, { url: 'bench', id }), options.repeats);
  return {
    name: 'parse: paper pages through parsePaperPage',
    value: ours,
    unit: 'MB/s',
    baseline,
    ratio: ours / baseline,
    // The parser walks the DOM twice more than the baseline (the props by attribute, the section headings),
    // and validates: a third of the baseline's speed bounds that to two more parses' worth of work.
    target: '>= 0.33x DOM parse + props JSON.parse',
    met: ours / baseline >= 0.33,
    note: `baseline: the page into a DOM (htmlparser2, as the parser) and the PaperContent props by regex + JSON.parse; the real capture and its server-quoted form, median of ${options.repeats} rounds of ${PASSES} passes`,
  };
}

/** MB/s of `run` over every page, PASSES passes a round, median of `repeats` rounds (after a warm-up pass). */
function mbPerSecond(pages: readonly Page[], run: (html: string) => unknown, repeats: number): number {
  const megabytes = pages.reduce((sum, page) => sum + Buffer.byteLength(page.html), 0) / 1e6;
  for (const page of pages) run(page.html); // warm-up
  const rounds: number[] = [];
  for (let round = 0; round < repeats; round += 1) {
    const start = performance.now();
    for (let pass = 0; pass < PASSES; pass += 1) for (const page of pages) run(page.html);
    rounds.push((megabytes * PASSES) / ((performance.now() - start) / 1000));
  }
  return median(rounds);
}

interface Page {
  name: string;
  html: string;
}

function pageSet(): Page[] {
  const pages: Page[] = [
    {
      name: 'hf-papers-date-2024-08-01.html',
      html: readFixture('hf-html/hf-papers-date-2024-08-01.html').toString('utf8'),
    },
  ];
  for (const [index, file] of apiCaptureFiles().entries()) {
    const entries = apiEntries(file);
    const layout = index % 2 === 0 ? '2024' : '2025';
    pages.push({ name: `${file} (${layout} layout)`, html: buildListPage({ entries, date: '2025-06-01', layout }) });
  }
  return pages;
}

const ENTITIES: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };
const propsPatterns = new Map<string, RegExp>();

/**
 * The least a parser can do: a component's `data-props` by regex (either
 * attribute order; double quotes with entities, or single quotes with them
 * decoded already), entities decoded, JSON.parse.
 */
function propsByRegex(html: string, target: string): unknown {
  let pattern = propsPatterns.get(target);
  if (!pattern) {
    const attribute = `data-props=(?:"([^"]*)"|'([^']*)')`;
    const named = `data-target="${target}"`;
    pattern = new RegExp(`${named}[^>]*?${attribute}|${attribute}[^>]*?${named}`);
    propsPatterns.set(target, pattern);
  }
  const match = pattern.exec(html);
  if (!match) throw new Error(`baseline: no ${target} props`);
  const [, doubleFirst, singleFirst, doubleLast, singleLast] = match;
  const single = singleFirst ?? singleLast;
  if (single !== undefined) return JSON.parse(single);
  const decoded = (doubleFirst ?? doubleLast!).replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (entity, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name] ?? entity;
  });
  return JSON.parse(decoded);
}

/** The list pages' baseline: the DailyPapers blob's papers array. */
function regexBaseline(html: string): unknown[] {
  return (propsByRegex(html, 'DailyPapers') as { dailyPapers: unknown[] }).dailyPapers;
}

/**
 * Heap growth over one parse of the largest page (measured with the
 * garbage collector forced before, so it is the parse's own allocation) and
 * retained once it is done (with the result still held).
 */
function heapPerParse(htmls: string[]): { peakMb: number; retainedMb: number; gcExposed: boolean } {
  const gc = (globalThis as { gc?: () => void }).gc;
  const largest = htmls.reduce((a, b) => (a.length >= b.length ? a : b));
  let peak = 0;
  let retained = 0;
  for (let i = 0; i < 5; i += 1) {
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const result = parseListPage(largest, { url: 'bench' });
    peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    gc?.();
    retained = Math.max(retained, process.memoryUsage().heapUsed - before);
    if (!result) throw new Error('unreachable');
  }
  return { peakMb: peak / 1e6, retainedMb: retained / 1e6, gcExposed: gc !== undefined };
}

function sizeRange(pages: Page[]): string {
  const sizes = pages.map((page) => Buffer.byteLength(page.html) / 1e6);
  return `${Math.min(...sizes).toFixed(2)}-${Math.max(...sizes).toFixed(2)} MB`;
}

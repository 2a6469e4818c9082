import { parseListPage } from '../src/domain/parse-digest.ts';
import { apiCaptureFiles, apiEntries } from '../test/support/digests.ts';
import { buildListPage } from '../test/support/page-builder.ts';
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
  const rate = (run: (html: string) => unknown) => {
    for (const page of pages) run(page.html); // warm-up
    const rounds: number[] = [];
    for (let round = 0; round < options.repeats; round += 1) {
      const start = performance.now();
      for (let pass = 0; pass < PASSES; pass += 1) for (const page of pages) run(page.html);
      rounds.push((megabytes * PASSES) / ((performance.now() - start) / 1000));
    }
    return median(rounds);
  };
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
  ];
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

const BLOB = /data-target="DailyPapers"[^>]*?data-props="([^"]*)"|data-props="([^"]*)"[^>]*?data-target="DailyPapers"/;
const ENTITIES: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };

/** The baseline: the blob by regex, entities decoded, JSON.parse; the papers array. */
function regexBaseline(html: string): unknown[] {
  const match = BLOB.exec(html);
  if (!match) throw new Error('baseline: no DailyPapers blob');
  const decoded = (match[1] ?? match[2]!).replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (entity, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name] ?? entity;
  });
  return (JSON.parse(decoded) as { dailyPapers: unknown[] }).dailyPapers;
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

import { describe, expect, it } from 'vitest';
import { InvalidPayloadError, LayoutChangedError, TransientError } from '../../src/errors.ts';
import { parseDailyPaperEntries, parseListPage, TruncatedPageError } from '../../src/domain/parse-digest.ts';
import { extractRepoRefs } from '../../src/domain/repo-refs.ts';
import { apiEntries, fullRecords } from '../support/digests.ts';
import { readFixture } from '../support/upstream-server.ts';

const URL_2024_08_01 = 'https://huggingface.co/papers/date/2024-08-01';
const page = readFixture('hf-html/hf-papers-date-2024-08-01.html').toString('utf8');

describe('parseListPage on the real 2024-08-01 capture', () => {
  const parsed = parseListPage(page, { url: URL_2024_08_01 });
  const papers = fullRecords(parsed);
  const { warnings } = parsed;

  it('reads the DailyPapers blob, and its cards agree with it', () => {
    expect(parsed.origin).toBe('blob');
    expect(warnings).toEqual([]);
  });

  it('finds all 13 papers, in page order, with canonical ids', () => {
    expect(papers.map((listed) => listed.paper.id)).toEqual([
      '2407.21783',
      '2407.21705',
      '2407.21770',
      '2407.21646',
      '2407.21772',
      '2407.21630',
      '2407.21721',
      '2407.21530',
      '2407.20229',
      '2407.21781',
      '2407.21686',
      '2407.21475',
      '2404.01300',
    ]);
    expect(papers.map((listed) => listed.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(warnings).toEqual([]);
  });

  it('reads upvotes and comment counts per paper', () => {
    const byId = new Map(papers.map((listed) => [listed.paper.id, listed.paper]));
    expect(byId.get('2407.21783')).toMatchObject({ upvotes: 94, numComments: 5 });
    expect(byId.get('2407.21705')).toMatchObject({ upvotes: 24, numComments: 2 });
    expect(byId.get('2407.21646')).toMatchObject({ upvotes: 16, numComments: 8 });
    expect(byId.get('2404.01300')).toMatchObject({ upvotes: 3, numComments: 2 });
  });

  it('keeps clean titles: arXiv line wraps in paper.title are not carried over', () => {
    const titles = new Map(papers.map((listed) => [listed.paper.id, listed.paper.title]));
    expect(titles.get('2407.21783')).toBe('The Llama 3 Herd of Models');
    expect(titles.get('2407.21770')).toBe(
      'MoMa: Efficient Early-Fusion Pre-training with Mixture of Modality-Aware Experts',
    );
    expect(titles.get('2404.01300')).toBe(
      'NeRF-MAE: Masked AutoEncoders for Self-Supervised 3D Representation Learning for Neural Radiance Fields',
    );
  });

  it('reads every author, including the 533 of the Llama 3 paper', () => {
    const llama = papers[0]!.paper;
    expect(llama.authors).toHaveLength(533);
    expect(llama.authors.slice(0, 3)).toEqual(['Abhimanyu Dubey', 'Abhinav Jauhri', 'Abhinav Pandey']);
    expect(llama.authors.slice(-2)).toEqual(['Zhenyu Yang', 'Zhiwei Zhao']);
    const contamination = papers.find((listed) => listed.paper.id === '2407.21530')!.paper;
    expect(contamination.authors.slice(0, 3)).toEqual(['Oscar Sainz', 'Iker García-Ferrero', 'Alon Jacovi']);
    expect(contamination.authors).toHaveLength(28);
  });

  it('keeps publication time, a single-spaced abstract, and the raw entry', () => {
    const tora = papers[1]!.paper;
    expect(tora.publishedAt).toBe('2024-07-31T15:53:20.000Z');
    expect(
      tora.abstract.startsWith('Recent advancements in Diffusion Transformer (DiT) have demonstrated remarkable'),
    ).toBe(true);
    expect(tora.abstract).not.toContain('\n');
    expect(tora.raw).toMatchObject({
      paper: { id: '2407.21705', discussionId: '66aaf2da1703f12f493c931c' },
      upvoted: false,
    });
  });
});

/** The capture with its blob's opening tag rewritten: same attributes, other order, quoting and classes. */
function withBlobTag(rewrite: (props: string) => string): string {
  const target = page.indexOf('data-target="DailyPapers"');
  const tagStart = page.lastIndexOf('<div', target);
  const propsStart = page.indexOf('data-props="', target) + 'data-props="'.length;
  const propsEnd = page.indexOf('"', propsStart);
  const tagEnd = page.indexOf('>', propsEnd);
  const changed = page.slice(0, tagStart) + rewrite(page.slice(propsStart, propsEnd)) + page.slice(tagEnd + 1);
  expect(changed).not.toBe(page);
  return changed;
}

const withoutBlob = page.replace('data-target="DailyPapers"', 'data-target="SomethingElse"');
const withoutBlobOrCards = withoutBlob.replaceAll('<article', '<section').replaceAll('</article>', '</section>');

describe('parseListPage finds the blob whatever its markup', () => {
  it.each([
    [
      'attributes reordered, extra classes',
      (props: string) =>
        `<div data-props="${props}" class="SVELTE_HYDRATER contents extra-class" data-target="DailyPapers">`,
    ],
    [
      'single-quoted attributes',
      (props: string) => `<div class='SVELTE_HYDRATER contents' data-target='DailyPapers' data-props="${props}">`,
    ],
    [
      'unquoted target, Svelte markers and an injected style around it',
      (props: string) =>
        `<!--[--><style>.svelte-1x2y{color:red}</style><div data-target=DailyPapers data-props="${props}" class="contents"><!--]-->`,
    ],
  ])('%s', (_label, rewrite) => {
    const parsed = parseListPage(withBlobTag(rewrite), { url: URL_2024_08_01 });
    expect(parsed.origin).toBe('blob');
    const papers = fullRecords(parsed);
    expect(papers).toHaveLength(13);
    expect(papers[0]!.paper).toMatchObject({ id: '2407.21783', title: 'The Llama 3 Herd of Models', upvotes: 94 });
    expect(papers[0]!.paper.authors).toHaveLength(533);
  });
});

describe('parseListPage on damaged versions of the capture', () => {
  it('falls back to the article cards when the blob is gone, and says so', () => {
    const papers = fullRecords(parseListPage(page, { url: URL_2024_08_01 }));
    const parsed = parseListPage(withoutBlob, { url: URL_2024_08_01 });
    expect(parsed.origin).toBe('cards');
    if (parsed.origin !== 'cards') return;
    expect(parsed.cards.map((item) => item.card.id)).toEqual(papers.map((item) => item.paper.id));
    expect(parsed.cards[0]).toEqual({
      rank: 1,
      card: { id: '2407.21783', title: 'The Llama 3 Herd of Models', upvotes: 94, numComments: 5 },
    });
    expect(parsed.cards[12]!.card).toMatchObject({ id: '2404.01300', upvotes: 3, numComments: 2 });
    // Card titles are the page's own, not derived from the blob.
    expect(parsed.cards.map((item) => item.card.title)).toEqual(papers.map((item) => item.paper.title));
    expect(parsed.warnings).toEqual([
      "no DailyPapers blob: 13 papers read from the page's cards (ids, titles, upvotes only)",
    ]);
  });

  it('warns when the cards and the blob disagree on the paper set', () => {
    const firstCard = page.indexOf('<article');
    const secondCard = page.indexOf('<article', firstCard + 1);
    const withoutFirstCard = page.slice(0, firstCard) + page.slice(secondCard);
    const parsed = parseListPage(withoutFirstCard, { url: URL_2024_08_01 });
    expect(parsed.origin).toBe('blob');
    expect(fullRecords(parsed)).toHaveLength(13);
    expect(parsed.warnings).toEqual(['blob and cards disagree: 1 only in the blob (2407.21783), 0 only on cards ()']);
  });

  it('raises LayoutChangedError with the URL and an excerpt when there is neither blob nor cards', () => {
    let caught: unknown;
    try {
      parseListPage(withoutBlobOrCards, { url: URL_2024_08_01 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LayoutChangedError);
    const error = caught as LayoutChangedError;
    expect(error.message).toContain(
      'no DailyPapers data-props blob and no paper cards on https://huggingface.co/papers/date/2024-08-01',
    );
    expect(error.url).toBe(URL_2024_08_01);
    expect(error.excerpt.length).toBeGreaterThan(20);
    expect(error.excerpt.length).toBeLessThanOrEqual(300);
    expect(error.excerpt).toContain('Daily Papers');
  });

  it('raises TruncatedPageError (retryable) when the body is cut short, even inside the blob', () => {
    const blobStart = page.indexOf('data-props=', page.indexOf('data-target="DailyPapers"'));
    for (const cut of [blobStart + 5000, page.length - 20]) {
      const attempt = () => parseListPage(page.slice(0, cut), { url: URL_2024_08_01 });
      expect(attempt).toThrow(TruncatedPageError);
      expect(attempt).toThrow(TransientError);
    }
  });

  it('raises InvalidPayloadError when the blob is not valid JSON', () => {
    const broken = page.replace('data-props="{&quot;canSubmit&quot;', 'data-props="{&quot;canSubmit&quot;,,');
    expect(broken).not.toBe(page);
    expect(() => parseListPage(broken, { url: URL_2024_08_01 })).toThrow(InvalidPayloadError);
    expect(() => parseListPage(broken, { url: URL_2024_08_01 })).toThrow(/not valid JSON/);
  });

  it('rejects the whole page when one entry lost a required field', () => {
    // Drop paper.upvotes from the first entry only: the other 12 are fine, yet nothing is returned.
    const damaged = page.replace('&quot;upvotes&quot;:94', '&quot;upvotez&quot;:94');
    expect(damaged).not.toBe(page);
    expect(() => parseListPage(damaged, { url: URL_2024_08_01 })).toThrow(InvalidPayloadError);
    expect(() => parseListPage(damaged, { url: URL_2024_08_01 })).toThrow(/0\.paper\.upvotes/);
  });
});

/** `html` with the vote box of its card `index` (0-based) showing `shown` instead of its number. */
function withVoteBox(html: string, index: number, shown: string): string {
  let start = -1;
  for (let card = 0; card <= index; card += 1) start = html.indexOf('<article', start + 1);
  const end = html.indexOf('</article>', start);
  const card = html.slice(start, end);
  const changed = card.replace(/(<div class="leading-none">)\d+(<\/div>)/, `$1${shown}$2`);
  expect(changed).not.toBe(card);
  return html.slice(0, start) + changed + html.slice(end);
}

describe('cards whose vote box shows a dash (no upvotes yet, in the current layout)', () => {
  // The second card, 2407.21705 (24 upvotes on the capture): as a fresh paper it would show "-" and 0 in the blob.
  const FRESH = '2407.21705';
  const freshBlob = page.replace('&quot;upvotes&quot;:24,', '&quot;upvotes&quot;:0,');

  it.each([
    ['a hyphen', '-'],
    ['an en dash', '\u2013'],
    ['an em dash', '\u2014'],
    ['a dash between spaces', '\n\t\t-\n\t'],
  ])('reads %s as 0 upvotes: no unreadable card, and cards and blob still agree', (_label, dash) => {
    const parsed = parseListPage(withVoteBox(freshBlob, 1, dash), { url: URL_2024_08_01 });
    expect(parsed.origin).toBe('blob');
    expect(fullRecords(parsed).find((listed) => listed.paper.id === FRESH)!.paper.upvotes).toBe(0);
    expect(parsed.warnings).toEqual([]);
  });

  it('keeps the paper when the cards are the fallback', () => {
    const parsed = parseListPage(withVoteBox(withoutBlob, 1, '-'), { url: URL_2024_08_01 });
    expect(parsed.origin).toBe('cards');
    if (parsed.origin !== 'cards') return;
    expect(parsed.cards).toHaveLength(13);
    expect(parsed.cards[1]).toEqual({
      rank: 2,
      card: {
        id: FRESH,
        title: 'Tora: Trajectory-oriented Diffusion Transformer for Video Generation',
        upvotes: 0,
        numComments: 2,
      },
    });
    // The "Submitted by" box shares the class; the other cards still read their own numbers.
    expect(parsed.cards[0]!.card.upvotes).toBe(94);
    expect(parsed.cards[2]!.card.upvotes).toBe(19);
    expect(parsed.warnings).toEqual([
      "no DailyPapers blob: 13 papers read from the page's cards (ids, titles, upvotes only)",
    ]);
  });

  it('still skips a card whose vote box shows neither a number nor a lone dash', () => {
    for (const shown of ['', '-1', '--', 'n/a']) {
      const parsed = parseListPage(withVoteBox(withoutBlob, 1, shown), { url: URL_2024_08_01 });
      expect(parsed.origin).toBe('cards');
      if (parsed.origin !== 'cards') return;
      expect(parsed.cards.map((item) => item.card.id)).not.toContain(FRESH);
      expect(parsed.warnings).toContain('1 paper card(s) could not be read');
    }
  });
});

describe('keys named __proto__ in upstream JSON', () => {
  it('never become prototypes: the entry gains nothing through them, and they are dropped with a warning', () => {
    // A real entry without a githubRepo, given a `__proto__` key that carries one, as a hostile upstream could send.
    const entries = apiEntries('hf-api-daily_papers-2025-10-08.json');
    const entry = entries.find((candidate) => candidate.paper.id === '2510.06217')!;
    expect(entry.paper.githubRepo).toBeUndefined();
    const text = JSON.stringify([entry]).replace(
      '"paper":{',
      '"paper":{"__proto__":{"githubRepo":"https://github.com/proto/injected","polluted":"yes"},',
    );
    const parsed = parseDailyPaperEntries(JSON.parse(text), { url: 'fixture:proto' });
    const [listed] = parsed.papers;
    const raw = listed!.paper.raw as { paper: Record<string, unknown> };
    expect(Object.getPrototypeOf(raw.paper)).toBe(Object.prototype);
    expect(raw.paper['polluted']).toBeUndefined();
    expect(raw.paper['githubRepo']).toBeUndefined();
    expect(Object.hasOwn(raw.paper, '__proto__')).toBe(false);
    expect(JSON.stringify(raw)).not.toContain('proto/injected');
    expect(parsed.warnings).toEqual(['1 key(s) named "__proto__" dropped from the entries (not stored)']);
    expect(extractRepoRefs(listed!.paper)).toEqual([]);
    // Everything else as the untouched entry gives it.
    const plain = parseDailyPaperEntries([entry], { url: 'fixture:plain' }).papers[0]!.paper;
    expect(listed!.paper).toEqual(plain);
  });
});

import { describe, expect, it } from 'vitest';
import { LayoutChangedError, TransientError } from '../../src/errors.ts';
import { InvalidPayloadError, parseDailyPapersPage, TruncatedPageError } from '../../src/domain/parse-digest.ts';
import { readFixture } from '../support/upstream-server.ts';

const URL_2024_08_01 = 'https://huggingface.co/papers/date/2024-08-01';
const page = readFixture('hf-html/hf-papers-date-2024-08-01.html').toString('utf8');

describe('parseDailyPapersPage on the real 2024-08-01 capture', () => {
  const { papers, warnings } = parseDailyPapersPage(page, { url: URL_2024_08_01 });

  it('finds all 13 papers, in page order, with canonical ids', () => {
    expect(papers.map((listed) => listed.paper.id)).toEqual([
      '2407.21783', '2407.21705', '2407.21770', '2407.21646', '2407.21772', '2407.21630', '2407.21721',
      '2407.21530', '2407.20229', '2407.21781', '2407.21686', '2407.21475', '2404.01300',
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
    expect(titles.get('2407.21770')).toBe('MoMa: Efficient Early-Fusion Pre-training with Mixture of Modality-Aware Experts');
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
    expect(tora.abstract.startsWith('Recent advancements in Diffusion Transformer (DiT) have demonstrated remarkable')).toBe(true);
    expect(tora.abstract).not.toContain('\n');
    expect(tora.raw).toMatchObject({ paper: { id: '2407.21705', discussionId: '66aaf2da1703f12f493c931c' }, upvoted: false });
  });
});

describe('parseDailyPapersPage on damaged versions of the capture', () => {
  it('raises LayoutChangedError naming the URL when the DailyPapers blob is gone', () => {
    const withoutBlob = page.replace('data-target="DailyPapers"', 'data-target="SomethingElse"');
    expect(withoutBlob).not.toBe(page);
    const attempt = () => parseDailyPapersPage(withoutBlob, { url: URL_2024_08_01 });
    expect(attempt).toThrow(LayoutChangedError);
    expect(attempt).toThrow(/no DailyPapers data-props blob on https:\/\/huggingface\.co\/papers\/date\/2024-08-01/);
  });

  it('raises TruncatedPageError (retryable) when the body is cut short, even inside the blob', () => {
    const blobStart = page.indexOf('data-props=', page.indexOf('data-target="DailyPapers"'));
    for (const cut of [blobStart + 5000, page.length - 20]) {
      const attempt = () => parseDailyPapersPage(page.slice(0, cut), { url: URL_2024_08_01 });
      expect(attempt).toThrow(TruncatedPageError);
      expect(attempt).toThrow(TransientError);
    }
  });

  it('raises InvalidPayloadError when the blob is not valid JSON', () => {
    const broken = page.replace('data-props="{&quot;canSubmit&quot;', 'data-props="{&quot;canSubmit&quot;,,');
    expect(broken).not.toBe(page);
    expect(() => parseDailyPapersPage(broken, { url: URL_2024_08_01 })).toThrow(InvalidPayloadError);
    expect(() => parseDailyPapersPage(broken, { url: URL_2024_08_01 })).toThrow(/not valid JSON/);
  });

  it('rejects the whole page when one entry lost a required field', () => {
    // Drop paper.upvotes from the first entry only: the other 12 are fine, yet nothing is returned.
    const damaged = page.replace('&quot;upvotes&quot;:94', '&quot;upvotez&quot;:94');
    expect(damaged).not.toBe(page);
    expect(() => parseDailyPapersPage(damaged, { url: URL_2024_08_01 })).toThrow(/dailyPapers|0\.paper\.upvotes/);
  });
});

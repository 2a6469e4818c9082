import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDigestBody, parseListPage } from '../../src/domain/parse-digest.ts';
import { InvalidPayloadError } from '../../src/errors.ts';
import { API_2024_08_01, apiEntries, fullRecords, listedFromApi, listedFromHtml2024 } from '../support/digests.ts';
import { buildListPage } from '../support/page-builder.ts';
import { FIXTURES_DIR, readFixture } from '../support/upstream-server.ts';

const API_CAPTURES = readdirSync(path.join(FIXTURES_DIR, 'hf-api')).filter((file) =>
  file.startsWith('hf-api-daily_papers-'),
);

/** Per capture: count, the first paper, and a githubRepo / organization where the capture has one. */
const EXPECTED: Record<
  string,
  { count: number; first: [string, number, string]; github?: [string, string]; organization?: [string, string] }
> = {
  'hf-api-daily_papers-2024-05-27.json': {
    count: 13,
    first: ['2405.15738', 32, 'ConvLLaVA: Hierarchical Backbones as Visual Encode'],
  },
  'hf-api-daily_papers-2024-08-01.json': { count: 11, first: ['2407.21783', 49, 'The Llama 3 Herd of Models'] },
  'hf-api-daily_papers-2025-01-21.json': {
    count: 1,
    first: ['2501.08325', 28, 'GameFactory: Creating New Games with Generative In'],
  },
  'hf-api-daily_papers-2025-03-17.json': {
    count: 12,
    first: ['2503.07677', 46, 'PLADIS: Pushing the Limits of Attention in Diffusi'],
    github: ['2503.10772', 'https://github.com/bytedance/1d-tokenizer/'],
  },
  'hf-api-daily_papers-2025-06-25.json': {
    count: 14,
    first: ['2506.19851', 21, 'AnimaX: Animating the Inanimate in 3D with Joint V'],
    github: ['2506.19851', 'https://github.com/anima-x/anima-x'],
  },
  'hf-api-daily_papers-2025-10-03.json': {
    count: 39,
    first: ['2510.02283', 43, 'Self-Forcing++: Towards Minute-Scale High-Quality '],
    github: ['2510.02283', 'https://github.com/justincui03/Self-Forcing-Plus-Plus'],
    organization: ['2510.02283', 'ByteDance-Seed'],
  },
  'hf-api-daily_papers-2025-10-08.json': {
    count: 23,
    first: ['2510.06217', 35, 'TaTToo: Tool-Grounded Thinking PRM for Test-Time S'],
    github: ['2509.26328', 'https://github.com/NVlabs/Fast-dLLM'],
    organization: ['2510.06217', 'amazon'],
  },
  'hf-api-daily_papers-2026-05-08-zzjjay.json': {
    count: 37,
    first: ['2605.05242', 86, 'Beyond Semantic Similarity: Rethinking Retrieval f'],
    github: ['2605.05242', 'https://github.com/DCI-Agent/DCI-Agent-Lite'],
    organization: ['2605.05242', 'TIGER-Lab'],
  },
  'hf-api-daily_papers-2026-07-31-scout-cpu.json': {
    count: 30,
    first: ['2607.23193', 3, 'OmniScope: Modality-Decoupled Token Compression fo'],
    github: ['2607.23193', 'https://github.com/MAC-AutoML/OmniScope'],
    organization: ['2607.28582', 'furonghuang-lab'],
  },
  'hf-api-daily_papers-2026-07-31.json': {
    count: 34,
    first: ['2607.28624', 145, 'PhiZero: A World Model Built Around Physical Langu'],
    github: ['2607.28624', 'https://github.com/yaoyao-jpg/PhiZero'],
    organization: ['2607.28568', 'FrontisAI'],
  },
  'hf-api-daily_papers-2026-08-03-subset-diqu.json': {
    count: 3,
    first: ['2607.26654', 3, 'Constitutional Midtraining: Content Presence Drive'],
    github: ['2607.26654', 'https://github.com/desBugger/constitutional-mt'],
    organization: ['2607.26654', 'Oxford'],
  },
  'hf-api-daily_papers-2026-08-21.json': {
    count: 17,
    first: ['2608.19880', 163, 'EnvHarness: Awakening Static Worlds for Agent Lear'],
    github: ['2608.19880', 'https://github.com/google-research/envharness'],
    organization: ['2608.19880', 'google'],
  },
};

describe('every real API capture (2024-05 to 2026-08) parses through the one schema', () => {
  it('covers every capture in the fixtures', () => {
    expect(API_CAPTURES.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(API_CAPTURES)('%s', (file) => {
    const expected = EXPECTED[file]!;
    const papers = listedFromApi(file);
    expect(papers).toHaveLength(expected.count);
    const [id, upvotes, titleStart] = expected.first;
    expect(papers[0]!.paper.id).toBe(id);
    expect(papers[0]!.paper.upvotes).toBe(upvotes);
    expect(papers[0]!.paper.title.startsWith(titleStart.trimEnd())).toBe(true);
    expect(papers[0]!.paper.title).not.toMatch(/\n|\s{2}/);
    for (const { paper } of papers) {
      expect(paper.authors.length).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(paper.publishedAt))).toBe(false);
    }
    const byId = new Map(papers.map((item) => [item.paper.id, item.paper]));
    if (expected.github) {
      expect((byId.get(expected.github[0])!.raw as { paper: { githubRepo: string } }).paper.githubRepo).toBe(
        expected.github[1],
      );
    }
    if (expected.organization) expect(byId.get(expected.organization[0])!.organization).toBe(expected.organization[1]);
  });

  it('reads the fields added over time: ai_summary, ai_keywords, project page, submitter', () => {
    const tattoo = listedFromApi('hf-api-daily_papers-2025-10-08.json')[0]!.paper;
    expect(tattoo.aiKeywords).toContain('Process Reward Models');
    expect(tattoo.aiSummary).toMatch(/^TaTToo, a novel table-grounded Process Reward Model/);
    expect(tattoo.submittedBy).toBe('jiaruz2');
    expect(tattoo.thumbnail).toBe('https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2510.06217.png');
    // Unknown fields stay in raw, e.g. githubRepoAddedBy (2025-12) and ai_summary_model (2026-06).
    const later = listedFromApi('hf-api-daily_papers-2026-08-21.json').map(
      (item) => item.paper.raw as { paper: Record<string, unknown> },
    );
    expect(later.some((raw) => 'githubRepoAddedBy' in raw.paper)).toBe(true);
  });
});

describe('pages built from a real shell and real payloads of other dates', () => {
  it.each(
    API_CAPTURES.flatMap(
      (file) =>
        [
          [file, '2024'],
          [file, '2025'],
        ] as const,
    ),
  )('%s in the %s layout parses to the API records', (file, layout) => {
    const date = /(\d{4}-\d{2}-\d{2})/.exec(file)![1]!;
    const page = buildListPage({ entries: apiEntries(file), date, layout });
    const parsed = parseListPage(page, { url: `https://huggingface.co/papers/date/${date}` });
    expect(parsed.origin).toBe('blob');
    expect(parsed.warnings).toEqual([]);
    expect(fullRecords(parsed)).toEqual(listedFromApi(file));
  });

  it('an empty list is a page with zero papers, not an error', () => {
    const parsed = parseListPage(buildListPage({ entries: [], date: '2024-08-03', layout: '2025' }), {
      url: 'https://huggingface.co/papers/date/2024-08-03',
    });
    expect(fullRecords(parsed)).toEqual([]);
  });
});

describe('the 2024-08-01 HTML page and the 2024-08-01 API capture', () => {
  it('reconcile: the 11 API papers are among the 13 on the page, with no more upvotes than the later page shows', () => {
    const html = new Map(listedFromHtml2024().map((item) => [item.paper.id, item.paper]));
    const api = listedFromApi(API_2024_08_01);
    expect(html.size).toBe(13);
    expect(api).toHaveLength(11);
    for (const { paper } of api) {
      expect(html.has(paper.id)).toBe(true);
      expect(paper.upvotes).toBeLessThanOrEqual(html.get(paper.id)!.upvotes);
      expect(paper.title).toBe(html.get(paper.id)!.title);
    }
  });

  it('rejects an API body that is not an array of papers (the real 404 error body)', () => {
    const errorBody = readFixture('hf-api/hf-api-error-404-body.json');
    expect(() =>
      parseDigestBody('api', errorBody, { url: 'https://huggingface.co/api/daily_papers?date=2099-01-01' }),
    ).toThrow(InvalidPayloadError);
    expect(() => parseDigestBody('api', errorBody, { url: 'x' })).toThrow(/not a JSON array/);
  });
});

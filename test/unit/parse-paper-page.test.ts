import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { TruncatedPageError } from '../../src/domain/hf-page.ts';
import type { PaperRecord } from '../../src/domain/paper.ts';
import { parsePaperApi, parsePaperBody, parsePaperPage } from '../../src/domain/parse-paper-page.ts';
import { extractRepoRefs } from '../../src/domain/repo-refs.ts';
import { InvalidPayloadError, LayoutChangedError, TransientError } from '../../src/errors.ts';
import { readFixture } from '../support/upstream-server.ts';

const PAGE = { url: 'https://huggingface.co/papers/2509.24002', id: '2509.24002' };
const API = { url: 'https://huggingface.co/api/papers/2605.06554', id: '2605.06554' };
const page = readFixture('hf-html/hf-paper-page-2509.24002-bs4-prettified.html').toString('utf8');
const apiBody = readFixture('hf-api/hf-api-papers-2605.06554.json');

// Read with Cheerio's default parser (parse5), not the production one: the test does not lean on the code it checks.
const capturedProps = load(page)('[data-target="PaperContent"]').attr('data-props')!;
const props = JSON.parse(capturedProps) as Record<string, any>;

/**
 * The capture with its PaperContent tag written the way the server writes
 * it (double-quoted `data-props` with `&quot;` and `&amp;`, as on the raw 2024
 * daily page), holding `propsText`: the capture's own props by default.
 */
function withServerTag(propsText = capturedProps): string {
  const target = page.indexOf('data-target="PaperContent"');
  const start = page.lastIndexOf('<div', target);
  const end = page.indexOf('>', target) + 1;
  const escaped = propsText.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  const tag = `<div class="SVELTE_HYDRATER contents" data-target="PaperContent" data-props="${escaped}">`;
  return page.slice(0, start) + tag + page.slice(end);
}

/** The capture (server-written tag) with its props changed by `edit`. */
function withProps(edit: (copy: Record<string, any>) => void): string {
  const copy = JSON.parse(capturedProps);
  edit(copy);
  return withServerTag(JSON.stringify(copy));
}

/** The capture with the text of the heading that starts with `label` changed by `edit`. */
function withHeading(html: string, label: string, edit: (heading: string) => string): string {
  const at = html.indexOf(label);
  const end = html.indexOf('</h', at);
  const changed = html.slice(0, at) + edit(html.slice(at, end)) + html.slice(end);
  expect(changed).not.toBe(html);
  return changed;
}

/** The JSON paths (`$.a[0].b`) of every string in `value` equal to `needle`. */
function placesOf(value: unknown, needle: string, path = '$'): string[] {
  if (typeof value === 'string') return value === needle ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => placesOf(item, needle, `${path}[${index}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => placesOf(item, needle, `${path}.${key}`));
}

/** The repository the paper's githubRepo names, as the enrichment stage reads it from the record. */
function githubRepoOf(paper: PaperRecord): string | undefined {
  return extractRepoRefs(paper).find((ref) => ref.foundIn === 'github_repo')?.display;
}

function caught(attempt: () => unknown): Error {
  try {
    attempt();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('parsePaperPage on the real 2509.24002 capture', () => {
  const parsed = parsePaperPage(page, PAGE);

  it('reads the paper through the listings mapping', () => {
    expect(parsed.origin).toBe('page');
    expect(parsed.warnings).toEqual([]);
    expect(parsed.paper).toMatchObject({
      id: '2509.24002',
      // paper.title keeps arXiv's line wrap ("MCP\n  Use"): stored single-spaced.
      title: 'MCPMark: A Benchmark for Stress-Testing Realistic and Comprehensive MCP Use',
      publishedAt: '2025-09-28T17:53:27.000Z',
      upvotes: 118,
      numComments: 2,
      projectPage: 'https://mcpmark.ai/',
      // The paper names no organization; the page names the submitter's.
      organization: 'NationalUniversityofSingapore',
      submittedBy: 'Jakumetsu',
      thumbnail: null,
    });
    expect(parsed.paper.authors).toHaveLength(15);
    expect(parsed.paper.authors.slice(0, 3)).toEqual(['Zijian Wu', 'Xiangyan Liu', 'Xinyuan Zhang']);
    expect(parsed.paper.authors.at(-1)).toBe('Michael Qizhe Shieh');
    expect(parsed.paper.abstract.startsWith('MCP standardizes how LLMs interact with external systems')).toBe(true);
    expect(parsed.paper.abstract).not.toContain('\n');
    expect(parsed.paper.aiKeywords).toContain('tool-calling loop');
  });

  it('counts both comments, the hidden spam one included', () => {
    expect(props['comments'].map((comment: any) => comment.data.hidden)).toEqual([false, true]);
    expect(parsed.paper.numComments).toBe(2);
  });

  it('finds the GitHub repository as a listing does', () => {
    expect(githubRepoOf(parsed.paper)).toBe('eval-sys/mcpmark');
  });

  it('reads what only the page has: daily rank, submitter organization and the section counts', () => {
    expect(parsed.detail).toMatchObject({
      id: '2509.24002',
      dailyRank: 1,
      submitterOrganization: 'NationalUniversityofSingapore',
      githubRepoAddedBy: null,
      citingModels: 0,
      citingDatasets: 0,
      citingSpaces: 0,
      collections: 3,
    });
  });

  it('stores the paper as a listing entry, and the props without profiles or viewer flags', () => {
    const { paper, submitterOrganization } = props;
    expect(parsed.paper.raw).toEqual({ paper, numComments: 2, organization: submitterOrganization });
    expect(parsed.detail.raw).toEqual({
      paper,
      dailyPaperRank: 1,
      submitterOrganization,
      numComments: 2,
      numUpvotersShown: 12,
    });
  });

  it("keeps no commenter's or upvoter's profile: a name stays only where the paper itself names it", () => {
    const people = [
      ...props['upvoters'].map((profile: any) => profile.user as string),
      ...props['comments'].map((comment: any) => comment.author.name as string),
    ];
    expect(people).toEqual(expect.arrayContaining(['Jakumetsu', 'ZackAXue', 'userone11']));
    for (const raw of [parsed.paper.raw, parsed.detail.raw]) {
      expect(placesOf(raw, 'ZackAXue')).toEqual([]);
      expect(placesOf(raw, 'userone11')).toEqual([]);
      // Jakumetsu submitted the paper and claimed authorship: the paper object keeps that, as listings do.
      expect(placesOf(raw, 'Jakumetsu')).toEqual(['$.paper.authors[0].user.user', '$.paper.submittedOnDailyBy.user']);
      for (const name of people) {
        for (const place of placesOf(raw, name))
          expect(place).toMatch(/^\$\.paper\.(authors\[\d+\]\.user|submittedOnDailyBy)\./);
      }
      const text = JSON.stringify(raw);
      expect(text).not.toContain('Agents can call tools');
      expect(text).not.toContain('This comment has been hidden');
    }
  });

  it('reads the server form of the props (double quotes, &quot;) the same as the re-saved capture', () => {
    const server = withServerTag();
    expect(server).toContain('data-target="PaperContent" data-props="{&quot;comments&quot;:[{&quot;id&quot;');
    expect(server).not.toContain(`data-props='{"comments"`);
    expect(parsePaperPage(server, PAGE)).toEqual(parsed);
  });

  it('is what parsePaperBody gives for the stored bytes', () => {
    expect(parsePaperBody('html', Buffer.from(page), PAGE)).toEqual(parsed);
  });

  it('takes the requested id in any arXiv spelling', () => {
    expect(parsePaperPage(page, { ...PAGE, id: 'arXiv:2509.24002v2' }).detail.id).toBe('2509.24002');
  });
});

describe('parsePaperApi on the real /api/papers/2605.06554 capture', () => {
  const parsed = parsePaperBody('api', apiBody, API);
  const body = JSON.parse(apiBody.toString('utf8'));

  it('reads the paper through the listings mapping', () => {
    expect(parsed.origin).toBe('api');
    expect(parsed.warnings).toEqual([]);
    expect(parsed.paper).toMatchObject({
      id: '2605.06554',
      title: 'Long Context Pre-Training with Lighthouse Attention',
      authors: ['Bowen Peng', 'Subho Ghosh', 'Jeffrey Quesnelle'],
      upvotes: 21,
      numComments: null,
      organization: 'NousResearch',
      submittedBy: 'bloc97',
      projectPage: 'https://nousresearch.com/lighthouse-attention',
    });
    expect(githubRepoOf(parsed.paper)).toBe('ighoshsubho/lighthouse-attention');
  });

  it('has no counts, rank or submitter organization (not observed), but who linked the repository', () => {
    expect(parsed.detail).toEqual({
      id: '2605.06554',
      dailyRank: null,
      submitterOrganization: null,
      githubRepoAddedBy: 'user',
      citingModels: null,
      citingDatasets: null,
      citingSpaces: null,
      collections: null,
      raw: body,
    });
    expect(parsed.paper.raw).toEqual({ paper: body });
  });

  it('is what parsePaperApi gives for the parsed body', () => {
    expect(parsePaperApi(body, API)).toEqual(parsed);
  });
});

describe('parsePaperPage on damaged versions of the capture', () => {
  it('raises LayoutChangedError with the URL and an excerpt when the PaperContent props are gone', () => {
    const error = caught(() => parsePaperPage(page.replace('data-target="PaperContent"', 'data-target="Other"'), PAGE));
    expect(error).toBeInstanceOf(LayoutChangedError);
    expect(error.message).toContain(`no PaperContent data-props on ${PAGE.url}`);
    const { url, excerpt } = error as LayoutChangedError;
    expect(url).toBe(PAGE.url);
    expect(excerpt).toContain('MCPMark');
    expect(excerpt.length).toBeLessThanOrEqual(300);
  });

  it('raises TruncatedPageError (retryable) when the page is cut before </html>, even inside the props', () => {
    const propsAt = page.indexOf(`data-props='{"comments"`);
    for (const cut of [propsAt + 5000, page.indexOf('</html>')]) {
      const error = caught(() => parsePaperPage(page.slice(0, cut), PAGE));
      expect(error).toBeInstanceOf(TruncatedPageError);
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).toContain(`page ${PAGE.url} ends before </html>`);
    }
  });

  it('raises InvalidPayloadError when the props are not valid JSON', () => {
    const broken = page.replace(`data-props='{"comments":`, `data-props='{"comments":,`);
    expect(broken).not.toBe(page);
    const error = caught(() => parsePaperPage(broken, PAGE));
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error.message).toContain(`PaperContent props on ${PAGE.url} is not valid JSON`);
  });

  it('raises InvalidPayloadError naming the field when the props fail validation', () => {
    const error = caught(() =>
      parsePaperPage(
        withProps((copy) => (copy['paper'].upvotes = -1)),
        PAGE,
      ),
    );
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error.message).toMatch(/^PaperContent props on \S+ failed validation: paper\.upvotes: /);
  });

  it('raises InvalidPayloadError when the page is about another paper than the one requested', () => {
    const error = caught(() => parsePaperPage(page, { ...PAGE, id: '2509.24003' }));
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error.message).toBe(`${PAGE.url} is about paper 2509.24002, not the requested 2509.24003`);
  });

  it('drops a key named __proto__ with a warning, and gains nothing through it', () => {
    const html = withServerTag(
      capturedProps.replace('"paper":{', '"paper":{"__proto__":{"githubRepoAddedBy":"injected","polluted":"yes"},'),
    );
    const parsed = parsePaperPage(html, PAGE);
    expect(parsed.warnings).toEqual(['1 key(s) named "__proto__" dropped from the PaperContent props (not stored)']);
    expect(parsed.detail.githubRepoAddedBy).toBeNull();
    expect(JSON.stringify([parsed.paper.raw, parsed.detail.raw])).not.toContain('injected');
  });
});

describe('parsePaperPage warnings', () => {
  it('leaves a missing section null and names it, reading the others', () => {
    const html = withHeading(page, 'Spaces citing this paper', (heading) => heading.replace('Spaces', 'Demos'));
    const parsed = parsePaperPage(html, PAGE);
    expect(parsed.detail).toMatchObject({ citingModels: 0, citingDatasets: 0, citingSpaces: null, collections: 3 });
    expect(parsed.warnings).toEqual([`no "Spaces citing this paper" section on ${PAGE.url}: citingSpaces not read`]);
  });

  it('says once when none of the four sections is there', () => {
    const html = ['Models citing', 'Datasets citing', 'Spaces citing', 'Collections including'].reduce(
      (changed, label) => withHeading(changed, label, (heading) => heading.replace(' this paper', '')),
      page,
    );
    const parsed = parsePaperPage(html, PAGE);
    expect(parsed.detail).toMatchObject({
      citingModels: null,
      citingDatasets: null,
      citingSpaces: null,
      collections: null,
    });
    expect(parsed.warnings).toEqual([
      `no "citing this paper" or "including this paper" sections on ${PAGE.url}: no counts read`,
    ]);
  });

  it('reads a count with thousands separators, and leaves one it cannot read null with a warning', () => {
    const thousands = withHeading(page, 'Collections including this paper', (heading) =>
      heading.replace(/3(\s*<\/span>)/, '1,234$1'),
    );
    expect(parsePaperPage(thousands, PAGE).detail.collections).toBe(1234);
    const abbreviated = withHeading(page, 'Models citing this paper', (heading) =>
      heading.replace(/0(\s*<\/span>)/, '1.2k$1'),
    );
    const parsed = parsePaperPage(abbreviated, PAGE);
    expect(parsed.detail.citingModels).toBeNull();
    expect(parsed.warnings).toEqual([
      `the "Models citing this paper" heading on ${PAGE.url} shows no count ("Models citing this paper 1.2k"): citingModels not read`,
    ]);
  });

  it('warns when the page shows more upvoter profiles than the paper counts upvotes', () => {
    const parsed = parsePaperPage(
      withProps((copy) => (copy['paper'].upvotes = 5)),
      PAGE,
    );
    expect(parsed.paper.upvotes).toBe(5);
    expect(parsed.warnings).toEqual([
      `${PAGE.url} shows 12 upvoter profiles but paper.upvotes is 5: the counts disagree`,
    ]);
  });
});

describe('parsePaperApi on damaged bodies', () => {
  const body = () => JSON.parse(apiBody.toString('utf8'));

  it('raises InvalidPayloadError when the body is not JSON', () => {
    const error = caught(() => parsePaperBody('api', apiBody.subarray(0, 100), API));
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error.message).toContain(`API body of ${API.url} is not valid JSON`);
  });

  it('raises InvalidPayloadError naming the field when the body fails validation', () => {
    const error = caught(() => parsePaperApi({ ...body(), upvotes: -1 }, API));
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error.message).toMatch(/^API body of \S+ failed validation: upvotes: /);
  });

  it("raises InvalidPayloadError on Hugging Face's error body", () => {
    const error = caught(() => parsePaperBody('api', readFixture('hf-api/hf-api-error-404-body.json'), API));
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error.message).toContain('failed validation: id: ');
  });

  it('raises InvalidPayloadError when the body is about another paper than the one requested', () => {
    const error = caught(() => parsePaperApi(body(), { ...API, id: '2509.24002' }));
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect(error.message).toBe(`${API.url} is about paper 2605.06554, not the requested 2509.24002`);
  });
});

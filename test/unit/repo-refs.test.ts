import { describe, expect, it } from 'vitest';
import { extractRepoRefs, normalizeGithubRepo } from '../../src/domain/repo-refs.ts';
import { listedFromApi, realApiEntries } from '../support/digests.ts';
import { parseDailyPaperEntries } from '../../src/domain/parse-digest.ts';
import { fullRecords } from '../support/digests.ts';

describe('normalizeGithubRepo', () => {
  it.each([
    ['https://github.com/NVlabs/Fast-dLLM', 'nvlabs/fast-dllm', 'NVlabs/Fast-dLLM'],
    ['https://github.com/SalesforceAIResearch/CoDA/', 'salesforceairesearch/coda', 'SalesforceAIResearch/CoDA'],
    ['https://github.com/\nFightingFighting/NeuroAda.git', 'fightingfighting/neuroada', 'FightingFighting/NeuroAda'],
    [
      'https://github.com/sirano1004/\nMargin-Apative-Direct-Preference-Optimization',
      'sirano1004/margin-apative-direct-preference-optimization',
      'sirano1004/Margin-Apative-Direct-Preference-Optimization',
    ],
    [
      'https://github.com/modelscope/Trinity-RFT/tree/main/examples/rec_gsm8k',
      'modelscope/trinity-rft',
      'modelscope/Trinity-RFT',
    ],
    [
      'https://github.com/codefuse-ai/CodeFuse-Embeddings/tree/main/F2LLM',
      'codefuse-ai/codefuse-embeddings',
      'codefuse-ai/CodeFuse-Embeddings',
    ],
    ['https://github.com//owner//repo///', 'owner/repo', 'owner/repo'],
    ['https://github.com/owner/repo.git?tab=readme-ov-file#install', 'owner/repo', 'owner/repo'],
    ['https://github.com/owner/repo/blob/main/README.md', 'owner/repo', 'owner/repo'],
    ['github.com/wizard-III/Archer2.0.', 'wizard-iii/archer2.0', 'wizard-III/Archer2.0'],
    ['github.com/YU-deep/ViF.git.', 'yu-deep/vif', 'YU-deep/ViF'],
    ['http://www.github.com/Owner/Repo),', 'owner/repo', 'Owner/Repo'],
  ])('%j → %s', (input, ref, display) => {
    expect(normalizeGithubRepo(input)).toEqual({ ref, display });
  });

  it.each([
    'https://github.com/orgs/huggingface/repositories',
    'https://github.com/features/copilot',
    'https://github.com/sponsors/someone',
    'https://github.com/NVlabs',
    'https://github.com/',
    'https://gist.github.com/someone/0123456789abcdef',
    'https://nvlabs.github.io/Fast-dLLM/v2/',
    'https://gitlab.com/owner/repo',
    'https://github.com/-bad-/repo',
    'not a url',
  ])('rejects %j', (input) => {
    expect(normalizeGithubRepo(input)).toBeUndefined();
  });
});

describe('extractRepoRefs on real papers', () => {
  it('normalises every githubRepo value in the hf-api captures to owner/repo', () => {
    const papers = fullRecords(parseDailyPaperEntries(realApiEntries(), { url: 'fixtures' })).map((item) => item.paper);
    const withRepo = papers.filter(
      (paper) => typeof (paper.raw as { paper: { githubRepo?: string } }).paper.githubRepo === 'string',
    );
    expect(withRepo.length).toBe(96);
    for (const paper of withRepo) {
      const refs = extractRepoRefs(paper);
      const fromField = refs.find((ref) => ref.foundIn === 'github_repo');
      expect(
        fromField,
        `${paper.id}: ${(paper.raw as { paper: { githubRepo: string } }).paper.githubRepo}`,
      ).toBeDefined();
      expect(fromField!.ref).toMatch(/^[a-z0-9-]+\/[a-z0-9._-]+$/);
    }
  });

  it('collects the field, a github.com project page and links in the abstract, each once', () => {
    const byId = new Map(
      listedFromApi('hf-api-daily_papers-2025-10-08.json').map((item) => [item.paper.id, item.paper]),
    );
    const newline = extractRepoRefs(byId.get('2510.05342')!);
    expect(newline[0]).toMatchObject({ foundIn: 'github_repo' });
    expect(newline[0]!.ref).not.toMatch(/\s/);
    const all = listedFromApi('hf-api-daily_papers-2025-10-08.json').flatMap((item) => extractRepoRefs(item.paper));
    expect(all.some((ref) => ref.foundIn === 'abstract')).toBe(true);
  });
});

describe('a githubRepo value holding two URLs', () => {
  const twoUrls = 'https://github.com/foo/bar\nhttps://github.com/baz/qux';

  it('keeps both repositories, in order, each found in the field (never the glued foo/barhttps)', () => {
    const refs = extractRepoRefs({ raw: { paper: { githubRepo: twoUrls } }, projectPage: null, abstract: '' });
    expect(refs).toEqual([
      { ref: 'foo/bar', display: 'foo/bar', foundIn: 'github_repo' },
      { ref: 'baz/qux', display: 'baz/qux', foundIn: 'github_repo' },
    ]);
    // A line wrap inside one URL is still one URL.
    const wrapped = 'https://github.com/\nFightingFighting/NeuroAda.git github.com/baz/qux';
    expect(
      extractRepoRefs({ raw: { paper: { githubRepo: wrapped } }, projectPage: null, abstract: '' }).map(
        (ref) => ref.ref,
      ),
    ).toEqual(['fightingfighting/neuroada', 'baz/qux']);
  });

  it('is not one repository: normalizeGithubRepo refuses it rather than glue the two', () => {
    expect(normalizeGithubRepo(twoUrls)).toBeUndefined();
  });
});

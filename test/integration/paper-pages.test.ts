import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestRef } from '../../src/domain/digest-key.ts';
import { TruncatedPageError } from '../../src/domain/parse-digest.ts';
import { LayoutChangedError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import { ingestDigest } from '../../src/stages/ingest-digest.ts';
import { reparseDigests } from '../../src/stages/reparse-digests.ts';
import { runCli } from '../support/cli.ts';
import { ingestSuite, INGEST_TABLES } from '../support/ingest-suite.ts';
import { buildPaperPage, capturedPaperContentProps, PAPER_PAGE_CAPTURE } from '../support/paper-page-builder.ts';
import { readFixture } from '../support/upstream-server.ts';

const logger = createLogger({ level: 'silent', pretty: false });
const PAGE_ID = '2509.24002';
const API_ID = '2605.06554';
const capture = readFixture(PAPER_PAGE_CAPTURE).toString('utf8');

/** Everything stored about a paper, minus times: what "nothing changed" compares. */
async function storedState(pool: pg.Pool) {
  const [papers, details, history, metrics, repos, fetches] = await Promise.all([
    pool.query(
      `select id, title, upvotes, num_comments, organization, observed_at, updated_at, raw from papers order by id`,
    ),
    pool.query(`select * from paper_details order by paper_id`),
    pool.query(`select * from paper_detail_history order by paper_id, observed_at`),
    pool.query(`select * from paper_metrics order by paper_id, observed_at`),
    pool.query(`select paper_id, ref, source from paper_repos order by 1, 2`),
    pool.query(`select count(*)::int as n from digest_fetches`),
  ]);
  return {
    papers: papers.rows,
    details: details.rows,
    history: history.rows,
    metrics: metrics.rows,
    repos: repos.rows,
    fetches: fetches.rows[0].n,
  };
}

describe("a paper's own page (real Postgres, local Hugging Face serving the real captures)", () => {
  const suite = ingestSuite({ truncateBeforeEach: INGEST_TABLES });
  const { hf } = suite;

  beforeAll(() => {
    hf.route(`/papers/${PAGE_ID}`, { body: capture, headers: { 'content-type': 'text/html; charset=utf-8' } })
      .route(`/api/papers/${API_ID}`, {
        body: readFixture(`hf-api/hf-api-papers-${API_ID}.json`),
        headers: { 'content-type': 'application/json' },
      })
      // The page's own `paper` object, as the JSON form of the same paper (the same PaperInfo shape).
      .route(`/api/papers/${PAGE_ID}`, {
        body: JSON.stringify(capturedPaperContentProps().paper),
        headers: { 'content-type': 'application/json' },
      })
      .route('/papers/2501.00001', { status: 404, body: 'Not Found' })
      .route('/api/papers/2501.00001', { status: 404, body: readFixture('hf-api/hf-api-error-404-body.json') });
  });

  it('loads the page: the paper through the listing schema, and what only the page shows', async () => {
    const result = await ingestDigest(suite.deps, digestRef('paper', `arXiv:${PAGE_ID}v2`));
    expect(result).toMatchObject({ outcome: 'loaded', paperCount: 1, counts: { inserted: 1, updated: 0 } });
    expect(result.repoRefs).toEqual(['eval-sys/mcpmark']);

    const paper = await suite.pool.query(
      `select id, title, upvotes, num_comments, organization, submitted_by, array_length(authors, 1) as authors,
              raw->'paper'->>'githubRepo' as github_repo
       from papers`,
    );
    expect(paper.rows).toEqual([
      {
        id: PAGE_ID,
        title: 'MCPMark: A Benchmark for Stress-Testing Realistic and Comprehensive MCP Use',
        upvotes: 118,
        num_comments: 2,
        organization: 'NationalUniversityofSingapore',
        submitted_by: 'Jakumetsu',
        authors: capturedPaperContentProps().paper.authors.length,
        github_repo: 'https://github.com/eval-sys/mcpmark',
      },
    ]);
    const detail = await suite.pool.query(
      `select status, daily_rank, submitter_organization, github_repo_added_by, citing_models, citing_datasets,
              citing_spaces, collections, next_check_at from paper_details`,
    );
    expect(detail.rows).toEqual([
      {
        status: 'ok',
        daily_rank: 1,
        submitter_organization: 'NationalUniversityofSingapore',
        github_repo_added_by: null,
        citing_models: 0,
        citing_datasets: 0,
        citing_spaces: 0,
        collections: 3,
        next_check_at: null,
      },
    ]);
    const history = await suite.pool.query(
      `select daily_rank, citing_models, citing_datasets, citing_spaces, collections from paper_detail_history`,
    );
    expect(history.rows).toEqual([
      { daily_rank: 1, citing_models: 0, citing_datasets: 0, citing_spaces: 0, collections: 3 },
    ]);
    const metrics = await suite.pool.query(`select upvotes, num_comments from paper_metrics`);
    expect(metrics.rows).toEqual([{ upvotes: 118, num_comments: 2 }]);
    const fetch = await suite.pool.query(
      `select kind, key, outcome, paper_count, transport, http_status, content_sha256 is not null as kept,
              exists (select 1 from page_bodies b where b.sha256 = f.content_sha256) as body_stored
       from digest_fetches f`,
    );
    expect(fetch.rows).toEqual([
      {
        kind: 'paper',
        key: PAGE_ID,
        outcome: 'loaded',
        paper_count: 1,
        transport: 'html',
        http_status: 200,
        kept: true,
        body_stored: true,
      },
    ]);
    // No listing: a paper's own page lists nothing.
    expect((await suite.pool.query('select count(*)::int as n from listings')).rows[0].n).toBe(0);
  });

  it('keeps no commenter or upvoter profile, only their counts', async () => {
    await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));
    const props = capturedPaperContentProps();
    const { rows } = await suite.pool.query(
      `select p.raw::text as paper, d.raw::text as detail from papers p, paper_details d`,
    );
    const stored = `${rows[0].paper}\n${rows[0].detail}`;
    const profiles = [
      ...props.upvoters.map((upvoter: { user: string }) => upvoter.user),
      ...props.comments.map((comment: { author: { name: string } }) => comment.author.name),
      // The paper's own people (its submitter, its authors' claimed profiles) are the paper's data, as in listings.
    ].filter(
      (name) =>
        name !== props.paper.submittedOnDailyBy.user &&
        !props.paper.authors.some((author: { user?: { user: string } }) => author.user?.user === name),
    );
    expect(profiles.length).toBeGreaterThan(5);
    for (const name of profiles) expect(stored).not.toContain(`"${name}"`);
    expect(stored).not.toContain('Agents can call tools');
  });

  it('writes nothing when the unchanged page is fetched again', async () => {
    await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));
    const before = await storedState(suite.pool);
    const again = await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));
    expect(again.outcome).toBe('not_modified');
    expect(await storedState(suite.pool)).toEqual({ ...before, fetches: before.fetches + 1 });
  });

  it('adds a history row only when a count moves', async () => {
    await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));
    hf.route(`/papers/${PAGE_ID}`, { body: buildPaperPage({ sections: { collections: 4 } }) });
    try {
      await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));
      // Same counts, other bytes (a rank-only props change, here none): no new history row.
      hf.route(`/papers/${PAGE_ID}`, {
        body: buildPaperPage({ sections: { collections: 4 }, props: (p) => (p.upvoted = true) }),
      });
      const third = await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));
      expect(third.outcome).toBe('loaded');
    } finally {
      hf.route(`/papers/${PAGE_ID}`, { body: capture });
    }
    const history = await suite.pool.query(`select collections from paper_detail_history order by observed_at`);
    expect(history.rows).toEqual([{ collections: 3 }, { collections: 4 }]);
    const detail = await suite.pool.query(`select collections from paper_details`);
    expect(detail.rows).toEqual([{ collections: 4 }]);
  });

  it('reads the server quoting of data-props (double quotes, entities) like the saved one', async () => {
    hf.route(`/papers/${PAGE_ID}`, { body: buildPaperPage() });
    try {
      await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));
    } finally {
      hf.route(`/papers/${PAGE_ID}`, { body: capture });
    }
    const { rows } = await suite.pool.query(`select collections, daily_rank from paper_details`);
    expect(rows).toEqual([{ collections: 3, daily_rank: 1 }]);
  });

  it('loads the JSON form with --via api: the paper and who added its repository, no counts', async () => {
    const result = await ingestDigest(suite.deps, digestRef('paper', API_ID), { via: 'api' });
    expect(result).toMatchObject({ outcome: 'loaded', paperCount: 1 });
    expect(result.repoRefs).toEqual(['ighoshsubho/lighthouse-attention']);
    const paper = await suite.pool.query(`select title, upvotes, num_comments, organization, submitted_by from papers`);
    expect(paper.rows).toEqual([
      {
        title: 'Long Context Pre-Training with Lighthouse Attention',
        upvotes: 21,
        num_comments: null,
        organization: 'NousResearch',
        submitted_by: 'bloc97',
      },
    ]);
    const detail = await suite.pool.query(
      `select status, github_repo_added_by, daily_rank, citing_models, collections from paper_details`,
    );
    expect(detail.rows).toEqual([
      { status: 'ok', github_repo_added_by: 'user', daily_rank: null, citing_models: null, collections: null },
    ]);
    expect((await suite.pool.query('select count(*)::int as n from paper_detail_history')).rows[0].n).toBe(0);
    const fetch = await suite.pool.query(`select transport, url, outcome from digest_fetches`);
    expect(fetch.rows).toEqual([{ transport: 'api', url: `${hf.baseUrl}/api/papers/${API_ID}`, outcome: 'loaded' }]);
  });

  it('a later JSON fetch of the same paper keeps the counts only the page has', async () => {
    await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));
    await ingestDigest(suite.deps, digestRef('paper', PAGE_ID), { via: 'api' });
    const { rows } = await suite.pool.query(`select status, daily_rank, collections, citing_models from paper_details`);
    expect(rows).toEqual([{ status: 'ok', daily_rank: 1, collections: 3, citing_models: 0 }]);
    const paper = await suite.pool.query(`select upvotes, num_comments from papers`);
    expect(paper.rows).toEqual([{ upvotes: 118, num_comments: 2 }]);
    expect((await suite.pool.query('select count(*)::int as n from paper_metrics')).rows[0].n).toBe(1);
  });

  it('a 404 marks a known paper not_found, keeps everything, and is looked at again later', async () => {
    await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));
    hf.route(`/papers/${PAGE_ID}`, { status: 404, body: 'Not Found' });
    let result;
    try {
      result = await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));
    } finally {
      hf.route(`/papers/${PAGE_ID}`, { body: capture });
    }
    expect(result).toMatchObject({ outcome: 'not_found', paperCount: 0, httpStatus: 404 });
    const detail = await suite.pool.query(
      `select status, collections, daily_rank, next_check_at - observed_at as recheck_in from paper_details`,
    );
    expect(detail.rows).toEqual([{ status: 'not_found', collections: 3, daily_rank: 1, recheck_in: { days: 7 } }]);
    expect((await suite.pool.query('select count(*)::int as n from papers')).rows[0].n).toBe(1);
    const outcomes = await suite.pool.query(`select outcome from digest_fetches order by id`);
    expect(outcomes.rows.map((row) => row.outcome)).toEqual(['loaded', 'not_found']);
    // Back again: found, the values kept, nothing to re-check.
    await ingestDigest(suite.deps, digestRef('paper', PAGE_ID), { force: true });
    const back = await suite.pool.query(`select status, next_check_at from paper_details`);
    expect(back.rows).toEqual([{ status: 'ok', next_check_at: null }]);
  });

  it('a 404 of a paper paperboy never held records the fetch and nothing else', async () => {
    for (const via of ['html', 'api'] as const) {
      const result = await ingestDigest(suite.deps, digestRef('paper', '2501.00001'), { via });
      expect(result.outcome).toBe('not_found');
    }
    const { rows } = await suite.pool.query(`select outcome, transport, http_status from digest_fetches order by id`);
    expect(rows).toEqual([
      { outcome: 'not_found', transport: 'html', http_status: 404 },
      { outcome: 'not_found', transport: 'api', http_status: 404 },
    ]);
    expect((await suite.pool.query('select count(*)::int as n from paper_details')).rows[0].n).toBe(0);
  });

  it.each([
    [
      'a page without PaperContent props (a changed layout)',
      capture.replace('data-target="PaperContent"', 'data-target="PaperBody"'),
      LayoutChangedError,
    ],
    ['a page cut off before </html>', capture.slice(0, 60_000), TruncatedPageError],
  ])('%s fails with nothing partial loaded and the stored values kept', async (_, body, errorClass) => {
    await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));
    const before = await storedState(suite.pool);
    hf.route(`/papers/${PAGE_ID}`, { body });
    try {
      await expect(ingestDigest(suite.deps, digestRef('paper', PAGE_ID))).rejects.toBeInstanceOf(errorClass);
    } finally {
      hf.route(`/papers/${PAGE_ID}`, { body: capture });
    }
    expect(await storedState(suite.pool)).toEqual({ ...before, fetches: before.fetches + 1 });
    const failed = await suite.pool.query(`select outcome, error from digest_fetches order by id desc limit 1`);
    expect(failed.rows[0].outcome).toBe('failed');
  });

  it('a layout change on a first fetch loads no paper at all', async () => {
    hf.route(`/papers/${PAGE_ID}`, { body: capture.replace('data-target="PaperContent"', 'data-target="Gone"') });
    try {
      await expect(ingestDigest(suite.deps, digestRef('paper', PAGE_ID))).rejects.toThrow(/PaperContent/);
    } finally {
      hf.route(`/papers/${PAGE_ID}`, { body: capture });
    }
    const { rows } = await suite.pool.query(
      `select (select count(*)::int from papers) as papers, (select count(*)::int from paper_details) as details,
              (select excerpt is not null from digest_fetches) as excerpt`,
    );
    expect(rows).toEqual([{ papers: 0, details: 0, excerpt: true }]);
  });

  it('reparse runs the current parser over the kept page, and changes nothing that is right', async () => {
    await ingestDigest(suite.deps, digestRef('paper', PAGE_ID));
    const before = await storedState(suite.pool);
    const summary = await reparseDigests(suite.pool, { kind: 'paper', all: true }, logger);
    expect(summary).toMatchObject({ considered: 1, loaded: 1, failed: [] });
    expect(await storedState(suite.pool)).toEqual({ ...before, fetches: before.fetches + 1 });
  });

  it('`paperboy ingest paper` takes any arXiv spelling and says what it did', async () => {
    const env = { DATABASE_URL: suite.db.url, HF_BASE_URL: hf.baseUrl, LOG_LEVEL: 'warn' };
    const loaded = await runCli(['ingest', 'paper', `https://arxiv.org/abs/${PAGE_ID}v1`, '--no-enrich'], env);
    expect(loaded.stderr).toBe('');
    expect(loaded.stdout).toBe(`paper ${PAGE_ID}: loaded, 1 papers (1 new, 0 updated, 0 unchanged)\n`);
    const api = await runCli(['ingest', 'paper', API_ID, '--via', 'api', '--no-enrich'], env);
    expect(api.stdout).toBe(`paper ${API_ID}: loaded, 1 papers (1 new, 0 updated, 0 unchanged)\n`);
    const missing = await runCli(['ingest', 'paper', '2501.00001', '--no-enrich'], env);
    expect(missing).toMatchObject({ code: 0, stderr: '' });
    expect(missing.stdout).toMatch(/^paper 2501\.00001: Hugging Face has no such paper \(404\)/);
    const bad = await runCli(['ingest', 'paper', 'not-an-id'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"not-an-id" is not a valid paper key/);
  });
});

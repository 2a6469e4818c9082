import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/db/pool.ts';
import { utcDay } from '../../src/domain/digest-key.ts';
import { canonicalPaperId } from '../../src/domain/paper-id.ts';
import { parseDailyPaperEntries } from '../../src/domain/parse-digest.ts';
import { RateLimitedError, TransientError } from '../../src/errors.ts';
import type { HttpClient } from '../../src/http/http-client.ts';
import { createLogger } from '../../src/logger.ts';
import { createMetricsRegistry } from '../../src/dashboard/metrics.ts';
import { enrichRepos, type EnrichDependencies } from '../../src/stages/enrich-repos.ts';
import { loadDigest } from '../../src/stages/load-digest.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { realApiEntries } from '../support/digests.ts';
import { FakeGithub } from '../support/fake-github.ts';
import { buildListPage } from '../support/page-builder.ts';
import { configOf, openQueue, serviceEnv, settledIn } from '../support/service.ts';
import { serviceSuite } from '../support/service-suite.ts';
import { clientFor, readFixture } from '../support/upstream-server.ts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const logger = createLogger({ level: 'silent', pretty: false });

describe('repository enrichment against a GitHub stand-in built from real captures', () => {
  const github = new FakeGithub();
  let db: TestDatabase;
  let pool: pg.Pool;
  let http: HttpClient;
  let refs: string[];

  beforeAll(async () => {
    await github.start();
    http = clientFor(github);
  });

  beforeEach(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, logger);
    github.requests.length = 0;
    github.missing.clear();
    github.renamed.clear();
    github.starsOverride.clear();
    github.failOnce.clear();
    github.unprocessable.clear();
    // Every real paper of every capture, loaded as one digest: its repository links come with it.
    const parsed = parseDailyPaperEntries(realApiEntries(), { url: 'fixtures' });
    const loaded = await loadDigest(pool, {
      digest: { source: 'hf', kind: 'day', key: '2026-08-21' },
      parsed,
      observedAt: new Date(),
      fetch: { url: 'test', httpStatus: 200, error: null },
    });
    refs = loaded.repoRefs;
  });

  afterEach(async () => {
    await pool.end();
    await db.drop();
  });

  afterAll(async () => {
    await http.close();
    await github.stop();
  });

  const deps = (token?: string): EnrichDependencies => ({
    http,
    pool,
    github: { apiUrl: github.baseUrl, token },
    logger,
  });

  it('with a token, resolves N references in ceil(N/100) GraphQL queries', async () => {
    expect(refs.length).toBeGreaterThan(100);
    const summary = await enrichRepos(deps('ghp_test'));
    expect(github.requests.map((request) => `${request.method} ${request.url}`)).toEqual(
      Array.from({ length: Math.ceil(refs.length / 100) }, () => 'POST /graphql'),
    );
    expect(github.requests[0]!.headers.authorization).toBe('Bearer ghp_test');
    expect(github.requests.flatMap((request) => request.names)).toHaveLength(refs.length);
    expect(summary).toMatchObject({ checked: refs.length, resolved: refs.length, notFound: 0 });
    // The budget GitHub reported is kept for /metrics, whichever worker asked.
    const metrics = await createMetricsRegistry(pool, [], { read: async () => [] }).metrics();
    expect(metrics).toContain('paperboy_upstream_rate_limit_remaining{upstream="github",resource="graphql"} 4999');
    const { rows } = await pool.query(`select count(*)::int as unresolved from repo_refs where status <> 'resolved'`);
    expect(rows[0].unresolved).toBe(0);
    const repo = await pool.query(
      `select r.full_name, r.stars, r.forks, r.topics, r.license_spdx from repos r join repo_refs f on f.repo_id = r.id where f.ref = 'nvlabs/fast-dllm'`,
    );
    const served = github.repoFor('NVlabs/Fast-dLLM')!;
    expect(repo.rows).toEqual([
      {
        full_name: 'NVlabs/Fast-dLLM',
        stars: served.stargazers_count,
        forks: served.forks_count,
        topics: served.topics ?? [],
        license_spdx: (served.license as { spdx_id?: string } | null)?.spdx_id ?? null,
      },
    ]);
  });

  it('without a token, uses conditional REST requests: a 304 rewrites no repository, only the check time of its reference', async () => {
    const sample = refs.slice(0, 5);
    await enrichRepos(deps(), { refs: sample });
    expect(github.requests.map((request) => request.method)).toEqual(['GET', 'GET', 'GET', 'GET', 'GET']);
    const before = await pool.query(`select id, xmin::text, updated_at, fetched_at, etag from repos order by id`);
    const snapshotsBefore = await pool.query(`select count(*)::int as n from repo_snapshots`);
    github.requests.length = 0;

    const again = await enrichRepos(deps(), { refs: sample });
    expect(again).toMatchObject({ checked: 5, notModified: 5, changed: 0 });
    expect(github.requests.every((request) => request.headers['if-none-match']?.startsWith('W/"'))).toBe(true);
    const after = await pool.query(`select id, xmin::text, updated_at, fetched_at, etag from repos order by id`);
    expect(after.rows).toEqual(before.rows);
    const checked = await pool.query(`select checked_at from repo_refs where ref = any($1) order by ref`, [sample]);
    for (const row of checked.rows)
      expect(row.checked_at.getTime()).toBeGreaterThan(before.rows[0].fetched_at.getTime());
    expect((await pool.query(`select count(*)::int as n from repo_snapshots`)).rows[0].n).toBe(
      snapshotsBefore.rows[0].n,
    );
  });

  it.each([
    ['REST', undefined],
    ['GraphQL', 'ghp_test'],
  ] as const)('keeps one row for a renamed repository, reached by both names (%s)', async (_api, token) => {
    const oldRef = 'nvlabs/fast-dllm';
    await enrichRepos(deps(token), { refs: [oldRef] });
    const {
      rows: [first],
    } = await pool.query(`select repo_id from repo_refs where ref = $1`, [oldRef]);
    github.renamed.set(oldRef, 'NVlabs/Fast-dLLM-v2');
    await enrichRepos(deps(token), { refs: [oldRef] });
    const { rows } = await pool.query(
      `select f.ref, f.repo_id, r.full_name from repo_refs f join repos r on r.id = f.repo_id where f.ref in ($1, 'nvlabs/fast-dllm-v2') order by f.ref`,
      [oldRef],
    );
    expect(rows).toEqual([
      { ref: 'nvlabs/fast-dllm', repo_id: first.repo_id, full_name: 'NVlabs/Fast-dLLM-v2' },
      { ref: 'nvlabs/fast-dllm-v2', repo_id: first.repo_id, full_name: 'NVlabs/Fast-dLLM-v2' },
    ]);
    expect((await pool.query(`select count(*)::int as n from repos`)).rows[0].n).toBe(1);
    if (!token) expect(github.requests.some((request) => request.url.startsWith('/repositories/'))).toBe(true);
  });

  it('marks a 404 not_found, keeps every link, and checks it again much later', async () => {
    const gone = refs[0]!;
    github.missing.add(gone);
    const summary = await enrichRepos(deps(), { refs: [gone] });
    expect(summary).toMatchObject({ notFound: 1 });
    const { rows } = await pool.query(
      `select status, repo_id, next_check_at > now() + interval '29 days' as later,
              (select count(*)::int from paper_repos where ref = $1) as links
       from repo_refs where ref = $1`,
      [gone],
    );
    expect(rows).toEqual([{ status: 'not_found', repo_id: null, later: true, links: expect.any(Number) }]);
    expect(rows[0].links).toBeGreaterThan(0);
  });

  it('checks the repositories of papers listed in the last two weeks daily, the others weekly, by listing date', async () => {
    const papersOf = async (ref: string) =>
      (await pool.query(`select paper_id from paper_repos where ref = $1`, [ref])).rows.map((row) => row.paper_id);
    const fresh = refs[0]!;
    const freshPapers = await papersOf(fresh);
    let old: string | undefined;
    for (const ref of refs.slice(1)) {
      if ((await papersOf(ref)).every((id) => !freshPapers.includes(id))) {
        old = ref;
        break;
      }
    }
    // Every paper was fetched just now, but listed on 2026-08-21; the papers of `fresh` are also on today's page.
    const today = utcDay(new Date());
    const entries = realApiEntries().filter((entry) =>
      freshPapers.includes(canonicalPaperId((entry as { paper: { id: string } }).paper.id)),
    );
    await loadDigest(pool, {
      digest: { source: 'hf', kind: 'day', key: today },
      parsed: parseDailyPaperEntries(entries, { url: 'fixtures' }),
      observedAt: new Date(),
      fetch: { url: 'test', httpStatus: 200, error: null },
    });
    await enrichRepos(deps('ghp_test'), { refs: [fresh, old!] });
    const { rows } = await pool.query(
      `select ref, (next_check_at - checked_at)::text as recheck from repo_refs where ref = any($1) order by ref = $2 desc`,
      [[fresh, old], fresh],
    );
    expect(rows).toEqual([
      { ref: fresh, recheck: '1 day' },
      { ref: old, recheck: '7 days' },
    ]);
  });

  it('appends a star snapshot only when stars or forks changed', async () => {
    const ref = 'nvlabs/fast-dllm';
    await enrichRepos(deps('ghp_test'), { refs: [ref] });
    await enrichRepos(deps('ghp_test'), { refs: [ref] });
    const served = github.repoFor('NVlabs/Fast-dLLM')!;
    github.starsOverride.set(ref, served.stargazers_count + 42);
    await enrichRepos(deps('ghp_test'), { refs: [ref] });
    const { rows } = await pool.query(`select stars from repo_snapshots order by observed_at`);
    expect(rows.map((row) => row.stars)).toEqual([served.stargazers_count, served.stargazers_count + 42]);
  });

  it('treats a 500 as transient (the retry then resolves it) and a 422 as a lasting refusal of that one reference', async () => {
    const [flaky, invalid] = [refs[0]!, refs[1]!];
    github.failOnce.add(flaky);
    await expect(enrichRepos(deps(), { refs: [flaky] })).rejects.toThrow(TransientError);
    expect((await pool.query(`select status from repo_refs where ref = $1`, [flaky])).rows).toEqual([
      { status: 'pending' },
    ]);
    expect(await enrichRepos(deps(), { refs: [flaky] })).toMatchObject({ resolved: 1 });
    github.unprocessable.add(invalid);
    const other = refs[2]!;
    expect(await enrichRepos(deps(), { refs: [invalid, other] })).toMatchObject({ checked: 2, failed: 1, resolved: 1 });
    const { rows } = await pool.query(
      `select status, error, next_check_at > now() + interval '23 hours' as later from repo_refs where ref = $1`,
      [invalid],
    );
    expect(rows).toEqual([
      { status: 'pending', error: expect.stringMatching(/answered 422: .*Validation Failed/), later: true },
    ]);
  });

  it('turns a 403 rate limit into a RateLimitedError carrying the wait until reset', async () => {
    github.rateLimitNext = { status: 403, seconds: 3 };
    const error = await enrichRepos(deps(), { refs: [refs[0]!] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThanOrEqual(2_000);
    expect((error as RateLimitedError).retryAfterMs).toBeLessThanOrEqual(4_100);
    const { rows } = await pool.query(
      `select remaining, reset_at > now() as later from upstream_limits where upstream = 'github' and resource = 'core'`,
    );
    expect(rows).toEqual([{ remaining: 0, later: true }]);
  });
});

describe('enrichment in the service and the CLI', () => {
  const suite = serviceSuite();
  const { hf } = suite;
  const github = new FakeGithub();

  beforeAll(async () => {
    await github.start();
    const entries = JSON.parse(readFixture('hf-api/hf-api-daily_papers-2025-10-08.json').toString());
    hf.route('/papers/date/2025-10-08', { body: buildListPage({ entries, date: '2025-10-08' }) });
  });

  afterAll(async () => {
    await github.stop();
  });

  async function unresolvedGithubRepoPapers(pool: pg.Pool) {
    const { rows } = await pool.query(
      `select p.id from papers p
       where p.raw->'paper' ? 'githubRepo'
         and not exists (select 1 from paper_repos pr join repo_refs f on f.ref = pr.ref join repos r on r.id = f.repo_id
                         where pr.paper_id = p.id and pr.source = 'github_repo' and f.status = 'resolved')`,
    );
    return rows.map((row) => row.id);
  }

  it.each([
    ['REST', {}],
    ['GraphQL', { GITHUB_TOKEN: 'ghp_test' }],
  ] as const)(
    '`paperboy ingest day 2025-10-08` links every paper with a githubRepo to a resolved repository (%s)',
    async (_api, extra) => {
      const result = await runCli(['ingest', 'day', '2025-10-08'], {
        DATABASE_URL: suite.db.url,
        HF_BASE_URL: hf.baseUrl,
        GITHUB_API_URL: github.baseUrl,
        LOG_LEVEL: 'warn',
        ...extra,
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^day 2025-10-08: loaded, 23 papers/);
      expect(result.stdout).toMatch(/repositories: \d+ checked in \d+ request\(s\): \d+ resolved/);
      const { rows } = await suite.db.pool.query(
        `select count(*)::int as n from papers where raw->'paper' ? 'githubRepo'`,
      );
      expect(rows[0].n).toBeGreaterThan(5);
      expect(await unresolvedGithubRepoPapers(suite.db.pool)).toEqual([]);
    },
  );

  it('a digest load enqueues enrichment; a GitHub 429 pauses the repos queue for its Retry-After, then the job completes', async () => {
    const env = serviceEnv(suite.db.url, hf.baseUrl, { GITHUB_API_URL: github.baseUrl, GITHUB_TOKEN: 'ghp_test' });
    await suite.startService(['worker'], env);
    github.requests.length = 0;
    github.rateLimitNext = { status: 429, seconds: 1 };
    const { queue, settled, close } = await openQueue(configOf(env));
    const connection = new Redis(env.REDIS_URL!, { maxRetriesPerRequest: null });
    const repos = new Queue('repos', { connection, prefix: env.PAPERBOY_QUEUE_PREFIX });
    try {
      const started = Date.now();
      const fetch = await settled(
        await queue.add('fetch-digest', { source: 'hf', kind: 'day', key: '2025-10-08', force: false }),
      );
      expect(fetch.returnvalue).toMatchObject({ outcome: 'loaded', papers: 23 });
      const [enrich] = await repos.getJobs(['completed', 'active', 'waiting', 'delayed', 'failed']);
      expect(enrich?.name).toBe('enrich-repos');
      const done = await settledIn(repos, enrich!, 30_000);
      expect(await done.getState()).toBe('completed');
      expect(done.returnvalue).toMatchObject({ checked: 13, resolved: 13 });
      // The 429 did not use the job's attempt: one attempt, which succeeded.
      expect(done.attemptsMade).toBe(1);
      expect(github.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
        'POST /graphql',
        'POST /graphql',
      ]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(await unresolvedGithubRepoPapers(suite.db.pool)).toEqual([]);
    } finally {
      await repos.close();
      connection.disconnect();
      await close();
    }
  });
});

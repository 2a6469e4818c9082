import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/db/pool.ts';
import { createLogger } from '../../src/logger.ts';
import { handleApiRequest } from '../../src/dashboard/api-routes.ts';
import { loadDigest } from '../../src/stages/load-digest.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { API_2026_07_31_EARLY, API_2026_07_31_LATER, listedFromApi, listedFromHtml2024 } from '../support/digests.ts';
import { FakeGithub } from '../support/fake-github.ts';
import { enrichFromFakeGithub } from '../support/fake-github-enrichment.ts';
import { cliName, PAPER_QUERY, pagingParameters } from '../../src/domain/paper-query.ts';
import { encodePaperCursor } from '../../src/domain/cursors.ts';
import {
  cursorOf,
  findPapers,
  getPaperDetail,
  getStarHistories,
  type PaperQuery,
  type PaperRow,
  type SearchRow,
} from '../../src/db/query.repository.ts';
import type { PaperCursor } from '../../src/domain/cursors.ts';
import type { PaperSort } from '../../src/domain/paper-query.ts';

const logger = createLogger({ level: 'silent', pretty: false });
const T = (iso: string) => new Date(iso);

/**
 * One database loaded from the real captures, enriched against the GitHub
 * stand-in, then queried through the views, the CLI and the JSON API.
 */
describe('querying the database', () => {
  const github = new FakeGithub();
  let db: TestDatabase;
  let pool: pg.Pool;

  async function load(kind: 'day' | 'search', key: string, listed: ReturnType<typeof listedFromApi>, at: Date) {
    await loadDigest(pool, {
      digest: { source: 'hf', kind, key },
      parsed: { origin: 'api', papers: listed, warnings: [] },
      observedAt: at,
      fetch: { url: 'test', httpStatus: 200, error: null },
    });
  }

  beforeAll(async () => {
    await github.start();
    db = await createTestDatabase();
    pool = createPool(db.url, logger);
    await load('day', '2024-08-01', listedFromHtml2024(), T('2024-08-02T00:00:00Z'));
    await load('day', '2025-10-08', listedFromApi('hf-api-daily_papers-2025-10-08.json'), T('2025-10-09T00:00:00Z'));
    await load('day', '2026-07-31', listedFromApi(API_2026_07_31_EARLY), T('2026-07-31T12:00:00Z'));
    await load('day', '2026-07-31', listedFromApi(API_2026_07_31_LATER), T('2026-08-02T12:00:00Z'));
    // A saved search that listed a few of them.
    await load('search', 'reasoning', listedFromApi(API_2026_07_31_LATER).slice(0, 7), T('2026-08-03T03:30:00Z'));
    await enrichFromFakeGithub(pool, github);
    // A week later one repository gained 500 stars.
    github.starsOverride.set('yaoyao-jpg/phizero', github.repoFor('yaoyao-jpg/PhiZero')!.stargazers_count + 500);
    await pool.query(`update repo_refs set next_check_at = now()`);
    await enrichFromFakeGithub(pool, github);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
    await github.stop();
  });

  describe('views', () => {
    it('paper_overview: a paper with its best repository, listing dates, fetch times and latest upvotes', async () => {
      const { rows } = await pool.query(
        `select id, upvotes, first_listed_on::text, last_listed_on::text, first_seen_at, last_seen_at, repo, repo_stars
         from paper_overview where id = '2607.28624'`,
      );
      expect(rows).toEqual([
        {
          id: '2607.28624',
          upvotes: expect.any(Number),
          first_listed_on: '2026-07-31',
          last_listed_on: '2026-07-31',
          first_seen_at: T('2026-07-31T12:00:00Z'),
          // The later fetch of that day no longer listed it.
          last_seen_at: T('2026-07-31T12:00:00Z'),
          repo: 'yaoyao-jpg/PhiZero',
          repo_stars: github.repoFor('yaoyao-jpg/PhiZero')!.stargazers_count,
        },
      ]);
      const later = listedFromApi(API_2026_07_31_LATER).find((item) => item.paper.id === '2607.28624');
      expect(rows[0].upvotes).toBe(
        later?.paper.upvotes ??
          listedFromApi(API_2026_07_31_EARLY).find((item) => item.paper.id === '2607.28624')!.paper.upvotes,
      );
    });

    it('daily_top: the papers of a day ranked by upvotes', async () => {
      const { rows } = await pool.query(
        `select position, id, upvotes from daily_top where day = '2024-08-01' order by position limit 3`,
      );
      expect(rows).toEqual([
        { position: '1', id: '2407.21783', upvotes: 94 },
        { position: '2', id: '2407.21705', upvotes: 24 },
        { position: '3', id: '2407.21770', upvotes: 19 },
      ]);
    });

    it('papers_with_code and papers_without_code split every paper', async () => {
      const { rows } = await pool.query(
        `select (select count(*)::int from papers) as papers, (select count(*)::int from papers_with_code) as with_code,
                (select count(*)::int from papers_without_code) as without_code`,
      );
      expect(rows[0].with_code + rows[0].without_code).toBe(rows[0].papers);
      expect(rows[0].with_code).toBeGreaterThan(20);
      const llama = await pool.query(`select 1 from papers_without_code where id = '2407.21783'`);
      expect(llama.rowCount).toBe(1);
    });

    it('repos_rising: the repository that gained stars comes first, with its papers', async () => {
      const { rows } = await pool.query(`select full_name, growth, papers from repos_rising limit 2`);
      expect(rows[0]).toEqual({ full_name: 'yaoyao-jpg/PhiZero', growth: 500, papers: ['2607.28624'] });
      expect(rows[1].growth).toBe(0);
    });
  });

  describe('paperboy query', () => {
    const env = () => ({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' });

    it('papers --day as JSON, with stable columns', async () => {
      const result = await runCli(['query', 'papers', '--day', '2024-08-01', '--json', '--limit', '3'], env());
      // A full page says where the next starts, on stderr: stdout stays the rows.
      expect(result.stderr).toMatch(/^next page: --cursor [A-Za-z0-9_-]+\n$/);
      const rows = JSON.parse(result.stdout);
      expect(rows.map((row: { id: string }) => row.id)).toEqual(['2407.21783', '2407.21705', '2407.21770']);
      const next = await runCli(
        [
          'query',
          'papers',
          '--day',
          '2024-08-01',
          '--json',
          '--limit',
          '3',
          '--cursor',
          result.stderr.trim().split(' ').at(-1)!,
        ],
        env(),
      );
      expect(JSON.parse(next.stdout).map((row: { id: string }) => row.id)).not.toContain('2407.21783');
      expect(JSON.parse(next.stdout)).toHaveLength(3);
      // The date of the page, as text: not the fetch time (2024-08-02), nor a Date shifted by the local zone.
      expect(rows[0].listed_on).toBe('2024-08-01');
      expect(Object.keys(rows[0])).toEqual([
        'id',
        'title',
        'upvotes',
        'num_comments',
        'listed_on',
        'repo',
        'repo_stars',
        'repo_language',
        'repo_license',
      ]);
    });

    it('papers --since with --has-code and --min-upvotes, as CSV', async () => {
      const result = await runCli(
        ['query', 'papers', '--since', '2026-07-01', '--has-code', '--min-upvotes', '20', '--csv'],
        env(),
      );
      const [header, ...lines] = result.stdout.trimEnd().split('\n');
      expect(header).toBe('id,title,upvotes,num_comments,listed_on,repo,repo_stars,repo_language,repo_license');
      expect(lines.length).toBeGreaterThan(3);
      const expected = await pool.query(
        `select count(*)::int as n from papers_with_code o where o.upvotes >= 20
           and exists (select 1 from listings l where l.paper_id = o.id and l.kind = 'day' and l.key >= '2026-07-01')`,
      );
      expect(lines).toHaveLength(expected.rows[0].n);
    });

    it('search ranks title matches first and accepts websearch syntax', async () => {
      const llama = JSON.parse((await runCli(['query', 'search', 'llama 3 herd', '--json'], env())).stdout);
      expect(llama[0].id).toBe('2407.21783');
      const phrase = JSON.parse((await runCli(['query', 'search', '"process reward model"', '--json'], env())).stdout);
      expect(phrase.map((row: { id: string }) => row.id)).toContain('2510.06217');
      const excluded = JSON.parse(
        (await runCli(['query', 'search', '"process reward model" -tabular', '--json'], env())).stdout,
      );
      expect(excluded.map((row: { id: string }) => row.id)).not.toContain('2510.06217');
    });

    it('treats quotes and SQL in search text as text', async () => {
      for (const text of [`'); DROP TABLE papers; --`, `"unbalanced`, `\\ ' " ;`, `o'reilly`]) {
        const result = await runCli(['query', 'search', text, '--json'], env());
        expect(result.code).toBe(0);
        expect(Array.isArray(JSON.parse(result.stdout))).toBe(true);
      }
      expect((await pool.query(`select count(*)::int as n from papers`)).rows[0].n).toBeGreaterThan(50);
    });

    it('paper shows listings, upvote history and repositories with star history', async () => {
      const detail = JSON.parse(
        (await runCli(['query', 'paper', 'https://arxiv.org/abs/2607.28624v2', '--json'], env())).stdout,
      );
      expect(detail.paper.id).toBe('2607.28624');
      expect(detail.listings).toEqual([
        expect.objectContaining({
          kind: 'day',
          key: '2026-07-31',
          listed_on: '2026-07-31',
          first_seen_at: '2026-07-31T12:00:00.000Z',
        }),
      ]);
      expect(detail.paper).toMatchObject({ listed_on: '2026-07-31', first_seen_at: '2026-07-31T12:00:00.000Z' });
      expect(detail.repos[0]).toMatchObject({
        full_name: 'yaoyao-jpg/PhiZero',
        source: 'github_repo',
        status: 'resolved',
      });
      expect(detail.repos[0].star_history.map((point: { stars: number }) => point.stars)).toEqual([
        github.repoFor('yaoyao-jpg/PhiZero')!.stargazers_count - 500,
        github.repoFor('yaoyao-jpg/PhiZero')!.stargazers_count,
      ]);
      const table = await runCli(['query', 'paper', '2607.28624'], env());
      expect(table.stdout).toContain('upvote history');
      expect(table.stdout).toContain('star history of yaoyao-jpg/PhiZero');
      const missing = await runCli(['query', 'paper', '9999.99999'], env());
      expect(missing).toMatchObject({ code: 2, stderr: 'paperboy: no paper 9999.99999 in the database\n' });
    });

    it('papers --help says what comes with and without a listing day, and it is so', async () => {
      const help = await runCli(['query', 'papers', '--help'], env());
      expect(help.stdout).toContain('Without --day, --since or --until: every paper in the database');
      expect(help.stdout).toContain("With them: only papers listed on Hugging Face's daily pages of those days");
      const all = JSON.parse((await runCli(['query', 'papers', '--limit', '10000', '--json'], env())).stdout);
      const { rows } = await pool.query(`select id from papers order by upvotes desc, id`);
      // Every paper, the search-only ones too, most upvoted first.
      expect(all.map((row: { id: string }) => row.id)).toEqual(rows.map((row) => row.id));
    });

    it('papers --day for a day never fetched says so, rather than an empty table', async () => {
      const never = await runCli(['query', 'papers', '--day', '2024-05-01'], env());
      expect(never).toEqual({
        code: 0,
        stdout: '',
        stderr:
          'paperboy: no fetch of day 2024-05-01 on record: run `paperboy ingest day 2024-05-01`, ' +
          'or a backfill (`paperboy backfill --kind day --from 2024-05-01 --to 2024-05-01`)\n',
      });
      // Scripts still get their empty array on stdout; the note goes to stderr.
      const json = await runCli(['query', 'papers', '--day', '2024-05-01', '--json'], env());
      expect(json.stdout).toBe('[]\n');
      expect(json.stderr).toContain('no fetch of day 2024-05-01 on record');
    });

    it('papers --day for a day fetched without papers, or whose papers the filters leave out, is (0 rows)', async () => {
      // Hugging Face's page of that day listed nothing: an empty load, recorded as such.
      await load('day', '2024-08-03', [], T('2024-08-04T00:00:00Z'));
      const empty = await runCli(['query', 'papers', '--day', '2024-08-03'], env());
      expect(empty.code).toBe(0);
      expect(empty.stdout).toMatch(/\n\(0 rows\)\n$/);
      expect(empty.stderr).toBe('paperboy: day 2024-08-03 was fetched, and Hugging Face listed no papers that day\n');
      const filtered = await runCli(['query', 'papers', '--day', '2024-08-01', '--min-upvotes', '100000'], env());
      expect(filtered).toMatchObject({ code: 0, stderr: '' });
      expect(filtered.stdout).toMatch(/\n\(0 rows\)\n$/);
    });

    it('one row is "(1 row)"', async () => {
      const one = await runCli(['query', 'papers', '--day', '2024-08-01', '--limit', '1'], env());
      expect(one.stdout).toMatch(/\n\(1 row\)\n$/);
    });

    it('paper prints every timestamp of its screen in one form, YYYY-MM-DD HH:MM UTC', async () => {
      const table = (await runCli(['query', 'paper', '2607.28624'], env())).stdout;
      const timestamps = table.match(/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}\S*( UTC)?/g) ?? [];
      // Listings (first and last seen), upvote history and star history: each has some.
      expect(timestamps.length).toBeGreaterThanOrEqual(5);
      for (const timestamp of timestamps) expect(timestamp).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
      expect(table).toMatch(/star history of yaoyao-jpg\/PhiZero\n.*\n[- ]+\n\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC +\d+/);
      expect(table).toContain('2026-07-31 12:00 UTC');
      // Scripts keep ISO 8601.
      const csv = await runCli(['query', 'repos', '--csv', '--limit', '1'], env());
      expect(csv.stdout.split('\n')[1]).toMatch(/,\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z,/);
    });

    it('repos --rising as an aligned table', async () => {
      const result = await runCli(['query', 'repos', '--rising', '--window', '7d', '--limit', '3'], env());
      const lines = result.stdout.split('\n');
      expect(lines[0]).toMatch(/^full_name\s+stars\s+growth\s+language\s+papers$/);
      expect(lines[2]).toMatch(/^yaoyao-jpg\/PhiZero\s+\d+\s+500\s/);
      expect(result.stdout).toContain('(3 rows)');
    });
  });

  describe('one query language: the CLI and the JSON API answer the same filters with the same papers', () => {
    const env = () => ({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' });

    /** The filters as command-line options, named by the same definitions the API reads them with. */
    function cliArgs(params: Record<string, string>): string[] {
      return Object.entries(params).flatMap(([name, value]) => {
        const definition = [...PAPER_QUERY, ...pagingParameters('cli')].find((entry) => entry.name === name)!;
        const flag = cliName(definition);
        return 'flag' in definition && definition.flag && value === 'true' ? [flag] : [flag, value];
      });
    }

    async function viaApi(params: Record<string, string>): Promise<string[]> {
      const ids: string[] = [];
      let cursor: string | null = null;
      // Three papers a page, followed to the end: the pages must add up to the CLI's one answer.
      do {
        const query = new URLSearchParams({ ...params, limit: '3', ...(cursor ? { cursor } : {}) });
        const response = await handleApiRequest(pool, '/api/papers', query);
        expect(response?.status).toBe(200);
        const body = response!.body as { items: Array<{ id: string }>; next_cursor: string | null };
        ids.push(...body.items.map((item) => item.id));
        cursor = body.next_cursor;
      } while (cursor);
      return ids;
    }

    const combinations: Array<Record<string, string>> = [
      { day: '2024-08-01' },
      { since: '2024-07-30', until: '2025-12-31', min_upvotes: '10' },
      { since: '3650d', has_code: 'true' },
      { since: '2024-01-01', has_code: 'false', min_upvotes: '5' },
      { since: '2024-01-01', language: 'python' },
      { has_model: 'false', day: '2025-10-08' },
      { saved_search: 'reasoning' },
      { q: 'language models' },
      { q: 'reasoning', has_code: 'true' },
      { q: '"large language" -vision', since: '2025-01-01' },
      { q: 'model', saved_search: 'reasoning', min_upvotes: '1' },
      { sort: 'listed' },
      { sort: 'stars', min_upvotes: '2' },
      { sort: 'upvotes', q: 'language models' },
      { sort: 'listed', q: 'reasoning', since: '2025-01-01' },
    ];
    it.each(combinations)('%o', async (params) => {
      const cli = await runCli(['query', 'papers', ...cliArgs(params), '--limit', '1000', '--json'], env());
      expect(cli.stderr).toBe('');
      const fromCli = (JSON.parse(cli.stdout) as Array<{ id: string }>).map((row) => row.id);
      const fromApi = await viaApi(params);
      expect(fromApi).toEqual(fromCli);
      expect(new Set(fromApi).size).toBe(fromApi.length);
      expect(fromApi.length).toBeGreaterThan(0);
    });

    it('a refused value is refused by both, naming it the way each was given it', async () => {
      const cli = await runCli(['query', 'papers', '--min-upvotes', '1e1'], env());
      expect(cli).toMatchObject({ code: 2 });
      expect(cli.stderr).toMatch(/^paperboy: --min-upvotes: must be a whole number/);
      const api = await handleApiRequest(pool, '/api/papers', new URLSearchParams({ min_upvotes: '1e1' }));
      expect(api).toMatchObject({
        status: 400,
        body: { error: expect.stringMatching(/^min_upvotes: must be a whole number/) },
      });
    });
  });

  describe('orders, paged forward and back', () => {
    /** What each order means, said plainly over the overview: the pages must add up to it. */
    const REFERENCE = {
      upvotes: 'true order by upvotes desc, id',
      listed: 'first_listed_on is not null order by first_listed_on desc, upvotes desc, id',
      stars: 'repo_stars is not null order by repo_stars desc, id',
    } as const;

    /** Every page forward from the first, then every page back from the last one's first row, four papers a page. */
    async function walk(query: PaperQuery, sort: PaperSort) {
      const forward: Array<PaperRow | SearchRow> = [];
      let after: PaperCursor | undefined;
      for (;;) {
        const rows = await findPapers(pool, query, { limit: 4, after });
        forward.push(...rows);
        if (rows.length < 4) break;
        after = cursorOf(rows.at(-1)!, sort);
      }
      const lastPage = forward.slice(Math.floor((forward.length - 1) / 4) * 4);
      const backward = [...lastPage];
      let before: PaperCursor | undefined = cursorOf(lastPage[0]!, sort);
      for (;;) {
        const rows = await findPapers(pool, query, { limit: 4, before });
        backward.unshift(...rows);
        if (rows.length < 4) break;
        before = cursorOf(rows[0]!, sort);
      }
      return { forward: forward.map((row) => row.id), backward: backward.map((row) => row.id) };
    }

    it.each([
      ['upvotes', {}],
      ['listed', {}],
      ['stars', {}],
      ['listed', { since: '2025-01-01', min_upvotes: '3' }],
      ['stars', { language: 'python' }],
      ['upvotes', { q: 'language models' }],
    ] as const)('%s %o', async (sort, filters) => {
      const { q, ...sqlFilters } = filters as { q?: string; since?: string; min_upvotes?: string; language?: string };
      const conditions = [
        sqlFilters.since
          ? `id in (select paper_id from listings where kind = 'day' and key >= '${sqlFilters.since}')`
          : 'true',
        sqlFilters.min_upvotes ? `upvotes >= ${sqlFilters.min_upvotes}` : 'true',
        sqlFilters.language ? `lower(repo_language) = '${sqlFilters.language}'` : 'true',
        q ? `id in (select id from papers where search @@ websearch_to_tsquery('english', '${q}'))` : 'true',
      ].join(' and ');
      const expected = (
        await pool.query<{ id: string }>(`select id from paper_overview where ${conditions} and ${REFERENCE[sort]}`)
      ).rows.map((row) => row.id);
      expect(expected.length).toBeGreaterThan(4);
      const query = {
        sort,
        ...(q ? { q } : {}),
        ...(sqlFilters.since ? { since: sqlFilters.since } : {}),
        ...(sqlFilters.min_upvotes ? { min_upvotes: Number(sqlFilters.min_upvotes) } : {}),
        ...(sqlFilters.language ? { language: sqlFilters.language } : {}),
      };
      const { forward, backward } = await walk(query, sort);
      expect(forward).toEqual(expected);
      expect(backward).toEqual(expected);
    });

    it('relevance: the ranked pages forward and back', async () => {
      const query = { q: 'language models' };
      const { forward, backward } = await walk(query, 'relevance');
      const all = await findPapers(pool, query, { limit: 100 });
      expect(forward).toEqual(all.map((row) => row.id));
      expect(backward).toEqual(forward);
      expect(forward.length).toBeGreaterThan(4);
    });

    it('stars: a paper linked to its repository by two spellings (an old name) is listed once', async () => {
      const { rows } = await pool.query<{ paper_id: string; repo_id: string; ref: string }>(
        `select pr.paper_id, f.repo_id, pr.ref from paper_repos pr join repo_refs f on f.ref = pr.ref
         join paper_overview o on o.id = pr.paper_id and o.repo = (select full_name from repos where id = f.repo_id)
         order by o.repo_stars desc limit 1`,
      );
      const { paper_id: paperId, repo_id: repoId } = rows[0]!;
      await pool.query(
        `insert into repo_refs (ref, display, repo_id, status) values ('old-owner/renamed', 'old-owner/renamed', $1, 'resolved')`,
        [repoId],
      );
      await pool.query(`insert into paper_repos (paper_id, ref, source) values ($1, 'old-owner/renamed', 'abstract')`, [
        paperId,
      ]);
      try {
        const { forward } = await walk({ sort: 'stars' }, 'stars');
        expect(forward.filter((id) => id === paperId)).toEqual([paperId]);
      } finally {
        await pool.query(`delete from paper_repos where ref = 'old-owner/renamed'`);
        await pool.query(`delete from repo_refs where ref = 'old-owner/renamed'`);
      }
    });
  });

  describe('the JSON API', () => {
    const get = async (path: string) => {
      const url = new URL(path, 'http://localhost');
      return (await handleApiRequest(pool, url.pathname, url.searchParams))!;
    };

    it('pages through papers with a keyset cursor, without duplicates or gaps', async () => {
      const all = await pool.query(
        `select o.id from paper_overview o where exists (select 1 from listings l where l.paper_id = o.id and l.kind = 'day' and l.key >= '2024-01-01')
         order by o.upvotes desc, o.id`,
      );
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response = await get(`/api/papers?since=2024-01-01&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        expect(response.status).toBe(200);
        const body = response.body as { items: Array<{ id: string }>; next_cursor: string | null };
        seen.push(...body.items.map((item) => item.id));
        cursor = body.next_cursor;
        pages += 1;
      } while (cursor);
      expect(seen).toEqual(all.rows.map((row) => row.id));
      expect(new Set(seen).size).toBe(seen.length);
      expect(pages).toBe(Math.ceil(seen.length / 7) + (seen.length % 7 === 0 ? 1 : 0));
    });

    it('filters, serves one paper, and lists repositories by stars', async () => {
      const withCode = (await get('/api/papers?day=2026-07-31&has_code=true&limit=100')).body as {
        items: Array<{ repo: string | null }>;
      };
      expect(withCode.items.length).toBeGreaterThan(5);
      expect(withCode.items.every((item) => item.repo !== null)).toBe(true);
      expect(await get('/api/papers/2407.21783v3')).toMatchObject({
        status: 200,
        body: { paper: { id: '2407.21783' } },
      });
      expect(await get('/api/papers/9999.99999')).toMatchObject({ status: 404 });
      const repos = (await get('/api/repos?limit=5')).body as { items: Array<{ stars: number }> };
      expect(repos.items.map((repo) => repo.stars)).toEqual(
        [...repos.items.map((repo) => repo.stars)].sort((a, b) => b - a),
      );
    });

    it.each([
      ['/api/papers?limit=0', /limit/],
      ['/api/papers?limit=1000', /limit/],
      ['/api/papers?day=2024-13-01', /day: must be a date/],
      [`/api/papers?day=${encodeURIComponent("2024-08-01'; DROP TABLE papers; --")}`, /day: must be a date/],
      [`/api/papers?min_upvotes=${encodeURIComponent('1 OR 1=1')}`, /min_upvotes/],
      ['/api/papers?has_code=yes', /has_code/],
      ['/api/papers?order=upvotes', /Unrecognized key/],
      ['/api/papers?sort=newest', /sort/],
      ['/api/papers?sort=relevance', /sort: relevance .* give q/],
      [`/api/papers?sort=listed&cursor=${encodePaperCursor({ sort: 'upvotes', key: [3, '2407.21783'] })}`, /cursor/],
      ['/api/papers?cursor=not-a-cursor', /cursor/],
      [`/api/papers?cursor=${Buffer.from(JSON.stringify({ u: "1'", id: 'x' })).toString('base64url')}`, /cursor/],
      ['/api/papers?limit=5&limit=6', /more than once/],
      ['/api/repos?limit=-1', /limit/],
    ])('refuses %s with 400 and a message', async (path, message) => {
      const response = await get(path);
      expect(response.status).toBe(400);
      expect((response.body as { error: string }).error).toMatch(message);
    });

    it("gives a paper's star history times in UTC ('Z') whatever the session's time zone, as every other time", async () => {
      const client = await pool.connect();
      try {
        await client.query(`set time zone 'Asia/Kolkata'`);
        const detail = (await getPaperDetail(client, '2607.28624'))!;
        const history = detail.repos[0]!.star_history;
        expect(history).toHaveLength(2);
        const { rows } = await client.query<{ observed_at: Date }>(
          `select s.observed_at from repo_snapshots s join repos r on r.id = s.repo_id
           where r.full_name = 'yaoyao-jpg/PhiZero' order by s.observed_at`,
        );
        history.forEach((point, index) => {
          expect(point.observed_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
          expect(Math.abs(Date.parse(point.observed_at) - rows[index]!.observed_at.getTime())).toBeLessThanOrEqual(1);
        });
        // The JSON API's other times are Dates, written as toISOString: the same form.
        expect(JSON.parse(JSON.stringify(detail)).listings[0].first_seen_at).toMatch(/\.\d{3}Z$/);
      } finally {
        await client.query('reset time zone');
        client.release();
      }
    });

    it("draws a repository's star history over the window: the baseline before it placed at the window's start", async () => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const { rows } = await client.query<{ id: string; first: Date; start: Date }>(
          `select r.id::text, min(s.observed_at) as first, now() - interval '30 days' as start
           from repos r join repo_snapshots s on s.repo_id = r.id
           where r.full_name = 'yaoyao-jpg/PhiZero' group by r.id`,
        );
        const { id, first, start } = rows[0]!;
        // Two years before the window: the last snapshot before it, whose stars the growth starts from.
        await client.query(
          `insert into repo_snapshots (repo_id, observed_at, stars, forks) values
             ($1, now() - interval '3 years', 3, 0), ($1, now() - interval '2 years', 7, 1)`,
          [id],
        );
        const history = (await getStarHistories(client, [id], 30)).get(id)!;
        expect(history.map((point) => point.stars)).toEqual([
          7,
          github.repoFor('yaoyao-jpg/PhiZero')!.stargazers_count - 500,
          github.repoFor('yaoyao-jpg/PhiZero')!.stargazers_count,
        ]);
        expect(history.map((point) => point.observed_at.getTime())).toEqual([
          start.getTime(),
          first.getTime(),
          expect.any(Number),
        ]);
        expect(history.every((point) => point.observed_at >= start)).toBe(true);
      } finally {
        await client.query('rollback');
        client.release();
      }
    });

    it('passes strings with quotes through as values', async () => {
      const response = await get(`/api/papers?since=2024-01-01&language=${encodeURIComponent(`' OR 1=1 --`)}`);
      expect(response).toMatchObject({ status: 200, body: { items: [], next_cursor: null } });
    });
  });
});

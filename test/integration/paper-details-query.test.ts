import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utcDay } from '../../src/domain/digest-key.ts';
import { JOBS, QUEUES } from '../../src/queue/contracts.ts';
import type { RunningService } from '../../src/service/run-service.ts';
import { runSchedule } from '../../src/stages/run-schedule.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { apiEntries, listedFromHtml2024 } from '../support/digests.ts';
import { buildListPage } from '../support/page-builder.ts';
import { buildPaperPage } from '../support/paper-page-builder.ts';
import { configOf, openQueue, startSignedInService } from '../support/service.ts';
import { readFixture, UpstreamServer } from '../support/upstream-server.ts';
import { AUTH } from '../support/dashboard-credentials.ts';

const RECENT_CAPTURE = 'hf-api-daily_papers-2025-01-21.json';

/**
 * What papers' own pages add, seen through paper_overview, `paperboy query`
 * and the JSON API of a running dashboard; and the schedule that keeps it
 * fresh enqueuing the recent papers only, each once.
 */
describe("papers' own pages in queries and the paper-details schedule (real CLI, Postgres, Redis, dashboard)", () => {
  const hf = new UpstreamServer();
  let db: TestDatabase;
  let service: RunningService;
  let env: Record<string, string>;
  const listed = listedFromHtml2024();
  const papers = listed.map((item) => (item.paper.raw as { paper: Record<string, unknown> }).paper);
  const [cited, uncited] = [papers[0]!, papers[1]!];
  // The pages list as many comments as the day did: the comment count stays what it was.
  const comments = (index: number) => listed[index]!.paper.numComments ?? 0;

  beforeAll(async () => {
    await hf.start();
    hf.route('/papers/date/2024-08-01', { body: readFixture('hf-html/hf-papers-date-2024-08-01.html') })
      .route(`/papers/${String(cited.id)}`, {
        body: buildPaperPage({
          paper: cited,
          comments: comments(0),
          sections: { models: 3, datasets: 1, spaces: 2, collections: 5 },
        }),
      })
      .route(`/papers/${String(uncited.id)}`, { body: buildPaperPage({ paper: uncited, comments: comments(1) }) });
    db = await createTestDatabase();
    ({ service, env } = await startSignedInService(db.url, hf.baseUrl, ['dashboard']));
    const cliEnv = { DATABASE_URL: db.url, HF_BASE_URL: hf.baseUrl, LOG_LEVEL: 'warn' };
    for (const args of [
      ['day', '2024-08-01'],
      ['paper', String(cited.id)],
      ['paper', String(uncited.id)],
    ]) {
      const result = await runCli(['ingest', ...args, '--no-enrich'], cliEnv);
      expect(result).toMatchObject({ code: 0, stderr: '' });
    }
  });

  afterAll(async () => {
    await service?.shutdown('test over');
    await db?.drop();
    await hf.stop();
  });

  async function api(path: string): Promise<any> {
    const response = await fetch(`${service.dashboardUrl}${path}`, { headers: AUTH });
    expect(response.status).toBe(200);
    return response.json();
  }

  it('paper_overview carries the counts of the papers whose page was fetched', async () => {
    const { rows } = await db.pool.query(
      `select id, detail_status, daily_rank, citing_models, citing_datasets, citing_spaces, collections
       from paper_overview where detail_status is not null order by id`,
    );
    expect(rows).toEqual(
      [
        { id: cited.id, citing_models: 3, citing_datasets: 1, citing_spaces: 2, collections: 5 },
        { id: uncited.id, citing_models: 0, citing_datasets: 0, citing_spaces: 0, collections: 3 },
      ]
        .map((row) => ({ ...row, detail_status: 'ok', daily_rank: 1 }))
        .sort((a, b) => String(a.id).localeCompare(String(b.id))),
    );
  });

  it('query papers --has-model and has_model=true keep the paper a model cites; false the others', async () => {
    const cli = await runCli(['query', 'papers', '--day', '2024-08-01', '--has-model', '--json'], {
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
    });
    expect(cli.stderr).toBe('');
    expect(JSON.parse(cli.stdout).map((row: { id: string }) => row.id)).toEqual([cited.id]);
    const withModel = await api('/api/papers?day=2024-08-01&has_model=true');
    expect(withModel.items.map((item: { id: string }) => item.id)).toEqual([cited.id]);
    const without = await api('/api/papers?day=2024-08-01&has_model=false&limit=100');
    expect(without.items).toHaveLength(papers.length - 1);
    expect(without.items.map((item: { id: string }) => item.id)).not.toContain(cited.id);
  });

  it('/api/papers/:id and query paper show the page and its history', async () => {
    const detail = await api(`/api/papers/${String(cited.id)}`);
    expect(detail.paper).toMatchObject({ citing_models: 3, citing_datasets: 1, citing_spaces: 2, collections: 5 });
    expect(detail.page).toMatchObject({
      status: 'ok',
      daily_rank: 1,
      submitter_organization: 'NationalUniversityofSingapore',
      citing_models: 3,
      next_check_at: null,
    });
    expect(detail.pageHistory).toEqual([
      {
        observed_at: expect.any(String),
        daily_rank: 1,
        citing_models: 3,
        citing_datasets: 1,
        citing_spaces: 2,
        collections: 5,
      },
    ]);
    const text = await runCli(['query', 'paper', String(cited.id)], { DATABASE_URL: db.url, LOG_LEVEL: 'warn' });
    expect(text.stdout).toMatch(
      /own page \(as of [^)]+\): cited by 3 models, 1 datasets, 2 Spaces; in 5 collections; rank 1 on its daily page; submitted for NationalUniversityofSingapore\n/,
    );
    expect(text.stdout).toMatch(/own page history\n.*citing_models.*\n[- ]+\n\d{4}-\S+ \S+ UTC +1 +3 +1 +2 +5\n/);
    // The page agreed with the day's listing on upvotes and comments: no new point in that history.
    expect(text.stdout).toMatch(/upvote history\n.*\n[- ]+\n\d{4}-\S+ \S+ UTC +94 +5\n\(1 row\)/);
    const never = await runCli(['query', 'paper', String(papers[2]!.id)], { DATABASE_URL: db.url, LOG_LEVEL: 'warn' });
    expect(never.stdout).toContain(`own page: not fetched yet (paperboy ingest paper ${String(papers[2]!.id)})`);
  });

  it('the paper-details schedule enqueues the own page of each paper listed in the last 14 days, once', async () => {
    // A day listed yesterday and the same papers again today (each paper must come once), next to 2024-08-01's.
    const today = utcDay(new Date());
    const yesterday = utcDay(new Date(Date.now() - 86_400_000));
    const entries = apiEntries(RECENT_CAPTURE);
    for (const day of [today, yesterday]) {
      hf.route(`/papers/date/${day}`, { body: buildListPage({ entries, date: day }) });
      const loaded = await runCli(['ingest', 'day', day, '--no-enrich'], {
        DATABASE_URL: db.url,
        HF_BASE_URL: hf.baseUrl,
      });
      expect(loaded.code).toBe(0);
    }
    // A paper without an arXiv id, listed today: it has no own page, and must not stop the plan.
    await db.pool.query(
      `insert into papers (id, title, upvotes, raw) values ('other:openreview-x1', 'Not on arXiv', 3, '{}');
       insert into listings (source, kind, key, paper_id, rank, upvotes, first_seen_at, last_seen_at, listed_on)
       values ('hf', 'search', 'elsewhere', 'other:openreview-x1', 1, 3, now(), now(), current_date)`,
    );
    // A known paper whose page answered 404 a week ago is due for another look.
    await db.pool.query(
      `insert into paper_details (paper_id, status, observed_at, next_check_at)
       values ($1, 'not_found', now() - interval '8 days', now() - interval '1 day')`,
      [papers[5]!.id],
    );
    const digests = await openQueue(configOf(env), QUEUES.digests);
    const digestsApi = await openQueue(configOf(env), QUEUES.digestsApi);
    const repos = await openQueue(configOf(env), QUEUES.repos);
    try {
      const deps = {
        pool: db.pool,
        queues: { digests: digests.queue, digestsApi: digestsApi.queue, repos: repos.queue },
        savedSearches: [],
        transport: 'html' as const,
        pageRetentionDays: 30,
      };
      await runSchedule(deps, 'paper-details');
      await runSchedule(deps, 'paper-details');
      const jobs = await digests.queue.getJobs(['waiting', 'delayed', 'prioritized']);
      const recent = entries.map((entry) => String(entry.paper.id));
      expect(jobs.every((job) => job.name === JOBS.fetchPaper)).toBe(true);
      expect(jobs.map((job) => job.data.id).sort()).toEqual([...new Set([...recent, String(papers[5]!.id)])].sort());
      expect(jobs.every((job) => job.data.via === 'html')).toBe(true);
      expect(await digestsApi.queue.count()).toBe(0);
    } finally {
      await digests.queue.obliterate({ force: true });
      await digests.close();
      await digestsApi.close();
      await repos.close();
    }
  });
});

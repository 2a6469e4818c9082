import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utcDay } from '../../src/domain/digest-key.ts';
import type { RunningService } from '../../src/service/run-service.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startSignedInService } from '../support/service.ts';
import { readFixture, UpstreamServer } from '../support/upstream-server.ts';
import { AUTH } from '../support/dashboard-credentials.ts';

/** 2506.19851 and 13 others, all on the daily page of Wednesday 2025-06-25. */
const JUNE_25 = readFixture('hf-api/hf-api-daily_papers-2025-06-25.json');
/** 12 papers, all on the daily page of 2025-03-17. */
const MARCH_17 = readFixture('hf-api/hf-api-daily_papers-2025-03-17.json');

/**
 * Listings carry the date they are for, not when paperboy fetched them: a
 * past day ingested today, and week and month pages, seen through
 * paper_overview, `paperboy query` and the JSON API of a running dashboard.
 */
describe('listing dates (real CLI, real Postgres, local Hugging Face, running dashboard)', () => {
  const hf = new UpstreamServer();
  let db: TestDatabase;
  let service: RunningService;

  beforeAll(async () => {
    await hf.start();
    hf.route('/papers/date/2024-08-01', { body: readFixture('hf-html/hf-papers-date-2024-08-01.html') })
      // Real daily entries served as their week's and their month's: each was on the daily page inside the period.
      .route('/api/daily_papers?week=2025-W26&limit=100&p=0', { body: JUNE_25 })
      .route('/api/daily_papers?month=2025-03&limit=100&p=0', { body: MARCH_17 });
    db = await createTestDatabase();
    ({ service } = await startSignedInService(db.url, hf.baseUrl, ['dashboard']));
  });

  afterAll(async () => {
    await service?.shutdown('test over');
    await db?.drop();
    await hf.stop();
  });

  const cliEnv = () => ({ DATABASE_URL: db.url, HF_BASE_URL: hf.baseUrl, LOG_LEVEL: 'warn' });

  async function api(path: string): Promise<any> {
    const response = await fetch(`${service.dashboardUrl}${path}`, { headers: AUTH });
    expect(response.status).toBe(200);
    return response.json();
  }

  it('a past day ingested today shows that day as its listing date in paper_overview, query papers and /api/papers', async () => {
    const today = utcDay(new Date());
    const ingest = await runCli(['ingest', 'day', '2024-08-01', '--no-enrich'], cliEnv());
    expect(ingest).toMatchObject({ code: 0, stderr: '' });
    expect(ingest.stdout).toContain('13 papers');

    const overview = await db.pool.query(
      `select first_listed_on::text, last_listed_on::text, to_char(first_seen_at at time zone 'UTC', 'YYYY-MM-DD') as seen,
              count(*)::int as papers
       from paper_overview group by 1, 2, 3`,
    );
    // The fetch time is kept, named for what it is; it is not the listing date.
    expect(overview.rows).toEqual([
      { first_listed_on: '2024-08-01', last_listed_on: '2024-08-01', seen: expect.any(String), papers: 13 },
    ]);
    expect([today, utcDay(new Date())]).toContain(overview.rows[0].seen);

    const query = await runCli(['query', 'papers', '--day', '2024-08-01', '--json'], cliEnv());
    expect(query.stderr).toBe('');
    const rows: Array<{ id: string; listed_on: string }> = JSON.parse(query.stdout);
    expect(rows).toHaveLength(13);
    expect(new Set(rows.map((row) => row.listed_on))).toEqual(new Set(['2024-08-01']));

    const page = await api('/api/papers?day=2024-08-01&limit=100');
    expect(page.items).toHaveLength(13);
    expect(new Set(page.items.map((item: { listed_on: string }) => item.listed_on))).toEqual(new Set(['2024-08-01']));

    const csv = await runCli(['query', 'papers', '--day', '2024-08-01', '--csv', '--limit', '1'], cliEnv());
    expect(csv.stdout.split('\n').slice(0, 2)).toEqual([
      'id,title,upvotes,num_comments,listed_on,repo,repo_stars,repo_language,repo_license',
      '2407.21783,The Llama 3 Herd of Models,94,5,2024-08-01,,,,',
    ]);
  });

  it('query paper prints the first listing date, and each listing with its date and fetch times', async () => {
    const text = await runCli(['query', 'paper', '2407.21783'], cliEnv());
    expect(text.stdout).toContain(', first listed 2024-08-01\n');
    const lines = text.stdout.split('\n');
    const listings = lines.indexOf('listings');
    expect(lines[listings + 1]).toMatch(/^kind\s+key\s+listed_on\s+rank\s+upvotes\s+first_seen_at\s+last_seen_at$/);
    expect(lines[listings + 3]).toMatch(
      /^day\s+2024-08-01\s+2024-08-01\s+1\s+94\s+(\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC)\s+\1$/,
    );
  });

  it('a week and a month date their papers by the day they were on the daily page, not by the period or the fetch', async () => {
    for (const args of [
      ['ingest', 'week', '2025-W26', '--via', 'api', '--no-enrich'],
      ['ingest', 'month', '2025-03', '--via', 'api', '--no-enrich'],
    ]) {
      const result = await runCli(args, cliEnv());
      expect(result, args.join(' ')).toMatchObject({ code: 0, stderr: '' });
    }
    const { rows } = await db.pool.query(
      `select kind, key, listed_on::text, count(*)::int as papers from listings where kind <> 'day' group by 1, 2, 3 order by 1`,
    );
    // Not 2025-06-23 (the week's Monday) nor 2025-03-01, and not today.
    expect(rows).toEqual([
      { kind: 'month', key: '2025-03', listed_on: '2025-03-17', papers: 12 },
      { kind: 'week', key: '2025-W26', listed_on: '2025-06-25', papers: 14 },
    ]);

    const detail = await api('/api/papers/2506.19851');
    expect(detail.paper).toMatchObject({ id: '2506.19851', listed_on: '2025-06-25', last_listed_on: '2025-06-25' });
    expect(detail.listings).toEqual([
      {
        source: 'hf',
        kind: 'week',
        key: '2025-W26',
        listed_on: '2025-06-25',
        rank: 1,
        upvotes: expect.any(Number),
        first_seen_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/),
        last_seen_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/),
      },
    ]);
  });
});

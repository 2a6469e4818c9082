import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/infra/embedded-postgres.ts';
import { findFreePort } from '../../src/infra/local-process.ts';
import { createLogger } from '../../src/logger.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureWithoutBlobOrCards } from '../support/digests.ts';
import { readFixture, UpstreamServer } from '../support/upstream-server.ts';

const capture = readFixture('hf-html/hf-papers-date-2024-08-01.html');
// The same real page with its DailyPapers blob and its paper cards renamed away: what a layout change looks like.
const withoutBlob = captureWithoutBlobOrCards();

async function paperSnapshot(pool: pg.Pool) {
  const { rows } = await pool.query(
    `select id, xmin::text as xmin, updated_at, title, upvotes from papers order by id`,
  );
  return rows;
}

describe('paperboy ingest day (real CLI, real Postgres, local Hugging Face)', () => {
  const hf = new UpstreamServer();
  let db: TestDatabase;

  beforeAll(async () => {
    await hf.start();
    hf.route('/papers/date/2024-08-01', { body: capture })
      .route('/papers/date/2024-08-03', { status: 302, headers: { location: '/papers/date/2024-08-02' } })
      .route('/papers/date/2024-08-05', { body: withoutBlob });
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db.drop();
    await hf.stop();
  });

  const env = () => ({ DATABASE_URL: db.url, HF_BASE_URL: hf.baseUrl, LOG_LEVEL: 'warn' });

  it('loads the 13 papers of 2024-08-01 with their content', async () => {
    const result = await runCli(['ingest', 'day', '2024-08-01', '--no-enrich'], env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('day 2024-08-01: loaded, 13 papers (13 new, 0 updated, 0 unchanged)\n');

    const { rows } = await db.pool.query(
      `select id, title, upvotes, authors, published_at, raw->'paper'->>'discussionId' as discussion_id from papers order by upvotes desc, id`,
    );
    expect(rows).toHaveLength(13);
    expect(rows[0]).toMatchObject({ id: '2407.21783', title: 'The Llama 3 Herd of Models', upvotes: 94 });
    expect(rows[0].authors).toHaveLength(533);
    expect(rows[0].published_at.toISOString()).toBe('2024-07-31T17:54:27.000Z');
    const tora = rows.find((row) => row.id === '2407.21705');
    expect(tora).toMatchObject({ upvotes: 24, discussion_id: '66aaf2da1703f12f493c931c' });
    expect(tora.authors.slice(0, 2)).toEqual(['Zhenghao Zhang', 'Junchao Liao']);
    expect(rows.find((row) => row.id === '2404.01300')).toMatchObject({ upvotes: 3 });

    const fetches = await db.pool.query(
      `select source, kind, key, url, http_status, outcome, paper_count, error from digest_fetches`,
    );
    expect(fetches.rows).toEqual([
      {
        source: 'hf',
        kind: 'day',
        key: '2024-08-01',
        url: `${hf.baseUrl}/papers/date/2024-08-01`,
        http_status: 200,
        outcome: 'loaded',
        paper_count: 13,
        error: null,
      },
    ]);
  });

  it('changes nothing on a second run: the same bytes are recorded as not_modified', async () => {
    const before = await paperSnapshot(db.pool);
    const result = await runCli(['ingest', 'day', '2024-08-01', '--no-enrich'], env());
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('day 2024-08-01: not modified since the last fetch (13 papers), nothing written\n');
    // Same xmin means the tuple was not rewritten, not merely rewritten with equal values.
    expect(await paperSnapshot(db.pool)).toEqual(before);
    const { rows } = await db.pool.query(
      `select outcome, content_sha256 from digest_fetches where key = '2024-08-01' order by id`,
    );
    expect(rows.map((row) => row.outcome)).toEqual(['loaded', 'not_modified']);
    expect(rows[1].content_sha256).toBe(rows[0].content_sha256);
  });

  it('with --force re-parses the same page and still rewrites no paper', async () => {
    const before = await paperSnapshot(db.pool);
    const result = await runCli(['ingest', 'day', '2024-08-01', '--force', '--no-enrich'], env());
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('day 2024-08-01: loaded, 13 papers (0 new, 0 updated, 13 unchanged)\n');
    expect(await paperSnapshot(db.pool)).toEqual(before);
  });

  it('records a redirected date as empty, not as an error', async () => {
    const result = await runCli(['ingest', 'day', '2024-08-03'], env());
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('day 2024-08-03: empty, 0 papers (0 new, 0 updated, 0 unchanged)\n');
    const { rows } = await db.pool.query(`select outcome, http_status from digest_fetches where key = '2024-08-03'`);
    expect(rows).toEqual([{ outcome: 'empty', http_status: 302 }]);
  });

  it('fails a page with neither blob nor cards with one error line naming the URL, loading nothing', async () => {
    const before = await paperSnapshot(db.pool);
    const result = await runCli(['ingest', 'day', '2024-08-05'], env());
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const url = `${hf.baseUrl}/papers/date/2024-08-05`;
    const errorLines = result.stderr
      .trimEnd()
      .split('\n')
      .filter((line) => line.startsWith('paperboy:'));
    expect(errorLines).toEqual([
      `paperboy: error: no DailyPapers data-props blob and no paper cards on ${url}: the page layout changed or this is not a papers page`,
    ]);
    // The last line is the error, so it is what a cron mail or a terminal shows last.
    expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(errorLines[0]);
    expect(await paperSnapshot(db.pool)).toEqual(before);
    const { rows } = await db.pool.query(
      `select outcome, http_status, paper_count, error, excerpt, content_sha256 is not null as kept from digest_fetches where key = '2024-08-05'`,
    );
    expect(rows).toEqual([
      {
        outcome: 'failed',
        http_status: 200,
        paper_count: 0,
        error: expect.stringContaining(url),
        excerpt: expect.stringContaining('Daily Papers'),
        kept: true,
      },
    ]);
  });

  it('rejects a date that does not exist before touching anything', async () => {
    const result = await runCli(['ingest', 'day', '2024-02-30'], env());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"2024-02-30" is not a calendar date in YYYY-MM-DD form');
    expect(hf.requestsTo('/papers/date/2024-02-30')).toHaveLength(0);
  });

  it('refuses a day after today (UTC) as backfill does, before fetching anything', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const requestsBefore = hf.requests.length;
    const result = await runCli(['ingest', 'day', tomorrow, '--no-enrich'], env());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(`"${tomorrow}" is in the future: the latest day there is to fetch is \\d{4}-\\d{2}-\\d{2}`),
    );
    expect(result.stdout).toBe('');
    expect(hf.requests).toHaveLength(requestsBefore);
  });

  it('reports every bad environment variable in one message', async () => {
    const result = await runCli(['ingest', 'day', '2024-08-01', '--no-enrich'], {
      DATABASE_URL: 'mysql://nope',
      HF_BASE_URL: 'nope',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL');
    expect(result.stderr).toContain('HF_BASE_URL: must be an http(s) URL');
  });
});

describe('paperboy ingest day with no DATABASE_URL (embedded Postgres)', () => {
  const hf = new UpstreamServer();
  let dataDir: string;

  beforeAll(async () => {
    await hf.start();
    hf.route('/papers/date/2024-08-01', { body: capture });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'paperboy-embedded-'));
    await chmod(dataDir, 0o755);
  });

  afterAll(async () => {
    await hf.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts its own Postgres, loads 13 papers, and a second run changes nothing', async () => {
    const env = {
      HF_BASE_URL: hf.baseUrl,
      PAPERBOY_DATA_DIR: dataDir,
      // Not the fixed default: other files' Postgres servers run at the same time.
      PAPERBOY_EMBEDDED_PG_PORT: String(await findFreePort()),
      LOG_LEVEL: 'info',
    };
    const first = await runCli(['ingest', 'day', '2024-08-01', '--no-enrich'], env);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`started embedded Postgres on 127.0.0.1:`);
    expect(first.stdout).toBe('day 2024-08-01: loaded, 13 papers (13 new, 0 updated, 0 unchanged)\n');

    const second = await runCli(['ingest', 'day', '2024-08-01', '--no-enrich'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('day 2024-08-01: not modified since the last fetch (13 papers), nothing written\n');

    // The data outlived both processes: start the same embedded cluster and look.
    const embedded = await startEmbeddedPostgres(dataDir, createLogger({ level: 'warn', pretty: false }));
    const client = new pg.Client({ connectionString: embedded.databaseUrl });
    try {
      await client.connect();
      const { rows } = await client.query(
        `select count(*)::int as papers, min(first_seen_at) = max(first_seen_at) as one_insert_batch from papers`,
      );
      expect(rows[0]).toEqual({ papers: 13, one_insert_batch: true });
    } finally {
      await client.end();
      await embedded.stop();
    }
  });
});

import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { storePageBody } from '../../src/db/pages.repository.ts';
import { digestRef } from '../../src/domain/digest-key.ts';
import { PARSER_VERSION } from '../../src/domain/parse-digest.ts';
import { createLogger } from '../../src/logger.ts';
import { ingestDigest } from '../../src/stages/ingest-digest.ts';
import { reparseDigests } from '../../src/stages/reparse-digests.ts';
import { runCli } from '../support/cli.ts';
import { ingestSuite } from '../support/ingest-suite.ts';
import {
  API_2024_08_01,
  API_2026_07_31_EARLY,
  apiEntries,
  captureWithoutBlob,
  captureWithoutBlobOrCards,
  realApiEntries,
} from '../support/digests.ts';
import { buildListPage } from '../support/page-builder.ts';
import { readFixture } from '../support/upstream-server.ts';

const logger = createLogger({ level: 'silent', pretty: false });
const capture = readFixture('hf-html/hf-papers-date-2024-08-01.html');
const cardsOnly = captureWithoutBlob();

describe('the Hugging Face source in depth (real Postgres, local Hugging Face)', () => {
  const suite = ingestSuite({
    truncateBeforeEach: ['papers', 'listings', 'paper_metrics', 'digest_fetches', 'page_bodies'],
  });
  const { hf } = suite;
  const allEntries = realApiEntries();

  beforeAll(async () => {
    hf.route('/api/daily_papers?date=2024-08-01&limit=100&p=0', {
      body: readFixture(`hf-api/${API_2024_08_01}`),
      headers: { 'content-type': 'application/json' },
    })
      .route('/papers/date/2024-08-01', { body: capture })
      .route('/papers/date/2024-08-02', { body: cardsOnly })
      .route('/papers/date/2024-08-03', { body: buildListPage({ entries: [], date: '2024-08-03', layout: '2025' }) })
      .route('/papers/week/2026-W31', {
        body: buildListPage({
          entries: apiEntries(API_2026_07_31_EARLY),
          date: '2026-07-27',
          layout: '2025',
          periodType: 'week',
        }),
      })
      .route('/api/daily_papers?date=2024-08-04&limit=100&p=0', {
        status: 404,
        body: readFixture('hf-api/hf-api-error-404-body.json'),
      });
    // A month of every real entry, served 100 at a time the way the API pages.
    for (let page = 0; page * 100 <= allEntries.length; page += 1) {
      hf.route(`/api/daily_papers?month=2026-07&limit=100&p=${page}`, {
        body: JSON.stringify(allEntries.slice(page * 100, page * 100 + 100)),
      });
    }
  });

  it('ingests a day through the JSON API with --via api', async () => {
    const result = await runCli(['ingest', 'day', '2024-08-01', '--via', 'api', '--no-enrich'], {
      DATABASE_URL: suite.db.url,
      HF_BASE_URL: hf.baseUrl,
      LOG_LEVEL: 'warn',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('day 2024-08-01: loaded, 11 papers (11 new, 0 updated, 0 unchanged)\n');
    const { rows } = await suite.pool.query(`select transport, url, paper_count from digest_fetches`);
    expect(rows).toEqual([
      { transport: 'api', url: `${hf.baseUrl}/api/daily_papers?date=2024-08-01&limit=100&p=0`, paper_count: 11 },
    ]);
    const llama = await suite.pool.query(
      `select upvotes, array_length(authors, 1) as authors from papers where id = '2407.21783'`,
    );
    expect(llama.rows).toEqual([{ upvotes: 49, authors: 533 }]);
  });

  it('then the HTML page of the same day adds the 2 papers the API did not have and raises upvotes', async () => {
    await ingestDigest(suite.deps, digestRef('day', '2024-08-01'), { via: 'api' });
    const html = await ingestDigest(suite.deps, digestRef('day', '2024-08-01'), { via: 'html' });
    expect(html.counts).toEqual({ inserted: 2, updated: 11, unchanged: 0 });
    const { rows } = await suite.pool.query(`select count(*)::int as papers, max(upvotes) as top from papers`);
    expect(rows[0]).toEqual({ papers: 13, top: 94 });
  });

  it('follows API pages until a short one', async () => {
    const before = hf.requests.length;
    const result = await ingestDigest(suite.deps, digestRef('month', '2026-07'), { via: 'api' });
    const pages = hf.requests.slice(before).map((request) => request.url);
    expect(pages).toEqual([0, 1, 2].map((page) => `/api/daily_papers?month=2026-07&limit=100&p=${page}`));
    const distinct = new Set(allEntries.map((entry) => (entry as { paper: { id: string } }).paper.id)).size;
    expect(result).toMatchObject({ outcome: 'loaded', paperCount: distinct });
    expect(result.warnings).toEqual([`${allEntries.length - distinct} duplicate entries merged`]);
  });

  it('fails an API 404 permanently and loads nothing', async () => {
    await expect(ingestDigest(suite.deps, digestRef('day', '2024-08-04'), { via: 'api' })).rejects.toThrow(
      /answered 404/,
    );
    const { rows } = await suite.pool.query(`select outcome, transport from digest_fetches`);
    expect(rows).toEqual([{ outcome: 'failed', transport: 'api' }]);
    expect((await suite.pool.query(`select count(*)::int as n from papers`)).rows[0].n).toBe(0);
  });

  it.each([
    [
      'a blob that is not valid JSON',
      '2024-08-10',
      capture.toString('utf8').replace('data-props="{&quot;canSubmit&quot;', 'data-props="{&quot;canSubmit&quot;,,'),
      /not valid JSON/,
    ],
    ['a body cut off before </html>', '2024-08-11', capture.toString('utf8').slice(0, 150_000), /truncated body/],
    [
      'a page that lost its blob and its cards',
      '2024-08-12',
      captureWithoutBlobOrCards(),
      /no DailyPapers data-props blob and no paper cards/,
    ],
  ])('records %s as failed and loads nothing, after a good load', async (_label, date, body, message) => {
    await ingestDigest(suite.deps, digestRef('day', '2024-08-01'));
    const before = await suite.pool.query(`select id, xmin::text from papers order by id`);
    hf.route(`/papers/date/${date}`, { body });
    await expect(ingestDigest(suite.deps, digestRef('day', date))).rejects.toThrow(message);
    const { rows } = await suite.pool.query(
      `select outcome, paper_count, error, parser_version from digest_fetches where key = $1`,
      [date],
    );
    expect(rows).toEqual([
      { outcome: 'failed', paper_count: 0, error: expect.stringMatching(message), parser_version: PARSER_VERSION },
    ]);
    expect((await suite.pool.query(`select id, xmin::text from papers order by id`)).rows).toEqual(before.rows);
    expect((await suite.pool.query(`select count(*)::int as n from listings where key = $1`, [date])).rows[0].n).toBe(
      0,
    );
  });

  it('records a day whose list is empty as empty', async () => {
    const result = await ingestDigest(suite.deps, digestRef('day', '2024-08-03'));
    expect(result).toMatchObject({ outcome: 'empty', paperCount: 0, httpStatus: 200 });
    const { rows } = await suite.pool.query(`select outcome, paper_count, error from digest_fetches`);
    expect(rows).toEqual([{ outcome: 'empty', paper_count: 0, error: null }]);
  });

  it('loads a weekly page in the newer layout under its week key', async () => {
    const result = await ingestDigest(suite.deps, digestRef('week', '2026-W31'));
    expect(result).toMatchObject({ outcome: 'loaded', paperCount: 34 });
    const { rows } = await suite.pool.query(`select kind, key, count(*)::int as n from listings group by kind, key`);
    expect(rows).toEqual([{ kind: 'week', key: '2026-W31', n: 34 }]);
  });

  it('accumulates a saved search: every match over time stays listed under the query', async () => {
    const [first, second] = [apiEntries(API_2024_08_01).slice(0, 3), apiEntries(API_2024_08_01).slice(2, 6)];
    const search = digestRef('search', 'lightweight');
    hf.route(
      '/papers?q=lightweight',
      { body: buildListPage({ entries: first, date: '2024-08-01' }) },
      { body: buildListPage({ entries: second, date: '2024-08-02' }) },
    );
    expect(await ingestDigest(suite.deps, search)).toMatchObject({ outcome: 'loaded', paperCount: 3 });
    expect(await ingestDigest(suite.deps, search)).toMatchObject({ outcome: 'loaded', paperCount: 4 });
    const { rows } = await suite.pool.query(`select kind, key, count(*)::int as n from listings group by kind, key`);
    expect(rows).toEqual([{ kind: 'search', key: 'lightweight', n: 6 }]);
  });

  it('lists the trending page under the UTC day it was fetched', async () => {
    hf.route('/papers/trending', { body: buildListPage({ entries: apiEntries(API_2024_08_01), date: '2024-08-01' }) });
    const now = new Date();
    await ingestDigest(suite.deps, digestRef('trending', undefined, now));
    const { rows } = await suite.pool.query(`select distinct kind, key from listings`);
    expect(rows).toEqual([{ kind: 'trending', key: now.toISOString().slice(0, 10) }]);
  });

  it('loads what the cards show when the blob is missing, with a warning, and a full page fills the rest in later', async () => {
    const cardsResult = await ingestDigest(suite.deps, digestRef('day', '2024-08-02'));
    expect(cardsResult).toMatchObject({ outcome: 'loaded', paperCount: 13, counts: { inserted: 13 } });
    expect(cardsResult.warnings[0]).toMatch(/no DailyPapers blob: 13 papers read from the page's cards/);
    const sighting = await suite.pool.query(
      `select title, upvotes, num_comments, abstract, authors from papers where id = '2407.21783'`,
    );
    expect(sighting.rows).toEqual([
      { title: 'The Llama 3 Herd of Models', upvotes: 94, num_comments: 5, abstract: null, authors: null },
    ]);
    const fetch = await suite.pool.query(`select outcome, warnings from digest_fetches`);
    expect(fetch.rows[0].warnings[0]).toMatch(/cards/);

    await ingestDigest(suite.deps, digestRef('day', '2024-08-01'));
    const full = await suite.pool.query(
      `select abstract is not null as has_abstract, array_length(authors, 1) as authors from papers where id = '2407.21783'`,
    );
    expect(full.rows).toEqual([{ has_abstract: true, authors: 533 }]);
  });

  it('keeps each distinct page body once, compressed', async () => {
    await ingestDigest(suite.deps, digestRef('day', '2024-08-01'));
    await ingestDigest(suite.deps, digestRef('day', '2024-08-01'), { force: true });
    const { rows } = await suite.pool.query(`select sha256, bytes, octet_length(body) as stored from page_bodies`);
    expect(rows).toHaveLength(1);
    expect(rows[0].sha256).toBe(createHash('sha256').update(capture).digest('hex'));
    expect(rows[0].bytes).toBe(capture.length);
    expect(rows[0].stored).toBeLessThan(capture.length / 4);
  });

  it('reparse repairs a past failure from the stored bytes, without fetching', async () => {
    // As an older parser would have left it: the page kept, its parse failed.
    const sha = createHash('sha256').update(capture).digest('hex');
    await storePageBody(suite.pool, sha, 'text/html', capture);
    await suite.pool.query(
      `insert into digest_fetches (source, kind, key, url, http_status, outcome, error, content_sha256, parser_version, fetched_at)
       values ('hf', 'day', '2024-08-01', $1, 200, 'failed', 'layout changed (old parser)', $2, $3, '2024-08-01T23:00:00Z')`,
      [`${hf.baseUrl}/papers/date/2024-08-01`, sha, PARSER_VERSION - 1],
    );
    const requestsBefore = hf.requests.length;
    const summary = await reparseDigests(suite.pool, { kind: 'day', from: '2024-07-01', to: '2024-08-31' }, logger);
    expect(hf.requests.length).toBe(requestsBefore);
    expect(summary).toMatchObject({ considered: 1, loaded: 1, failed: [], counts: { inserted: 13 } });
    const { rows } = await suite.pool.query(
      `select outcome, parser_version, reparse_of is not null as is_reparse, fetched_at from digest_fetches order by id`,
    );
    expect(rows.at(-1)).toEqual({
      outcome: 'loaded',
      parser_version: PARSER_VERSION,
      is_reparse: true,
      fetched_at: new Date('2024-08-01T23:00:00Z'),
    });
    const observed = await suite.pool.query(`select distinct observed_at from papers`);
    expect(observed.rows).toEqual([{ observed_at: new Date('2024-08-01T23:00:00Z') }]);

    // Already done by the current parser: a second run has nothing to do.
    expect(await reparseDigests(suite.pool, { kind: 'day' }, logger)).toMatchObject({
      considered: 1,
      loaded: 0,
      failed: [],
    });
    // --all redoes it, and the idempotent load writes no paper.
    expect(await reparseDigests(suite.pool, { all: true }, logger)).toMatchObject({
      loaded: 1,
      counts: { inserted: 0, updated: 0, unchanged: 13 },
    });
  });
});

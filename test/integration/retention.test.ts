import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestRef } from '../../src/domain/digest-key.ts';
import { PARSER_VERSION } from '../../src/domain/parse-digest.ts';
import { createLogger } from '../../src/logger.ts';
import { ingestDigest } from '../../src/stages/ingest-digest.ts';
import { measureKept, prunePages } from '../../src/stages/prune-pages.ts';
import { reparseDigests } from '../../src/stages/reparse-digests.ts';
import { runSchedule } from '../../src/stages/run-schedule.ts';
import { runCli } from '../support/cli.ts';
import { ingestSuite, INGEST_TABLES } from '../support/ingest-suite.ts';
import { API_2024_08_01, apiEntries, captureWithoutBlobOrCards } from '../support/digests.ts';
import { buildListPage } from '../support/page-builder.ts';

const logger = createLogger({ level: 'silent', pretty: false });
const RETENTION_DAYS = 30;

/** A day's page from the real captures, its upvotes moved by `bump`: each fetch of a busy day looks like this. */
function dayPage(date: string, bump: number): string {
  const entries = apiEntries(API_2024_08_01).map((entry) => {
    entry.paper.upvotes += bump;
    return entry;
  });
  return buildListPage({ entries, date });
}

const sha256 = (body: string) => createHash('sha256').update(body).digest('hex');

describe('page-store retention (real Postgres, local Hugging Face serving pages built from the captures)', () => {
  const suite = ingestSuite({ truncateBeforeEach: INGEST_TABLES });
  const { hf } = suite;

  /**
   * Fetches a day's page serving `body`, then moves that fetch and its body
   * `daysAgo` days into the past, as if fetched then. Returns the body's sha256.
   */
  async function fetchAged(date: string, body: string, daysAgo: number): Promise<string> {
    hf.route(`/papers/date/${date}`, { body, headers: { 'content-type': 'text/html; charset=utf-8' } });
    await ingestDigest(suite.deps, digestRef('day', date)).catch(() => undefined);
    const when = `now() - make_interval(days => ${daysAgo})`;
    const sha = sha256(body);
    await suite.pool.query(
      `update digest_fetches set fetched_at = ${when} where id = (select max(id) from digest_fetches where key = $1)`,
      [date],
    );
    await suite.pool.query(`update page_bodies set stored_at = ${when} where sha256 = $1`, [sha]);
    return sha;
  }

  /**
   * Three days' histories:
   * - 2024-08-01, fetched 60, 50 and 40 days ago, upvotes moving: only the latest is kept;
   * - 2024-08-02, a good page, then one whose parse failed, then a good one, all old: the failed and the latest kept;
   * - 2024-08-03, fetched 5 days ago and today: both kept (recent).
   */
  async function history() {
    const day1 = [
      await fetchAged('2024-08-01', dayPage('2024-08-01', 0), 60),
      await fetchAged('2024-08-01', dayPage('2024-08-01', 1), 50),
      await fetchAged('2024-08-01', dayPage('2024-08-01', 2), 40),
    ];
    // A page that lost its blob and its cards: the parse fails after the bytes are stored.
    const broken = captureWithoutBlobOrCards();
    const day2 = [
      await fetchAged('2024-08-02', dayPage('2024-08-02', 0), 45),
      await fetchAged('2024-08-02', broken, 44),
      await fetchAged('2024-08-02', dayPage('2024-08-02', 2), 43),
    ];
    const day3 = [
      await fetchAged('2024-08-03', dayPage('2024-08-03', 0), 5),
      await fetchAged('2024-08-03', dayPage('2024-08-03', 1), 0),
    ];
    const failed = await suite.pool.query(`select content_sha256 from digest_fetches where outcome = 'failed'`);
    expect(failed.rows).toEqual([{ content_sha256: day2[1] }]);
    return {
      kept: [day1[2]!, day2[1]!, day2[2]!, day3[0]!, day3[1]!].sort(),
      pruned: [day1[0]!, day1[1]!, day2[0]!].sort(),
    };
  }

  const storedShas = async () =>
    (await suite.pool.query<{ sha256: string }>('select sha256 from page_bodies order by sha256')).rows.map(
      (r) => r.sha256,
    );
  const storedSize = async (shas: string[]) =>
    (
      await suite.pool.query<{ bodies: number; bytes: number; stored: number }>(
        `select count(*)::int as bodies, coalesce(sum(bytes), 0)::int as bytes, coalesce(sum(octet_length(body)), 0)::int as stored
         from page_bodies where sha256 = any($1)`,
        [shas],
      )
    ).rows[0]!;

  it('keeps exactly the latest body of each digest, failed parses and the last N days, and prunes the rest', async () => {
    const { kept, pruned } = await history();
    const freed = await storedSize(pruned);
    const remaining = await storedSize(kept);
    const fetchesBefore = (await suite.pool.query('select * from digest_fetches order by id')).rows;

    const dry = await prunePages(suite.pool, { retentionDays: RETENTION_DAYS, dryRun: true });
    expect(dry).toMatchObject({
      dryRun: true,
      pruned: { bodies: 3, pageBytes: freed.bytes, storedBytes: freed.stored },
    });
    const keptByDryRun = await measureKept(suite.pool, dry);
    expect(keptByDryRun).toEqual({ bodies: 5, pageBytes: remaining.bytes, storedBytes: remaining.stored });
    expect(await storedShas()).toEqual([...kept, ...pruned].sort());

    // Batches of two: the loop runs until a batch frees nothing.
    const real = await prunePages(suite.pool, { retentionDays: RETENTION_DAYS, batchSize: 2 });
    expect(real).toMatchObject({ dryRun: false, pruned: dry.pruned });
    expect(await measureKept(suite.pool, real)).toEqual(keptByDryRun);
    expect(await storedShas()).toEqual(kept);
    // The audit trail is untouched: a fetch whose body is gone keeps its content_sha256.
    expect((await suite.pool.query('select * from digest_fetches order by id')).rows).toEqual(fetchesBefore);

    const again = await prunePages(suite.pool, { retentionDays: RETENTION_DAYS });
    expect(again.pruned).toEqual({ bodies: 0, pageBytes: 0, storedBytes: 0 });
    expect(await measureKept(suite.pool, again)).toEqual(keptByDryRun);
  });

  it('a shorter retention prunes the recent bodies that are not the latest; never the latest or a failed parse', async () => {
    const { kept } = await history();
    const summary = await prunePages(suite.pool, { retentionDays: 1 });
    expect(summary.pruned.bodies).toBe(4);
    // 2024-08-03's page of 5 days ago went too; the latest of each day and the failed parse stay.
    const day3Old = sha256(dayPage('2024-08-03', 0));
    expect(await storedShas()).toEqual(kept.filter((sha) => sha !== day3Old));
  });

  it('a body fetched again is recent again, whenever it was first stored', async () => {
    const old = await fetchAged('2024-08-01', dayPage('2024-08-01', 0), 60);
    await fetchAged('2024-08-01', dayPage('2024-08-01', 1), 59);
    // The upvotes went back: the same bytes as 60 days ago, fetched today, then moved again.
    hf.route('/papers/date/2024-08-01', { body: dayPage('2024-08-01', 0) });
    await ingestDigest(suite.deps, digestRef('day', '2024-08-01'));
    const touched = await suite.pool.query(
      `select stored_at > now() - interval '1 minute' as fresh from page_bodies where sha256 = $1`,
      [old],
    );
    expect(touched.rows).toEqual([{ fresh: true }]);
    await fetchAged('2024-08-01', dayPage('2024-08-01', 3), 0);
    await prunePages(suite.pool, { retentionDays: RETENTION_DAYS });
    expect(await storedShas()).toContain(old);
    expect((await suite.pool.query('select count(*)::int as n from page_bodies')).rows[0].n).toBe(2);
  });

  it('reparse still works after a prune: the latest kept page of each digest, and no fetch it would use lacks its body', async () => {
    await history();
    await prunePages(suite.pool, { retentionDays: RETENTION_DAYS });
    // Every digest's latest fetch with a body still has it: what reparse reads was not pruned.
    const dangling = await suite.pool.query(
      `select f.kind, f.key from (
         select distinct on (source, kind, key) kind, key, content_sha256 from digest_fetches
         where content_sha256 is not null order by source, kind, key, fetched_at desc, id desc
       ) f
       where not exists (select 1 from page_bodies b where b.sha256 = f.content_sha256)`,
    );
    expect(dangling.rows).toEqual([]);

    const summary = await reparseDigests(suite.pool, { all: true }, logger);
    expect(summary).toMatchObject({ considered: 3, loaded: 3, failed: [] });
    const reparsed = await suite.pool.query<{ key: string; content_sha256: string; parser_version: number }>(
      `select r.key, r.content_sha256, r.parser_version from digest_fetches r where r.reparse_of is not null order by r.key`,
    );
    expect(reparsed.rows).toEqual([
      { key: '2024-08-01', content_sha256: sha256(dayPage('2024-08-01', 2)), parser_version: PARSER_VERSION },
      { key: '2024-08-02', content_sha256: sha256(dayPage('2024-08-02', 2)), parser_version: PARSER_VERSION },
      { key: '2024-08-03', content_sha256: sha256(dayPage('2024-08-03', 1)), parser_version: PARSER_VERSION },
    ]);
  });

  it('the prune-pages schedule prunes with the configured retention and enqueues nothing', async () => {
    const { kept } = await history();
    // No queue is touched: the prune is the plan-schedule job's own work.
    const scheduleDeps = {
      pool: suite.pool,
      queues: undefined as never,
      savedSearches: [],
      transport: 'html' as const,
      pageRetentionDays: 30,
    };
    const summary = await runSchedule(scheduleDeps, 'prune-pages');
    expect(summary).toMatchObject({ schedule: 'prune-pages', enqueued: [], pruned: { bodies: 3 } });
    expect(await storedShas()).toEqual(kept);
  });

  it('paperboy prune [--dry-run] [--older-than]: reports what it frees and what it keeps', async () => {
    await history();
    const env = { DATABASE_URL: suite.db.url, LOG_LEVEL: 'warn' };
    const dry = await runCli(['prune', '--dry-run'], env);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toMatch(
      /^would prune 3 page bodies \(\d+\.\d MB stored, \d+\.\d MB uncompressed\); would keep 5 \(\d+\.\d MB: latest of each digest, failed parses, last 30 days\)\n$/,
    );
    expect(await storedShas()).toHaveLength(8);

    const pruned = await runCli(['prune', '--older-than', '1d'], env);
    expect(pruned).toMatchObject({ code: 0, stderr: '' });
    expect(pruned.stdout).toMatch(/^pruned 4 page bodies \(.*\); kept 4 \(.*last day\)\n$/);
    expect(await storedShas()).toHaveLength(4);

    const configured = await runCli(['prune'], { ...env, PAPERBOY_PAGE_RETENTION_DAYS: '7' });
    expect(configured.stdout).toMatch(
      /^pruned 0 page bodies \(0\.0 MB stored, 0\.0 MB uncompressed\); kept 4 .*last 7 days\)\n$/,
    );

    const wrong = await runCli(['prune', '--older-than', '0d'], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--older-than: must be at least 1/);
  });
});

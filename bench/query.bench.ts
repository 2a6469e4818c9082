import pg from 'pg';
import { getPaperDetail, listPapers, searchPapers } from '../src/db/query.repository.ts';
import { countPapers, upsertPapers } from '../src/db/papers.repository.ts';
import { withTransaction } from '../src/db/pool.ts';
import { emptyDatabase, latencyFigures, sampleTimes, type Figure } from './harness.ts';
import { syntheticPapers } from './synthetic-papers.ts';

const SAMPLES = 60;
const TARGET_MS = 50;

/**
 * Query latency at scale: `count` papers built server-side from the real
 * captures' rows (real titles and abstracts, re-keyed), spread over 1,000
 * daily listings, a third of them linked to repositories. Measures the search
 * path and the paper_overview paths (a day's top papers; one paper), median
 * and p95 of SAMPLES runs each after a warm-up, next to a primary-key lookup
 * measured the same way as the baseline. Also checks that the plans use the
 * intended indexes.
 */
export async function benchQueries(
  pool: pg.Pool,
  options: { count: number; reuse: boolean; log: (line: string) => void },
): Promise<Figure[]> {
  const started = performance.now();
  const existing = await countPapers(pool);
  if (options.reuse && existing === options.count) {
    options.log(`query: reusing the ${existing} papers already in the database (PAPERBOY_BENCH_REUSE)`);
  } else {
    await buildDatabase(pool, options.count);
    options.log(`query: built ${options.count} papers in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }

  // Before any figure: this group's one-paper query and the pages' group read the same history.
  await addHistory(pool);
  const plans = await checkPlans(pool);
  options.log(`query: plans ${JSON.stringify(plans)}`);

  const ids = (
    await pool.query<{ id: string }>(`select id from papers tablesample system (1) limit ${SAMPLES}`)
  ).rows.map((row) => row.id);
  const days = (
    await pool.query<{ key: string }>(
      `select distinct key from listings where kind = 'day' order by key limit ${SAMPLES}`,
    )
  ).rows.map((row) => row.key);
  const searches = [
    'diffusion video generation',
    'reinforcement learning reasoning',
    '"large language models"',
    'agent -benchmark',
    'multimodal tokenizer',
  ];

  const baseline = await sampleTimes(SAMPLES, (i) =>
    pool.query('select id, title, upvotes from papers where id = $1', [ids[i % ids.length]]),
  );
  const search = await sampleTimes(SAMPLES, (i) =>
    searchPapers(pool, searches[i % searches.length]!, {}, { limit: 20 }),
  );
  const dayTop = await sampleTimes(SAMPLES, (i) =>
    listPapers(pool, { day: days[i % days.length] }, 'upvotes', { limit: 20 }),
  );
  const onePaper = await sampleTimes(SAMPLES, (i) => getPaperDetail(pool, ids[i % ids.length]!));

  // Lower is better: how many primary-key lookups one query costs.
  const figures = (name: string, times: number[]) =>
    latencyFigures(`query: ${name} at ${options.count} papers`, times, baseline, {
      targetMs: TARGET_MS,
      note: `baseline: a primary-key lookup of papers, same run; plans: ${JSON.stringify(plans)}`,
    });
  return [
    ...figures('search (websearch, ranked, top 20)', search),
    ...figures("paper_overview, a day's top 20", dayTop),
    ...figures('paper_overview + history, one paper', onePaper),
  ];
}

/** Real rows first (through the project's own upsert), then re-keyed copies made by the server. */
export async function buildDatabase(pool: pg.Pool, count: number) {
  await emptyDatabase(pool);
  const templates = syntheticPapers(300);
  await withTransaction(pool, (tx) => upsertPapers(tx, templates, new Date()));
  await pool.query('drop index if exists papers_search');
  await pool.query(`create temporary table template as select row_number() over (order by id) - 1 as i, * from papers`);
  await pool.query(
    `insert into papers (id, title, abstract, authors, published_at, upvotes, num_comments, raw, content_hash, observed_at)
     select format('9%s.%s', lpad((g / 100000)::text, 3, '0'), lpad((g % 100000)::text, 5, '0')),
            t.title || ' #' || g, t.abstract, t.authors, t.published_at, ((g::bigint * 7919) % 500)::int, t.num_comments, '{}'::jsonb, '\\x', now()
     from generate_series(1, $1::int) g join template t on t.i = g % 300`,
    [count - templates.length],
  );
  await pool.query('create index papers_search on papers using gin (search)');
  // 1,000 daily pages; each paper listed once.
  await pool.query(
    `insert into listings (source, kind, key, paper_id, rank, upvotes, listed_on, first_seen_at, last_seen_at)
     select 'hf', 'day', to_char(date '2023-01-01' + (n % 1000)::int, 'YYYY-MM-DD'), id, 1 + (n / 1000 % 1000)::int, upvotes,
            date '2023-01-01' + (n % 1000)::int, date '2023-01-01' + (n % 1000)::int, date '2023-01-01' + (n % 1000)::int
     from (select id, upvotes, row_number() over (order by id) as n from papers) p`,
  );
  // 20,000 repositories; a third of the papers point at one.
  await pool.query(
    `insert into repos (id, full_name, stars, forks, language, fetched_at)
     select g, 'owner' || g || '/repo' || g, ((g::bigint * 104729) % 50000)::int, g % 900, (array['Python','C++','TypeScript','Rust'])[1 + g % 4], now()
     from generate_series(1, 20000) g`,
  );
  await pool.query(
    `insert into repo_refs (ref, display, repo_id, status) select lower(full_name), full_name, id, 'resolved' from repos`,
  );
  await pool.query(
    `insert into paper_repos (paper_id, ref, source)
     select p.id, 'owner' || (1 + p.n % 20000) || '/repo' || (1 + p.n % 20000), 'github_repo'
     from (select id, row_number() over (order by id) as n from papers) p where p.n % 3 = 0`,
  );
  await pool.query('analyze');
}

/** The indexes each path should use, read from EXPLAIN. */
async function checkPlans(pool: pg.Pool): Promise<Record<string, boolean>> {
  const plan = async (sql: string, params: unknown[]) =>
    JSON.stringify((await pool.query(`explain (format json) ${sql}`, params)).rows[0]['QUERY PLAN']);
  // The search's candidate step: a common query walks the upvotes index, a rare one takes the GIN index.
  const candidates = `select o.id from websearch_to_tsquery('english', $1) as q(query) join papers o on o.search @@ q.query order by o.upvotes desc, o.id limit 100`;
  const commonSearch = await plan(candidates, ['"large language models"']);
  const rareSearch = await plan(candidates, ['quantum chromodynamics lattice']);
  const day = await plan(`select paper_id from listings where source = 'hf' and kind = 'day' and key = $1`, [
    '2024-01-01',
  ]);
  const top = await plan(`select id from papers order by upvotes desc, id limit 20`, []);
  return {
    commonSearchWalksUpvotes: commonSearch.includes('papers_by_upvotes'),
    rareSearchUsesGin: rareSearch.includes('papers_search'),
    dayUsesListingsKey: day.includes('listings_pkey'),
    topUsesUpvotesIndex: top.includes('papers_by_upvotes'),
  };
}

/**
 * History for the pages to draw and the one-paper query to read: two weeks of upvote observations at
 * irregular times for 1% of the papers, a month of daily star snapshots for
 * every repository (what months of running leave).
 */
async function addHistory(pool: pg.Pool): Promise<void> {
  await pool.query('truncate paper_metrics, repo_snapshots');
  await pool.query(
    `insert into paper_metrics (paper_id, observed_at, upvotes, num_comments)
     select p.id, now() - make_interval(hours => (s * 23 + (hashtext(p.id) & 7))), greatest(0, p.upvotes - s * 3), 0
     from (select id, upvotes from papers tablesample bernoulli (1)) p cross join generate_series(0, 13) s`,
  );
  await pool.query(
    `insert into repo_snapshots (repo_id, observed_at, stars, forks)
     select r.id, now() - make_interval(days => d), greatest(0, r.stars - d * (r.id % 7)), r.forks
     from repos r cross join generate_series(0, 29) d`,
  );
  await pool.query('analyze paper_metrics, repo_snapshots');
}

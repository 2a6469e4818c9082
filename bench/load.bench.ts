import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { upsertPapers } from '../src/db/papers.repository.ts';
import { byteaLiteral, textArrayLiteral } from '../src/db/pg-literals.ts';
import { withTransaction } from '../src/db/pool.ts';
import { paperContentHash, type PaperRecord } from '../src/domain/paper.ts';
import { median, timeMs, type Figure } from './harness.ts';
import { syntheticPapers } from './synthetic-papers.ts';

const COPY_COLUMNS = [
  'id',
  'title',
  'abstract',
  'authors',
  'published_at',
  'upvotes',
  'num_comments',
  'ai_summary',
  'ai_keywords',
  'project_page',
  'organization',
  'submitted_by',
  'thumbnail',
  'raw',
  'content_hash',
  'observed_at',
];

/**
 * Load throughput of the project's upsert path (upsertPapers in one
 * transaction) for `count` papers, against COPY of the same rows into the
 * same table in the same run; then an all-conflict re-run of unchanged data.
 */
export async function benchLoad(
  pool: pg.Pool,
  options: { count: number; repeats: number; log: (line: string) => void },
): Promise<Figure[]> {
  const papers = syntheticPapers(options.count);
  const observedAt = new Date('2026-01-01T00:00:00Z');
  const sample = papers.slice(0, 1_000).map((paper) => copyLine(paper, observedAt));
  const kibPerRow = sample.reduce((sum, line) => sum + Buffer.byteLength(line), 0) / sample.length / 1024;
  options.log(`load: ${papers.length} papers, ${kibPerRow.toFixed(1)} KiB per row as COPY text`);

  // Warm-up: caches, JIT, the statement cache.
  await truncate(pool);
  await withTransaction(pool, (tx) => upsertPapers(tx, papers.slice(0, 2_000), observedAt));

  const copyMs: number[] = [];
  const freshMs: number[] = [];
  const rerunMs: number[] = [];
  const rerunUpdated: number[] = [];
  for (let round = 1; round <= options.repeats; round += 1) {
    await truncate(pool);
    copyMs.push(await timeMs(() => copyRows(pool, papers, observedAt)));
    await truncate(pool);
    freshMs.push(await timeMs(() => withTransaction(pool, (tx) => upsertPapers(tx, papers, observedAt))));
    const before = await tupleCounters(pool);
    let updated = 0;
    rerunMs.push(
      await timeMs(async () => {
        const result = await withTransaction(pool, (tx) => upsertPapers(tx, papers, observedAt));
        updated = result.counts.updated + result.counts.inserted;
      }),
    );
    const after = await tupleCounters(pool);
    rerunUpdated.push(Math.max(updated, after.n_tup_upd - before.n_tup_upd, after.n_tup_ins - before.n_tup_ins));
    options.log(
      `load round ${round}: copy ${copyMs.at(-1)!.toFixed(0)} ms, upsert ${freshMs.at(-1)!.toFixed(0)} ms, re-run ${rerunMs.at(-1)!.toFixed(0)} ms`,
    );
  }
  const rowsPerSecond = (ms: number) => options.count / (ms / 1000);
  const copyRate = rowsPerSecond(median(copyMs));
  const freshRate = rowsPerSecond(median(freshMs));
  const rerunRate = rowsPerSecond(median(rerunMs));
  return [
    {
      name: `load: fresh upsert of ${options.count} papers`,
      value: freshRate,
      unit: 'rows/s',
      baseline: copyRate,
      ratio: freshRate / copyRate,
      target: '>= 0.8x COPY',
      met: freshRate / copyRate >= 0.8,
      note: `baseline: COPY of the same rows into the same table; median of ${options.repeats}`,
    },
    {
      name: 'load: all-conflict re-run, unchanged data',
      value: rerunRate,
      unit: 'rows/s',
      baseline: freshRate,
      ratio: rerunRate / freshRate,
      target: '>= 2x the fresh upsert',
      met: rerunRate / freshRate >= 2,
      note: 'baseline: the fresh upsert of the same rows',
    },
    {
      name: 'load: tuples written by the re-run',
      value: Math.max(...rerunUpdated),
      unit: 'tuples',
      baseline: null,
      ratio: null,
      target: '0',
      met: Math.max(...rerunUpdated) === 0,
      note: 'max over rounds of n_tup_upd + n_tup_ins deltas (pg_stat_user_tables) and the upsert counts',
    },
  ];
}

async function truncate(pool: pg.Pool) {
  await pool.query('truncate papers cascade');
}

/** COPY of the same rows; serializing them is timed too, as the upsert path's serialization is. */
async function copyRows(pool: pg.Pool, papers: readonly PaperRecord[], observedAt: Date) {
  function* chunks() {
    for (let start = 0; start < papers.length; start += 500) {
      yield papers
        .slice(start, start + 500)
        .map((paper) => copyLine(paper, observedAt))
        .join('');
    }
  }
  const client = await pool.connect();
  try {
    await client.query('begin');
    await pipeline(
      Readable.from(chunks()),
      client.query(copyFrom(`copy papers (${COPY_COLUMNS.join(', ')}) from stdin`)),
    );
    await client.query('commit');
  } finally {
    client.release();
  }
}

/** n_tup_* are flushed to the stats system lazily; wait for the flush, then read them fresh. */
async function tupleCounters(pool: pg.Pool): Promise<{ n_tup_upd: number; n_tup_ins: number }> {
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const client = await pool.connect();
  try {
    await client.query('select pg_stat_clear_snapshot()');
    const { rows } = await client.query(
      `select n_tup_upd::int, n_tup_ins::int from pg_stat_user_tables where relname = 'papers'`,
    );
    return rows[0];
  } finally {
    client.release();
  }
}

/** One row in COPY text format, the same values the upsert path writes. */
function copyLine(paper: PaperRecord, observedAt: Date): string {
  const rawJson = JSON.stringify(paper.raw);
  const values = [
    paper.id,
    paper.title,
    paper.abstract,
    textArrayLiteral(paper.authors),
    paper.publishedAt,
    String(paper.upvotes),
    nullable(paper.numComments),
    paper.aiSummary,
    textArrayLiteral(paper.aiKeywords),
    paper.projectPage,
    paper.organization,
    paper.submittedBy,
    paper.thumbnail,
    rawJson,
    byteaLiteral(paperContentHash(paper, rawJson)),
    observedAt.toISOString(),
  ];
  return `${values.map(copyField).join('\t')}\n`;
}

function nullable(value: number | null): string | null {
  return value === null ? null : String(value);
}

function copyField(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrateUp } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { startEmbeddedPostgres } from '../src/infra/embedded-postgres.ts';
import { createLogger } from '../src/logger.ts';
import { formatTable, machineFacts, writeResults, type Figure } from './harness.ts';
import { benchLoad } from './load.bench.ts';
import { benchQueries } from './query.bench.ts';

/**
 * `npm run bench`: starts what it needs (an embedded Postgres in a temporary
 * directory, unless PAPERBOY_BENCH_DATABASE_URL names a database it may
 * wipe), runs each benchmark after a warm-up, prints a table, and writes
 * bench/results.json and bench/RESULTS.md.
 *
 * PAPERBOY_BENCH_PAPERS (default 100000) and PAPERBOY_BENCH_REPEATS (default 3) size the
 * load benchmark, PAPERBOY_BENCH_QUERY_PAPERS (default 1000000) the query one;
 * PAPERBOY_BENCH_ONLY=load|query runs one of them. PAPERBOY_BENCH_REUSE=1 with
 * PAPERBOY_BENCH_DATABASE_URL keeps a query database of the right size from
 * an earlier run instead of building it again (about 6 minutes at 1M).
 */
const log = (line: string) => process.stderr.write(`${line}\n`);
const logger = createLogger({ level: 'warn', pretty: false });
const papers = Number(process.env.PAPERBOY_BENCH_PAPERS ?? 100_000);
const repeats = Number(process.env.PAPERBOY_BENCH_REPEATS ?? 3);
const queryPapers = Number(process.env.PAPERBOY_BENCH_QUERY_PAPERS ?? 1_000_000);
const only = process.env.PAPERBOY_BENCH_ONLY;

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'paperboy-bench-'));
await chmod(dataDir, 0o755);
const stops: Array<() => Promise<void>> = [];
try {
  let databaseUrl = process.env.PAPERBOY_BENCH_DATABASE_URL;
  if (!databaseUrl) {
    const embedded = await startEmbeddedPostgres(dataDir, logger);
    stops.push(embedded.stop);
    databaseUrl = embedded.databaseUrl;
  }
  await migrateUp(databaseUrl, logger);
  const pool = createPool(databaseUrl, logger, 4);
  stops.unshift(() => pool.end());
  const version = await pool.query<{ server_version: string }>('show server_version');

  const figures: Figure[] = [];
  if (!only || only === 'load') figures.push(...(await benchLoad(pool, { count: papers, repeats, log })));
  if (!only || only === 'query') figures.push(...(await benchQueries(pool, { count: queryPapers, reuse: process.env.PAPERBOY_BENCH_REUSE === '1', log })));

  process.stdout.write(`\n${formatTable(figures)}\n`);
  // A partial run (PAPERBOY_BENCH_ONLY) keeps the other group's figures from the last full run.
  const outputDir = path.dirname(fileURLToPath(import.meta.url));
  const kept = only ? (await readPreviousFigures(outputDir)).filter((figure) => !figure.name.startsWith(`${only}:`)) : [];
  const machine = machineFacts({
    postgres: version.rows[0]!.server_version,
    'papers per load run': String(papers),
    'papers in the query database': String(queryPapers),
    repeats: String(repeats),
  });
  await writeResults([...kept, ...figures], machine, outputDir);
  log(`\nwrote ${path.join(outputDir, 'results.json')} and RESULTS.md`);
} finally {
  for (const stop of stops) await stop();
  await rm(dataDir, { recursive: true, force: true });
}

async function readPreviousFigures(dir: string): Promise<Figure[]> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')) as Figure[];
  } catch {
    return [];
  }
}

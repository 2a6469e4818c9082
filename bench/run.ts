import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateUp } from '../src/db/migrate.ts';
import { createPool } from '../src/db/pool.ts';
import { resolveDatabase, resolveRedis } from '../src/infra/resolve-services.ts';
import { createLogger } from '../src/logger.ts';
import { formatTable, machineFacts, writeResults, type Figure } from './harness.ts';
import { Redis } from 'ioredis';
import { benchEnrich } from './enrich.bench.ts';
import { benchLoad } from './load.bench.ts';
import { benchParse } from './parse.bench.ts';
import { benchEndToEnd, benchPoliteness } from './pipeline.bench.ts';
import { benchQueries } from './query.bench.ts';
import { benchQueryPages } from './query-pages.bench.ts';
import { benchRetention } from './retention.bench.ts';
import { benchRuntime } from './runtime.bench.ts';

/**
 * `npm run bench`: starts what it needs (an embedded Postgres and a
 * redis-server in a temporary directory, unless PAPERBOY_BENCH_DATABASE_URL
 * names a database it may wipe and PAPERBOY_BENCH_REDIS_URL a Redis), runs
 * each benchmark after a warm-up, prints a table, and writes
 * bench/results.json and bench/RESULTS.md.
 *
 * Groups, in order: parse, load, e2e, politeness, enrich, query, runtime
 * (compiled against tsx, on Node 20 and 24: needs `npm run build`),
 * retention (page-store growth per simulated day, with and without pruning).
 * PAPERBOY_BENCH_ONLY=parse,e2e runs some of them (the other groups' figures
 * from the last run are kept). Sizes: PAPERBOY_BENCH_PAPERS (load, default
 * 100000), PAPERBOY_BENCH_DAYS (e2e, default 1000), PAPERBOY_BENCH_REPOS
 * (enrich, default 1000), PAPERBOY_BENCH_QUERY_PAPERS (query, default
 * 1000000), PAPERBOY_BENCH_RETENTION_DAYS (retention: simulated days,
 * default 3), PAPERBOY_BENCH_REPEATS (default 3). PAPERBOY_BENCH_REUSE=1 with
 * PAPERBOY_BENCH_DATABASE_URL keeps a query database of the right size from
 * an earlier run instead of building it again (about 6 minutes at 1M).
 */
const GROUPS = ['parse', 'load', 'e2e', 'politeness', 'enrich', 'query', 'runtime', 'retention'] as const;
type Group = (typeof GROUPS)[number];

const log = (line: string) => process.stderr.write(`${line}\n`);
const logger = createLogger({ level: 'warn', pretty: false });
const size = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const papers = size('PAPERBOY_BENCH_PAPERS', 100_000);
const repeats = size('PAPERBOY_BENCH_REPEATS', 3);
const days = size('PAPERBOY_BENCH_DAYS', 1_000);
const repos = size('PAPERBOY_BENCH_REPOS', 1_000);
const queryPapers = size('PAPERBOY_BENCH_QUERY_PAPERS', 1_000_000);
const retentionDays = size('PAPERBOY_BENCH_RETENTION_DAYS', 3);
const only = process.env.PAPERBOY_BENCH_ONLY?.split(',').map((group) => group.trim());
const unknown = only?.filter((group) => !(GROUPS as readonly string[]).includes(group)) ?? [];
if (unknown.length > 0)
  throw new Error(`PAPERBOY_BENCH_ONLY: unknown group(s) ${unknown.join(', ')}; the groups are ${GROUPS.join(', ')}`);
const runs = (group: Group) => !only || only.includes(group);

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'paperboy-bench-'));
await chmod(dataDir, 0o755);
const stops: Array<() => Promise<void>> = [];
try {
  const { PAPERBOY_BENCH_DATABASE_URL, PAPERBOY_BENCH_REDIS_URL } = process.env;
  const database = await resolveDatabase(PAPERBOY_BENCH_DATABASE_URL, dataDir, logger, {
    variable: 'PAPERBOY_BENCH_DATABASE_URL',
  });
  stops.push(database.close);
  const redis = await resolveRedis(PAPERBOY_BENCH_REDIS_URL, dataDir, logger, { variable: 'PAPERBOY_BENCH_REDIS_URL' });
  stops.push(redis.close);
  const { url: databaseUrl } = database;
  const { url: redisUrl } = redis;
  await migrateUp(databaseUrl, logger);
  const pool = createPool(databaseUrl, logger, 4);
  stops.unshift(() => pool.end());
  const version = await pool.query<{ server_version: string }>('show server_version');
  const pipeline = { databaseUrl, redisUrl, pool, logger, log };

  const figures: Figure[] = [];
  if (runs('parse')) figures.push(...benchParse({ repeats, log }));
  if (runs('load')) figures.push(...(await benchLoad(pool, { count: papers, repeats, log })));
  if (runs('e2e')) figures.push(...(await benchEndToEnd(pipeline, { days, repeats })));
  if (runs('politeness')) {
    // Hugging Face's buckets scaled down from 5 minutes to 10 s: the API at 12/s and pages at 4/s, rates
    // this 2-core machine can feed with Postgres on it (it loads about 20-25 API days/s flat out; see README).
    figures.push(
      ...(await benchPoliteness(pipeline, {
        days,
        windowMs: 10_000,
        quotas: { api: 120, pages: 40 },
        htmlFetches: 100,
        repeats,
      })),
    );
  }
  if (runs('enrich')) figures.push(...(await benchEnrich(pool, { count: repos, repeats, logger, log })));
  if (runs('runtime')) figures.push(...(await benchRuntime(pipeline, { days, repeats })));
  if (runs('query')) {
    figures.push(
      ...(await benchQueries(pool, { count: queryPapers, reuse: process.env.PAPERBOY_BENCH_REUSE === '1', log })),
    );
    figures.push(...(await benchQueryPages(pool, { databaseUrl, redisUrl, count: queryPapers, logger, log })));
  }
  if (runs('retention')) figures.push(...(await benchRetention(pool, { days: retentionDays, logger, log })));

  process.stdout.write(`\n${formatTable(figures)}\n`);
  const outputDir = path.dirname(fileURLToPath(import.meta.url));
  const ran = (figure: Figure) => GROUPS.some((group) => runs(group) && figure.name.startsWith(`${group}:`));
  const kept = only ? (await readPreviousFigures(outputDir)).filter((figure) => !ran(figure)) : [];
  const machine = machineFacts({
    postgres: version.rows[0]!.server_version,
    redis: await redisVersion(redisUrl),
    'papers per load run': String(papers),
    'days per end-to-end run': String(days),
    'repositories per enrichment run': String(repos),
    'papers in the query database': String(queryPapers),
    'simulated days per retention run': String(retentionDays),
    repeats: String(repeats),
  });
  const order = (figure: Figure) => GROUPS.findIndex((group) => figure.name.startsWith(`${group}:`));
  await writeResults(
    [...kept, ...figures].sort((a, b) => order(a) - order(b)),
    machine,
    outputDir,
  );
  log(`\nwrote ${path.join(outputDir, 'results.json')} and RESULTS.md`);
} finally {
  for (const stop of stops) await stop();
  await rm(dataDir, { recursive: true, force: true });
}

async function redisVersion(url: string): Promise<string> {
  const client = new Redis(url);
  try {
    return /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
  } finally {
    client.disconnect();
  }
}

async function readPreviousFigures(dir: string): Promise<Figure[]> {
  try {
    return JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')) as Figure[];
  } catch {
    return [];
  }
}

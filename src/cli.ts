import { Command, InvalidArgumentError, Option } from 'commander';
import type pg from 'pg';
import { loadConfig, PAPERBOY_VERSION, type Config } from './config.ts';
import { createPool } from './db/pool.ts';
import { migrateUp } from './db/migrate.ts';
import { assertNotInFuture, DIGEST_KINDS, digestRef, isPeriodKind } from './domain/digest-key.ts';
import type { DigestKind, DigestRef } from './domain/digest-key.ts';
import { TRANSPORTS, type Transport } from './domain/digest-key.ts';
import { parseWholeNumber } from './domain/input-rules.ts';
import { ConfigError, PermanentError, RateLimitedError, SetupError, TransientError, UsageError } from './errors.ts';
import { createLogger, type Logger } from './logger.ts';
import { resolveConfiguredDatabase } from './infra/resolve-services.ts';
import { createUpstreamClient } from './runtime.ts';
import { ingestDigest, type IngestResult } from './stages/ingest-digest.ts';
import { reparseDigests } from './stages/reparse-digests.ts';
import { enrichRepos, type EnrichSummary } from './stages/enrich-repos.ts';
import { checkedOption } from './cli/checked-option.ts';
import { queryCommand } from './cli/query-commands.ts';
import { backfillCommand } from './cli/backfill-command.ts';
import { pruneCommand } from './cli/prune-command.ts';
import { dbCommand } from './cli/db-command.ts';
import { runUntilSignalled, startService, type Role } from './service/run-service.ts';

/** Exit codes: 1 = the work failed, 2 = the command or configuration is wrong. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

interface CommandContext {
  config: Config;
  logger: Logger;
}

/** Opens the database (migrated) for one command and closes everything after it, whatever happens. */
async function withDatabase<T>(context: CommandContext, work: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const database = await resolveConfiguredDatabase(context.config, context.logger);
  const pool = createPool(database.url, context.logger);
  try {
    await migrateUp(database.url, context.logger);
    return await work(pool);
  } finally {
    await pool.end();
    await database.close();
  }
}

interface IngestCommandOptions {
  force?: boolean;
  via?: Transport;
  /** commander's --no-enrich sets this to false. */
  enrich?: boolean;
}

async function runIngest(context: CommandContext, digest: DigestRef, options: IngestCommandOptions) {
  const { config, logger } = context;
  const http = createUpstreamClient(config);
  try {
    await withDatabase(context, async (pool) => {
      const result = await ingestDigest({ http, pool, hf: config.hf, logger }, digest, {
        force: options.force ?? false,
        via: options.via,
      });
      process.stdout.write(`${describeIngest(result)}\n`);
      if (options.enrich === false || result.repoRefs.length === 0) return;
      try {
        const summary = await enrichRepos({ http, pool, github: config.github, logger }, { refs: result.repoRefs });
        process.stdout.write(`${describeEnrich(summary)}\n`);
      } catch (error) {
        process.stderr.write(
          `paperboy: repository enrichment failed (the digest is loaded; \`paperboy enrich\` picks up where it stopped): ${(error as Error).message}\n`,
        );
        process.exitCode = EXIT_FAILED;
      }
    });
  } finally {
    await http.close();
  }
}

function describeEnrich(summary: EnrichSummary): string {
  return (
    `repositories: ${summary.checked} checked in ${summary.requests} request(s): ${summary.resolved} resolved ` +
    `(${summary.changed} changed), ${summary.notModified} not modified, ${summary.notFound} not found, ${summary.failed} refused`
  );
}

function describeIngest(result: IngestResult): string {
  const what = `${result.digest.kind} ${result.digest.key}`;
  if (result.outcome === 'not_modified') {
    return `${what}: not modified since the last fetch (${result.paperCount} papers), nothing written`;
  }
  if (result.outcome === 'not_found') {
    return `${what}: Hugging Face has no such paper (404); its detail, if stored, is marked not_found and checked again later`;
  }
  const { inserted, updated, unchanged } = result.counts;
  const warnings = result.warnings.length ? `; warnings: ${result.warnings.join('; ')}` : '';
  return `${what}: ${result.outcome}, ${result.paperCount} papers (${inserted} new, ${updated} updated, ${unchanged} unchanged)${warnings}`;
}

/** A commander argument parser that validates a digest key for `kind` (and refuses periods not begun, as backfill does). */
function keyOf(kind: DigestKind) {
  return (value: string): string => {
    try {
      const { key } = digestRef(kind, value);
      if (isPeriodKind(kind)) assertNotInFuture(kind, key, new Date());
      return key;
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}

const forceOption = () => new Option('-f, --force', 'fetch unconditionally and reload even if the page is unchanged');
const noEnrichOption = () => new Option('--no-enrich', "don't resolve the papers' GitHub repositories after loading");
const viaOption = () =>
  new Option(
    '--via <transport>',
    'fetch the HTML page or the JSON API (default: PAPERBOY_HF_TRANSPORT, else html)',
  ).choices(TRANSPORTS);

function buildProgram(context: () => CommandContext): Command {
  const program = new Command('paperboy')
    .description('Ingest research-paper digests (Hugging Face papers) into Postgres.')
    .version(PAPERBOY_VERSION)
    // Before any .command(): subcommands inherit it, so main() decides every exit code.
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nConfiguration comes from the environment (DATABASE_URL, REDIS_URL, HF_BASE_URL, ...); see README.md.',
    );

  program
    .command('migrate')
    .description('apply pending database migrations (safe to run concurrently and repeatedly)')
    .action(async () => {
      const { config, logger } = context();
      const database = await resolveConfiguredDatabase(config, logger);
      try {
        const applied = await migrateUp(database.url, logger);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      } finally {
        await database.close();
      }
    });

  const ingest = program
    .command('ingest')
    .description('fetch one digest now, parse it and load it into Postgres (no Redis needed)');

  const periods: Array<[DigestKind, string, string]> = [
    ['day', '<date>', 'the daily page /papers/date/YYYY-MM-DD'],
    ['week', '<week>', 'the weekly page /papers/week/YYYY-Www (ISO week)'],
    ['month', '<month>', 'the monthly page /papers/month/YYYY-MM'],
  ];
  for (const [kind, argument, description] of periods) {
    ingest
      .command(kind)
      .description(`ingest ${description}`)
      .argument(
        argument,
        kind === 'day' ? 'YYYY-MM-DD' : kind === 'week' ? 'YYYY-Www, e.g. 2024-W31' : 'YYYY-MM',
        keyOf(kind),
      )
      .addOption(viaOption())
      .addOption(forceOption())
      .addOption(noEnrichOption())
      .action(async (key: string, options: IngestCommandOptions) => {
        await runIngest(context(), digestRef(kind, key), options);
      });
  }
  for (const [kind, description] of [
    ['trending', "the trending page /papers/trending (listed under today's UTC date)"],
    ['front', "the front page /papers (listed under today's UTC date)"],
  ] as const) {
    ingest
      .command(kind)
      .description(`ingest ${description}`)
      .addOption(forceOption())
      .addOption(noEnrichOption())
      .action(async (options: IngestCommandOptions) => {
        await runIngest(context(), digestRef(kind, undefined), options);
      });
  }
  ingest
    .command('paper')
    .description(
      "ingest one paper's own page /papers/ID (with --via api: /api/papers/ID): its counts of citing models, datasets, Spaces and collections, comments, daily rank",
    )
    .argument('<id>', 'arXiv id (any version, DOI or arxiv.org URL)', keyOf('paper'))
    .addOption(
      new Option('--via <transport>', 'the HTML page (default: it alone has the counts) or the JSON API')
        .choices(TRANSPORTS)
        .default('html'),
    )
    .addOption(forceOption())
    .addOption(noEnrichOption())
    .action(async (id: string, options: IngestCommandOptions) => {
      await runIngest(context(), digestRef('paper', id), options);
    });
  ingest
    .command('search')
    .description('ingest the search page /papers?q=TEXT: a saved topic search, its matches accumulate over time')
    .argument('<text>', 'the search text', keyOf('search'))
    .addOption(forceOption())
    .addOption(noEnrichOption())
    .action(async (text: string, options: IngestCommandOptions) => {
      await runIngest(context(), digestRef('search', text), options);
    });

  program.addCommand(queryCommand((work) => withDatabase(context(), work)));

  program
    .command('enrich')
    .description(
      "resolve papers' GitHub repositories: those never resolved, or with --stale every one due for a refresh",
    )
    .option(
      '--stale',
      'refresh every repository whose next check is due (fresh papers daily, others weekly, 404s monthly)',
    )
    .addOption(
      checkedOption('--limit <n>', 'at most this many references', (value) => parseWholeNumber(value, { min: 1 })),
    )
    .action(async (options: { stale?: boolean; limit?: number }) => {
      const { config, logger } = context();
      const http = createUpstreamClient(config);
      try {
        const summary = await withDatabase(context(), (pool) =>
          enrichRepos(
            { http, pool, github: config.github, logger },
            { pendingOnly: !options.stale, limit: options.limit },
          ),
        );
        process.stdout.write(`${describeEnrich(summary)}\n`);
      } finally {
        await http.close();
      }
    });

  program.addCommand(backfillCommand(context));

  const roles: Array<[string, Role[], string]> = [
    [
      'start',
      ['worker', 'schedule', 'dashboard'],
      'run the whole service in one process: workers, schedules and the dashboard',
    ],
    [
      'worker',
      ['worker'],
      'run the workers of the digests, repos and backfills queues (run several, on several machines, to scale)',
    ],
    [
      'dashboard',
      ['dashboard'],
      'serve the dashboard: /backfills, Bull Board at /queues, the JSON API, /healthz and /metrics',
    ],
  ];
  for (const [name, roleList, description] of roles) {
    program
      .command(name)
      .description(description)
      .action(async () => {
        const { config, logger } = context();
        const service = await startService(new Set(roleList), config, logger);
        if (service.dashboardUrl) process.stderr.write(`paperboy: dashboard at ${service.dashboardUrl}\n`);
        await runUntilSignalled(service, logger);
      });
  }
  program
    .command('schedule')
    .description('register the job schedules in Redis (idempotent; removes schedules no longer configured), then exit')
    .action(async () => {
      const { config, logger } = context();
      const service = await startService(new Set<Role>(['schedule']), config, logger);
      await service.shutdown('schedules registered');
    });

  program
    .command('reparse')
    .description('run the current parser over stored pages (no fetching): a parser fix repairs past loads')
    .addOption(new Option('--kind <kind>', 'only this page kind (paper: single paper pages)').choices(DIGEST_KINDS))
    .option('--from <key>', 'first key, inclusive (e.g. 2024-08-01)')
    .option('--to <key>', 'last key, inclusive')
    .option('--all', 'also re-parse pages already parsed by the current parser version')
    .action(async (options: { kind?: DigestKind; from?: string; to?: string; all?: boolean }) => {
      const summary = await withDatabase(context(), (pool) => reparseDigests(pool, options, context().logger));
      const { inserted, updated, unchanged } = summary.counts;
      process.stdout.write(
        `re-parsed ${summary.loaded + summary.empty + summary.failed.length} of ${summary.considered} stored digests: ` +
          `${summary.loaded} loaded, ${summary.empty} empty, ${summary.failed.length} failed ` +
          `(${inserted} new, ${updated} updated, ${unchanged} unchanged papers)\n`,
      );
      for (const failure of summary.failed) {
        process.stdout.write(`  failed ${failure.digest.kind} ${failure.digest.key}: ${failure.error}\n`);
      }
      if (summary.failed.length > 0) process.exitCode = EXIT_FAILED;
    });

  program.addCommand(pruneCommand(context, (work) => withDatabase(context(), work)));
  program.addCommand(dbCommand(context));

  return program;
}

/** Errors whose message is the whole story: printed as one line, no stack. */
function isExpectedFailure(error: unknown): error is Error {
  return [PermanentError, TransientError, RateLimitedError, SetupError].some((type) => error instanceof type);
}

export async function main(argv: string[]): Promise<number> {
  let cached: CommandContext | undefined;
  // Config is loaded lazily so `--help` works even with a broken environment.
  const context = () => {
    if (!cached) {
      const config = loadConfig(process.env);
      cached = { config, logger: createLogger({ level: config.logLevel }) };
    }
    return cached;
  };
  try {
    await buildProgram(context).parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      const exitCode = (error as { exitCode?: number }).exitCode ?? EXIT_USAGE;
      return exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`paperboy: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (isExpectedFailure(error)) {
      cached?.logger.debug({ err: error }, 'command failed');
      process.stderr.write(`paperboy: error: ${error.message}\n`);
      return EXIT_FAILED;
    }
    process.stderr.write(`paperboy: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT_FAILED;
  }
}

process.exitCode = await main(process.argv);

import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, PAPERBOY_VERSION, type Config } from './config.ts';
import { createPool } from './db/pool.ts';
import { migrateUp } from './db/migrate.ts';
import { dayDigest } from './domain/digest-key.ts';
import { ConfigError, PermanentError, RateLimitedError, SetupError, TransientError } from './errors.ts';
import { HttpClient } from './http/http-client.ts';
import { createLogger, type Logger } from './logger.ts';
import { resolveDatabase } from './runtime.ts';
import { ingestDigest, type IngestResult } from './stages/ingest-digest.ts';

/** Exit codes: 1 = the work failed, 2 = the command or configuration is wrong. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

interface CommandContext {
  config: Config;
  logger: Logger;
}

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
      const database = await resolveDatabase(config, logger);
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

  ingest
    .command('day')
    .description("ingest the Hugging Face daily papers page of one date")
    .argument('<date>', 'the date, YYYY-MM-DD', parseDayArgument)
    .option('-f, --force', 'fetch unconditionally and reload even if the page is unchanged')
    .action(async (date: string, options: { force?: boolean }) => {
      const { config, logger } = context();
      const database = await resolveDatabase(config, logger);
      const http = new HttpClient({ ...config.http, allowedOrigins: [config.hf.baseUrl, config.github.apiUrl] });
      const pool = createPool(database.url, logger);
      try {
        await migrateUp(database.url, logger);
        const result = await ingestDigest({ http, pool, hf: config.hf, logger }, dayDigest(date), {
          force: options.force ?? false,
        });
        process.stdout.write(`${describeIngest(result)}\n`);
      } finally {
        await pool.end();
        await http.close();
        await database.close();
      }
    });

  return program;
}

function describeIngest(result: IngestResult): string {
  const what = `${result.digest.kind} ${result.digest.key}`;
  if (result.outcome === 'not_modified') {
    return `${what}: not modified since the last fetch (${result.paperCount} papers), nothing written`;
  }
  const { inserted, updated, unchanged } = result.counts;
  return `${what}: ${result.outcome}, ${result.paperCount} papers (${inserted} new, ${updated} updated, ${unchanged} unchanged)`;
}

function parseDayArgument(value: string): string {
  try {
    return dayDigest(value).key;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
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
    return 0;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      const exitCode = (error as { exitCode?: number }).exitCode ?? EXIT_USAGE;
      return exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
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

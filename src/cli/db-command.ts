import { Command } from 'commander';
import type { Config } from '../config.ts';
import { migrateUp } from '../db/migrate.ts';
import { embeddedPostgresUrl } from '../infra/embedded-postgres.ts';
import { resolveConfiguredDatabase } from '../infra/resolve-services.ts';
import type { Logger } from '../logger.ts';
import { runPsql } from './psql.ts';

/**
 * `paperboy db url` and `paperboy db psql`: the database one command away.
 * The URL is DATABASE_URL when set; else the embedded Postgres's, whose port
 * (PAPERBOY_EMBEDDED_PG_PORT) and password (kept in the data folder) do not
 * change between starts, so a saved connection keeps working.
 */
export function dbCommand(context: () => { config: Config; logger: Logger }): Command {
  const db = new Command('db')
    .exitOverride()
    .showHelpAfterError()
    .description("reach paperboy's Postgres: its connection URL, or psql on it");

  db.command('url')
    .description(
      'print the connection URL (password included) of DATABASE_URL, else of the embedded Postgres, ' +
        'on its fixed port: it stays valid across restarts; e.g. psql "$(paperboy db url)"',
    )
    .action(async () => {
      const { config } = context();
      if (config.databaseUrl) {
        process.stdout.write(`${config.databaseUrl}\n`);
        return;
      }
      const { url, running } = await embeddedPostgresUrl(config.dataDir, config.embeddedPostgresPort);
      process.stdout.write(`${url}\n`);
      // On stderr, so that $(paperboy db url) stays the URL alone.
      if (!running) {
        process.stderr.write(
          'paperboy: the embedded Postgres is not running now: `paperboy start` runs it, `paperboy db psql` for one session\n',
        );
      }
    });

  db.command('psql')
    .description(
      'open psql on the database (migrated first); the embedded Postgres, if not running, ' +
        'runs for the session. Arguments after -- go to psql: paperboy db psql -- -c "select 1"',
    )
    .argument('[psql-arguments...]', 'passed to psql as they are')
    .allowUnknownOption()
    .action(async (psqlArguments: string[]) => {
      const { config, logger } = context();
      // Out of the terminal's process group: Ctrl-C in psql cancels a query, it must not stop the server too.
      const database = await resolveConfiguredDatabase(config, logger, { ownProcessGroup: true });
      try {
        // So that the views the README's SQL reads exist, even in a database no other command has used yet.
        await migrateUp(database.url, logger);
        const code = await runPsql(database.url, psqlArguments);
        if (code !== 0) process.exitCode = code;
      } finally {
        await database.close();
      }
    });

  return db;
}

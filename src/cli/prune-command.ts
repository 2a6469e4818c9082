import { Command } from 'commander';
import type pg from 'pg';
import type { Config } from '../config.ts';
import { parseWholeNumber } from '../domain/input-rules.ts';
import type { PageStoreUsage } from '../db/retention.repository.ts';
import { measureKept, prunePages, type PruneSummary } from '../stages/prune-pages.ts';
import { checkedOption } from './checked-option.ts';

/**
 * `paperboy prune [--dry-run] [--older-than 30d]`: the `prune-pages`
 * schedule's work, run now. Prints what it freed (or would free) and what
 * the page store keeps.
 */
export function pruneCommand(
  context: () => { config: Config },
  withDatabase: <T>(work: (pool: pg.Pool) => Promise<T>) => Promise<T>,
): Command {
  return new Command('prune')
    .exitOverride()
    .showHelpAfterError()
    .description(
      "delete stored page bodies no re-parse needs: all but each digest's latest, failed parses' and the last N days'",
    )
    .option('--dry-run', 'count what would be freed, delete nothing')
    .addOption(
      checkedOption(
        '--older-than <days>',
        'keep what was stored or fetched within this many days, e.g. 30d (default: PAPERBOY_PAGE_RETENTION_DAYS, else 30)',
        parseDays,
      ),
    )
    .action(async (options: { dryRun?: boolean; olderThan?: number }) => {
      const retentionDays = options.olderThan ?? context().config.pageRetentionDays;
      const line = await withDatabase(async (pool) => {
        const summary = await prunePages(pool, { retentionDays, dryRun: options.dryRun });
        return describePrune(summary, await measureKept(pool, summary));
      });
      process.stdout.write(`${line}\n`);
    });
}

/** "30d" or "30": a whole number of days from 1 to 3650, as PAPERBOY_PAGE_RETENTION_DAYS. */
function parseDays(value: string): number {
  return parseWholeNumber(value.endsWith('d') ? value.slice(0, -1) : value, { min: 1, max: 3650 });
}

/** One line: "pruned 1,234 page bodies (56.7 MB stored, …); kept 321 (…)". */
function describePrune(summary: PruneSummary, kept: PageStoreUsage): string {
  const { pruned } = summary;
  return (
    `${summary.dryRun ? 'would prune' : 'pruned'} ${count(pruned.bodies)} page bodies ` +
    `(${megabytes(pruned.storedBytes)} stored, ${megabytes(pruned.pageBytes)} uncompressed); ` +
    `${summary.dryRun ? 'would keep' : 'kept'} ${count(kept.bodies)} (${megabytes(kept.storedBytes)}: ` +
    `latest of each digest, failed parses, last ${summary.retentionDays === 1 ? 'day' : `${summary.retentionDays} days`})`
  );
}

const count = (n: number) => n.toLocaleString('en-US');
const megabytes = (bytes: number) =>
  `${(bytes / 1e6).toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })} MB`;

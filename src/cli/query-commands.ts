import { Command, Option } from 'commander';
import type pg from 'pg';
import {
  getPaperDetail,
  listPapers,
  listRepos,
  risingRepos,
  searchPapers,
  type PaperDetail,
  type PaperFilters,
  type PaperRow,
} from '../db/query.repository.ts';
import { canonicalPaperId } from '../domain/paper-id.ts';
import { isCalendarDate } from '../domain/digest-key.ts';
import { dateRangeProblem, parseWholeNumber } from '../domain/input-rules.ts';
import { UsageError } from '../errors.ts';
import { checkedOption } from './checked-option.ts';
import { formatRows, sinceDate, windowDays, type OutputFormat } from './output.ts';

/** The columns `query papers` and `query search` print, in order (stable names: scripts read them). */
export const PAPER_OUTPUT_COLUMNS: ReadonlyArray<keyof PaperRow> = [
  'id',
  'title',
  'upvotes',
  'num_comments',
  'listed_on',
  'repo',
  'repo_stars',
  'repo_language',
  'repo_license',
];

type WithDatabase = <T>(work: (pool: pg.Pool) => Promise<T>) => Promise<T>;

interface FormatOptions {
  json?: boolean;
  csv?: boolean;
}

function formatOf(options: FormatOptions): OutputFormat {
  return options.json ? 'json' : options.csv ? 'csv' : 'table';
}

const count = (value: string) => parseWholeNumber(value);
const minUpvotes = () => checkedOption('--min-upvotes <n>', 'at least this many upvotes', count);
const calendarDate = (value: string) => {
  if (!isCalendarDate(value)) throw new RangeError(`"${value}" is not a date in YYYY-MM-DD form`);
  return value;
};
const since = () =>
  checkedOption('--since <when>', 'listed on a daily page since 7d / 24h / 2w / YYYY-MM-DD', (value) =>
    sinceDate(value),
  );

function withFormats(command: Command): Command {
  return command
    .addOption(new Option('--json', 'JSON (an array of objects with stable keys)').conflicts('csv'))
    .addOption(new Option('--csv', 'CSV with a header row'))
    .addOption(checkedOption('--limit <n>', 'at most this many rows', count).default(50));
}

/** What the paper's own page said, in a sentence or two (a count no fetched form carried shows as "?"). */
function describeOwnPage(id: string, page: PaperDetail['page']): string {
  if (!page) return `own page: not fetched yet (paperboy ingest paper ${id})\n`;
  const seen = page.observed_at.toISOString();
  if (page.status === 'not_found') {
    return `own page: not found on Hugging Face (404) at ${seen}; looked at again after ${page.next_check_at?.toISOString() ?? '-'}\n`;
  }
  const n = (value: number | null) => (value === null ? '?' : String(value));
  const parts = [
    `cited by ${n(page.citing_models)} models, ${n(page.citing_datasets)} datasets, ${n(page.citing_spaces)} Spaces`,
    `in ${n(page.collections)} collections`,
    page.daily_rank === null ? undefined : `rank ${page.daily_rank} on its daily page`,
    page.submitter_organization === null ? undefined : `submitted for ${page.submitter_organization}`,
    page.github_repo_added_by === null ? undefined : `repository added by ${page.github_repo_added_by}`,
  ].filter((part) => part !== undefined);
  return `own page (as of ${seen}): ${parts.join('; ')}\n`;
}

/** `paperboy query …`: the common questions, one command each. */
export function queryCommand(withDatabase: WithDatabase): Command {
  // exitOverride before the subcommands: they inherit it, so main() decides every exit code.
  const query = new Command('query')
    .exitOverride()
    .showHelpAfterError()
    .description('ask the database: papers, search, one paper, repositories');

  withFormats(
    query
      .command('papers')
      .description('papers listed on a day or since a time, most upvoted first')
      .addOption(checkedOption('--day <date>', 'listed on the daily page of this date', calendarDate))
      .addOption(since())
      .addOption(checkedOption('--until <date>', 'listed on a daily page up to this date', calendarDate))
      .addOption(minUpvotes())
      .option('--has-code', 'only papers with a resolved GitHub repository')
      .option('--has-model', 'only papers a Hugging Face model cites (as their own page last said)')
      .option('--language <name>', "their repository's primary language"),
  ).action(async (options: PaperFilters & FormatOptions & { limit: number }) => {
    if (options.day === undefined && options.since === undefined)
      throw new UsageError('query papers needs --day or --since');
    const unordered = dateRangeProblem(options, '--');
    if (unordered) throw new UsageError(unordered);
    const rows = await withDatabase((pool) => listPapers(pool, options, { limit: options.limit }));
    process.stdout.write(formatRows(rows, PAPER_OUTPUT_COLUMNS, formatOf(options)));
  });

  withFormats(
    query
      .command('search')
      .description(
        'full-text search over titles and abstracts (websearch syntax: "a phrase", -not, or), best match first',
      )
      .argument('<text>', 'what to look for')
      .addOption(since())
      .addOption(minUpvotes())
      .option('--has-code', 'only papers with a resolved GitHub repository')
      .option('--has-model', 'only papers a Hugging Face model cites (as their own page last said)'),
  ).action(async (text: string, options: PaperFilters & FormatOptions & { limit: number }) => {
    const rows = await withDatabase((pool) => searchPapers(pool, text, options, options.limit));
    process.stdout.write(formatRows(rows, ['rank', ...PAPER_OUTPUT_COLUMNS], formatOf(options)));
  });

  query
    .command('paper')
    .description(
      'everything about one paper: listings, upvote history, its own page (citing models, datasets, Spaces, collections) and their history, repositories and their star history',
    )
    .argument('<id>', 'arXiv id (any version, DOI or arxiv.org URL)')
    .option('--json', 'JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const detail = await withDatabase((pool) => getPaperDetail(pool, canonicalPaperId(id)));
      if (!detail) throw new UsageError(`no paper ${canonicalPaperId(id)} in the database`);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(detail, null, 2)}\n`);
        return;
      }
      const p = detail.paper;
      process.stdout.write(
        `${p.id}  ${p.title}\n${p.upvotes} upvotes, ${p.num_comments ?? 0} comments, first listed ${p.listed_on ?? '-'}\n\n`,
      );
      process.stdout.write(
        `listings\n${formatRows(detail.listings, ['kind', 'key', 'listed_on', 'rank', 'upvotes', 'first_seen_at', 'last_seen_at'], 'table')}\n`,
      );
      process.stdout.write(
        `upvote history\n${formatRows(detail.upvoteHistory, ['observed_at', 'upvotes', 'num_comments'], 'table')}\n`,
      );
      process.stdout.write(`${describeOwnPage(p.id, detail.page)}\n`);
      if (detail.pageHistory.length > 0) {
        process.stdout.write(
          `own page history\n${formatRows(detail.pageHistory, ['observed_at', 'daily_rank', 'citing_models', 'citing_datasets', 'citing_spaces', 'collections'], 'table')}\n`,
        );
      }
      process.stdout.write(
        `repositories\n${formatRows(detail.repos, ['ref', 'source', 'status', 'full_name', 'stars', 'forks', 'language', 'license_spdx'], 'table')}`,
      );
      for (const repo of detail.repos) {
        if (repo.star_history.length > 0)
          process.stdout.write(
            `\nstar history of ${repo.full_name}\n${formatRows(repo.star_history, ['observed_at', 'stars', 'forks'], 'table')}`,
          );
      }
    });

  withFormats(
    query
      .command('repos')
      .description('repositories: most starred, or with --rising by star growth over a window')
      .option('--rising', 'rank by star growth')
      .addOption(checkedOption('--window <days>', 'growth window for --rising: 7d, 2w, …', windowDays).default(7))
      .option('--language <name>', 'primary language (not with --rising)'),
  ).action(async (options: FormatOptions & { rising?: boolean; window: number; language?: string; limit: number }) => {
    if (options.rising) {
      const rows = await withDatabase((pool) => risingRepos(pool, options.window, { limit: options.limit }));
      process.stdout.write(formatRows(rows, ['full_name', 'stars', 'growth', 'language', 'papers'], formatOf(options)));
      return;
    }
    const rows = await withDatabase((pool) =>
      listRepos(pool, { language: options.language }, { limit: options.limit }),
    );
    process.stdout.write(
      formatRows(
        rows,
        ['full_name', 'stars', 'forks', 'language', 'license_spdx', 'archived', 'pushed_at', 'papers'],
        formatOf(options),
      ),
    );
  });

  return query;
}

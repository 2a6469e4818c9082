import { Command, Option } from 'commander';
import type pg from 'pg';
import {
  cursorOf,
  findPapers,
  getPaperDetail,
  listRepos,
  risingRepos,
  type PaperDetail,
  type PaperQuery,
  type PaperRow,
} from '../db/query.repository.ts';
import {
  decodePaperCursor,
  decodeRepoCursor,
  decodeRisingCursor,
  encodePaperCursor,
  encodeRepoCursor,
  encodeRisingCursor,
} from '../domain/cursors.ts';
import { findLatestGoodFetch, type PreviousFetch } from '../db/fetches.repository.ts';
import { digestRef } from '../domain/digest-key.ts';
import { canonicalPaperId } from '../domain/paper-id.ts';
import {
  DEFAULT_WINDOW_DAYS,
  PAGE_LIMITS,
  PAPER_QUERY,
  sortOf,
  QueryParameterError,
  REPO_FILTERS,
  type RepoFilterValues,
} from '../domain/paper-query.ts';
import { UsageError } from '../errors.ts';
import { formatRows, formatTimestamp, type OutputFormat } from './output.ts';
import { addQueryOptions, queryValuesOf } from './query-options.ts';

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

function withFormats(command: Command): Command {
  return command
    .addOption(new Option('--json', 'JSON (an array of objects with stable keys)').conflicts('csv'))
    .addOption(new Option('--csv', 'CSV with a header row'));
}

/** A full page has a next one: said on stderr, so that stdout stays the rows alone. */
function tellNextPage(rows: readonly unknown[], limit: number, cursor: () => string): void {
  if (rows.length === limit && rows.length > 0) process.stderr.write(`next page: --cursor ${cursor()}\n`);
}

/** A refused value (a cursor not ours, relevance without a text) is a usage error naming its option. */
function asUsageError<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof QueryParameterError) throw new UsageError(`--${error.message}`);
    throw error;
  }
}

/** What the paper's own page said, in a sentence or two (a count no fetched form carried shows as "?"). */
function describeOwnPage(id: string, page: PaperDetail['page']): string {
  if (!page) return `own page: not fetched yet (paperboy ingest paper ${id})\n`;
  const seen = formatTimestamp(page.observed_at);
  if (page.status === 'not_found') {
    const next = page.next_check_at ? formatTimestamp(page.next_check_at) : '-';
    return `own page: not found on Hugging Face (404) at ${seen}; looked at again after ${next}\n`;
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

/** What `query papers` returns with and without a listing day: its --help says it, so nobody has to guess. */
const PAPERS_HELP = `
Without --day, --since or --until: every paper in the database, whatever page brought
it in (a daily, weekly or monthly page, trending, a saved search, its own page), most
upvoted first (best match first with --text), ${PAGE_LIMITS.cli.default} at a time (--limit); a full page
prints the next page's --cursor on stderr.
With them: only papers listed on Hugging Face's daily pages of those days (--day one
day, --since/--until a range). A --day never fetched is said on stderr, with the
command that fetches it, rather than shown as an empty table.`;

/** Why `query papers --day DAY` found nothing, when the rows cannot say: the day never fetched, or fetched and empty. */
function describeEmptyDay(day: string, fetch: PreviousFetch | null): string | undefined {
  if (fetch === null) {
    return (
      `paperboy: no fetch of day ${day} on record: run \`paperboy ingest day ${day}\`, ` +
      `or a backfill (\`paperboy backfill --kind day --from ${day} --to ${day}\`)`
    );
  }
  // A day with papers, none of them on this page: the filters (or the cursor) left them out, as the rows say.
  if (fetch.paperCount > 0) return undefined;
  return `paperboy: day ${day} was fetched, and Hugging Face listed no papers that day`;
}

/** `paperboy query …`: the common questions, one command each. */
export function queryCommand(withDatabase: WithDatabase): Command {
  // exitOverride before the subcommands: they inherit it, so main() decides every exit code.
  const query = new Command('query')
    .exitOverride()
    .showHelpAfterError()
    .description('ask the database: papers, search, one paper, repositories');

  const papers = withFormats(
    addQueryOptions(
      query
        .command('papers')
        .description('papers matching the filters: most upvoted first, or best match first with --text')
        .addHelpText('after', PAPERS_HELP),
      PAPER_QUERY,
    ),
  ).action(async () => {
    await printPapers(papers, papers.opts<FormatOptions>(), {});
  });

  const search = withFormats(
    addQueryOptions(
      query
        .command('search')
        .description(
          'full-text search over titles and abstracts (websearch syntax: "a phrase", -not, or), best match first',
        )
        .argument('<text>', 'what to look for (the same as `query papers --text`)'),
      PAPER_QUERY.filter((definition) => definition.name !== 'q'),
    ),
  ).action(async (text: string) => {
    await printPapers(search, search.opts<FormatOptions>(), { q: text });
  });

  /** `query papers` and `query search`: the same filters, the same repository call as the API's. */
  async function printPapers(command: Command, format: FormatOptions, extra: PaperQuery): Promise<void> {
    const { limit, cursor, ...query } = { ...queryValuesOf<PaperQuery>(command, PAPER_QUERY), ...extra };
    const sort = asUsageError(() => sortOf(query));
    const after = asUsageError(() => decodePaperCursor(cursor, sort));
    const { rows, dayFetch } = await withDatabase(async (pool) => {
      const rows = await findPapers(pool, query, { limit, after });
      // No rows for a day: was it never fetched, or fetched and empty? Asked only then, it costs nothing otherwise.
      const dayFetch =
        rows.length === 0 && query.day !== undefined
          ? ((await findLatestGoodFetch(pool, digestRef('day', query.day))) ?? null)
          : undefined;
      return { rows, dayFetch };
    });
    const output = formatOf(format);
    const why = query.day !== undefined && dayFetch !== undefined ? describeEmptyDay(query.day, dayFetch) : undefined;
    if (why) {
      process.stderr.write(`${why}\n`);
      // A table of nothing would read as "the day had no papers": the line above says what is true instead.
      if (dayFetch === null && output === 'table') return;
    }
    const columns = sort === 'relevance' ? ['rank', ...PAPER_OUTPUT_COLUMNS] : PAPER_OUTPUT_COLUMNS;
    process.stdout.write(formatRows(rows as PaperRow[], columns as Array<keyof PaperRow>, output));
    tellNextPage(rows, limit, () => encodePaperCursor(cursorOf(rows.at(-1)!, sort)));
  }

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
        // The points come as JSON text from Postgres (json_agg): as Dates, they print like every other timestamp.
        const history = repo.star_history.map((point) => ({ ...point, observed_at: new Date(point.observed_at) }));
        if (history.length > 0)
          process.stdout.write(
            `\nstar history of ${repo.full_name}\n${formatRows(history, ['observed_at', 'stars', 'forks'], 'table')}`,
          );
      }
    });

  const repos = withFormats(
    addQueryOptions(
      query.command('repos').description('repositories: most starred, or with --rising by star growth over a window'),
      REPO_FILTERS,
    ),
  ).action(async () => {
    const format = repos.opts<FormatOptions>();
    const { limit, cursor, rising, window, language } = queryValuesOf<RepoFilterValues>(repos, REPO_FILTERS);
    if (rising) {
      const after = asUsageError(() => decodeRisingCursor(cursor));
      const windowDays = window ?? DEFAULT_WINDOW_DAYS;
      const rows = await withDatabase((pool) => risingRepos(pool, { windowDays, language }, { limit, after }));
      process.stdout.write(formatRows(rows, ['full_name', 'stars', 'growth', 'language', 'papers'], formatOf(format)));
      const last = rows.at(-1);
      tellNextPage(rows, limit, () =>
        encodeRisingCursor({ growth: last!.growth, stars: last!.stars, id: last!.repo_id }),
      );
      return;
    }
    if (window !== undefined) throw new UsageError('--window: only with --rising');
    const after = asUsageError(() => decodeRepoCursor(cursor));
    const rows = await withDatabase((pool) => listRepos(pool, { language }, { limit, after }));
    process.stdout.write(
      formatRows(
        rows,
        ['full_name', 'stars', 'forks', 'language', 'license_spdx', 'archived', 'pushed_at', 'papers'],
        formatOf(format),
      ),
    );
    tellNextPage(rows, limit, () => encodeRepoCursor({ stars: rows.at(-1)!.stars, id: rows.at(-1)!.id }));
  });

  return query;
}

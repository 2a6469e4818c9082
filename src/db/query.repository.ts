import type { PgQueryable } from './queryable.ts';
import { DIGEST_SOURCE_HF } from '../domain/digest-key.ts';
import type { PaperCursor, RepoCursor, RisingCursor } from '../domain/cursors.ts';
import { sortOf, type PaperFilterValues, type PaperQueryValues, type PaperSort } from '../domain/paper-query.ts';
import { keysetCondition, orderOf, type KeyColumn, type PageDirection } from './keyset.ts';

/**
 * The read side: what users ask of the database, as parameterised SQL over
 * the views of migrations 0005 and 0007. Column names here are the stable
 * output of `paperboy query` and the JSON API. Listing dates leave as
 * YYYY-MM-DD text: pg would turn a `date` into a Date at local midnight,
 * which JSON shows as the previous day wherever the clock is ahead of UTC.
 */

/** The paper filters, as src/domain/paper-query.ts defines and reads them. */
export type PaperFilters = PaperFilterValues;
/** The filters and the order. */
export type PaperQuery = PaperQueryValues;

export interface PaperRow {
  id: string;
  title: string;
  upvotes: number;
  num_comments: number | null;
  published_at: Date | null;
  /** The paper's first listing date (the earliest of its listings'), YYYY-MM-DD; not when a page was fetched. */
  listed_on: string | null;
  repo: string | null;
  repo_stars: number | null;
  repo_language: string | null;
  repo_license: string | null;
}

/** The SQL select list that yields a PaperRow from the overview aliased `o`. */
const PAPER_ROW_SELECT_LIST = `o.id, o.title, o.upvotes, o.num_comments, o.published_at,
  to_char(o.first_listed_on, 'YYYY-MM-DD') as listed_on, o.repo, o.repo_stars, o.repo_language, o.repo_license`;

/**
 * A timestamptz as the JSON API writes every other time (a Date's
 * toISOString: UTC, milliseconds, `Z`), for times built into JSON by SQL,
 * which would otherwise follow the session's time zone (`+02:00`).
 */
const UTC_ISO_TIME = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Appends a value to `params` and returns its placeholder: values never enter the SQL text. */
export function parameterIn(params: unknown[]): (value: unknown) => string {
  return (value) => {
    params.push(value);
    return `$${params.length}`;
  };
}

/** The relation the filters read: repository filters need the overview to choose rows; the others read papers (and listings) only. */
export function relationToFilter(filters: PaperFilters): 'paper_overview' | 'papers' {
  return filters.has_code !== undefined || filters.language !== undefined ? 'paper_overview' : 'papers';
}

/**
 * Builds the WHERE clause of the paper filters over the relation aliased `o`
 * (relationToFilter's); values go in `params`, never into the text. `q` is
 * not among them: each caller ranks or matches the text its own way.
 */
export function filterClause(
  filters: PaperFilters,
  params: unknown[],
  options: { listingsJoined?: boolean } = {},
): string {
  const where: string[] = [];
  const param = parameterIn(params);
  if (!options.listingsJoined && hasListingFilter(filters)) {
    where.push(`o.id in (select l.paper_id from listings l where ${listingConditions(filters, param)})`);
  }
  if (filters.saved_search !== undefined) {
    where.push(
      `o.id in (select l.paper_id from listings l where l.source = ${param(DIGEST_SOURCE_HF)} and l.kind = 'search' and l.key = ${param(filters.saved_search)})`,
    );
  }
  if (filters.min_upvotes !== undefined) where.push(`o.upvotes >= ${param(filters.min_upvotes)}`);
  if (filters.has_code === true) where.push('o.repo is not null');
  if (filters.has_code === false) where.push('o.repo is null');
  if (filters.language !== undefined) where.push(`lower(o.repo_language) = lower(${param(filters.language)})`);
  if (filters.has_model !== undefined) {
    const linked = 'exists (select 1 from paper_details d where d.paper_id = o.id and d.citing_models > 0)';
    where.push(filters.has_model ? linked : `not ${linked}`);
  }
  return where.length ? where.join(' and ') : 'true';
}

function hasListingFilter(filters: PaperFilters): boolean {
  return filters.day !== undefined || filters.since !== undefined || filters.until !== undefined;
}

function listingConditions(filters: PaperFilters, param: (value: unknown) => string): string {
  // The paper filters' days are Hugging Face's daily listings.
  const conditions = [`l.source = ${param(DIGEST_SOURCE_HF)}`, `l.kind = 'day'`];
  if (filters.day !== undefined) conditions.push(`l.key = ${param(filters.day)}`);
  if (filters.since !== undefined) conditions.push(`l.key >= ${param(filters.since)}`);
  if (filters.until !== undefined) conditions.push(`l.key <= ${param(filters.until)}`);
  return conditions.join(' and ');
}

export interface SearchRow extends PaperRow {
  rank: number;
}

/** Which page: the first, the one after a cursor's row, or the one before it. */
export interface PaperPage {
  limit: number;
  after?: PaperCursor;
  before?: PaperCursor;
}

/**
 * Papers matching the filters, one keyset page at a time, in the query's
 * order (sortOf: best match first with `q`, else most upvoted, unless `sort`
 * says otherwise). What the CLI, the JSON API, the dashboard's papers and the
 * feeds all call. Rows come in the order's direction whichever way the page
 * was read.
 */
export async function findPapers(
  db: PgQueryable,
  query: PaperQuery,
  page: PaperPage,
): Promise<Array<PaperRow | SearchRow>> {
  const sort = sortOf(query);
  for (const cursor of [page.after, page.before])
    if (cursor && cursor.sort !== sort) throw new RangeError(`a ${cursor.sort} cursor for a ${sort} order`);
  const rows =
    sort === 'relevance' ? await searchPapers(db, query.q!, query, page) : await listPapers(db, query, sort, page);
  return page.before ? rows.reverse() : rows;
}

/** The cursor of a row in `sort` order: where the page after (or before) it starts. */
export function cursorOf(row: PaperRow | SearchRow, sort: PaperSort): PaperCursor {
  switch (sort) {
    case 'relevance':
      return { sort, key: [(row as SearchRow).rank, row.upvotes, row.id] };
    case 'listed':
      return { sort, key: [row.listed_on!, row.upvotes, row.id] };
    case 'stars':
      return { sort, key: [row.repo_stars!, row.id] };
    case 'upvotes':
      return { sort, key: [row.upvotes, row.id] };
  }
}

/** The direction and cursor a page is read from. */
function pageEdge(page: PaperPage): { direction: PageDirection; cursor: PaperCursor | undefined } {
  return page.before ? { direction: 'before', cursor: page.before } : { direction: 'after', cursor: page.after };
}

/**
 * How each order walks: the rows it starts from (aliased so that `o` is the
 * relation the filters read) and its key columns. `listed` walks listings by
 * date and keeps each paper's first listing only (the earliest, ties broken
 * by the listing's key), so a paper appears once, at the date its row shows;
 * `stars` walks repositories by stars and keeps a paper at its best
 * repository only (the one the overview shows), once whatever spellings
 * link it there. Each walks an index from the cursor on, so a deep page costs
 * what the first does.
 */
const LIST_ORDERS = {
  upvotes: {
    from: (relation: string) => `${relation} o`,
    where: 'true',
    key: [
      { sql: 'o.upvotes', descending: true, type: 'int' },
      { sql: 'o.id', descending: false, type: 'text' },
    ],
  },
  listed: {
    from: (relation: string) => `listings fl join ${relation} o on o.id = fl.paper_id`,
    where: `not exists (select 1 from listings e where e.paper_id = fl.paper_id
              and (e.listed_on, e.source, e.kind, e.key) < (fl.listed_on, fl.source, fl.kind, fl.key))`,
    key: [
      { sql: 'fl.listed_on', descending: true, type: 'date' },
      { sql: 'o.upvotes', descending: true, type: 'int' },
      { sql: 'o.id', descending: false, type: 'text' },
    ],
  },
  stars: {
    from: (relation: string) =>
      `repos r join repo_refs f on f.repo_id = r.id join paper_repos pr on pr.ref = f.ref join ${relation} o on o.id = pr.paper_id`,
    // The link to the paper's best repository, by paper_overview's rule (its own githubRepo
    // first, then the most starred, then the lowest id), one link of several spellings.
    where: `r.status = 'ok' and f.status = 'resolved'
            and pr.ref = (select be.ref from paper_repos be
                          join repo_refs bf on bf.ref = be.ref and bf.status = 'resolved'
                          join repos br on br.id = bf.repo_id and br.status = 'ok'
                          where be.paper_id = pr.paper_id
                          order by (be.source = 'github_repo') desc, br.stars desc, br.id, be.ref
                          limit 1)`,
    key: [
      { sql: 'r.stars', descending: true, type: 'int' },
      { sql: 'o.id', descending: false, type: 'text' },
    ],
  },
} as const satisfies Record<
  Exclude<PaperSort, 'relevance'>,
  { from: (relation: string) => string; where: string; key: readonly KeyColumn[] }
>;

/**
 * Papers matching the filters (`q` as a match, unranked), in `sort` order,
 * one keyset page at a time. The page is chosen from `papers` (and
 * `listings`) first and the overview joined for its rows only, unless a
 * repository filter needs the overview to choose.
 */
export async function listPapers(
  db: PgQueryable,
  filters: PaperFilters,
  sort: Exclude<PaperSort, 'relevance'>,
  page: PaperPage,
): Promise<PaperRow[]> {
  const params: unknown[] = [];
  const param = parameterIn(params);
  const order = LIST_ORDERS[sort];
  const { direction, cursor } = pageEdge(page);
  // A date filter starts from that day's listings (materialized, so the planner cannot
  // turn it into a walk down every paper by upvotes probing for listings).
  const listed = hasListingFilter(filters)
    ? `listed as materialized (select distinct l.paper_id from listings l where ${listingConditions(filters, param)}),`
    : '';
  const relation = relationToFilter(filters);
  const matching =
    filters.q === undefined
      ? 'true'
      : `${relation === 'papers' ? 'o.search' : '(select s.search from papers s where s.id = o.id)'} @@ websearch_to_tsquery('english', ${param(filters.q)})`;
  const where = filterClause(filters, params, { listingsJoined: true });
  const keyset = keysetCondition(order.key, cursor?.key, direction, param);
  const keyColumns = order.key.map((column, i) => `${column.sql} as k${i}`).join(', ');
  const chosenKey: KeyColumn[] = order.key.map((column, i) => ({ ...column, sql: `c.k${i}` }));
  const { rows } = await db.query<PaperRow>(
    `with ${listed} chosen as (
       select o.id, ${keyColumns}
       from ${order.from(relation)} ${listed ? 'join listed on listed.paper_id = o.id' : ''}
       where ${order.where} and ${where} and ${matching} and ${keyset}
       order by ${orderOf(order.key, direction)}
       limit ${param(page.limit)})
     select ${PAPER_ROW_SELECT_LIST}
     from chosen c join paper_overview o on o.id = c.id
     order by ${orderOf(chosenKey, direction)}`,
    params,
  );
  return rows;
}

/**
 * How many matches are ranked: the most upvoted ones. Ranking reads each
 * candidate's whole tsvector, so ranking every match of a common query ("large
 * language models" matches a third of all papers) cannot be fast; walking the
 * upvotes index and stopping at the 100th match can, and for a rare query the
 * planner takes the GIN index instead and ranks every match.
 */
export const SEARCH_CANDIDATES = 100;

/** A search's order: the rank as returned, then upvotes, then the id. */
const RANKED_KEY: readonly KeyColumn[] = [
  { sql: 'r.rank', descending: true, type: 'numeric' },
  { sql: 'r.upvotes', descending: true, type: 'int' },
  { sql: 'r.id', descending: false, type: 'text' },
];

/**
 * Full-text search over titles (weight A) and abstracts (weight B) with
 * websearch syntax ("quoted phrases", -exclusions, or), ranked by ts_rank_cd
 * among the SEARCH_CANDIDATES most upvoted matches (every match when there
 * are fewer), one keyset page at a time. The rank is rounded to 4 decimals
 * before it orders anything, so the order, the rank returned and the cursor
 * agree exactly; ties go to upvotes, then the id. The candidates are picked
 * from `papers` (the overview only when a repository filter needs it), the
 * overview joined for the returned rows.
 */
export async function searchPapers(
  db: PgQueryable,
  text: string,
  filters: PaperFilters,
  page: PaperPage,
): Promise<SearchRow[]> {
  const params: unknown[] = [text];
  const param = parameterIn(params);
  const where = filterClause(filters, params);
  const { direction, cursor } = pageEdge(page);
  const keyset = keysetCondition(RANKED_KEY, cursor?.key, direction, param);
  const hitKey: KeyColumn[] = RANKED_KEY.map((column) => ({ ...column, sql: column.sql.replace('r.', 'h.') }));
  // With no repository filter, `o` is papers itself: no second lookup of each row walked.
  const matches =
    relationToFilter(filters) === 'papers'
      ? 'join papers o on o.search @@ q.query'
      : 'join papers p on p.search @@ q.query join paper_overview o on o.id = p.id';
  const { rows } = await db.query<SearchRow>(
    `with candidates as (
       select o.id, o.upvotes, q.query
       from websearch_to_tsquery('english', $1) as q(query) ${matches}
       where ${where}
       order by o.upvotes desc, o.id
       limit ${param(SEARCH_CANDIDATES)}),
     ranked as (
       select c.id, c.upvotes, round(ts_rank_cd(p.search, c.query)::numeric, 4) as rank
       from candidates c join papers p on p.id = c.id),
     hits as (
       select r.id, r.upvotes, r.rank
       from ranked r
       where ${keyset}
       order by ${orderOf(RANKED_KEY, direction)}
       limit ${param(page.limit)})
     select ${PAPER_ROW_SELECT_LIST}, h.rank::float8 as rank
     from hits h join paper_overview o on o.id = h.id
     order by ${orderOf(hitKey, direction)}`,
    params,
  );
  return rows;
}

/** A paper's whole overview row, with the text the list rows leave out. */
export interface PaperDetailRow extends PaperRow {
  organization: string | null;
  ai_keywords: string[] | null;
  /** The paper's latest listing date, YYYY-MM-DD. */
  last_listed_on: string | null;
  /** When paperboy first and last fetched a page listing the paper. */
  first_seen_at: Date | null;
  last_seen_at: Date | null;
  repo_archived: boolean | null;
  repo_pushed_at: Date | null;
  abstract: string | null;
  authors: string[] | null;
  ai_summary: string | null;
  project_page: string | null;
  submitted_by: string | null;
  /** What the paper's own page says (null until it is fetched; see PaperPageDetailRow for the rest). */
  detail_status: 'ok' | 'not_found' | null;
  daily_rank: number | null;
  citing_models: number | null;
  citing_datasets: number | null;
  citing_spaces: number | null;
  collections: number | null;
}

/** The paper's own page, as last seen: null fields are ones no fetched form carried. */
export interface PaperPageDetailRow {
  status: 'ok' | 'not_found';
  daily_rank: number | null;
  submitter_organization: string | null;
  github_repo_added_by: string | null;
  citing_models: number | null;
  citing_datasets: number | null;
  citing_spaces: number | null;
  collections: number | null;
  /** When these values were seen upstream. */
  observed_at: Date;
  /** A page that answered 404 is looked at again then. */
  next_check_at: Date | null;
}

/** The counts at a time they changed. */
export interface DetailObservationRow {
  observed_at: Date;
  daily_rank: number | null;
  citing_models: number | null;
  citing_datasets: number | null;
  citing_spaces: number | null;
  collections: number | null;
}

export interface PaperListingRow {
  source: string;
  kind: string;
  key: string;
  /** The date the listing is for, YYYY-MM-DD. */
  listed_on: string;
  rank: number;
  upvotes: number;
  /** When paperboy first and last fetched the page with this listing. */
  first_seen_at: Date;
  last_seen_at: Date;
}

export interface UpvoteObservationRow {
  observed_at: Date;
  upvotes: number;
  num_comments: number | null;
}

/**
 * A reference of the paper and, while it leads to a live repository, that
 * repository (null columns and no history otherwise). Live is what
 * paper_overview counts: the reference resolved and the repository's status
 * `ok`.
 */
export interface PaperRepoRow {
  ref: string;
  source: string;
  /**
   * `resolved` only with a live repository; `not_found` when GitHub answers
   * 404 for the reference or for the repository it had resolved to (a
   * reference marked not found keeps its repo_id); `pending` until looked up.
   */
  status: 'pending' | 'resolved' | 'not_found';
  full_name: string | null;
  stars: number | null;
  forks: number | null;
  language: string | null;
  license_spdx: string | null;
  archived: boolean | null;
  pushed_at: Date | null;
  /** Built as JSON in the query, so its times arrive as ISO strings: UTC, like every other time of the API. */
  star_history: Array<{ observed_at: string; stars: number; forks: number }>;
}

export interface PaperDetail {
  paper: PaperDetailRow;
  listings: PaperListingRow[];
  upvoteHistory: UpvoteObservationRow[];
  repos: PaperRepoRow[];
  /** Its own page (undefined until fetched) and the history of the page's counts. */
  page: PaperPageDetailRow | undefined;
  pageHistory: DetailObservationRow[];
}

/**
 * Everything about one paper: its row, where it was listed, its upvote
 * history, its repositories and their star history, and what its own page
 * says with the history of its counts.
 */
export async function getPaperDetail(db: PgQueryable, id: string): Promise<PaperDetail | undefined> {
  // All six are keyed by the id: asked together, one round trip's wait instead of several.
  const [paper, listings, history, repos, page, pageHistory] = await Promise.all([
    db.query<PaperDetailRow>(
      `select ${PAPER_ROW_SELECT_LIST}, o.organization, o.ai_keywords, to_char(o.last_listed_on, 'YYYY-MM-DD') as last_listed_on,
              o.first_seen_at, o.last_seen_at, o.repo_archived, o.repo_pushed_at,
              p.abstract, p.authors, p.ai_summary, p.project_page, p.submitted_by,
              o.detail_status, o.daily_rank, o.citing_models, o.citing_datasets, o.citing_spaces, o.collections
       from paper_overview o join papers p on p.id = o.id where o.id = $1`,
      [id],
    ),
    db.query<PaperListingRow>(
      `select l.source, l.kind, l.key, to_char(l.listed_on, 'YYYY-MM-DD') as listed_on, l.rank, l.upvotes, l.first_seen_at, l.last_seen_at
       from listings l where l.paper_id = $1 order by l.listed_on, l.kind, l.key`,
      [id],
    ),
    db.query<UpvoteObservationRow>(
      `select observed_at, upvotes, num_comments from paper_metrics where paper_id = $1 order by observed_at`,
      [id],
    ),
    // The repository only while it is live (as paper_overview has it): a resolved reference whose
    // repository GitHub now answers 404 for is not_found, with no repository columns.
    db.query<PaperRepoRow>(
      `select pr.ref, pr.source,
              case when f.status = 'resolved' and r.id is null then 'not_found' else f.status end as status,
              r.full_name, r.stars, r.forks, r.language, r.license_spdx, r.archived, r.pushed_at,
              coalesce((select json_agg(json_build_object('observed_at', ${UTC_ISO_TIME('s.observed_at')}, 'stars', s.stars, 'forks', s.forks) order by s.observed_at)
                        from repo_snapshots s where s.repo_id = r.id), '[]') as star_history
       from paper_repos pr join repo_refs f on f.ref = pr.ref
       left join repos r on r.id = f.repo_id and f.status = 'resolved' and r.status = 'ok'
       where pr.paper_id = $1 order by pr.source, pr.ref`,
      [id],
    ),
    db.query<PaperPageDetailRow>(
      `select status, daily_rank, submitter_organization, github_repo_added_by, citing_models, citing_datasets,
              citing_spaces, collections, observed_at, next_check_at
       from paper_details where paper_id = $1`,
      [id],
    ),
    db.query<DetailObservationRow>(
      `select observed_at, daily_rank, citing_models, citing_datasets, citing_spaces, collections
       from paper_detail_history where paper_id = $1 order by observed_at`,
      [id],
    ),
  ]);
  if (paper.rows.length === 0) return undefined;
  return {
    paper: paper.rows[0]!,
    listings: listings.rows,
    upvoteHistory: history.rows,
    repos: repos.rows,
    page: page.rows[0],
    pageHistory: pageHistory.rows,
  };
}

export interface RisingRepoRow {
  repo_id: string;
  full_name: string;
  stars: number;
  growth: number | null;
  language: string | null;
  papers: string[];
}

/** Repositories by star growth over `windowDays` (optionally of one language), with the papers that point to them. */
export async function risingRepos(
  db: PgQueryable,
  filters: { windowDays: number; language?: string },
  page: { limit: number; after?: RisingCursor },
): Promise<RisingRepoRow[]> {
  const after = page.after;
  const { rows } = await db.query<RisingRepoRow>(
    // Qualified names: a bare `repo_id` in ORDER BY is the output column, the id as text, which sorts
    // 90985260 after 588537390 (not the function's order, and not the cursor's numeric comparison).
    `select r.repo_id::text as repo_id, r.full_name, r.stars, r.growth, r.language, r.papers
     from repos_rising_over(make_interval(days => $1)) r
     where ($2::text is null or lower(r.language) = lower($2))
       and (not $3::boolean
            or (case when $4::int is null
                     then r.growth is null and (r.stars < $5::int or (r.stars = $5::int and r.repo_id > $6::bigint))
                     else r.growth is null or r.growth < $4::int
                          or (r.growth = $4::int and (r.stars < $5::int or (r.stars = $5::int and r.repo_id > $6::bigint)))
                end))
     order by r.growth desc nulls last, r.stars desc, r.repo_id
     limit $7`,
    [
      filters.windowDays,
      filters.language ?? null,
      after !== undefined,
      after?.growth ?? null,
      after?.stars ?? null,
      after?.id ?? null,
      page.limit,
    ],
  );
  return rows;
}

export interface RepoRow {
  id: string;
  full_name: string;
  stars: number;
  forks: number;
  language: string | null;
  license_spdx: string | null;
  archived: boolean;
  pushed_at: Date | null;
  papers: number;
}

/** Repositories, most starred first, one keyset page at a time (ordering: stars desc, id asc). */
export async function listRepos(
  db: PgQueryable,
  filters: { language?: string },
  page: { limit: number; after?: RepoCursor },
): Promise<RepoRow[]> {
  const { rows } = await db.query<RepoRow>(
    `select r.id::text, r.full_name, r.stars, r.forks, r.language, r.license_spdx, r.archived, r.pushed_at,
            (select count(distinct pr.paper_id)::int from repo_refs f join paper_repos pr on pr.ref = f.ref where f.repo_id = r.id) as papers
     from repos r
     where r.status = 'ok'
       and ($1::text is null or lower(r.language) = lower($1))
       and ($2::int is null or r.stars < $2::int or (r.stars = $2::int and r.id > $3::bigint))
     order by r.stars desc, r.id
     limit $4`,
    [filters.language ?? null, page.after?.stars ?? null, page.after?.id ?? null, page.limit],
  );
  return rows;
}

export interface StarObservationRow {
  repo_id: string;
  observed_at: Date;
  stars: number;
}

/**
 * The star history behind each repository's growth over `windowDays`: its
 * snapshots inside the window and the last one before it (the baseline
 * repos_rising_over subtracts), for a page of repositories in one query.
 * The baseline is placed at the window's start (its stars then), not at the
 * time it was taken, maybe years before: the history spans the window.
 */
export async function getStarHistories(
  db: PgQueryable,
  repoIds: readonly string[],
  windowDays: number,
): Promise<Map<string, StarObservationRow[]>> {
  const histories = new Map<string, StarObservationRow[]>(repoIds.map((id) => [id, []]));
  if (repoIds.length === 0) return histories;
  const { rows } = await db.query<StarObservationRow>(
    `select s.repo_id::text, greatest(s.observed_at, now() - make_interval(days => $2)) as observed_at, s.stars
     from repo_snapshots s
     where s.repo_id = any($1::bigint[])
       and s.observed_at >= coalesce(
             (select max(b.observed_at) from repo_snapshots b
              where b.repo_id = s.repo_id and b.observed_at <= now() - make_interval(days => $2)),
             '-infinity')
     order by s.repo_id, s.observed_at`,
    [repoIds, windowDays],
  );
  for (const row of rows) histories.get(row.repo_id)?.push(row);
  return histories;
}

import type { PaperDetailRecord } from '../domain/paper-detail.ts';
import { NON_ARXIV_PREFIX } from '../domain/paper-id.ts';
import type { PgQueryable } from './queryable.ts';

/** A paper page that answered 404 is looked at again after this long (its other values are kept meanwhile). */
export const NOT_FOUND_RECHECK_DAYS = 7;

export type DetailWrite = 'inserted' | 'updated' | 'unchanged';

interface UpsertedRow {
  inserted: boolean;
}

/** The counts and rank in the order the SQL below takes them ($3 … $7). */
function countsOf(detail: PaperDetailRecord): Array<number | null> {
  return [detail.dailyRank, detail.citingModels, detail.citingDatasets, detail.citingSpaces, detail.collections];
}

/**
 * Stores what a paper's own page says, observed at `observedAt`. The newest
 * observation wins (an older one, a re-parse of an old page, changes
 * nothing); a field it does not carry (null) keeps the stored value; a row
 * whose values would not change is not written. The paper's row must exist
 * (the caller upserts it first, in the same transaction).
 */
export async function upsertPaperDetail(
  db: PgQueryable,
  detail: PaperDetailRecord,
  observedAt: Date,
): Promise<DetailWrite> {
  const { rows } = await db.query<UpsertedRow>(
    `insert into paper_details as d (
       paper_id, status, daily_rank, citing_models, citing_datasets, citing_spaces, collections,
       submitter_organization, github_repo_added_by, raw, observed_at)
     values ($1, 'ok', $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $2)
     on conflict (paper_id) do update set
       status = 'ok',
       daily_rank = coalesce(excluded.daily_rank, d.daily_rank),
       citing_models = coalesce(excluded.citing_models, d.citing_models),
       citing_datasets = coalesce(excluded.citing_datasets, d.citing_datasets),
       citing_spaces = coalesce(excluded.citing_spaces, d.citing_spaces),
       collections = coalesce(excluded.collections, d.collections),
       submitter_organization = coalesce(excluded.submitter_organization, d.submitter_organization),
       github_repo_added_by = coalesce(excluded.github_repo_added_by, d.github_repo_added_by),
       raw = excluded.raw,
       observed_at = excluded.observed_at,
       next_check_at = null,
       updated_at = now()
     where d.observed_at <= excluded.observed_at
       and (d.status <> 'ok'
            or (d.daily_rank, d.citing_models, d.citing_datasets, d.citing_spaces, d.collections,
                d.submitter_organization, d.github_repo_added_by, d.raw)
               is distinct from
               (coalesce(excluded.daily_rank, d.daily_rank), coalesce(excluded.citing_models, d.citing_models),
                coalesce(excluded.citing_datasets, d.citing_datasets), coalesce(excluded.citing_spaces, d.citing_spaces),
                coalesce(excluded.collections, d.collections),
                coalesce(excluded.submitter_organization, d.submitter_organization),
                coalesce(excluded.github_repo_added_by, d.github_repo_added_by), excluded.raw))
     returning (xmax = 0) as inserted`,
    [
      detail.id,
      observedAt,
      ...countsOf(detail),
      detail.submitterOrganization,
      detail.githubRepoAddedBy,
      JSON.stringify(detail.raw),
    ],
  );
  const row = rows[0];
  return row === undefined ? 'unchanged' : row.inserted ? 'inserted' : 'updated';
}

/**
 * Appends the counts' state at `observedAt` when it differs from the latest
 * earlier state: counts the observation does not carry are taken from that
 * state, so each row is the whole picture at its time and an observation
 * without counts (the JSON form) appends nothing. As for paper_metrics, an
 * observation that arrives late can make the next recorded point redundant:
 * it is dropped, so the history does not depend on the order loads ran in.
 *
 * @returns the number of rows appended (0 or 1).
 */
export async function appendPaperDetailHistory(
  db: PgQueryable,
  detail: PaperDetailRecord,
  observedAt: Date,
): Promise<number> {
  const counts = countsOf(detail);
  if (counts.every((value) => value === null)) return 0;
  const { rowCount } = await db.query(
    `insert into paper_detail_history as h (
       paper_id, observed_at, daily_rank, citing_models, citing_datasets, citing_spaces, collections)
     select $1, $2, coalesce($3, prev.daily_rank), coalesce($4, prev.citing_models), coalesce($5, prev.citing_datasets),
            coalesce($6, prev.citing_spaces), coalesce($7, prev.collections)
     from (select 1) as one
     left join lateral (
       select p.daily_rank, p.citing_models, p.citing_datasets, p.citing_spaces, p.collections
       from paper_detail_history p
       where p.paper_id = $1 and p.observed_at <= $2
       order by p.observed_at desc
       limit 1) prev on true
     where (prev.daily_rank, prev.citing_models, prev.citing_datasets, prev.citing_spaces, prev.collections)
           is distinct from
           (coalesce($3, prev.daily_rank), coalesce($4, prev.citing_models), coalesce($5, prev.citing_datasets),
            coalesce($6, prev.citing_spaces), coalesce($7, prev.collections))
     on conflict (paper_id, observed_at) do nothing`,
    [detail.id, observedAt, ...counts],
  );
  await db.query(
    `delete from paper_detail_history m
     where m.paper_id = $1
       and m.observed_at = (select min(n.observed_at) from paper_detail_history n where n.paper_id = $1 and n.observed_at > $2)
       and exists (select 1 from paper_detail_history c
                   where c.paper_id = $1 and c.observed_at = $2
                     and (c.daily_rank, c.citing_models, c.citing_datasets, c.citing_spaces, c.collections)
                         is not distinct from (m.daily_rank, m.citing_models, m.citing_datasets, m.citing_spaces, m.collections))`,
    [detail.id, observedAt],
  );
  return rowCount ?? 0;
}

/**
 * Records that the paper's page answered 404 at `observedAt`: its detail
 * row (when the paper is known) is marked not_found, keeps every value, and
 * is due for another look NOT_FOUND_RECHECK_DAYS later. Nothing is deleted.
 *
 * @returns false when paperboy holds no such paper (only the audit row records the 404).
 */
export async function markPaperDetailNotFound(db: PgQueryable, id: string, observedAt: Date): Promise<boolean> {
  const { rows } = await db.query<{ known: boolean }>(
    `with paper as (select exists (select 1 from papers where id = $1) as known),
     marked as (
       insert into paper_details as d (paper_id, status, observed_at, next_check_at)
       select $1, 'not_found', $2, $2::timestamptz + make_interval(days => $3)
       from paper where paper.known
       on conflict (paper_id) do update set
         status = 'not_found',
         observed_at = excluded.observed_at,
         next_check_at = excluded.next_check_at,
         updated_at = now()
       where d.observed_at <= excluded.observed_at)
     select known from paper`,
    [id, observedAt, NOT_FOUND_RECHECK_DAYS],
  );
  return rows[0]?.known ?? false;
}

/**
 * Only arXiv papers have an own page on Hugging Face (`/papers/<arXiv id>`):
 * an `other:` id (paper-id.ts) has none to fetch, and would not even make a
 * paper digest key.
 */
const HAS_OWN_PAGE = `not starts_with(paper_id, '${NON_ARXIV_PREFIX}')`;

/**
 * The papers whose own page a `paper-details` run fetches: those listed on or
 * after `since` (a listing date, YYYY-MM-DD), and those whose page answered
 * 404 and are due for another look. Each once, in id order.
 */
export async function findPaperDetailsDue(db: PgQueryable, since: string, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ paper_id: string }>(
    `select paper_id from listings where listed_on >= $1::date and ${HAS_OWN_PAGE}
     union
     select paper_id from paper_details where status = 'not_found' and next_check_at <= $2
     order by paper_id`,
    [since, now],
  );
  return rows.map((row) => row.paper_id);
}

/**
 * The papers listed on these digests (of one kind) whose own page a backfill
 * with `details` fetches (`due`, in id order): every one with `force`, else
 * those without a stored detail; `stored` counts the others.
 */
export async function findListedPapersForDetail(
  db: PgQueryable,
  source: string,
  kind: string,
  keys: readonly string[],
  force: boolean,
): Promise<{ due: string[]; stored: number }> {
  const { rows } = await db.query<{ paper_id: string; stored: boolean }>(
    `select l.paper_id, exists (select 1 from paper_details d where d.paper_id = l.paper_id and d.status = 'ok') as stored
     from (select distinct paper_id from listings
           where source = $1 and kind = $2 and key = any($3::text[]) and ${HAS_OWN_PAGE}) l
     order by l.paper_id`,
    [source, kind, keys],
  );
  const due = rows.filter((row) => force || !row.stored).map((row) => row.paper_id);
  return { due, stored: rows.length - due.length };
}

import type { GithubRepo } from '../domain/github-repo.ts';
import type { RepoRef } from '../domain/repo-refs.ts';
import { inLockOrder } from './lock-order.ts';
import type { PgQueryable } from './queryable.ts';

/** Links papers to their references (new references start as pending). Never removes a link. */
export async function linkPaperRepos(
  db: PgQueryable,
  links: ReadonlyArray<{ paperId: string; ref: RepoRef }>,
): Promise<number> {
  if (links.length === 0) return 0;
  const sorted = inLockOrder(links, (link) => link.ref.ref);
  await db.query(
    `insert into repo_refs (ref, display)
     select distinct on (ref) ref, display from unnest($1::text[], $2::text[]) as i(ref, display) order by ref
     on conflict (ref) do nothing`,
    [sorted.map((link) => link.ref.ref), sorted.map((link) => link.ref.display)],
  );
  const { rowCount } = await db.query(
    `insert into paper_repos (paper_id, ref, source)
     select * from unnest($1::text[], $2::text[], $3::text[])
     on conflict (paper_id, ref) do nothing`,
    [sorted.map((link) => link.paperId), sorted.map((link) => link.ref.ref), sorted.map((link) => link.ref.foundIn)],
  );
  return rowCount ?? 0;
}

export interface DueRef {
  ref: string;
  display: string;
  repoId: number | null;
  etag: string | null;
}

/** repo_id is a bigint: pg returns it as text. */
interface DueRefRow {
  ref: string;
  display: string;
  repo_id: string | null;
  etag: string | null;
}

/** References to resolve: the given ones, the never-resolved ones, or those whose next check is due (oldest first). */
export async function findRefsToCheck(
  db: PgQueryable,
  options: { refs?: readonly string[]; pendingOnly?: boolean; skipCheckedWithinMs?: number; limit: number },
): Promise<DueRef[]> {
  const skipSeconds = Math.floor((options.skipCheckedWithinMs ?? 0) / 1000);
  const select = `select r.ref, r.display, r.repo_id, p.etag from repo_refs r left join repos p on p.id = r.repo_id`;
  const { rows } = await db.query<DueRefRow>(
    options.refs
      ? `${select}
         where r.ref = any($2::text[]) and (r.checked_at is null or r.checked_at < now() - make_interval(secs => $3::int))
         order by r.ref limit $1`
      : `${select}
         where ${options.pendingOnly ? `r.status = 'pending'` : 'r.next_check_at <= now()'}
         order by r.next_check_at, r.ref limit $1`,
    options.refs ? [options.limit, options.refs, skipSeconds] : [options.limit],
  );
  return rows.map((row) => ({
    ref: row.ref,
    display: row.display,
    repoId: row.repo_id === null ? null : Number(row.repo_id),
    etag: row.etag,
  }));
}

/** Present (true) only when the upsert wrote a new row version. */
interface RepoChangedRow {
  changed: boolean;
}

/**
 * Stores a repository by its GitHub id (a rename updates full_name on the
 * same row), points the reference at it, and appends a star/fork snapshot
 * when either changed. Returns whether the repository row's content changed.
 */
export async function saveResolvedRepo(
  db: PgQueryable,
  ref: string,
  repo: GithubRepo,
  etag: string | null,
  observedAt: Date,
): Promise<boolean> {
  // A different repository that used to carry this name was renamed away: free the name for this one.
  await db.query(
    `update repos set full_name = full_name || ' (renamed, id ' || id || ')' where lower(full_name) = lower($1) and id <> $2`,
    [repo.fullName, repo.id],
  );
  const { rows } = await db.query<RepoChangedRow>(
    `insert into repos as r (id, full_name, description, stars, forks, open_issues, language, license_spdx, topics, archived, fork,
                             default_branch, homepage, created_at, pushed_at, etag, status, fetched_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'ok', $17)
     on conflict (id) do update set
       full_name = excluded.full_name, description = excluded.description, stars = excluded.stars, forks = excluded.forks,
       open_issues = excluded.open_issues, language = excluded.language, license_spdx = excluded.license_spdx,
       topics = excluded.topics, archived = excluded.archived, fork = excluded.fork, default_branch = excluded.default_branch,
       homepage = excluded.homepage, created_at = excluded.created_at, pushed_at = excluded.pushed_at,
       etag = coalesce(excluded.etag, r.etag), status = 'ok', fetched_at = excluded.fetched_at, updated_at = now()
     -- Nothing different: no new row version at all (the time of the check is kept on the reference).
     where (r.full_name, r.description, r.stars, r.forks, r.open_issues, r.language, r.license_spdx, r.topics, r.archived,
            r.fork, r.default_branch, r.homepage, r.created_at, r.pushed_at, r.status, r.etag)
           is distinct from
           (excluded.full_name, excluded.description, excluded.stars, excluded.forks, excluded.open_issues, excluded.language,
            excluded.license_spdx, excluded.topics, excluded.archived, excluded.fork, excluded.default_branch,
            excluded.homepage, excluded.created_at, excluded.pushed_at, 'ok', coalesce(excluded.etag, r.etag))
     returning true as changed`,
    [
      repo.id,
      repo.fullName,
      repo.description,
      repo.stars,
      repo.forks,
      repo.openIssues,
      repo.language,
      repo.licenseSpdx,
      repo.topics,
      repo.archived,
      repo.fork,
      repo.defaultBranch,
      repo.homepage,
      repo.createdAt,
      repo.pushedAt,
      etag,
      observedAt,
    ],
  );
  await db.query(
    `insert into repo_snapshots (repo_id, observed_at, stars, forks)
     select $1, $2, $3, $4
     where not exists (
       select 1 from (select stars, forks from repo_snapshots where repo_id = $1 and observed_at <= $2 order by observed_at desc limit 1) latest
       where latest.stars = $3 and latest.forks = $4)
     on conflict do nothing`,
    [repo.id, observedAt, repo.stars, repo.forks],
  );
  // After a rename the canonical name is a reference too: the old name and the new one both lead
  // to this row. (Without one, the reference being marked below is that name already.)
  const canonical = repo.fullName.toLowerCase();
  if (canonical !== ref) {
    await db.query(
      `insert into repo_refs (ref, display, repo_id, status, checked_at, next_check_at)
       values ($1, $2, $3, 'resolved', $4::timestamptz, $4::timestamptz + ${RECHECK_INTERVAL_SQL})
       on conflict (ref) do nothing`,
      [canonical, repo.fullName, repo.id, observedAt],
    );
  }
  await markRef(db, ref, { repoId: repo.id, status: 'resolved', observedAt });
  return rows[0]?.changed ?? false;
}

/** A 304: nothing changed upstream; only the time of the check moves (on the reference: the repository row is not rewritten). */
export async function markRefChecked(db: PgQueryable, ref: string, repoId: number, observedAt: Date): Promise<void> {
  await markRef(db, ref, { repoId, status: 'resolved', observedAt });
}

/** GitHub says the repository does not exist: keep every link, check again much later. */
export async function markRefNotFound(
  db: PgQueryable,
  ref: string,
  repoId: number | null,
  observedAt: Date,
): Promise<void> {
  if (repoId !== null)
    await db.query(`update repos set status = 'not_found', fetched_at = $2 where id = $1 and status <> 'not_found'`, [
      repoId,
      observedAt,
    ]);
  await markRef(db, ref, { repoId, status: 'not_found', observedAt });
}

/** GitHub refused this one reference for good (e.g. 422): keep the reason, try again tomorrow. */
export async function markRefError(db: PgQueryable, ref: string, error: string, observedAt: Date): Promise<void> {
  await db.query(
    `update repo_refs set error = $2, checked_at = $3::timestamptz, next_check_at = $3::timestamptz + interval '1 day' where ref = $1`,
    [ref, error.slice(0, 500), observedAt],
  );
}

// Repositories of papers listed in the last two weeks move most: refresh them daily, the rest weekly.
// By listing date, not fetch time: an old paper backfilled today is not a fresh one.
const RECHECK_INTERVAL_SQL = `(case when exists (
    select 1 from paper_repos pr join listings l on l.paper_id = pr.paper_id
    where pr.ref = $1::text and l.listed_on > (now() at time zone 'UTC')::date - 14) then interval '1 day' else interval '7 days' end)`;

async function markRef(
  db: PgQueryable,
  ref: string,
  update: { repoId: number | null; status: 'resolved' | 'not_found'; observedAt: Date },
) {
  await db.query(
    `update repo_refs set repo_id = coalesce($2::bigint, repo_id), status = $3::text, checked_at = $4::timestamptz, error = null,
       next_check_at = $4::timestamptz + case when $3::text = 'not_found' then interval '30 days' else ${RECHECK_INTERVAL_SQL} end
     where ref = $1`,
    [ref, update.repoId, update.status, update.observedAt],
  );
}

/** count(*) is a bigint: pg returns it as text. */
interface RepoCountRow {
  n: string;
}

/** How many GitHub repositories the database holds. */
export async function countRepos(db: PgQueryable): Promise<number> {
  const { rows } = await db.query<RepoCountRow>('select count(*) as n from repos');
  return Number(rows[0]?.n ?? 0);
}

-- Up Migration

-- GitHub repositories, keyed by GitHub's numeric id: a rename changes
-- full_name, never the row, so the star history follows the repository.
create table repos (
  id             bigint primary key,
  full_name      text        not null,
  description    text,
  stars          integer     not null check (stars >= 0),
  forks          integer     not null check (forks >= 0),
  open_issues    integer check (open_issues >= 0),
  language       text,
  license_spdx   text,
  topics         text[]      not null default '{}',
  archived       boolean     not null default false,
  fork           boolean     not null default false,
  default_branch text,
  homepage       text,
  created_at     timestamptz,
  pushed_at      timestamptz,
  etag           text,
  -- ok, or not_found once a known repository disappears
  status         text        not null default 'ok' check (status in ('ok', 'not_found')),
  fetched_at     timestamptz not null,
  updated_at     timestamptz not null default now()
);

create unique index repos_full_name on repos (lower(full_name));

-- Every normalised `owner/repo` reference seen, and what it resolved to. Old
-- names keep pointing at the renamed repository's row; a reference that
-- 404s is marked not_found and checked again later, never deleted.
create table repo_refs (
  ref           text primary key check (ref = lower(ref) and ref ~ '^[a-z0-9-]+/[a-z0-9._-]+$'),
  display       text        not null,
  repo_id       bigint references repos (id),
  status        text        not null default 'pending' check (status in ('pending', 'resolved', 'not_found')),
  checked_at    timestamptz,
  next_check_at timestamptz not null default now(),
  error         text
);

create index repo_refs_due on repo_refs (next_check_at);
create index repo_refs_by_repo on repo_refs (repo_id);

-- Which paper points at which reference, and where the link came from.
create table paper_repos (
  paper_id   text        not null references papers (id),
  ref        text        not null references repo_refs (ref),
  source     text        not null check (source in ('github_repo', 'project_page', 'abstract')),
  first_seen timestamptz not null default now(),
  primary key (paper_id, ref)
);

create index paper_repos_by_ref on paper_repos (ref);

-- Star and fork history: a row whenever a refresh saw a value change.
create table repo_snapshots (
  repo_id     bigint      not null references repos (id),
  observed_at timestamptz not null,
  stars       integer     not null,
  forks       integer     not null,
  primary key (repo_id, observed_at)
);

-- Down Migration
drop table repo_snapshots;
drop table paper_repos;
drop table repo_refs;
drop table repos;

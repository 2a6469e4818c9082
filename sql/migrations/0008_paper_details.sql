-- Up Migration

-- A single paper page that answers 404 is recorded as such (and checked again later), not as a failure.
alter table digest_fetches drop constraint digest_fetches_outcome_check;
alter table digest_fetches add constraint digest_fetches_outcome_check
  check (outcome in ('loaded', 'empty', 'not_modified', 'not_found', 'failed'));

-- What a paper's own page (/papers/<id>) or /api/papers/<id> adds to its
-- listings, newest observation first. A null is a value the form fetched
-- does not carry (the JSON form has no counts): it never overwrites a known
-- one. A page that answers 404 marks the row not_found and keeps its values;
-- next_check_at says when to look again. Shared paper fields (title, upvotes,
-- comments, …) live in papers and paper_metrics, as for listings.
create table paper_details (
  paper_id               text        primary key references papers (id),
  status                 text        not null check (status in ('ok', 'not_found')),
  daily_rank             integer     check (daily_rank >= 1),
  submitter_organization text,
  github_repo_added_by   text,
  citing_models          integer     check (citing_models >= 0),
  citing_datasets        integer     check (citing_datasets >= 0),
  citing_spaces          integer     check (citing_spaces >= 0),
  collections            integer     check (collections >= 0),
  -- The props (or API body) as received, without commenters' and upvoters' profiles.
  raw                    jsonb,
  -- When the stored values were seen upstream.
  observed_at            timestamptz not null,
  next_check_at          timestamptz,
  updated_at             timestamptz not null default now()
);

create index paper_details_not_found_due on paper_details (next_check_at) where status = 'not_found';

-- The counts' history: a complete row (the values known at that time) whenever one of them changed.
create table paper_detail_history (
  paper_id        text        not null references papers (id),
  observed_at     timestamptz not null,
  daily_rank      integer,
  citing_models   integer,
  citing_datasets integer,
  citing_spaces   integer,
  collections     integer,
  primary key (paper_id, observed_at)
);

-- The overview gains what the paper's own page says (null until its page is fetched). Columns are
-- appended, so `create or replace` keeps every query written against the view working.
create or replace view paper_overview as
select p.id, p.title, p.upvotes, p.num_comments, p.published_at, p.organization, p.ai_keywords,
       l.first_listed_on, l.last_listed_on, l.first_seen_at, l.last_seen_at,
       b.full_name as repo, b.stars as repo_stars, b.language as repo_language, b.license_spdx as repo_license,
       b.archived as repo_archived, b.pushed_at as repo_pushed_at,
       d.status as detail_status, d.daily_rank, d.citing_models, d.citing_datasets, d.citing_spaces, d.collections
from papers p
left join lateral (
  select min(listed_on) as first_listed_on, max(listed_on) as last_listed_on,
         min(first_seen_at) as first_seen_at, max(last_seen_at) as last_seen_at
  from listings where paper_id = p.id
) l on true
left join lateral (
  select r.full_name, r.stars, r.language, r.license_spdx, r.archived, r.pushed_at
  from paper_repos pr
  join repo_refs f on f.ref = pr.ref
  join repos r on r.id = f.repo_id
  where pr.paper_id = p.id and f.status = 'resolved' and r.status = 'ok'
  order by (pr.source = 'github_repo') desc, r.stars desc, r.id
  limit 1
) b on true
left join paper_details d on d.paper_id = p.id;

create or replace view papers_with_code as select * from paper_overview where repo is not null;
create or replace view papers_without_code as select * from paper_overview where repo is null;

-- For "has a linked model" (query papers --has-model, has_model=true).
create index paper_details_citing_models on paper_details (paper_id) where citing_models > 0;

-- Down Migration
drop index paper_details_citing_models;
drop view papers_without_code;
drop view papers_with_code;
drop view paper_overview;
create view paper_overview as
select p.id, p.title, p.upvotes, p.num_comments, p.published_at, p.organization, p.ai_keywords,
       l.first_listed_on, l.last_listed_on, l.first_seen_at, l.last_seen_at,
       b.full_name as repo, b.stars as repo_stars, b.language as repo_language, b.license_spdx as repo_license,
       b.archived as repo_archived, b.pushed_at as repo_pushed_at
from papers p
left join lateral (
  select min(listed_on) as first_listed_on, max(listed_on) as last_listed_on,
         min(first_seen_at) as first_seen_at, max(last_seen_at) as last_seen_at
  from listings where paper_id = p.id
) l on true
left join lateral (
  select r.full_name, r.stars, r.language, r.license_spdx, r.archived, r.pushed_at
  from paper_repos pr
  join repo_refs f on f.ref = pr.ref
  join repos r on r.id = f.repo_id
  where pr.paper_id = p.id and f.status = 'resolved' and r.status = 'ok'
  order by (pr.source = 'github_repo') desc, r.stars desc, r.id
  limit 1
) b on true;

create view papers_with_code as select * from paper_overview where repo is not null;
create view papers_without_code as select * from paper_overview where repo is null;
drop table paper_detail_history;
drop table paper_details;
-- The older schema has no not_found: a paper page that was not there listed nothing.
update digest_fetches set outcome = 'empty' where outcome = 'not_found';
alter table digest_fetches drop constraint digest_fetches_outcome_check;
alter table digest_fetches add constraint digest_fetches_outcome_check
  check (outcome in ('loaded', 'empty', 'not_modified', 'failed'));

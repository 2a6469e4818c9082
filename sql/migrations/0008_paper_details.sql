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

-- Down Migration
drop table paper_detail_history;
drop table paper_details;
-- The older schema has no not_found: a paper page that was not there listed nothing.
update digest_fetches set outcome = 'empty' where outcome = 'not_found';
alter table digest_fetches drop constraint digest_fetches_outcome_check;
alter table digest_fetches add constraint digest_fetches_outcome_check
  check (outcome in ('loaded', 'empty', 'not_modified', 'failed'));

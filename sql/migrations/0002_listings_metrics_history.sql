-- Up Migration

-- Richer paper rows. `observed_at` is when the stored values were seen
-- upstream: an older observation (a re-parse of an old page) never
-- overwrites a newer one. `content_hash` (md5 of the upstream entry) lets a
-- re-run skip unchanged rows without comparing every wide column.
alter table papers
  add column num_comments  integer check (num_comments >= 0),
  add column ai_summary    text,
  add column ai_keywords   text[],
  add column project_page  text,
  add column organization  text,
  add column submitted_by  text,
  add column thumbnail     text,
  add column observed_at   timestamptz not null default now(),
  add column content_hash  bytea not null default '\x'::bytea,
  add column search        tsvector generated always as (
    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', abstract), 'B')
  ) stored;

update papers set content_hash = decode(md5(raw::text), 'hex');

create index papers_search on papers using gin (search);

-- lz4 is ~40% cheaper to write than pglz for these jsonb rows; only where the server was built with it.
do $$
begin
  if exists (select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any (enumvals)) then
    alter table papers alter column raw set compression lz4;
    alter table papers alter column abstract set compression lz4;
  end if;
end
$$;

-- Which digest listed which paper, where, and when.
create table listings (
  source          text        not null,
  kind            text        not null,
  key             text        not null,
  paper_id        text        not null references papers (id),
  rank            integer     not null check (rank >= 1),
  upvotes         integer     not null check (upvotes >= 0),
  first_listed_at timestamptz not null,
  last_listed_at  timestamptz not null,
  primary key (source, kind, key, paper_id)
);

create index listings_by_paper on listings (paper_id);

-- Upvote and comment history: a row only when a value changed.
create table paper_metrics (
  paper_id     text        not null references papers (id),
  observed_at  timestamptz not null,
  upvotes      integer     not null check (upvotes >= 0),
  num_comments integer check (num_comments >= 0),
  primary key (paper_id, observed_at)
);

alter table digest_fetches
  add column etag           text,
  add column last_modified  text,
  add column content_sha256 text check (content_sha256 ~ '^[0-9a-f]{64}$'),
  add column parser_version integer,
  add column duration_ms    integer check (duration_ms >= 0),
  add column warnings       text[] not null default '{}';

-- Down Migration
alter table digest_fetches
  drop column warnings, drop column duration_ms, drop column parser_version,
  drop column content_sha256, drop column last_modified, drop column etag;
drop table paper_metrics;
drop table listings;
drop index papers_search;
alter table papers
  drop column search, drop column content_hash, drop column observed_at, drop column thumbnail,
  drop column submitted_by, drop column organization, drop column project_page, drop column ai_keywords,
  drop column ai_summary, drop column num_comments;

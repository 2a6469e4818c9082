-- Up Migration

-- A paper seen only on a page's <article> cards (the blob missing) has an id,
-- a title and upvotes but no abstract, authors or publication time yet.
alter table papers
  alter column abstract drop not null,
  alter column authors drop not null,
  alter column published_at drop not null;

-- The search vector must survive a missing abstract.
drop index papers_search;
alter table papers drop column search;
alter table papers add column search tsvector generated always as (
  setweight(to_tsvector('english', coalesce(title, '')), 'A') || setweight(to_tsvector('english', coalesce(abstract, '')), 'B')
) stored;
create index papers_search on papers using gin (search);

-- The bytes of every distinct page fetched, compressed, keyed by their
-- sha256: `paperboy reparse` runs a newer parser over them without fetching.
create table page_bodies (
  sha256       text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  content_type text        not null,
  encoding     text        not null check (encoding in ('br', 'identity')),
  body         bytea       not null,
  bytes        integer     not null check (bytes >= 0),
  stored_at    timestamptz not null default now()
);

alter table digest_fetches
  -- what the page looked like when a parse failed: the start of the body
  add column excerpt    text,
  -- how the digest was fetched: the HTML page or the JSON API
  add column transport  text not null default 'html' check (transport in ('html', 'api')),
  -- set on rows written by `paperboy reparse`: the fetch whose stored bytes were parsed again
  add column reparse_of bigint references digest_fetches (id);

-- Down Migration
alter table digest_fetches drop column reparse_of, drop column transport, drop column excerpt;
drop table page_bodies;
drop index papers_search;
alter table papers drop column search;
alter table papers add column search tsvector generated always as (
  setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', abstract), 'B')
) stored;
create index papers_search on papers using gin (search);
alter table papers
  alter column published_at set not null,
  alter column authors set not null,
  alter column abstract set not null;

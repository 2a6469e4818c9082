-- Up Migration

-- One row per paper, keyed by the canonical id (see src/domain/paper-id.ts).
create table papers (
  id            text primary key,
  title         text        not null,
  abstract      text        not null,
  authors       text[]      not null,
  published_at  timestamptz not null,
  upvotes       integer     not null check (upvotes >= 0),
  -- The upstream entry as received, unknown fields included.
  raw           jsonb       not null,
  first_seen_at timestamptz not null default now(),
  updated_at    timestamptz not null default now()
);

-- The audit trail: one row per fetch attempt of a digest, whatever its outcome.
create table digest_fetches (
  id          bigint generated always as identity primary key,
  source      text        not null,
  kind        text        not null,
  key         text        not null,
  url         text        not null,
  http_status integer,
  outcome     text        not null check (outcome in ('loaded', 'empty', 'not_modified', 'failed')),
  paper_count integer     not null default 0 check (paper_count >= 0),
  error       text,
  fetched_at  timestamptz not null default now()
);

create index digest_fetches_by_digest on digest_fetches (source, kind, key, fetched_at desc);

-- Down Migration
drop table digest_fetches;
drop table papers;

-- Up Migration

-- Each listing gets the date it is for (listed_on): a daily page fetched
-- today for 2024-08-01 lists its papers on 2024-08-01. The fetch times keep
-- their own columns, named for what they are: when paperboy first and last
-- saw a page listing the paper. The rules are domain/listing-date.ts's; the
-- day a paper was on the daily page (submittedOnDailyAt) is read from the
-- stored entry, absent for card-only rows (raw = {card: …}) and older papers.
alter table listings add column listed_on date;

update listings l
set listed_on = case
    when l.kind = 'day' then l.key::date
    -- The daily-page day when it lies in the period (its period key is the listing's), else the period's first day.
    when l.kind = 'week' then
      case when to_char(s.day, 'IYYY-"W"IW') = l.key then s.day else to_date(l.key, 'IYYY-"W"IW') end
    when l.kind = 'month' then
      case when to_char(s.day, 'YYYY-MM') = l.key then s.day else to_date(l.key, 'YYYY-MM') end
    when l.kind in ('trending', 'front') then coalesce(s.day, l.key::date)
    -- A search's date does not move with its daily re-runs: the first fetch, not the last.
    when l.kind = 'search' then coalesce(s.day, (l.first_listed_at at time zone 'UTC')::date)
  end
from (
  select id, ((raw -> 'paper' ->> 'submittedOnDailyAt')::timestamptz at time zone 'UTC')::date as day from papers
) s
where s.id = l.paper_id;

alter table listings alter column listed_on set not null;
alter table listings rename column first_listed_at to first_seen_at;
alter table listings rename column last_listed_at to last_seen_at;

-- Listing-date filters read listed_on now; the fetch time no longer needs an index.
drop index listings_by_first_listed;
create index listings_by_listed_on on listings (listed_on);

-- The views that show when a paper was listed: the listing dates, and the
-- fetch times beside them. Otherwise as in 0005.
drop view papers_without_code;
drop view papers_with_code;
drop view paper_overview;

-- A paper with its best repository (its own githubRepo field first, then the
-- most starred of the others), its first and last listing dates, when
-- paperboy first and last saw it listed, and its latest upvotes. Laterals,
-- not a join on an aggregated view, so a query for a few papers computes only
-- theirs.
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

-- Down Migration
drop view papers_without_code;
drop view papers_with_code;
drop view paper_overview;

drop index listings_by_listed_on;
alter table listings rename column first_seen_at to first_listed_at;
alter table listings rename column last_seen_at to last_listed_at;
alter table listings drop column listed_on;
create index listings_by_first_listed on listings (first_listed_at);

create view paper_overview as
select p.id, p.title, p.upvotes, p.num_comments, p.published_at, p.organization, p.ai_keywords,
       l.first_listed_at, l.last_listed_at,
       b.full_name as repo, b.stars as repo_stars, b.language as repo_language, b.license_spdx as repo_license,
       b.archived as repo_archived, b.pushed_at as repo_pushed_at
from papers p
left join lateral (
  select min(first_listed_at) as first_listed_at, max(last_listed_at) as last_listed_at from listings where paper_id = p.id
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

-- Up Migration

-- A paper with its best repository (its own githubRepo field first, then the
-- most starred of the others), when it was first and last listed, and its
-- latest upvotes. Laterals, not a join on an aggregated view, so a query for a
-- few papers computes only theirs.
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

-- Papers per daily page, ranked by their latest upvotes.
create view daily_top as
select l.key::date as day,
       rank() over (partition by l.key order by p.upvotes desc, p.id) as position,
       p.id, p.title, p.upvotes, l.rank as listed_rank
from listings l
join papers p on p.id = l.paper_id
where l.source = 'hf' and l.kind = 'day';

-- Star growth over a window: stars now minus stars at the window's start (the
-- last snapshot before it, else the first one inside it).
create function repos_rising_over(time_window interval)
returns table (repo_id bigint, full_name text, stars integer, growth integer, language text, papers text[])
language sql stable as $$
  select r.id, r.full_name, r.stars,
         r.stars - coalesce(
           (select s.stars from repo_snapshots s where s.repo_id = r.id and s.observed_at <= now() - time_window order by s.observed_at desc limit 1),
           (select s.stars from repo_snapshots s where s.repo_id = r.id order by s.observed_at limit 1)
         ) as growth,
         r.language,
         array(select distinct pr.paper_id from repo_refs f join paper_repos pr on pr.ref = f.ref where f.repo_id = r.id order by 1)
  from repos r
  where r.status = 'ok'
  order by growth desc nulls last, r.stars desc, r.id
$$;

create view repos_rising as select * from repos_rising_over(interval '7 days');

-- For "top papers" and keyset pagination by upvotes.
create index papers_by_upvotes on papers (upvotes desc, id);
-- For listing-date filters.
create index listings_by_first_listed on listings (first_listed_at);

-- Down Migration
drop index listings_by_first_listed;
drop index papers_by_upvotes;
drop view repos_rising;
drop function repos_rising_over(interval);
drop view daily_top;
drop view papers_without_code;
drop view papers_with_code;
drop view paper_overview;

-- Up Migration

-- Repositories by stars: the walk that orders papers by their best
-- repository's stars (sort=stars) and lists repositories (query repos,
-- /api/repos) reads it from the top, or from a page's cursor, instead of
-- sorting every repository for each page.
create index repos_by_stars on repos (stars desc, id);

-- Down Migration
drop index repos_by_stars;

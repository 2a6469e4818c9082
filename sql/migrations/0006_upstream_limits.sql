-- Up Migration

-- The last rate-limit headers each upstream sent, per resource (GitHub: core,
-- graphql): what /metrics reports as the remaining budget, whichever worker
-- made the request.
create table upstream_limits (
  upstream    text        not null,
  resource    text        not null,
  remaining   integer     not null,
  reset_at    timestamptz,
  observed_at timestamptz not null,
  primary key (upstream, resource)
);

-- Down Migration
drop table upstream_limits;

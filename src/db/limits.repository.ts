import type { UpstreamLimit } from '../domain/upstream-limit.ts';
import type { PgQueryable } from './queryable.ts';

/** Records the latest rate-limit headers seen; an older observation never overwrites a newer one. */
export async function recordUpstreamLimit(
  db: PgQueryable,
  limit: UpstreamLimit,
  observedAt = new Date(),
): Promise<void> {
  await db.query(
    `insert into upstream_limits as u (upstream, resource, remaining, reset_at, observed_at) values ($1, $2, $3, $4, $5)
     on conflict (upstream, resource) do update set remaining = excluded.remaining, reset_at = excluded.reset_at, observed_at = excluded.observed_at
     where u.observed_at <= excluded.observed_at`,
    [limit.upstream, limit.resource, limit.remaining, limit.resetAt, observedAt],
  );
}

export interface UpstreamLimitRow {
  upstream: string;
  resource: string;
  remaining: number;
}

/** The budget each upstream last reported, per resource. */
export async function listUpstreamLimits(db: PgQueryable): Promise<UpstreamLimitRow[]> {
  const { rows } = await db.query<UpstreamLimitRow>('select upstream, resource, remaining from upstream_limits');
  return rows;
}

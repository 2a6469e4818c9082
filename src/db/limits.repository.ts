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

export interface ReportedLimit {
  upstream: string;
  resource: string;
  remaining: number;
  resetAt: Date | null;
  observedAt: Date;
}

interface ReportedLimitRow {
  upstream: string;
  resource: string;
  remaining: number;
  reset_at: Date | null;
  observed_at: Date;
}

/** The budget each upstream last reported, per resource, with when it resets and when it was seen. */
export async function listReportedLimits(db: PgQueryable): Promise<ReportedLimit[]> {
  const { rows } = await db.query<ReportedLimitRow>(
    'select upstream, resource, remaining, reset_at, observed_at from upstream_limits order by upstream, resource',
  );
  return rows.map((row) => ({
    upstream: row.upstream,
    resource: row.resource,
    remaining: row.remaining,
    resetAt: row.reset_at,
    observedAt: row.observed_at,
  }));
}

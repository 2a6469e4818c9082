import type { BackfillRequest } from '../domain/backfill-plan.ts';
import type { KeyStatus } from '../queue/backfill-keys.ts';
import type { BackfillPhase, BackfillStatus } from '../queue/backfill-status.ts';

/**
 * A backfill as /api/backfills and /api/backfills/:id send it: snake_case
 * names and null for "none", like the papers' and repositories' rows. Pure.
 * The list's items leave out the key list (a year of days is 365 rows per
 * backfill); one backfill's answer has it.
 */

export interface ApiBackfill {
  id: string;
  /** Null when the job's data is not a backfill (e.g. a bad Add-job in Bull Board). */
  request: BackfillRequest | null;
  state: BackfillPhase;
  job_state: BackfillStatus['state'];
  queued_behind: string[];
  created_at: string;
  finished_at: string | null;
  done: number;
  total: number;
  counts: BackfillStatus['counts'];
  failed: Array<{ key: string; error: string }>;
  papers: { done: number; total: number; not_found: number; failed: number } | null;
  error: string | null;
  cancel_requested: boolean;
  seconds_left: number | null;
}

export interface ApiBackfillKey {
  key: string;
  status: KeyStatus;
  papers: number | null;
  error: string | null;
  job: { queue: string; id: string } | null;
}

export interface ApiBackfillDetail extends ApiBackfill {
  keys: ApiBackfillKey[];
}

export function toApiBackfill(status: BackfillStatus): ApiBackfill {
  return {
    id: status.id,
    request: status.request ?? null,
    state: status.phase,
    job_state: status.state,
    queued_behind: status.queuedBehind,
    created_at: status.createdAt.toISOString(),
    finished_at: status.finishedAt?.toISOString() ?? null,
    done: status.done,
    total: status.total,
    counts: status.counts,
    failed: status.failed,
    papers: status.papers
      ? {
          done: status.papers.done,
          total: status.papers.total,
          not_found: status.papers.notFound,
          failed: status.papers.failed,
        }
      : null,
    error: status.error ?? null,
    cancel_requested: status.cancelRequested,
    seconds_left: status.secondsLeft ?? null,
  };
}

export function toApiBackfillDetail(status: BackfillStatus): ApiBackfillDetail {
  return {
    ...toApiBackfill(status),
    keys: status.keys.map((key) => ({
      key: key.key,
      status: key.status,
      papers: key.papers ?? null,
      error: key.error ?? null,
      job: key.job ?? null,
    })),
  };
}

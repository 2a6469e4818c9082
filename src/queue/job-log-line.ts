import { ZodError } from 'zod';
import { describeIssues } from '../domain/zod-issues.ts';
import { InvalidPayloadError, LayoutChangedError, PermanentError, TransientError } from '../errors.ts';

/**
 * The one line a job leaves at `info` or above when it ends: pure, so the
 * runner only writes what this decides. Per-step detail stays at `debug`.
 */
export interface JobLogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

/** What the line needs to know of a job: nothing BullMQ-specific, so it is testable without Redis. */
export interface JobFacts {
  name: string;
  data: unknown;
  /** This attempt, from 1. */
  attempt: number;
  /** How many attempts the job has in all (BullMQ's `attempts`, 1 when unset). */
  attempts: number;
  /** BullMQ's `backoff` option: a fixed delay in ms, or `{type, delay, jitter}`. */
  backoff?: number | { type: string; delay?: number; jitter?: number };
  /** How long ago it was queued, in ms: a step job (a backfill) runs in several short turns. */
  sinceQueuedMs?: number;
}

/**
 * Outcomes that are answers, not faults: Hugging Face has no list for that
 * key (a redirect or an empty page) or no such paper (404). Worth a `warn`
 * (a run of them means something), never a stack or a retry.
 */
const EXPECTED_OUTCOMES: Record<string, string> = {
  empty: 'empty: Hugging Face has no list for it',
  not_found: 'not found: Hugging Face answered 404',
};

/** `fetch-digest hf/day/2024-08-01`, `backfill day 2024-08-01..2024-08-10`: what the job was about. */
export function subjectOf(name: string, data: unknown): string {
  const record = isRecord(data) ? data : {};
  const text = (key: string) => (typeof record[key] === 'string' ? record[key] : undefined);
  if (text('kind') && text('key')) return `${text('source') ?? 'hf'}/${text('kind')}/${text('key')}`;
  if (text('id')) return `${text('source') ?? 'hf'}/paper/${text('id')}`;
  if (text('kind') && text('from')) return `${text('kind')} ${text('from')}..${text('to') ?? text('from')}`;
  if (text('schedule')) return `schedule ${text('schedule')}`;
  if (Array.isArray(record['refs'])) return `${record['refs'].length} repository reference(s)`;
  if (record['stale'] === true) return 'stale repositories';
  return name;
}

/**
 * The line for a job that returned. Its counts are the result's numbers and
 * list lengths (a backfill's `loaded: [...]` reads `loaded: 7`); the level is
 * `warn` for an expected permanent outcome or when some part failed.
 */
export function completedLine(job: JobFacts, result: unknown, ms: number): JobLogLine {
  const key = subjectOf(job.name, job.data);
  const record = isRecord(result) ? result : {};
  const outcome = typeof record['outcome'] === 'string' ? record['outcome'] : undefined;
  const counts = countsOf(record);
  const failedKeys = Array.isArray(record['failed'])
    ? record['failed'].map((failure) => (isRecord(failure) ? failure['key'] : failure))
    : undefined;
  const warnings = Array.isArray(record['warnings']) ? record['warnings'].map(String) : [];
  const expected = outcome ? EXPECTED_OUTCOMES[outcome] : undefined;
  const someFailed = (counts['failed'] ?? 0) > 0;
  const said = [expected ?? outcome ?? 'done', describeCounts(counts)].filter(Boolean).join(', ');
  return {
    level: expected || someFailed || warnings.length > 0 ? 'warn' : 'info',
    msg: `${job.name} ${key}: ${said} in ${formatMs(ms)}${sinceQueued(job, ms)}${warnings.length > 0 ? `: ${warnings.join('; ')}` : ''}`,
    fields: {
      key,
      outcome: outcome ?? 'done',
      ...counts,
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(someFailed && failedKeys ? { failedKeys } : {}),
      ms: Math.round(ms),
      ...(job.sinceQueuedMs !== undefined ? { sinceQueuedMs: Math.round(job.sinceQueuedMs) } : {}),
      ...(isRecord(record['ms']) ? { stageMs: record['ms'] } : {}),
    },
  };
}

/**
 * The line for an attempt that threw (rate limits excepted: they are not
 * failures). Our own error classes say what happened in their message, so
 * they get no stack; anything else is unexpected and keeps it (`err`).
 */
export function failedLine(job: JobFacts, error: unknown, ms: number): JobLogLine {
  const key = subjectOf(job.name, job.data);
  const message = messageOf(error);
  const base = { key, ms: Math.round(ms), errorClass: error instanceof Error ? error.name : typeof error };
  const prefix = `${job.name} ${key}`;
  if (error instanceof ZodError || error instanceof LayoutChangedError || error instanceof InvalidPayloadError) {
    // Loud on purpose: nothing of this kind loads until the parser (or the producer) is fixed.
    const loud = error instanceof LayoutChangedError ? `LAYOUT CHANGED: ${message}` : message;
    const excerpt = error instanceof LayoutChangedError ? { excerpt: error.excerpt } : {};
    return {
      level: 'error',
      msg: `${prefix}: failed for good, not retried: ${loud}`,
      fields: { ...base, outcome: 'failed', error: message, ...excerpt },
    };
  }
  if (error instanceof PermanentError) {
    return {
      level: 'warn',
      msg: `${prefix}: failed for good, not retried: ${message}`,
      fields: { ...base, outcome: 'failed', error: message },
    };
  }
  const expected = error instanceof TransientError;
  const detail = expected ? { error: message } : { err: error };
  const final = job.attempt >= job.attempts;
  if (final) {
    return {
      level: 'error',
      msg: `${prefix}: failed after ${job.attempts} attempt(s)${expected ? '' : ' (unexpected error)'}: ${message}`,
      fields: { ...base, outcome: 'failed', ...detail },
    };
  }
  const retryWithinMs = retryDelayMs(job.backoff, job.attempt);
  return {
    level: expected ? 'warn' : 'error',
    msg:
      `${prefix}: attempt ${job.attempt} of ${job.attempts} failed${expected ? '' : ' (unexpected error)'}: ${message}; ` +
      `retrying within ${formatMs(retryWithinMs)}`,
    fields: { ...base, outcome: 'retrying', retryWithinMs, ...detail },
  };
}

/**
 * The longest wait BullMQ's built-in backoff gives before the next attempt
 * (exponential: `delay * 2^(attempt-1)`; jitter only shortens it).
 */
export function retryDelayMs(backoff: JobFacts['backoff'], attempt: number): number {
  if (backoff === undefined) return 0;
  if (typeof backoff === 'number') return backoff;
  const delay = backoff.delay ?? 0;
  return backoff.type === 'exponential' ? Math.round(2 ** (attempt - 1) * delay) : delay;
}

/** What a failure says: a bad payload's issues, else the error's message. */
export function messageOf(error: unknown): string {
  if (error instanceof ZodError) return `invalid job payload: ${describeIssues(error)}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Fields of a result that hold no count: `ms` is the timings, kept apart; a
 * backfill's `paper_counts` has one entry per key (up to a thousand).
 */
const NOT_COUNTS = new Set(['ms', 'paper_counts']);

/** Numbers and list lengths, one level of nesting deep (`pruned.bodies`, a backfill's `papers.loaded`). */
function countsOf(record: Record<string, unknown>, prefix = ''): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [name, value] of Object.entries(record)) {
    if (typeof value === 'number') counts[prefix + name] = value;
    else if (Array.isArray(value)) counts[prefix + name] = value.length;
    else if (isRecord(value) && !prefix && !NOT_COUNTS.has(name)) Object.assign(counts, countsOf(value, `${name}.`));
  }
  return counts;
}

/** `13 papers, 13 inserted`: the non-zero counts, so a line says what happened and no more. */
function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, value]) => value !== 0)
    .map(([name, value]) => `${value} ${name}`)
    .join(', ');
}

/** Said only when the wait mattered: a step job's last turn is short, its whole run is not. */
function sinceQueued(job: JobFacts, ms: number): string {
  const since = job.sinceQueuedMs;
  return since !== undefined && since > ms + 1_000 ? ` (${formatMs(since)} since it was queued)` : '';
}

function formatMs(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

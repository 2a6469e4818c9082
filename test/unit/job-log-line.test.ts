import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LayoutChangedError, PermanentError, TransientError } from '../../src/errors.ts';
import { completedLine, failedLine, retryDelayMs, subjectOf, type JobFacts } from '../../src/queue/job-log-line.ts';
import { dueAt } from '../../src/queue/run-job.ts';

const day = (key: string): JobFacts => ({
  name: 'fetch-digest',
  data: { source: 'hf', kind: 'day', key, force: false },
  attempt: 1,
  attempts: 6,
  backoff: { type: 'exponential', delay: 30_000, jitter: 0.5 },
});

describe('completedLine', () => {
  it('says a loaded day at info: what, outcome, the non-zero counts and the duration', () => {
    const result = { outcome: 'loaded', papers: 13, inserted: 13, updated: 0, unchanged: 0, warnings: [], repoRefs: 1 };
    const line = completedLine(day('2024-08-01'), { ...result, ms: { fetch: 40, parse: 5, load: 12 } }, 57.4);
    expect(line).toEqual({
      level: 'info',
      msg: 'fetch-digest hf/day/2024-08-01: loaded, 13 papers, 13 inserted, 1 repoRefs in 57 ms',
      fields: {
        key: 'hf/day/2024-08-01',
        outcome: 'loaded',
        papers: 13,
        inserted: 13,
        updated: 0,
        unchanged: 0,
        warnings: 0,
        repoRefs: 1,
        ms: 57,
        stageMs: { fetch: 40, parse: 5, load: 12 },
      },
    });
  });

  it('puts an empty day and a missing paper at warn, saying why, as answers rather than faults', () => {
    expect(completedLine(day('2024-08-03'), { outcome: 'empty', papers: 0 }, 12)).toMatchObject({
      level: 'warn',
      msg: 'fetch-digest hf/day/2024-08-03: empty: Hugging Face has no list for it in 12 ms',
    });
    const paper = { ...day('x'), name: 'fetch-paper', data: { source: 'hf', id: '2401.00001' } };
    expect(completedLine(paper, { outcome: 'not_found', inserted: 0 }, 8)).toMatchObject({
      level: 'warn',
      msg: 'fetch-paper hf/paper/2401.00001: not found: Hugging Face answered 404 in 8 ms',
      fields: { outcome: 'not_found' },
    });
  });

  it('carries a page’s parse warnings in the line itself, at warn', () => {
    const line = completedLine(
      day('2024-08-01'),
      { outcome: 'loaded', papers: 3, warnings: ['2 duplicate entries merged'] },
      5,
    );
    expect(line.level).toBe('warn');
    expect(line.msg).toMatch(/1 warnings in 5 ms: 2 duplicate entries merged$/);
    expect(line.fields['warnings']).toEqual(['2 duplicate entries merged']);
  });

  it('counts a backfill’s lists, names its failed keys, and says how long since it was queued', () => {
    const backfill: JobFacts = {
      name: 'backfill',
      data: { kind: 'day', from: '2024-08-01', to: '2024-08-05' },
      attempt: 1,
      attempts: 1,
      sinceQueuedMs: 4_200,
    };
    const result = {
      kind: 'day',
      total: 5,
      loaded: ['2024-08-01', '2024-08-02'],
      empty: ['2024-08-03', '2024-08-04'],
      failed: [{ key: '2024-08-05', error: 'layout changed' }],
      skipped: [],
      // One entry per key: no count of its own, so nothing of it in the line.
      paper_counts: { '2024-08-01': 12, '2024-08-02': 9, '2024-08-03': 0, '2024-08-04': 0 },
    };
    expect(completedLine(backfill, result, 30)).toMatchObject({
      level: 'warn',
      msg: 'backfill day 2024-08-01..2024-08-05: done, 5 total, 2 loaded, 2 empty, 1 failed in 30 ms (4.2 s since it was queued)',
      fields: { loaded: 2, empty: 2, failed: 1, skipped: 0, failedKeys: ['2024-08-05'], sinceQueuedMs: 4_200 },
    });
  });

  it('reads one level of nesting: what a prune freed', () => {
    const prune: JobFacts = { name: 'plan-schedule', data: { schedule: 'prune-pages' }, attempt: 1, attempts: 1 };
    const line = completedLine(
      prune,
      { schedule: 'prune-pages', enqueued: [], pruned: { bodies: 3, storedBytes: 900 } },
      4,
    );
    expect(line).toMatchObject({
      level: 'info',
      fields: { enqueued: 0, 'pruned.bodies': 3, 'pruned.storedBytes': 900 },
    });
    expect(line.msg).toBe('plan-schedule schedule prune-pages: done, 3 pruned.bodies, 900 pruned.storedBytes in 4 ms');
  });
});

describe('failedLine', () => {
  it('a retried 5xx: warn, no stack, when the next attempt comes at the latest', () => {
    const line = failedLine(day('2024-08-06'), new TransientError('http://hf/papers/date/2024-08-06 answered 503'), 20);
    expect(line).toEqual({
      level: 'warn',
      msg: 'fetch-digest hf/day/2024-08-06: attempt 1 of 6 failed: http://hf/papers/date/2024-08-06 answered 503; retrying within 30.0 s',
      fields: {
        key: 'hf/day/2024-08-06',
        ms: 20,
        errorClass: 'TransientError',
        outcome: 'retrying',
        retryWithinMs: 30_000,
        error: 'http://hf/papers/date/2024-08-06 answered 503',
      },
    });
  });

  it('the last attempt of a transient failure: error, still no stack', () => {
    const line = failedLine({ ...day('2024-08-06'), attempt: 6 }, new TransientError('timed out'), 5);
    expect(line).toMatchObject({
      level: 'error',
      msg: 'fetch-digest hf/day/2024-08-06: failed after 6 attempt(s): timed out',
    });
    expect(line.fields['err']).toBeUndefined();
  });

  it('a permanent failure is one warn line; a changed layout or a bad payload is loud, both without a stack', () => {
    expect(failedLine(day('2024-02-01'), new PermanentError('answered 410'), 3)).toMatchObject({
      level: 'warn',
      msg: 'fetch-digest hf/day/2024-02-01: failed for good, not retried: answered 410',
    });
    const layout = failedLine(day('2024-08-05'), new LayoutChangedError('no blob', 'http://hf/x', 'Daily Papers'), 3);
    expect(layout).toMatchObject({
      level: 'error',
      msg: 'fetch-digest hf/day/2024-08-05: failed for good, not retried: LAYOUT CHANGED: no blob',
      fields: { excerpt: 'Daily Papers', errorClass: 'LayoutChangedError' },
    });
    const payload = z.object({ key: z.string() }).safeParse({});
    expect(failedLine(day('?'), payload.error, 1)).toMatchObject({
      level: 'error',
      msg: expect.stringMatching(/not retried: invalid job payload: key: /),
    });
    expect(layout.fields['err']).toBeUndefined();
  });

  it('an unexpected error keeps the error itself (pino writes its stack), at error, retried or not', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    const retried = failedLine(day('2024-08-01'), bug, 2);
    expect(retried).toMatchObject({ level: 'error', fields: { err: bug, outcome: 'retrying' } });
    expect(retried.msg).toMatch(/attempt 1 of 6 failed \(unexpected error\): Cannot read/);
    expect(failedLine({ ...day('2024-08-01'), attempt: 6 }, bug, 2)).toMatchObject({
      level: 'error',
      fields: { err: bug, outcome: 'failed' },
    });
  });
});

describe('retryDelayMs and subjectOf', () => {
  it('follow BullMQ: exponential doubles per attempt, fixed stays, none is no wait', () => {
    expect([1, 2, 3].map((attempt) => retryDelayMs({ type: 'exponential', delay: 100 }, attempt))).toEqual([
      100, 200, 400,
    ]);
    expect(retryDelayMs({ type: 'fixed', delay: 250 }, 3)).toBe(250);
    expect(retryDelayMs(500, 2)).toBe(500);
    expect(retryDelayMs(undefined, 2)).toBe(0);
  });

  it('names what a job was about from its payload', () => {
    expect(subjectOf('enrich-repos', { refs: ['a/b', 'c/d'] })).toBe('2 repository reference(s)');
    expect(subjectOf('enrich-repos', { stale: true })).toBe('stale repositories');
    expect(subjectOf('mystery', 'not an object')).toBe('mystery');
  });
});

describe('dueAt', () => {
  it("is a job's creation plus the delay it was created with: a scheduler's job is due at its tick, not when made", () => {
    // A daily scheduler makes the next job at the previous tick, 24 h ahead.
    const created = Date.parse('2026-11-29T06:00:00Z');
    const day = 86_400_000;
    expect(dueAt({ timestamp: created, opts: { delay: day } })).toBe(created + day);
    expect(dueAt({ timestamp: created, opts: {} })).toBe(created);
  });
});

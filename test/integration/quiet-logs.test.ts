import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { defaultJobOptions } from '../../src/queue/job-options.ts';
import { digestJobId, JOBS, QUEUES } from '../../src/queue/contracts.ts';
import { startService } from '../../src/service/run-service.ts';
import { BROKEN_DAY, EMPTY_DAYS, routeBackfillDays } from '../support/backfill-days.ts';
import { apiEntries } from '../support/digests.ts';
import { FakeGithub } from '../support/fake-github.ts';
import { buildListPage } from '../support/page-builder.ts';
import { configOf, openQueue, serviceEnv, waitFor } from '../support/service.ts';
import { serviceSuite } from '../support/service-suite.ts';

interface LogRecord {
  level: number;
  msg: string;
  queue?: string;
  jobId?: string;
  job?: string;
  outcome?: string;
  err?: unknown;
  [field: string]: unknown;
}

const INFO = 30;
const WARN = 40;
const ERROR = 50;
// A day outside the backfill, answering 503 once: the one job allowed a second line (its retry).
const RETRIED_DAY = '2024-08-06';
const MISSING_PAPER = '2401.00001';

/** A stream collecting what the logger writes, one JSON record per line. */
function logSink() {
  let text = '';
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return {
    destination,
    text: () => text,
    records: (): LogRecord[] =>
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as LogRecord),
  };
}

describe('quiet logs: the service at info over a day of real pages', () => {
  const suite = serviceSuite();
  const { hf } = suite;

  it('leaves one line per job, expected outcomes at warn without stacks, and nothing else but its own events', async () => {
    routeBackfillDays(hf);
    hf.route(
      `/papers/date/${RETRIED_DAY}`,
      { status: 503, body: 'busy' },
      { body: buildListPage({ entries: apiEntries('hf-api-daily_papers-2025-01-21.json'), date: RETRIED_DAY }) },
    );
    // The paper page is not served: the local Hugging Face answers 404, as the real one does for an unknown id.
    const github = await new FakeGithub().start();
    const sink = logSink();
    const env = serviceEnv(suite.db.url, hf.baseUrl, { GITHUB_API_URL: github.baseUrl, LOG_LEVEL: 'info' });
    const logger = createLogger({ level: 'info', pretty: false, destination: sink.destination });
    const service = await startService(new Set(['worker']), configOf(env), logger);
    const backfills = await openQueue(configOf(env), QUEUES.backfills);
    const digests = await openQueue(configOf(env), QUEUES.digests);
    const repos = await openQueue(configOf(env), QUEUES.repos);
    let ids: { backfill: string; paper: string; retried: string };
    try {
      const range = { kind: 'day', from: '2024-08-01', to: BROKEN_DAY, via: 'html' };
      const backfill = await backfills.settled(await backfills.queue.add(JOBS.backfill, range), 60_000);
      const paper = await digests.settled(
        await digests.queue.add(JOBS.fetchPaper, { source: 'hf', id: MISSING_PAPER }),
      );
      const retried = await digests.settled(
        await digests.queue.add(
          JOBS.fetchDigest,
          { source: 'hf', kind: 'day', key: RETRIED_DAY, force: false },
          // The service's own retry policy, as its producers add jobs with it.
          defaultJobOptions(configOf(env)),
        ),
      );
      expect(backfill.returnvalue).toMatchObject({ loaded: ['2024-08-01', '2024-08-02'], empty: EMPTY_DAYS });
      expect(paper.returnvalue).toMatchObject({ outcome: 'not_found' });
      expect(retried.returnvalue).toMatchObject({ outcome: 'loaded' });
      ids = { backfill: backfill.id!, paper: paper.id!, retried: retried.id! };
      // The loaded days handed their repositories to enrichment: wait for those jobs too.
      await waitFor(
        async () => {
          const counts = await repos.queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
          return Object.values(counts).every((count) => count === 0);
        },
        30_000,
        'the enrichment jobs to finish',
      );
    } finally {
      await backfills.close();
      await digests.close();
      await repos.close();
      await service.shutdown('test over');
      await github.stop();
    }

    const text = sink.text();
    const records = sink.records();
    // No stack anywhere: every outcome here is one the service expects (the broken page included: it is classified).
    expect(text).not.toMatch(/\\n\s+at |"stack"/);
    expect(records.filter((record) => /^job failed/.test(record.msg))).toEqual([]);

    const byJob = new Map<string, LogRecord[]>();
    for (const record of records.filter((candidate) => candidate.jobId !== undefined)) {
      const key = `${record.queue}/${record.jobId}`;
      byJob.set(key, [...(byJob.get(key) ?? []), record]);
    }
    const linesOf = (queue: string, jobId: string) => byJob.get(`${queue}/${jobId}`) ?? [];
    const dayJob = (day: string) => digestJobId({ source: 'hf', kind: 'day', key: day });

    // One line for every job, at info unless its outcome says otherwise.
    for (const [key, lines] of byJob) {
      if (key === `${QUEUES.digests}/${ids.retried}`) continue;
      expect(
        lines.map((line) => line.msg),
        key,
      ).toHaveLength(1);
    }
    for (const day of ['2024-08-01', '2024-08-02']) {
      expect(linesOf(QUEUES.digests, dayJob(day))).toEqual([
        expect.objectContaining({ level: INFO, job: JOBS.fetchDigest, key: `hf/day/${day}`, outcome: 'loaded' }),
      ]);
    }
    for (const day of EMPTY_DAYS) {
      expect(linesOf(QUEUES.digests, dayJob(day))).toEqual([
        expect.objectContaining({ level: WARN, key: `hf/day/${day}`, outcome: 'empty', papers: 0 }),
      ]);
    }
    expect(linesOf(QUEUES.digests, ids.paper)).toEqual([
      expect.objectContaining({
        level: WARN,
        job: JOBS.fetchPaper,
        key: `hf/paper/${MISSING_PAPER}`,
        outcome: 'not_found',
      }),
    ]);
    const [broken] = linesOf(QUEUES.digests, dayJob(BROKEN_DAY));
    expect(broken).toMatchObject({ level: ERROR, outcome: 'failed', errorClass: 'LayoutChangedError' });
    expect(broken!.msg).toMatch(/not retried: LAYOUT CHANGED: no DailyPapers data-props blob/);
    expect(broken!.err).toBeUndefined();
    expect(linesOf(QUEUES.backfills, ids.backfill)).toEqual([
      expect.objectContaining({
        level: WARN,
        job: JOBS.backfill,
        loaded: 2,
        empty: 2,
        failed: 1,
        failedKeys: [BROKEN_DAY],
      }),
    ]);
    // The retried job: its failed attempt says it will be retried and when, then it loads.
    expect(linesOf(QUEUES.digests, ids.retried)).toEqual([
      expect.objectContaining({ level: WARN, attempt: 1, outcome: 'retrying', errorClass: 'TransientError' }),
      expect.objectContaining({ level: INFO, attempt: 2, outcome: 'loaded' }),
    ]);
    expect(linesOf(QUEUES.digests, ids.retried)[0]!.msg).toMatch(
      /attempt 1 of 6 failed: .*503.*; retrying within 100 ms$/,
    );
    const enrichments = [...byJob.keys()].filter((key) => key.startsWith(`${QUEUES.repos}/`));
    expect(enrichments.length).toBeGreaterThan(0);
    for (const key of enrichments) expect(byJob.get(key)![0]).toMatchObject({ level: INFO, job: JOBS.enrichRepos });

    // Besides the jobs' lines, only the service's own events: started, and shut down.
    expect(records.filter((record) => record.jobId === undefined).map((record) => record.msg)).toEqual([
      'workers started on the digests, digests-api, repos and backfills queues',
      'shutting down',
      'shut down cleanly',
    ]);
    // 5 days + the backfill + the paper + the retried day (2 lines) + the enrichments + 3 of the service's.
    expect(records).toHaveLength(5 + 1 + 1 + 2 + enrichments.length + 3);
  });
});

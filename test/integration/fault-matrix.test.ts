import type http from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { startService, type RunningService } from '../../src/service/run-service.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { apiEntries, captureWithoutBlobOrCards } from '../support/digests.ts';
import { buildListPage } from '../support/page-builder.ts';
import { configOf, openQueue, serviceEnv } from '../support/service.ts';
import { readFixture, UpstreamServer } from '../support/upstream-server.ts';

/**
 * The upstream fault matrix, through the real worker (BullMQ on Redis, the
 * HTTP client, the parser, Postgres): a local Hugging Face that misbehaves
 * on purpose, one day per fault. Each fault has one defined outcome — loaded
 * after retries, paused and then loaded, failed for good, or empty — and
 * none of them leaves part of a page loaded.
 */

const logger = createLogger({ level: 'silent', pretty: false });
const REAL = readFixture('hf-html/hf-papers-date-2024-08-01.html');
const goodPage = (date: string) => buildListPage({ entries: apiEntries('hf-api-daily_papers-2025-10-08.json'), date });
const GOOD_PAPERS = apiEntries('hf-api-daily_papers-2025-10-08.json').length;

type Outcome = 'loaded' | 'empty' | 'failed';
interface Fault {
  name: string;
  day: string;
  /** How the upstream answers, in order (the last repeats). */
  answers: Array<(request: http.IncomingMessage, response: http.ServerResponse) => void>;
  outcome: Outcome;
  /** Attempts the job used (a rate-limit pause uses none). */
  attempts: number;
  /** Failed audit rows: one per attempt that failed, and one per rate-limited request. Default: from attempts. */
  failedRows?: number;
  error?: RegExp;
}

const send =
  (body: string | Buffer, status = 200, headers: Record<string, string> = {}) =>
  (_: http.IncomingMessage, response: http.ServerResponse) =>
    response
      .writeHead(status, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': String(Buffer.byteLength(body)),
        ...headers,
      })
      .end(body);

const elsewhere = new UpstreamServer();

function faults(): Fault[] {
  return [
    {
      name: '429 with Retry-After, then the page',
      day: '2025-01-01',
      answers: [send('slow down', 429, { 'retry-after': '1' }), send(goodPage('2025-01-01'))],
      outcome: 'loaded',
      attempts: 1,
      failedRows: 1,
    },
    {
      name: '503, then the page',
      day: '2025-01-02',
      answers: [send('busy', 503), send(goodPage('2025-01-02'))],
      outcome: 'loaded',
      attempts: 2,
    },
    {
      name: 'connection reset, then the page',
      day: '2025-01-03',
      answers: [(request) => request.socket.destroy(), send(goodPage('2025-01-03'))],
      outcome: 'loaded',
      attempts: 2,
    },
    {
      name: 'no headers before the timeout, every time',
      day: '2025-01-04',
      answers: [() => undefined],
      outcome: 'failed',
      attempts: 3,
      error: /timed out/,
    },
    {
      name: 'a body that stalls half-way, every time',
      day: '2025-01-05',
      answers: [
        (_, response) => {
          response.writeHead(200, { 'content-type': 'text/html', 'content-length': String(REAL.length) });
          response.write(REAL.subarray(0, REAL.length / 2));
        },
      ],
      outcome: 'failed',
      attempts: 3,
      error: /timed out/,
    },
    {
      name: 'a body cut off in transit',
      day: '2025-01-06',
      answers: [
        (_, response) => {
          response.writeHead(200, { 'content-type': 'text/html', 'content-length': String(REAL.length) });
          response.write(REAL.subarray(0, REAL.length / 3), () => setTimeout(() => response.socket?.destroy(), 20));
        },
      ],
      outcome: 'failed',
      attempts: 3,
      error: /truncated|terminated|other side closed|socket/,
    },
    {
      name: 'HTML that ends before </html>',
      day: '2025-01-07',
      answers: [send(REAL.subarray(0, REAL.length - 5_000))],
      outcome: 'failed',
      attempts: 3,
      error: /ends before <\/html>/,
    },
    {
      name: 'a 50 MB body',
      day: '2025-01-08',
      answers: [
        (_, response) => {
          response.writeHead(200, { 'content-type': 'text/html' }); // no length: the cap must stop it while reading
          const chunk = Buffer.alloc(1024 * 1024, 'a');
          let sent = 0;
          const more = () => {
            while (sent < 50 && response.write(chunk)) sent += 1;
            if (sent < 50) response.once('drain', () => ((sent += 1), more()));
            else response.end();
          };
          response.on('error', () => undefined);
          more();
        },
      ],
      outcome: 'failed',
      attempts: 1,
      error: /more than the \d+-byte cap/,
    },
    {
      name: 'a redirect loop',
      day: '2025-01-09',
      answers: [send('', 302, { location: '/papers/date/2025-01-09' })],
      outcome: 'empty',
      attempts: 1,
    },
    {
      name: 'a redirect to a host not on the allow-list',
      day: '2025-01-10',
      answers: [(_, response) => response.writeHead(302, { location: `${elsewhere.baseUrl}/papers` }).end()],
      outcome: 'empty',
      attempts: 1,
    },
    {
      name: 'invalid JSON in the blob',
      day: '2025-01-11',
      answers: [
        send(
          REAL.toString('utf8').replace('data-props="{&quot;canSubmit&quot;', 'data-props="{&quot;canSubmit&quot;,,'),
        ),
      ],
      outcome: 'failed',
      attempts: 1,
      error: /not valid JSON/,
    },
    {
      name: 'a blob that lost a required field',
      day: '2025-01-12',
      answers: [send(REAL.toString('utf8').replace('&quot;upvotes&quot;:', '&quot;upvoteCount&quot;:'))],
      outcome: 'failed',
      attempts: 1,
      error: /failed validation: .*upvotes/,
    },
    {
      name: 'a page with neither blob nor cards',
      day: '2025-01-13',
      answers: [send(captureWithoutBlobOrCards())],
      outcome: 'failed',
      attempts: 1,
      error: /no DailyPapers data-props blob and no paper cards/,
    },
    {
      name: 'an empty day (redirected)',
      day: '2025-01-14',
      answers: [send('', 302, { location: '/papers' })],
      outcome: 'empty',
      attempts: 1,
    },
    {
      name: 'an empty list',
      day: '2025-01-15',
      answers: [send(buildListPage({ entries: [], date: '2025-01-15' }))],
      outcome: 'empty',
      attempts: 1,
    },
    {
      name: 'a body trickling in a byte at a time, every time',
      day: '2025-01-16',
      answers: [
        (_, response) => {
          // Never idle for long: only a deadline for the whole answer ends it.
          response.writeHead(200, { 'content-type': 'text/html', 'content-length': String(REAL.length) });
          const timer = setInterval(() => response.write('<'), 50);
          response.on('close', () => clearInterval(timer));
        },
      ],
      outcome: 'failed',
      attempts: 3,
      error: /timed out: no complete answer within 1500 ms/,
    },
    {
      name: 'a gzip body nobody asked for',
      day: '2025-01-17',
      answers: [send(gzipSync(REAL), 200, { 'content-encoding': 'gzip' })],
      outcome: 'failed',
      attempts: 1,
      error: /unexpected content encoding "gzip"/,
    },
  ];
}

describe('upstream fault matrix through the worker', () => {
  const hf = new UpstreamServer();
  let db: TestDatabase;
  let service: RunningService;
  let env: Record<string, string>;
  const cases = faults();

  beforeAll(async () => {
    await hf.start();
    await elsewhere.start();
    for (const fault of cases) {
      let call = 0;
      hf.route(`/papers/date/${fault.day}`, (request, response) =>
        fault.answers[Math.min(call++, fault.answers.length - 1)]!(request, response),
      );
    }
    db = await createTestDatabase();
    env = serviceEnv(db.url, hf.baseUrl, {
      // The deadline of a whole answer: long enough to read the 50 MB body up to the size cap on a loaded machine
      // (the cap, a permanent failure, must be what stops it), short enough to keep the timeouts quick.
      PAPERBOY_HTTP_TIMEOUT_MS: '1500',
      PAPERBOY_MAX_BODY_BYTES: String(20 * 1024 * 1024),
      PAPERBOY_WORKER_CONCURRENCY: '4',
    });
    service = await startService(new Set(['worker']), configOf(env), logger);
  });

  afterAll(async () => {
    await service?.shutdown('test over');
    await db?.drop();
    await hf.stop();
    await elsewhere.stop();
  });

  it('gives every fault its defined outcome, and loads nothing partial', { timeout: 120_000 }, async () => {
    const { queue, settled, close } = await openQueue(configOf(env));
    try {
      const jobs = await Promise.all(
        cases.map((fault) =>
          queue.add(
            'fetch-digest',
            { source: 'hf', kind: 'day', key: fault.day, force: false },
            { attempts: 3, backoff: { type: 'fixed', delay: 100 } },
          ),
        ),
      );
      const finished = await Promise.all(jobs.map((job) => settled(job, 90_000)));
      for (const [index, fault] of cases.entries()) {
        const job = finished[index]!;
        const state = await job.getState();
        const listed = (
          await db.pool.query(`select count(*)::int as n from listings where kind = 'day' and key = $1`, [fault.day])
        ).rows[0].n;
        const fetches = await db.pool.query(`select outcome, error from digest_fetches where key = $1 order by id`, [
          fault.day,
        ]);
        const last = fetches.rows.at(-1);
        const observed = { state, attempts: job.attemptsMade, outcome: last?.outcome, listed };
        const expected = {
          state: fault.outcome === 'failed' ? 'failed' : 'completed',
          attempts: fault.attempts,
          outcome: fault.outcome,
          listed: fault.outcome === 'loaded' ? GOOD_PAPERS : 0,
        };
        expect(observed, fault.name).toEqual(expected);
        if (fault.error) {
          expect(job.failedReason, fault.name).toMatch(fault.error);
          expect(last.error, fault.name).toMatch(fault.error);
        }
        // Every attempt left one audit row: the failed ones and, at most, the one that loaded.
        const failedRows = fault.failedRows ?? (fault.outcome === 'failed' ? fault.attempts : fault.attempts - 1);
        expect(
          fetches.rows.filter((row) => row.outcome === 'failed'),
          fault.name,
        ).toHaveLength(failedRows);
      }
      expect(elsewhere.requests).toHaveLength(0);
      // The only papers in the database are those of the pages that loaded whole.
      const papers = (await db.pool.query(`select count(*)::int as n from papers`)).rows[0].n;
      expect(papers).toBe(GOOD_PAPERS); // the three loaded days list the same papers
    } finally {
      await close();
    }
  });
});

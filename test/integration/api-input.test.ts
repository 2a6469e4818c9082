import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { JOBS, QUEUES } from '../../src/queue/contracts.ts';
import { enqueueBackfill } from '../../src/queue/backfill-status.ts';
import type { RunningService } from '../../src/service/run-service.ts';
import { loadDigest } from '../../src/stages/load-digest.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { listedFromHtml2024 } from '../support/digests.ts';
import { configOf, openQueue, startSignedInService } from '../support/service.ts';
import { AUTH } from '../support/dashboard-credentials.ts';
import { formToken, postForm } from '../support/dashboard-forms.ts';

const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const rawCursor = (text: string) => Buffer.from(text).toString('base64url');
/** The field BullMQ's job hash gets when a backfill is asked to stop (queue/backfill-flow.ts). */
const CANCEL_FIELD = 'paperboyCancelRequestedAt';

/**
 * Hostile input to the JSON API, the backfill routes and `paperboy query`:
 * every value is checked before SQL or Redis, so none of them can produce a
 * 500 (or a stack trace); a refused parameter or option is named in the
 * message.
 */
describe('bad input to the API and the CLI: 400, 404 or exit 2, never a 500 or a stack', () => {
  let db: TestDatabase;
  let service: RunningService;
  let backfills: Awaited<ReturnType<typeof openQueue>>;
  let url: string;
  let backfillId: string;
  let foreignJobId: string;
  let redis: Redis;
  /** Lines the dashboard logged at level error (a 500 logs "dashboard request failed" with its stack). */
  const errors: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await loadDigest(db.pool, {
      digest: { source: 'hf', kind: 'day', key: '2024-08-01' },
      parsed: { origin: 'api', papers: listedFromHtml2024(), warnings: [] },
      observedAt: new Date('2024-08-02T00:00:00Z'),
      fetch: { url: 'test', httpStatus: 200, error: null },
    });
    const destination = new Writable({
      write(chunk, _encoding, done) {
        errors.push(String(chunk));
        done();
      },
    });
    const started = await startSignedInService(db.url, 'http://127.0.0.1:9', ['dashboard'], {
      logger: createLogger({ level: 'error', pretty: false, destination }),
    });
    service = started.service;
    url = service.dashboardUrl!;
    backfills = await openQueue(configOf(started.env), QUEUES.backfills);
    // No worker runs: both jobs stay waiting. The second is on the backfills queue but not a backfill.
    backfillId = await enqueueBackfill(backfills.queue, {
      kind: 'day',
      from: '2024-08-01',
      to: '2024-08-02',
      force: false,
      via: 'api',
      details: false,
    });
    foreignJobId = (await backfills.queue.add('not-a-backfill', { kind: 'day' })).id!;
    redis = new Redis(inject('redisUrl'));
    // What a worker's check for stalled jobs leaves on the queue (a string key, for its interval).
    await redis.set(backfills.queue.toKey('stalled-check'), String(Date.now()));
  });

  afterAll(async () => {
    redis?.disconnect();
    await backfills?.close();
    await service?.shutdown('test over');
    await db?.drop();
  });

  async function get(path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`${url}${path}`, { headers: AUTH, redirect: 'manual' });
    return { status: response.status, body: await response.text() };
  }

  /** [path, status, the parameter a 400 names, what its message says] */
  const cases: Array<[string, number, string?, RegExp?]> = [
    // counts: decimal digits, within Postgres integer
    ['/api/papers?min_upvotes=99999999999', 400, 'min_upvotes'],
    ['/api/papers?min_upvotes=2147483648', 400, 'min_upvotes'],
    ['/api/papers?min_upvotes=2147483647', 200],
    ['/api/papers?min_upvotes=0', 200],
    ['/api/papers?min_upvotes=-1', 400, 'min_upvotes'],
    ['/api/papers?min_upvotes=1.5', 400, 'min_upvotes'],
    ['/api/papers?min_upvotes=', 400, 'min_upvotes', /empty/],
    ['/api/papers?min_upvotes=%20', 400, 'min_upvotes'],
    ['/api/papers?min_upvotes=%2B5', 400, 'min_upvotes'],
    ['/api/papers?min_upvotes=1e3', 400, 'min_upvotes'],
    ['/api/papers?min_upvotes=Infinity', 400, 'min_upvotes'],
    ['/api/papers?min_upvotes=%EF%BC%95', 400, 'min_upvotes'],
    ['/api/papers?limit=0x10', 400, 'limit'],
    ['/api/papers?limit=1e1', 400, 'limit'],
    ['/api/papers?limit=10.0', 400, 'limit'],
    ['/api/papers?limit=', 400, 'limit'],
    ['/api/papers?limit=99999999999999999999999', 400, 'limit'],
    ['/api/papers?limit=010', 200],
    ['/api/repos?limit=0b11', 400, 'limit'],
    // text: no NUL, bounded
    ['/api/papers?language=%00', 400, 'language'],
    ['/api/papers?language=Py%00thon', 400, 'language'],
    ['/api/repos?language=%00', 400, 'language'],
    [`/api/papers?language=${'a'.repeat(5000)}`, 400, 'language'],
    ['/api/papers?language=%FF%FE', 200],
    ['/api/papers?language=%ED%A0%80', 200],
    ['/api/papers?language=%25ZZ', 200],
    ['/api/papers?day=%00', 400, 'day'],
    ['/api/papers?since=2024-08-01%00', 400, 'since'],
    ['/api/papers?until=99999-01-01', 400, 'until'],
    // dates in order
    ['/api/papers?since=2024-08-02&until=2024-08-01', 400, 'until'],
    ['/api/papers?since=2024-08-01&until=2024-08-01', 200],
    // one paper
    ['/api/papers/2407.21783', 200],
    ['/api/papers/%00', 400, 'id'],
    ['/api/papers/2407.21783%00', 400, 'id'],
    ['/api/papers/%ZZ', 400, 'id'],
    ['/api/papers/%E0%A4%A', 400, 'id'],
    ['/api/papers/%ED%A0%80', 400, 'id'],
    ['/api/papers/%F0%9F%98%80', 404],
    ['/api/papers/..%2F..%2Fetc%2Fpasswd', 404],
    [`/api/papers/${'9'.repeat(5000)}`, 404],
    ['/api/papers/2407.21783?x=1', 400, 'x'],
    // unknown, prototype-named and repeated parameters
    ['/api/papers?__proto__=1', 400, '__proto__', /Unrecognized key/],
    ['/api/papers?constructor=1', 400, 'constructor', /Unrecognized key/],
    ['/api/papers?toString=1', 400, 'toString', /Unrecognized key/],
    ['/api/papers?hasOwnProperty=1', 400, 'hasOwnProperty', /Unrecognized key/],
    ['/api/papers?__proto__%5Blimit%5D=1', 400, '__proto__[limit]'],
    ['/api/repos?valueOf=1', 400, 'valueOf', /Unrecognized key/],
    ['/api/papers/2407.21783?__proto__=1', 400, '__proto__', /Unrecognized key/],
    ['/api/papers?LIMIT=5', 400, 'LIMIT'],
    ['/api/papers?%00=1', 400, '\u0000'],
    ['/api/papers?limit=5&limit=5', 400, 'limit', /given more than once/],
    ['/api/papers?__proto__=1&__proto__=2', 400, '__proto__', /given more than once/],
    ['/api/papers?cursor=a&cursor=b', 400, 'cursor'],
    // cursors
    [`/api/papers?cursor=${cursor({ u: 99999999999, id: 'x' })}`, 400, 'cursor'],
    [`/api/papers?cursor=${cursor({ u: 2147483648, id: 'x' })}`, 400, 'cursor'],
    [`/api/papers?cursor=${cursor({ u: -1, id: 'x' })}`, 400, 'cursor'],
    [`/api/papers?cursor=${cursor({ u: 1.5, id: 'x' })}`, 400, 'cursor'],
    [`/api/papers?cursor=${cursor({ u: 1, id: '\u0000' })}`, 400, 'cursor'],
    [`/api/papers?cursor=${cursor({ u: 1, id: '2407.21783\u0000' })}`, 400, 'cursor'],
    [`/api/papers?cursor=${rawCursor('{"u":1,"id":"x","__proto__":{"u":2}}')}`, 400, 'cursor'],
    [`/api/papers?cursor=${rawCursor('{"u":1e400,"id":"x"}')}`, 400, 'cursor'],
    [`/api/papers?cursor=${rawCursor('null')}`, 400, 'cursor'],
    [`/api/papers?cursor=${rawCursor('\u0000')}`, 400, 'cursor'],
    [`/api/papers?cursor=${cursor({ s: 1, id: '1' })}`, 400, 'cursor'],
    [`/api/papers?cursor=${cursor({ u: 2147483647, id: '2407.21783' })}`, 200],
    ['/api/papers?cursor=', 400, 'cursor'],
    ['/api/papers?cursor=%00', 400, 'cursor'],
    [`/api/papers?cursor=${'A'.repeat(600)}`, 400, 'cursor'],
    [`/api/repos?cursor=${cursor({ s: 1, id: '9999999999999999999' })}`, 400, 'cursor'],
    [`/api/repos?cursor=${cursor({ s: 1, id: '9223372036854775808' })}`, 400, 'cursor'],
    [`/api/repos?cursor=${cursor({ s: 99999999999, id: '1' })}`, 400, 'cursor'],
    [`/api/repos?cursor=${cursor({ s: 1, id: '9223372036854775807' })}`, 200],
    // paths
    ['/api/', 404],
    ['/api/%00', 404],
    ['/api/papers%00', 404],
    ['/api/repos/1', 404],
    // backfills: ids of existing backfill jobs only
    ['/api/backfills', 200],
    ['/api/backfills/%ZZ', 404],
    ['/api/backfills/stalled-check', 404],
    ['/api/backfills/meta', 404],
    ['/api/backfills/id', 404],
    ['/api/backfills/events', 404],
    ['/api/backfills/wait', 404],
    ['/api/backfills/marker', 404],
    ['/api/backfills/0', 404],
    ['/api/backfills/-1', 404],
    ['/api/backfills/1e0', 404],
    ['/api/backfills/99999', 404],
    ['/api/backfills/99999999999999999999999999', 404],
    ['/api/backfills/%00', 404],
    ['/api/backfills?__proto__=1', 400, '__proto__', /Unrecognized key/],
    // backfill pages: their own cursors only
    [`/api/backfills?cursor=${cursor({ b: 0 })}`, 400, 'cursor'],
    [`/api/backfills?cursor=${cursor({ b: 1.5 })}`, 400, 'cursor'],
    [`/api/backfills?cursor=${cursor({ b: 2 ** 53 })}`, 400, 'cursor'],
    [`/api/backfills?cursor=${cursor({ u: 1, id: '2407.21783' })}`, 400, 'cursor'],
    [`/api/backfills?cursor=${cursor({ b: Number.MAX_SAFE_INTEGER })}`, 200],
    ['/api/backfills?limit=101', 400, 'limit'],
    ['/api/backfills?limit=1', 200],
  ];

  it.each(cases)('GET %s → %i', async (path, status, parameter, message) => {
    errors.length = 0;
    const response = await get(path);
    expect(response.status, response.body).toBe(status);
    if (parameter !== undefined) {
      const { error } = JSON.parse(response.body) as { error: string };
      const named = error.startsWith(`${parameter}:`) || error.includes(`"${parameter}"`);
      expect(named, `"${error}" names ${JSON.stringify(parameter)}`).toBe(true);
      if (message) expect(error).toMatch(message);
    }
    expect(errors).toEqual([]);
  });

  it('serves a backfill by its id, and no other job of its queue', async () => {
    const real = await get(`/api/backfills/${backfillId}`);
    expect(real.status).toBe(200);
    expect(JSON.parse(real.body)).toMatchObject({ id: backfillId, request: { kind: 'day', from: '2024-08-01' } });
    expect((await get(`/api/backfills/${foreignJobId}`)).status, 'a job of another name').toBe(404);
    expect((await get(`/api/backfills/0${backfillId}`)).status, 'the id zero-padded').toBe(404);
    const encoded = [...backfillId].map((digit) => `%3${digit}`).join('');
    expect((await get(`/api/backfills/${encoded}`)).status, 'the id percent-encoded').toBe(200);
  });

  it('cancels only existing backfills, and writes nothing for any other id', async () => {
    const token = await formToken(url);
    const cancel = (id: string) => postForm(url, `/backfills/${id}/cancel`, { csrf: token }, { ...AUTH, origin: url });
    const keys = async () => (await redis.keys(`${backfills.queue.qualifiedName}:*`)).sort();
    const before = await keys();
    errors.length = 0;
    for (const id of ['meta', 'stalled-check', 'id', 'events', '%ZZ', '%00', '0', '99999', foreignJobId]) {
      expect((await cancel(id)).status, id).toBe(404);
    }
    expect(errors).toEqual([]);
    expect(await keys()).toEqual(before);
    expect(await redis.hexists(backfills.queue.toKey('meta'), CANCEL_FIELD)).toBe(0);
    expect(await redis.hexists(backfills.queue.toKey(foreignJobId), CANCEL_FIELD)).toBe(0);
    expect(await redis.type(backfills.queue.toKey('stalled-check'))).not.toBe('hash');

    const cancelled = await cancel(backfillId);
    expect(cancelled.status).toBe(303);
    expect(await redis.hexists(backfills.queue.toKey(backfillId), CANCEL_FIELD)).toBe(1);
    expect((await backfills.queue.getJob(backfillId))?.name).toBe(JOBS.backfill);
  });

  describe('paperboy query', () => {
    const env = () => ({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' });

    it.each([
      [['query', 'papers', '--day', '2024-08-01', '--min-upvotes', '99999999999'], '--min-upvotes'],
      [['query', 'papers', '--day', '2024-08-01', '--min-upvotes', ''], '--min-upvotes'],
      [['query', 'papers', '--day', '2024-08-01', '--limit', '0x10'], '--limit'],
      [['query', 'papers', '--day', '2024-08-01', '--limit', '99999999999999999999'], '--limit'],
      [['query', 'papers', '--since', '2024-08-02', '--until', '2024-08-01'], '--until'],
      [['query', 'papers', '--since', '99999999999d'], '--since'],
      [['query', 'papers', '--since', '2024-02-30'], '--since'],
      [['query', 'search', 'llama', '--min-upvotes', '1e1'], '--min-upvotes'],
      [['query', 'repos', '--rising', '--window', '3650000d'], '--window'],
      [['query', 'repos', '--rising', '--window', '99999999999999999999w'], '--window'],
      [['enrich', '--limit', '0x10'], '--limit'],
    ])('%j: one line naming %s, exit 2', async (args, option) => {
      const result = await runCli(args, env());
      expect(result.code, result.stderr).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^paperboy: ${option}: [^\\n]+\\n$`));
    });

    it('takes the largest values in range', async () => {
      const papers = await runCli(
        ['query', 'papers', '--day', '2024-08-01', '--min-upvotes', '2147483647', '--json'],
        env(),
      );
      expect(papers).toMatchObject({ code: 0, stdout: '[]\n' });
      const rising = await runCli(['query', 'repos', '--rising', '--window', '3650d', '--json'], env());
      expect(rising).toMatchObject({ code: 0, stdout: '[]\n' });
    });
  });
});

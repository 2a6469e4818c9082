import { Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackfillRequest } from '../../src/domain/backfill-plan.ts';
import { cancelBackfill, findBackfill, type BackfillResult } from '../../src/queue/backfill-flow.ts';
import { backfillStatus, enqueueBackfill } from '../../src/queue/backfill-status.ts';
import { BULL_BOARD_DEFAULT_NAME, QUEUES } from '../../src/queue/contracts.ts';
import { configOf, openQueue, serviceEnv } from '../support/service.ts';

/** The field BullMQ's job hash gets when a backfill is asked to stop (queue/backfill-flow.ts). */
const CANCEL_FIELD = 'paperboyCancelRequestedAt';

/**
 * A backfill's status read from a job object fetched before the backfill
 * finished (the dashboard lists jobs, then asks each its state): the state
 * says completed, the stale object has no result yet. The status must come
 * from the result all the same, never from the last progress.
 */
describe('a backfill around its end: its status from a job read before, a late cancel, the names it runs under', () => {
  let backfills: Awaited<ReturnType<typeof openQueue>>;
  let redis: Redis;

  beforeAll(async () => {
    backfills = await openQueue(configOf(serviceEnv('postgres://unused', 'http://127.0.0.1:9')), QUEUES.backfills);
    redis = new Redis(inject('redisUrl'));
  });

  afterAll(async () => {
    redis.disconnect();
    await backfills.close();
  });

  const request: BackfillRequest = {
    kind: 'day',
    from: '2024-08-14',
    to: '2024-08-19',
    force: false,
    via: 'html',
    details: false,
  };
  const keys = ['2024-08-14', '2024-08-15', '2024-08-16', '2024-08-17', '2024-08-18', '2024-08-19'];
  const resultOf = (outcome: { cancelled: string[]; loaded: string[] }): BackfillResult => ({
    ...request,
    total: 6,
    skipped: [],
    empty: [],
    not_modified: [],
    failed: [],
    paper_counts: {},
    ...outcome,
  });

  /** Runs the queue's next job with `work` (a worker on the same Redis and prefix) until it has finished. */
  async function finish(id: string, work: () => Promise<unknown>, state: 'completed' | 'failed'): Promise<void> {
    const worker = new Worker(QUEUES.backfills, work, {
      connection: backfills.queue.opts.connection,
      prefix: backfills.queue.opts.prefix,
    });
    try {
      await expect.poll(() => backfills.queue.getJobState(id), { timeout: 10_000 }).toBe(state);
    } finally {
      await worker.close();
    }
  }

  it('is the result: a cancelled backfill says how many keys it never fetched', async () => {
    const id = await enqueueBackfill(backfills.queue, request);
    const stale = (await Job.fromId(backfills.queue, id))!;
    await finish(id, () => Promise.resolve(resultOf({ cancelled: keys, loaded: [] })), 'completed');
    await redis.hset(backfills.queue.toKey(id), CANCEL_FIELD, new Date().toISOString());
    expect(stale.returnvalue).toBeFalsy();

    const status = await backfillStatus(backfills.queue, stale);
    expect(status).toMatchObject({ phase: 'cancelled', done: 0, total: 6, counts: { cancelled: 6 } });
    expect(status.keys.map((key) => key.status)).toEqual(keys.map(() => 'cancelled'));
  });

  it('is completed when the cancel came after the last fetch had started: it cancelled nothing', async () => {
    const id = await enqueueBackfill(backfills.queue, request);
    const stale = (await Job.fromId(backfills.queue, id))!;
    await finish(id, () => Promise.resolve(resultOf({ cancelled: [], loaded: keys })), 'completed');
    // What a cancel asked just before the backfill completed leaves behind.
    await redis.hset(backfills.queue.toKey(id), CANCEL_FIELD, new Date().toISOString());

    const status = await backfillStatus(backfills.queue, stale);
    expect(status).toMatchObject({ phase: 'completed', done: 6, counts: { loaded: 6, cancelled: 0 } });
  });

  it('says why it failed, though the job was read before it failed', async () => {
    const id = await enqueueBackfill(backfills.queue, request);
    const stale = (await Job.fromId(backfills.queue, id))!;
    await finish(
      id,
      () => Promise.reject(new UnrecoverableError('bad backfill range: 2024-08-19 is after 2024-08-14')),
      'failed',
    );
    expect(stale.failedReason).toBeFalsy();

    const status = await backfillStatus(backfills.queue, stale);
    expect(status).toMatchObject({
      phase: 'failed',
      error: 'bad backfill range: 2024-08-19 is after 2024-08-14',
    });
    expect(status.finishedAt).toBeInstanceOf(Date);
  });

  it('cannot be cancelled once finished: the cancel is refused and leaves no mark', async () => {
    const digests = await openQueue(configOf(serviceEnv('postgres://unused', 'http://127.0.0.1:9')));
    const digestsApi = await openQueue(
      configOf(serviceEnv('postgres://unused', 'http://127.0.0.1:9')),
      QUEUES.digestsApi,
    );
    try {
      const id = await enqueueBackfill(backfills.queue, request);
      await finish(id, () => Promise.resolve(resultOf({ cancelled: [], loaded: keys })), 'completed');
      const queues = { backfills: backfills.queue, digests: digests.queue, digestsApi: digestsApi.queue };
      expect(await cancelBackfill(queues, id)).toBe('finished');
      expect(await redis.hexists(backfills.queue.toKey(id), CANCEL_FIELD)).toBe(0);
    } finally {
      await digests.close();
      await digestsApi.close();
    }
  });

  it("is found under the name Bull Board's Add-job dialog gives by default, as the worker runs it", async () => {
    const job = await backfills.queue.add(BULL_BOARD_DEFAULT_NAME, request);
    expect((await findBackfill(backfills.queue, job.id!))?.id).toBe(job.id);
    const other = await backfills.queue.add('something-else', request);
    expect(await findBackfill(backfills.queue, other.id!)).toBeUndefined();
    await backfills.queue.remove(job.id!);
    await backfills.queue.remove(other.id!);
  });
});

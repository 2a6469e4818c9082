import { Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BackfillRequest } from '../../src/domain/backfill-plan.ts';
import type { BackfillResult } from '../../src/queue/backfill-flow.ts';
import { backfillStatus, enqueueBackfill } from '../../src/queue/backfill-status.ts';
import { QUEUES } from '../../src/queue/contracts.ts';
import { configOf, openQueue, serviceEnv } from '../support/service.ts';

/** The field BullMQ's job hash gets when a backfill is asked to stop (queue/backfill-flow.ts). */
const CANCEL_FIELD = 'paperboyCancelRequestedAt';

/**
 * A backfill's status read from a job object fetched before the backfill
 * finished (the dashboard lists jobs, then asks each its state): the state
 * says completed, the stale object has no result yet. The status must come
 * from the result all the same, never from the last progress.
 */
describe('the status of a backfill that finished after its job was read', () => {
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

  it('is the result: a cancelled backfill says how many keys it never fetched', async () => {
    const request: BackfillRequest = {
      kind: 'day',
      from: '2024-08-14',
      to: '2024-08-19',
      force: false,
      via: 'html',
      details: false,
    };
    const id = await enqueueBackfill(backfills.queue, request);
    const stale = (await Job.fromId(backfills.queue, id))!;
    const keys = ['2024-08-14', '2024-08-15', '2024-08-16', '2024-08-17', '2024-08-18', '2024-08-19'];
    const result: BackfillResult = {
      ...request,
      total: 6,
      skipped: [],
      loaded: [],
      empty: [],
      not_modified: [],
      failed: [],
      cancelled: keys,
      paper_counts: {},
    };
    // The same Redis and prefix as the queue: a worker that finishes the backfill with that result.
    const worker = new Worker(QUEUES.backfills, () => Promise.resolve(result), {
      connection: backfills.queue.opts.connection,
      prefix: backfills.queue.opts.prefix,
    });
    try {
      await expect.poll(() => backfills.queue.getJobState(id), { timeout: 10_000 }).toBe('completed');
    } finally {
      await worker.close();
    }
    await redis.hset(backfills.queue.toKey(id), CANCEL_FIELD, new Date().toISOString());
    expect(stale.returnvalue).toBeFalsy();

    const status = await backfillStatus(backfills.queue, stale);
    expect(status).toMatchObject({ phase: 'cancelled', done: 0, total: 6, counts: { cancelled: 6 } });
    expect(status.keys.map((key) => key.status)).toEqual(keys.map(() => 'cancelled'));
  });
});

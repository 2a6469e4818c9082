import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, withTransaction } from '../../src/db/pool.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('withTransaction', () => {
  let db: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPool(db.url, createLogger({ level: 'silent', pretty: false }), 4);
    await pool.query(`create table counters (id int primary key, n int not null)`);
    await pool.query(`insert into counters values (1, 0), (2, 0)`);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('rolls back everything when the work throws', async () => {
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query(`update counters set n = n + 100 where id = 1`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await pool.query(`select n from counters where id = 1`);
    expect(rows[0].n).toBe(0);
  });

  it('runs the work again when Postgres picks it as a deadlock victim', async () => {
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    let attempts = 0;
    try {
      await other.query('begin');
      // The other side waits long before checking for deadlocks, so ours is the one aborted.
      await other.query(`set local deadlock_timeout = '30s'`);
      await other.query(`update counters set n = n + 10 where id = 2`);
      let otherDone: Promise<unknown> | undefined;
      await withTransaction(pool, async (tx) => {
        attempts += 1;
        // The retry waits for the other side to commit: racing it for row 1 again could make a second deadlock,
        // which withTransaction would also survive, but then the attempts counted here depend on the scheduler.
        if (attempts > 1) await otherDone;
        await tx.query(`set local deadlock_timeout = '50ms'`);
        await tx.query(`update counters set n = n + 1 where id = 1`);
        if (attempts === 1) {
          // Other: holds 2, now wants 1 (held by us). Us: hold 1, now want 2: a cycle.
          otherDone = other.query(`update counters set n = n + 10 where id = 1`).then(() => other.query('commit'));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await tx.query(`update counters set n = n + 1 where id = 2`);
      });
      await otherDone;
    } finally {
      await other.end();
    }
    expect(attempts).toBe(2);
    const { rows } = await pool.query(`select id, n from counters order by id`);
    // Each side's effects applied exactly once.
    expect(rows).toEqual([
      { id: 1, n: 11 },
      { id: 2, n: 11 },
    ]);
  });
});

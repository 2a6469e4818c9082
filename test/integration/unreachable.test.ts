import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { runCli } from '../support/cli.ts';
import { serviceEnv } from '../support/service.ts';

/**
 * Redis or Postgres not there when paperboy starts: every role and every
 * command that needs it ends with one line naming the server (password
 * hidden) and exit 1, within 10 s: never a process retrying forever, never
 * a stack or a stream of dumped connection errors.
 */

const CLOSED_REDIS = 'redis://:hunter2redis@127.0.0.1:9';
const CLOSED_POSTGRES = 'postgres://paperboy:hunter2secret@127.0.0.1:9/paperboy';
const BACKFILL = ['backfill', '--kind', 'day', '--from', '2024-08-01', '--to', '2024-08-02'];

const NEEDS_REDIS = [['start'], ['worker'], ['schedule'], ['dashboard'], BACKFILL, [...BACKFILL, '--wait']];
const NEEDS_POSTGRES = [
  ['start'],
  ['worker'],
  ['schedule'],
  ['dashboard'],
  ['migrate'],
  ['ingest', 'day', '2024-08-01'],
  ['query', 'papers', '--day', '2024-08-01'],
  ['query', 'search', 'diffusion'],
  ['query', 'paper', '2407.21783'],
  ['query', 'repos'],
  ['reparse'],
  ['enrich'],
];

/** Runs the commands a few at a time (each is a process of its own), each timed. */
async function runAll(commands: string[][], env: Record<string, string>) {
  const results: Array<{ command: string; code: number; stderr: string; stdout: string; ms: number }> = [];
  const queue = [...commands];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let command = queue.shift(); command; command = queue.shift()) {
        const started = Date.now();
        const result = await runCli(command, env);
        results.push({ command: command.join(' '), ...result, ms: Date.now() - started });
      }
    }),
  );
  return results;
}

describe('a server missing at start', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('Redis: every role and the backfill command exit 1 with one line within 10 s', { timeout: 120_000 }, async () => {
    const env = serviceEnv(db.url, 'http://127.0.0.1:9', { REDIS_URL: CLOSED_REDIS, LOG_LEVEL: 'warn' });
    for (const result of await runAll(NEEDS_REDIS, env)) {
      expect({ command: result.command, code: result.code, stderr: result.stderr }).toEqual({
        command: result.command,
        code: 1,
        stderr:
          'paperboy: error: cannot use Redis at redis://:***@127.0.0.1:9 (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9); start it, or fix REDIS_URL, then run paperboy again\n',
      });
      expect(result.stdout, result.command).toBe('');
      expect(result.ms, result.command).toBeLessThan(10_000);
    }
  });

  it(
    'Postgres: every role and every command that reads or writes it exit 1 with one line within 10 s',
    { timeout: 120_000 },
    async () => {
      const env = serviceEnv(CLOSED_POSTGRES, 'http://127.0.0.1:9', { LOG_LEVEL: 'warn' });
      for (const result of await runAll(NEEDS_POSTGRES, env)) {
        expect({ command: result.command, code: result.code, stderr: result.stderr }).toEqual({
          command: result.command,
          code: 1,
          stderr:
            'paperboy: error: cannot use Postgres at postgres://paperboy:***@127.0.0.1:9/paperboy (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9); start it, or fix DATABASE_URL, then run paperboy again\n',
        });
        expect(result.ms, result.command).toBeLessThan(10_000);
      }
    },
  );
});

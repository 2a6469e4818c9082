import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findFreePort, isProcessAlive } from '../../src/infra/local-process.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { spawnRole, waitFor } from '../support/service.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/paperboy.js');

/**
 * The database one command away: the embedded Postgres listens on a fixed
 * port (PAPERBOY_EMBEDDED_PG_PORT) with the password kept in the data folder,
 * so the URL printed at start and by `paperboy db url` is the same at every
 * start, and `paperboy db psql` opens psql on it.
 */
describe('paperboy db url and db psql', () => {
  let dataDir: string;
  let port: number;
  let env: Record<string, string>;
  const serverPids: number[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'paperboy-db-'));
    // As root the embedded Postgres runs as the postgres user, which must be able to enter the dir.
    await chmod(dataDir, 0o755);
    port = await findFreePort();
    env = { PAPERBOY_DATA_DIR: dataDir, PAPERBOY_EMBEDDED_PG_PORT: String(port), LOG_LEVEL: 'info' };
  });

  afterAll(async () => {
    for (const pid of serverPids) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  const postgresPid = async () =>
    Number((await readFile(path.join(dataDir, 'postgres/postmaster.pid'), 'utf8')).split('\n')[0]);

  /** A worker on the suite's Redis, its Postgres the embedded one of `dataDir`: the service as `paperboy start` runs it. */
  function startWorker(extra: Record<string, string> = {}) {
    const worker = spawnRole('worker', {
      ...env,
      REDIS_URL: inject('redisUrl'),
      PAPERBOY_QUEUE_PREFIX: `test-${randomUUID().slice(0, 8)}`,
      // No job is queued: the worker never reaches upstream.
      HF_BASE_URL: 'http://127.0.0.1:9',
      PAPERBOY_SHUTDOWN_GRACE_MS: '300',
      ...extra,
    });
    const ready = waitFor(async () => worker.output().includes('workers started'), 90_000, 'the workers to start');
    return { ...worker, ready };
  }

  async function selectOne(url: string): Promise<number> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<{ one: number }>('select 1 as one')).rows[0]!.one;
    } finally {
      await client.end();
    }
  }

  it('before any start, db url says what creates the database', async () => {
    const result = await runCli(['db', 'url'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no embedded Postgres in ${path.join(dataDir, 'postgres')} yet`);
    expect(result.stderr).toContain('paperboy migrate');
  });

  it(
    'started twice, stopped in between: the same URL each time, printed at start and by db url, and it connects',
    { timeout: 480_000 },
    async () => {
      const urls: string[] = [];
      for (const round of [1, 2]) {
        const worker = startWorker();
        await worker.ready;
        serverPids.push(await postgresPid());
        const printed = /connect with: psql '([^']+)'/.exec(worker.output())?.[1];
        expect(printed, `round ${round}: the start-up line gives the psql connection string`).toBeDefined();
        const command = await runCli(['db', 'url'], env);
        expect(command).toMatchObject({ code: 0, stderr: '' });
        const url = command.stdout.trimEnd();
        expect(url).toBe(printed);
        expect(new URL(url).port).toBe(String(port));
        expect(await selectOne(url)).toBe(1);
        urls.push(url);

        worker.child.kill('SIGTERM');
        expect(await worker.exited).toBe(0);
        // Stopped: the URL is still known (the next start comes back to it), and the command says it is not running.
        const stopped = await runCli(['db', 'url'], env);
        expect(stopped.code).toBe(0);
        expect(stopped.stdout.trimEnd()).toBe(url);
        expect(stopped.stderr).toContain('the embedded Postgres is not running now');
      }
      expect(urls[1]).toBe(urls[0]);
    },
  );

  it(
    'db psql runs psql on it: next to a running service, and alone for one session',
    { timeout: 300_000 },
    async () => {
      const worker = startWorker();
      await worker.ready;
      const pid = await postgresPid();
      serverPids.push(pid);
      // The views of the README's SQL are there: the database is migrated.
      const beside = await runCli(['db', 'psql', '--', '-At', '-c', 'select count(*) from paper_overview'], env);
      expect(beside).toMatchObject({ code: 0, stdout: '0\n' });
      // The service's Postgres is left to the service.
      expect(isProcessAlive(pid)).toBe(true);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);

      // Nothing running: db psql starts it for the session (psql's exit code is the command's), then stops it.
      const alone = await runCli(['db', 'psql', '-At', '-c', 'show port', '-c', 'select nope'], env);
      expect(alone.code).toBe(1);
      expect(alone.stdout).toBe(`${port}\n`);
      expect(alone.stderr).toContain('column "nope" does not exist');
      expect(alone.stderr).toContain(`started embedded Postgres on 127.0.0.1:${port}`);
      expect((await runCli(['db', 'url'], env)).stderr).toContain('the embedded Postgres is not running now');
    },
  );

  it('Ctrl-C in db psql cancels the query, and leaves the Postgres of the session running under it', async () => {
    // A terminal sends Ctrl-C to its whole foreground process group: here the command runs in a group of its own, which the test signals.
    const session = spawn(process.execPath, [BIN, 'db', 'psql', '--', '-At', '-c', 'select pg_sleep(60)'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stderr = '';
    session.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => session.once('exit', (code) => resolve(code)));
    const url = (await runCli(['db', 'url'], env)).stdout.trimEnd();
    await waitFor(
      async () => {
        const client = new pg.Client({ connectionString: url });
        client.on('error', () => undefined);
        try {
          await client.connect();
          const { rows } = await client.query(
            `select 1 from pg_stat_activity where query = 'select pg_sleep(60)' and state = 'active'`,
          );
          return rows.length > 0;
        } catch {
          return false;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      90_000,
      "psql's query to run",
    );
    process.kill(-session.pid!, 'SIGINT');
    expect(await exited).not.toBe(0);
    // psql's cancel, answered by a server still up: not a server shut down under the query.
    expect(stderr).toContain('canceling statement due to user request');
    expect(stderr).not.toContain('terminating connection due to administrator command');
    // The command stopped the Postgres it started once psql was done.
    expect((await runCli(['db', 'url'], env)).stderr).toContain('the embedded Postgres is not running now');
  }, 240_000);

  it(
    'a Postgres left running on another port by a paperboy killed with -9 moves to the configured port',
    { timeout: 300_000 },
    async () => {
      const otherPort = await findFreePort();
      const killed = startWorker({ PAPERBOY_EMBEDDED_PG_PORT: String(otherPort) });
      await killed.ready;
      const orphan = await postgresPid();
      serverPids.push(orphan);
      killed.child.kill('SIGKILL');
      await killed.exited;
      expect(isProcessAlive(orphan)).toBe(true);

      const moved = await runCli(['db', 'psql', '--', '-At', '-c', 'show port'], env);
      expect(moved).toMatchObject({ code: 0, stdout: `${port}\n` });
      expect(moved.stderr).toContain(
        `the embedded Postgres left running on 127.0.0.1:${otherPort} is restarted on port ${port}`,
      );
      expect(isProcessAlive(orphan)).toBe(false);
    },
  );

  it('a port taken by another program is a setup error naming the variable to set', async () => {
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'paperboy-db-taken-'));
    await chmod(elsewhere, 0o755);
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as net.AddressInfo).port;
    try {
      const result = await runCli(['migrate'], {
        PAPERBOY_DATA_DIR: elsewhere,
        PAPERBOY_EMBEDDED_PG_PORT: String(taken),
        LOG_LEVEL: 'warn',
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${taken} on 127.0.0.1`);
      expect(result.stderr).toContain('is taken by another program: set PAPERBOY_EMBEDDED_PG_PORT to a free port');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  describe('with DATABASE_URL', () => {
    let db: TestDatabase;

    beforeAll(async () => {
      db = await createTestDatabase();
    });

    afterAll(async () => {
      await db.drop();
    });

    it('db url prints it as it is, and db psql without psql on PATH says which package brings it', async () => {
      const url = await runCli(['db', 'url'], { DATABASE_URL: db.url, LOG_LEVEL: 'warn' });
      expect(url).toEqual({ code: 0, stdout: `${db.url}\n`, stderr: '' });
      const emptyPath = await mkdtemp(path.join(os.tmpdir(), 'paperboy-no-psql-'));
      try {
        const psql = await runCli(['db', 'psql'], { DATABASE_URL: db.url, LOG_LEVEL: 'warn', PATH: emptyPath });
        expect(psql.code).toBe(1);
        expect(psql.stderr).toContain('no psql on PATH');
        expect(psql.stderr).toContain('apt-get install postgresql-client');
      } finally {
        await rm(emptyPath, { recursive: true, force: true });
      }
    });
  });
});

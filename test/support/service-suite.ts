import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { startService, type Role, type RunningService } from '../../src/service/run-service.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { configOf } from './service.ts';
import { UpstreamServer } from './upstream-server.ts';

/**
 * The hooks every test of the running service repeats, registered in the
 * calling describe block: a local Hugging Face for the whole block, a fresh
 * database per test, and after each test whatever it started stopped (queue
 * handles, then services) before its database is dropped.
 */
export function serviceSuite() {
  const hf = new UpstreamServer();
  const logger = createLogger({ level: 'silent', pretty: false });
  const closers: Array<() => Promise<void>> = [];
  const running: RunningService[] = [];
  let database: TestDatabase | undefined;

  beforeAll(async () => {
    await hf.start();
  });

  beforeEach(async () => {
    database = await createTestDatabase();
  });

  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const service of running.splice(0)) await service.shutdown('test over');
    await database?.drop();
    database = undefined;
  });

  afterAll(async () => {
    await hf.stop();
  });

  return {
    hf,
    /** The current test's database. */
    get db(): TestDatabase {
      if (!database) throw new Error('serviceSuite().db is only there while a test runs');
      return database;
    },
    /** Starts a service with these roles; it is shut down after the test. */
    async startService(roles: readonly Role[], env: Record<string, string>): Promise<RunningService> {
      const service = await startService(new Set(roles), configOf(env), logger);
      running.push(service);
      return service;
    },
    /** Runs each `close` after the test, before the services shut down. */
    closeAfterTest(...close: Array<() => Promise<void>>): void {
      closers.push(...close);
    },
  };
}

import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/infra/local-process.ts';
import { apiEntries } from '../support/digests.ts';
import { buildListPage } from '../support/page-builder.ts';
import { spawnRole, waitFor } from '../support/service.ts';
import { UpstreamServer } from '../support/upstream-server.ts';

describe('paperboy start with embedded defaults (what `npm start` runs)', () => {
  const hf = new UpstreamServer();
  let dataDir: string;
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    await hf.start();
    hf.route(`/papers/date/${today}`, {
      body: buildListPage({ entries: apiEntries('hf-api-daily_papers-2026-08-21.json'), date: today }),
    });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'paperboy-start-'));
    await chmod(dataDir, 0o755);
  });

  afterAll(async () => {
    await hf.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts Postgres and Redis itself, says where the dashboard is, serves /healthz and /metrics, and loads today', async () => {
    // No DATABASE_URL, no REDIS_URL: exactly a fresh clone's `npm start`.
    const service = spawnRole('start', {
      HF_BASE_URL: hf.baseUrl,
      PAPERBOY_DATA_DIR: dataDir,
      // Not the fixed default: other files' Postgres servers run at the same time.
      PAPERBOY_EMBEDDED_PG_PORT: String(await findFreePort()),
      DASHBOARD_PORT: '0',
      LOG_LEVEL: 'info',
    });
    try {
      const url = await waitFor(
        async () => /paperboy: dashboard at (http:\/\/127\.0\.0\.1:\d+)/.exec(service.output())?.[1],
        60_000,
        'the dashboard line',
      );
      expect(service.output()).toContain('started embedded Postgres on 127.0.0.1:');
      expect(service.output()).toContain('started redis-server on 127.0.0.1:');

      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      const metrics = await waitFor(
        async () => {
          const text = await (await fetch(`${url}/metrics`)).text();
          // Each gauge is read by its own query: wait until one scrape sees the load everywhere.
          return (
            text.includes('paperboy_papers 17') &&
            text.includes('paperboy_fetches_total{kind="day",outcome="loaded"} 1') &&
            text
          );
        },
        30_000,
        "today's page to be loaded",
      );
      expect(metrics).toMatch(/paperboy_last_successful_fetch_timestamp_seconds\{kind="day"\} \d+/);
      expect(hf.requestsTo(`/papers/date/${today}`)).toHaveLength(1);
    } finally {
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
    }
    expect(service.output()).toContain('shut down cleanly');
  });
});

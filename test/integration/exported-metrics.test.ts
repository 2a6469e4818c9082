import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../src/dashboard/metrics.ts';
import { BROKEN_DAY, routeBackfillDays } from '../support/backfill-days.ts';
import { runCli } from '../support/cli.ts';
import { exportedMetricNames, metricNamesOf, panelsOf, ruleExpressionsIn } from '../support/promql-names.ts';
import { configOf, openQueue, serviceEnv } from '../support/service.ts';
import { serviceSuite } from '../support/service-suite.ts';
import { PROJECT_ROOT } from '../../src/paths.ts';

const ROOT = PROJECT_ROOT;

/** Series Prometheus makes itself for each scrape target: the rules may use them, /metrics never has them. */
const SYNTHETIC = new Set(['up']);

/** What a histogram or summary is queried by: the name it is exported under, and its kind. */
function exportedAs(name: string, exported: ReadonlyMap<string, string>): string | undefined {
  if (exported.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  const type = exported.get(base);
  return type === 'histogram' || type === 'summary' ? base : undefined;
}

describe('the metrics the alert rules and the Grafana dashboard use', () => {
  const suite = serviceSuite();
  const { hf } = suite;

  it('are all exported on /metrics, the new ones with their values', async () => {
    routeBackfillDays(hf);
    const env = serviceEnv(suite.db.url, hf.baseUrl);
    // A page whose layout changed, fetched once: its failure is counted by class.
    const ingest = await runCli(['ingest', 'day', BROKEN_DAY, '--no-enrich'], env);
    expect(ingest.code, ingest.stderr).not.toBe(0);
    const service = await suite.startService(['dashboard'], env);
    // No worker runs: the job stays waiting, and its age shows.
    const { queue, close } = await openQueue(configOf(env));
    suite.closeAfterTest(close);
    await queue.add('fetch-digest', { source: 'hf', kind: 'day', key: '2024-08-01' });
    await new Promise((resolve) => setTimeout(resolve, 50));

    const response = await fetch(`${service.dashboardUrl}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const exported = exportedMetricNames(text);

    const used = new Map<string, string>();
    for (const expr of ruleExpressionsIn(path.join(ROOT, 'deploy/prometheus/paperboy.rules.yml')))
      for (const name of metricNamesOf(expr)) used.set(name, `rule: ${expr}`);
    const dashboard = JSON.parse(
      readFileSync(path.join(ROOT, 'deploy/grafana/paperboy-dashboard.json'), 'utf8'),
    ) as Parameters<typeof panelsOf>[0];
    for (const panel of panelsOf(dashboard))
      for (const target of panel.targets ?? [])
        for (const name of metricNamesOf(target.expr ?? '')) used.set(name, `panel "${panel.title}": ${target.expr}`);
    expect(used.size).toBeGreaterThanOrEqual(10);
    const missing = [...used].filter(([name]) => !SYNTHETIC.has(name) && !exportedAs(name, exported));
    expect(missing, 'used but not exported').toEqual([]);

    expect(text).toContain('paperboy_fetch_failures_total{kind="day",error_class="LayoutChangedError"} 1');
    expect(text).toContain('paperboy_fetch_failures_total{kind="day",error_class="InvalidPayloadError"} 0');
    expect(text).toMatch(/^paperboy_queue_oldest_waiting_seconds\{queue="digests"\} 0\.\d+/m);
    expect(text).toContain('paperboy_queue_oldest_waiting_seconds{queue="repos"} 0');
    expect(text).toContain('paperboy_dependency_up{dependency="postgres"} 1');
    expect(text).toContain('paperboy_dependency_up{dependency="redis"} 1');
    expect(text).toContain('paperboy_repos 0');
    expect(text).toMatch(/^paperboy_page_store_bytes [1-9]\d*$/m);
  });
});

describe('/metrics with its dependencies down', () => {
  it('still answers, and says which is down', async () => {
    // A closed port: Postgres refuses at once, as it does when stopped.
    const pool = new pg.Pool({ connectionString: 'postgres://paperboy@127.0.0.1:9/paperboy' });
    try {
      const redis = { ping: () => Promise.reject(new Error('Connection is closed.')) };
      const budget = { read: () => Promise.reject(new Error('Connection is closed.')) };
      const text = await createMetricsRegistry(pool, [], budget, redis).metrics();
      expect(text).toContain('paperboy_dependency_up{dependency="postgres"} 0');
      expect(text).toContain('paperboy_dependency_up{dependency="redis"} 0');
      expect(text).not.toMatch(/^paperboy_papers /m);
      expect(text).toContain('# TYPE paperboy_papers gauge');
    } finally {
      await pool.end();
    }
  });
});

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { metricNamesOf, panelsOf, ruleExpressionsIn } from '../support/promql-names.ts';
import { PROJECT_ROOT } from '../../src/paths.ts';

const ROOT = PROJECT_ROOT;
const RULES = 'deploy/prometheus/paperboy.rules.yml';
const RULE_TESTS = 'deploy/prometheus/paperboy.rules.test.yml';
const DASHBOARD = 'deploy/grafana/paperboy-dashboard.json';

/**
 * Runs promtool and resolves with its output, or rejects with it. Never
 * skipped: without promtool the rules would ship untested, so its absence
 * fails with how to install it.
 */
function promtool(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT')
        return reject(
          new Error(
            'promtool is not on PATH: install Debian\'s "prometheus" package (apt-get install --no-install-recommends prometheus), which ships /usr/bin/promtool',
          ),
        );
      if (error) return reject(new Error(`promtool ${args.join(' ')} failed:\n${stdout}${stderr}`));
      resolve(stdout + stderr);
    });
  });
}

describe('the Prometheus alert rules', () => {
  it('pass promtool check rules', async () => {
    expect(await promtool('check', 'rules', RULES)).toContain('SUCCESS');
  });

  it('pass their promtool unit tests', async () => {
    expect(await promtool('test', 'rules', RULE_TESTS)).toContain('SUCCESS');
  });

  it('have a firing and a non-firing test case for each alert', () => {
    const alerts = [...readFileSync(path.join(ROOT, RULES), 'utf8').matchAll(/^\s*- alert: (\w+)$/gm)].map(
      (m) => m[1]!,
    );
    const tests = readFileSync(path.join(ROOT, RULE_TESTS), 'utf8');
    // Each case is an alertname followed by exp_alerts: [] (must not fire) or a list (fires).
    const cases = [...tests.matchAll(/alertname: (\w+)\n\s*exp_alerts:( \[\])?/g)];
    expect(alerts.length).toBeGreaterThanOrEqual(10);
    for (const alert of alerts) {
      const own = cases.filter((c) => c[1] === alert);
      expect(
        own.some((c) => c[2] === undefined),
        `${alert} has a firing case`,
      ).toBe(true);
      expect(
        own.some((c) => c[2] !== undefined),
        `${alert} has a non-firing case`,
      ).toBe(true);
    }
    for (const c of cases) expect(alerts).toContain(c[1]);
  });

  it('each say what to do and link the runbook', () => {
    const rules = readFileSync(path.join(ROOT, RULES), 'utf8');
    const alertCount = [...rules.matchAll(/^\s*- alert: /gm)].length;
    for (const key of ['summary', 'description', 'runbook_url'])
      expect([...rules.matchAll(new RegExp(`^\\s*${key}: \\S`, 'gm'))].length, key).toBe(alertCount);
  });
});

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(path.join(ROOT, DASHBOARD), 'utf8')) as Parameters<typeof panelsOf>[0] & {
    __inputs?: Array<{ name: string; type: string; pluginId: string }>;
  };

  it('is importable as is: a Prometheus datasource input', () => {
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' })]);
    expect(JSON.stringify(dashboard)).not.toMatch(/"uid":\s*"(?!\$\{DS_PROMETHEUS\}|paperboy-operations)/);
  });

  it('has the panels an operator looks at', () => {
    const panels = panelsOf(dashboard);
    const reads = (metric: string) =>
      panels.filter((panel) => panel.targets?.some((target) => metricNamesOf(target.expr ?? '').has(metric)));
    for (const metric of [
      'paperboy_fetches_total',
      'paperboy_fetch_failures_total',
      'paperboy_fetch_duration_seconds',
      'paperboy_queue_jobs',
      'paperboy_papers',
      'paperboy_repos',
      'paperboy_upstream_rate_limit_remaining',
      'paperboy_upstream_paused_seconds',
      'paperboy_page_store_bytes',
    ])
      expect(reads(metric), metric).not.toHaveLength(0);
    for (const panel of panels) expect(panel.title).toBeTruthy();
  });

  it('and the rules are read by the same tokenizer as the exported-metrics test', () => {
    const exprs = ruleExpressionsIn(path.join(ROOT, RULES));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    for (const expr of exprs) expect(metricNamesOf(expr).size, expr).toBeGreaterThan(0);
  });
});

import { describe, expect, it } from 'vitest';
import { exportedMetricNames, metricNamesOf } from '../support/promql-names.ts';

describe('metricNamesOf', () => {
  it.each([
    ['up{job="paperboy"} == 0 or absent(up{job="paperboy"})', ['up']],
    [
      'time() - paperboy_last_successful_fetch_timestamp_seconds{kind="day"} > 3 * 3600',
      ['paperboy_last_successful_fetch_timestamp_seconds'],
    ],
    ['increase(paperboy_fetch_failures_total{error_class=~"A|B"}[1h]) > 0', ['paperboy_fetch_failures_total']],
    ['sum by (queue) (x{state=~"waiting"}) > sum by (queue) (x offset 1h) and on (queue) y offset 2h', ['x', 'y']],
    ['sum by (kind, outcome) (increase(paperboy_fetches_total[$__rate_interval]))', ['paperboy_fetches_total']],
    ['histogram_quantile(0.95, sum by (le) (rate(d_bucket[5m]))) > 1e3', ['d_bucket']],
    ['{__name__="hidden"} + without_label', ['without_label']],
  ])('%s', (expr, names) => {
    expect([...metricNamesOf(expr)].sort()).toEqual(names.sort());
  });
});

describe('exportedMetricNames', () => {
  it('reads the # TYPE lines, series or not', () => {
    const text = '# HELP a_b A\n# TYPE a_b gauge\na_b{x="1"} 2\n# HELP c C\n# TYPE c counter\n';
    expect(exportedMetricNames(text)).toEqual(
      new Map([
        ['a_b', 'gauge'],
        ['c', 'counter'],
      ]),
    );
  });
});

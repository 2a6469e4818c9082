import { describe, expect, it } from 'vitest';
import { formatRows, formatTimestamp, rowCount } from '../../src/cli/output.ts';

describe('CLI output', () => {
  const rows = [{ observed_at: new Date('2026-07-31T12:00:59.999Z'), stars: 5 }];

  it('shows people every timestamp as YYYY-MM-DD HH:MM UTC, in UTC whatever the local zone', () => {
    expect(formatTimestamp(new Date('2026-07-31T23:59:30Z'))).toBe('2026-07-31 23:59 UTC');
    expect(formatRows(rows, ['observed_at', 'stars'], 'table')).toBe(
      'observed_at           stars\n--------------------  -----\n2026-07-31 12:00 UTC  5\n(1 row)\n',
    );
  });

  it('gives scripts ISO 8601', () => {
    expect(formatRows(rows, ['observed_at', 'stars'], 'csv')).toBe('observed_at,stars\n2026-07-31T12:00:59.999Z,5\n');
    expect(JSON.parse(formatRows(rows, ['observed_at'], 'json'))).toEqual([
      { observed_at: '2026-07-31T12:00:59.999Z' },
    ]);
  });

  it('counts rows in English', () => {
    expect([0, 1, 2].map(rowCount)).toEqual(['(0 rows)', '(1 row)', '(2 rows)']);
  });
});

import { isCalendarDate, utcDay } from '../domain/digest-key.ts';

/** Rows out of `paperboy query`: an aligned table for people, JSON or CSV for scripts. Column names are stable. */

export type OutputFormat = 'table' | 'json' | 'csv';

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(cell).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function formatRows<Row extends object>(
  rows: readonly Row[],
  columns: ReadonlyArray<keyof Row & string>,
  format: OutputFormat,
): string {
  if (format === 'json')
    return `${JSON.stringify(
      rows.map((row) => Object.fromEntries(columns.map((column) => [column, row[column] ?? null]))),
      null,
      2,
    )}\n`;
  if (format === 'csv') {
    const quote = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
    return (
      [columns.join(','), ...rows.map((row) => columns.map((column) => quote(cell(row[column]))).join(','))].join(
        '\n',
      ) + '\n'
    );
  }
  const maxWidth = 60;
  const clip = (text: string) =>
    (text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text).replace(/\s+/g, ' ');
  const cells = rows.map((row) => columns.map((column) => clip(cell(row[column]))));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((line) => line[index]!.length)));
  const line = (values: string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index]!))
      .join('  ')
      .trimEnd();
  return (
    [line([...columns]), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n') +
    `\n(${rows.length} rows)\n`
  );
}

/**
 * The longest look back, in days, for `--since` durations and `--window`: 10
 * years. Hugging Face's daily papers began in 2023 and paperboy's star history
 * with its first enrichment, so a longer window reaches no older data (growth
 * over it is measured from the first snapshot, as for 10 years); and an
 * unbounded one overflows Postgres (`now() - interval` out of the timestamp
 * range, `make_interval(days => …)` beyond `integer`) or a JavaScript Date.
 */
const MAX_LOOKBACK_DAYS = 3650;

const HOURS = { h: 1, d: 24, w: 168 } as const;

/** `7d`, `24h`, `2w` (up to MAX_LOOKBACK_DAYS) or a date (YYYY-MM-DD) → the UTC date that far back. */
export function sinceDate(value: string, now = new Date()): string {
  if (isCalendarDate(value)) return value;
  const match = /^(\d+)([hdw])$/.exec(value);
  if (!match) throw new RangeError(`"${value}" is not a duration such as 7d, 24h or 2w, nor a date`);
  const hours = Number(match[1]) * HOURS[match[2] as keyof typeof HOURS];
  if (hours > MAX_LOOKBACK_DAYS * 24)
    throw new RangeError(`"${value}" reaches back more than ${MAX_LOOKBACK_DAYS} days`);
  return utcDay(new Date(now.getTime() - hours * 3_600_000));
}

/** `7d` / `2w` (at least a day, at most MAX_LOOKBACK_DAYS) → days. */
export function windowDays(value: string): number {
  const match = /^(\d+)([dw])$/.exec(value);
  const days = match ? Number(match[1]) * (match[2] === 'w' ? 7 : 1) : 0;
  if (days < 1 || days > MAX_LOOKBACK_DAYS)
    throw new RangeError(`"${value}" is not a window from 1d to ${MAX_LOOKBACK_DAYS}d, such as 7d or 2w`);
  return days;
}

/**
 * Rows out of `paperboy query`: an aligned table for people, JSON or CSV for
 * scripts. Column names are stable. Scripts get timestamps in ISO 8601
 * (`2026-07-31T12:00:00.000Z`); people get every timestamp of a screen in one
 * form, `formatTimestamp`'s, and dates as YYYY-MM-DD.
 */

export type OutputFormat = 'table' | 'json' | 'csv';

/** `2026-07-31 12:00 UTC`: how the CLI shows a moment to people, wherever it prints one. */
export function formatTimestamp(moment: Date): string {
  return `${moment.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "(1 row)", "(0 rows)", "(12 rows)". */
export function rowCount(count: number): string {
  return `(${count} ${count === 1 ? 'row' : 'rows'})`;
}

function cell(value: unknown, format: OutputFormat): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return format === 'table' ? formatTimestamp(value) : value.toISOString();
  if (Array.isArray(value)) return value.map((item) => cell(item, format)).join(', ');
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
      [
        columns.join(','),
        ...rows.map((row) => columns.map((column) => quote(cell(row[column], format))).join(',')),
      ].join('\n') + '\n'
    );
  }
  const maxWidth = 60;
  const clip = (text: string) =>
    (text.length > maxWidth ? `${text.slice(0, maxWidth - 1)}…` : text).replace(/\s+/g, ' ');
  const cells = rows.map((row) => columns.map((column) => clip(cell(row[column], format))));
  const widths = columns.map((column, index) => Math.max(column.length, ...cells.map((line) => line[index]!.length)));
  const line = (values: string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index]!))
      .join('  ')
      .trimEnd();
  return (
    [line([...columns]), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n') +
    `\n${rowCount(rows.length)}\n`
  );
}

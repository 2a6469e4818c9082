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

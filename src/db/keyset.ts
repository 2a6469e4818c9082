/**
 * Keyset paging over a lexicographic order of several columns, each
 * ascending or descending: the rows after a page's last row (the next page)
 * or before its first row (the previous page). A previous page is read in
 * the reverse order and turned back by the caller, so both directions walk
 * the same index from the cursor on, whatever the page's depth.
 */

export interface KeyColumn {
  /** The SQL expression of the column in the query that pages. */
  sql: string;
  descending: boolean;
  /** The SQL type a cursor's value is cast to. */
  type: 'int' | 'text' | 'date' | 'numeric';
}

export type PageDirection = 'after' | 'before';

/**
 * The condition "this row comes after (or before) `values` in the order of
 * `columns`"; `true` when there are no values (the first page). The first
 * column is also bounded on its own, so the planner can start an index range
 * there instead of filtering every row before the cursor.
 */
export function keysetCondition(
  columns: readonly KeyColumn[],
  values: readonly unknown[] | undefined,
  direction: PageDirection,
  param: (value: unknown) => string,
): string {
  if (values === undefined) return 'true';
  if (values.length !== columns.length)
    throw new RangeError(`a cursor of ${values.length} values for an order of ${columns.length} columns`);
  const placeholders = columns.map((column, i) => `${param(values[i])}::${column.type}`);
  const beyond = (column: KeyColumn) =>
    (column.descending ? 1 : -1) * (direction === 'after' ? 1 : -1) > 0 ? '<' : '>';
  const alternatives = columns.map((column, i) =>
    [
      ...columns.slice(0, i).map((earlier, j) => `${earlier.sql} = ${placeholders[j]}`),
      `${column.sql} ${beyond(column)} ${placeholders[i]}`,
    ].join(' and '),
  );
  const first = columns[0]!;
  return `${first.sql} ${beyond(first)}= ${placeholders[0]} and (${alternatives.join(' or ')})`;
}

/** The ORDER BY list of `columns`, reversed for reading a previous page. */
export function orderOf(columns: readonly KeyColumn[], direction: PageDirection): string {
  return columns
    .map((column) => `${column.sql} ${column.descending === (direction === 'after') ? 'desc' : 'asc'}`)
    .join(', ');
}

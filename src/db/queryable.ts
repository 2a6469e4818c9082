import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';

/**
 * The one thing repositories need from pg: a pool, a checked-out client and a
 * transaction all satisfy it, so the caller decides the transaction scope.
 */
export interface PgQueryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  query<R extends QueryResultRow = QueryResultRow>(config: QueryConfig<unknown[]>): Promise<QueryResult<R>>;
}

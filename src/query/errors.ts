// One-line errors for the query layer (SQL error, unknown named query, not a trace).

export type QueryErrorCode = 'sql' | 'unknown_query' | 'not_a_trace' | 'load' | 'closed';

export class QueryError extends Error {
  override readonly name = 'QueryError';
  constructor(
    readonly code: QueryErrorCode,
    message: string,
    /** The foreign error's full text (DuckDB's message can span lines with a caret). */
    readonly detail?: string,
  ) {
    super(message);
  }
}

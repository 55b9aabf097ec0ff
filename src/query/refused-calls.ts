// Calls a tracevisor session refuses before DuckDB sees them, where DuckDB's own guard (external
// access off, configuration locked) is not enough. Measured on DuckDB 1.5:
// `CALL enable_logging(storage_path='/tmp/x'); SELECT 1` passes the configuration lock, and the
// log writer then throws a PermissionException from a destructor: the process aborts
// ("terminate called …", exit 134) instead of answering. A query has no use for DuckDB's own
// log, so every logging control is refused with one line.

import { QueryError } from './errors.js';

const REFUSED = ['enable_logging', 'disable_logging', 'truncate_duckdb_logs'] as const;

// Text outside string literals, quoted identifiers and comments: a literal that merely
// mentions a name must not be refused.
const CODE_ONLY = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\//g;
const CALL = new RegExp(`\\b(${REFUSED.join('|')})\\b`, 'i');

/** Throws QueryError('sql') when the SQL text calls one of the refused functions. */
export function refuseUnsafeCalls(sql: string): void {
  const match = CALL.exec(sql.replace(CODE_ONLY, ' '));
  if (match === null) return;
  throw new QueryError(
    'sql',
    `SQL error: ${match[1]!.toLowerCase()} is not available in tracevisor sessions ` +
      '(DuckDB\'s own logging; the trace is what a query reads)',
  );
}

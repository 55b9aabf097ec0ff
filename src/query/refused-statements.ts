// Statements that write files, refused before they run in a session without file access.
// DuckDB's own guard (enable_external_access off) refuses them for every path but one: a store
// session must read its events Parquet file, and DuckDB's `allowed_paths`, the only way to
// name it while external access is off, allows writing it too (measured on DuckDB 1.5: `COPY
// (SELECT 1) TO '<store>.events.parquet' (FORMAT csv, USE_TMP_FILE false)` replaced the file).
// DuckDB has no read-only variant of allowed_paths, and chmod does not stop root, so the
// session refuses by statement type, which DuckDB's parser decides (not our text matching):
// COPY (TO and FROM: with file access off the only file a COPY could name is the store's),
// EXPORT DATABASE, ATTACH and COPY FROM DATABASE.

import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { QueryError } from './errors.js';

const WRITES_FILES = new Map<StatementType, string>([
  [StatementType.COPY, 'COPY'],
  [StatementType.EXPORT, 'EXPORT DATABASE'],
  [StatementType.ATTACH, 'ATTACH'],
  [StatementType.COPY_DATABASE, 'COPY FROM DATABASE'],
]);

/** Whether the connection's instance has file access off (settings.ts: unless --allow-files). */
export async function fileAccessOff(connection: DuckDBConnection): Promise<boolean> {
  const reader = await connection.runAndReadAll("SELECT current_setting('enable_external_access')");
  return reader.getRowsJS()[0]![0] === false;
}

/** Throws QueryError('sql') for a file-writing statement when file access is off. */
export function refuseFileStatement(prepared: DuckDBPreparedStatement, accessOff: boolean): void {
  if (!accessOff) return;
  const what = WRITES_FILES.get(prepared.statementType);
  if (what === undefined) return;
  throw new QueryError(
    'sql',
    `SQL error: ${what} is refused: file system operations are disabled by configuration in ` +
      'tracevisor sessions (query with --allow-files to read or write other files)',
  );
}

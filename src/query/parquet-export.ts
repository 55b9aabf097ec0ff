// A trace's tables as Parquet files written by DuckDB's own writer (issue 12 §5): zstd, each
// table sorted by time (ts_ns, then seq), so that DuckDB, Spark, Trino, pandas or polars read
// them without tracevisor. The session is an ordinary query session (verified reads: a damaged
// trace is refused before anything is written) opened with file access, since COPY … TO writes.
// A file is written beside its destination and renamed into place, so a crash or a full disk
// never leaves a half-written file under the final name.

import { renameSync, rmSync, statSync } from 'node:fs';
import { firstLine } from '../trace/errors.js';
import { QueryError } from './errors.js';
import type { QuerySession } from './session.js';

/** The tables every trace's session has besides the manifest's (topology.ts). */
const LOOKUP_TABLES = ['vms', 'devices'] as const;

export interface ParquetTableExport {
  table: string;
  rows: number;
  bytes: number;
  path: string;
}

/** The tables a session exposes: the manifest's (events, dlt, clock, inputs, …) and the lookups. */
export function exportedTables(session: QuerySession): string[] {
  if (session.trace === null) throw new Error('assert: a dataset session has no trace to export');
  return [...Object.keys(session.trace.manifest.tables), ...LOOKUP_TABLES];
}

/** Writes each table to `pathOf(table)`; returns what was written, in table order. */
export async function exportTablesToParquet(
  session: QuerySession,
  pathOf: (table: string) => string,
  onTable?: (done: number) => void,
): Promise<ParquetTableExport[]> {
  const written: ParquetTableExport[] = [];
  for (const table of exportedTables(session)) {
    const path = pathOf(table);
    const partial = `${path}.partial`;
    try {
      const rows = await copyTable(session, table, partial);
      renameSync(partial, path);
      written.push({ table, rows, bytes: statSync(path).size, path });
      onTable?.(written.length);
    } finally {
      rmSync(partial, { force: true });
    }
  }
  return written;
}

async function copyTable(session: QuerySession, table: string, path: string): Promise<number> {
  const order = await timeOrder(session, table);
  const select = `SELECT * FROM ${quoteIdent(table)}${order === null ? '' : ` ORDER BY ${order}`}`;
  try {
    const result = await session.connection.run(
      `COPY (${select}) TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    return Number(result.rowsChanged);
  } catch (error) {
    // a full disk or an unwritable directory: the user's to fix, one line
    throw new QueryError('load', `${path.replace(/\.partial$/, '')}: cannot write the ${table} table as Parquet: ${firstLine(error)}`);
  }
}

/** `ts_ns, seq` for tables with a time column (seq breaks ties the way the recording ordered them). */
async function timeOrder(session: QuerySession, table: string): Promise<string | null> {
  const reader = await session.connection.runAndReadAll(`DESCRIBE SELECT * FROM ${quoteIdent(table)}`);
  const names = new Set(reader.getRowsJS().map((row) => String(row[0])));
  if (!names.has('ts_ns')) return null;
  return names.has('seq') ? 'ts_ns, seq' : 'ts_ns';
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

// A trace's tables as Parquet files written by DuckDB's own writer (issue 12 §5): zstd, each
// table sorted by time (ts_ns, then seq), so that DuckDB, Spark, Trino, pandas or polars read
// them without tracevisor. The session is an ordinary query session (verified reads: a damaged
// trace is refused before anything is written) opened with file access, since COPY … TO writes.
// A file is written beside its destination and renamed into place, so a crash or a full disk
// never leaves a half-written file under the final name.

import { renameSync, rmSync, statSync } from 'node:fs';
import { firstLine } from '../trace/errors.js';
import type { TableName } from '../trace/tables.js';
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
  await session.prepareFor(quoteIdent(table)); // a table the store writes on first use
  const shape = await shapeOf(session, table);
  const order = shape.order === null || inTimeOrder(session, table) ? null : shape.order;
  const select = `SELECT * FROM ${quoteIdent(table)}${order === null ? '' : ` ORDER BY ${order}`}`;
  // A row group is built in memory before it is compressed: DuckDB's default 122,880 rows of
  // whole Ethernet frames (~1 kB each) went past the session's 256 MB memory limit.
  const rowGroup = shape.blobs ? `, ROW_GROUP_SIZE ${BLOB_ROW_GROUP_ROWS}` : '';
  try {
    const result = await session.connection.run(
      `COPY (${select}) TO ${quoteLiteral(path)} (FORMAT parquet, COMPRESSION zstd${rowGroup})`,
    );
    return Number(result.rowsChanged);
  } catch (error) {
    // a full disk or an unwritable directory: the user's to fix, one line
    throw new QueryError('load', `${path.replace(/\.partial$/, '')}: cannot write the ${table} table as Parquet: ${firstLine(error)}`);
  }
}

/** Rows per row group of a table with BLOB columns (the frames table): ~16 MB of frames. */
const BLOB_ROW_GROUP_ROWS = 16_384;

/**
 * Whether the trace's file already holds the table in (ts_ns, seq) order — the recorder writes
 * every table so — read batch by batch from the Arrow file. Then the COPY keeps the rows as they
 * are (DuckDB preserves insertion order) instead of sorting them: a sort holds its rows in
 * memory, and the frames table's payloads of a 60 s run (185 MB) went past the session's memory
 * limit ("Out of Memory Error" in the bench). A trace that is not in order is sorted.
 */
function inTimeOrder(session: QuerySession, table: string): boolean {
  const trace = session.trace;
  if (trace === null || !(table in trace.manifest.tables)) return false;
  let lastTs = -(2n ** 63n);
  let lastSeq = -(2n ** 63n);
  try {
    for (const batch of trace.batches(table as TableName)) {
      const tsColumn = batch.getChild('ts_ns');
      if (tsColumn === null) return false;
      const ts = tsColumn.toArray() as BigInt64Array;
      const seq = (batch.getChild('seq')?.toArray() ?? null) as BigInt64Array | null;
      for (let i = 0; i < ts.length; i++) {
        const t = ts[i]!;
        const s = seq === null ? 0n : seq[i]!;
        if (t < lastTs || (t === lastTs && s < lastSeq)) return false;
        lastTs = t;
        lastSeq = s;
      }
    }
  } catch {
    return false; // damaged: the session's own reading decides what the export holds
  }
  return true;
}

/** `ts_ns, seq` for tables with a time column (seq breaks ties the way the recording ordered
 *  them), and whether the table has BLOB columns. */
async function shapeOf(session: QuerySession, table: string): Promise<{ order: string | null; blobs: boolean }> {
  const reader = await session.connection.runAndReadAll(`DESCRIBE SELECT * FROM ${quoteIdent(table)}`);
  const rows = reader.getRowsJS();
  const names = new Set(rows.map((row) => String(row[0])));
  const blobs = rows.some((row) => String(row[1]) === 'BLOB');
  const order = !names.has('ts_ns') ? null : names.has('seq') ? 'ts_ns, seq' : 'ts_ns';
  return { order, blobs };
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

// Tables a query store writes on first use (store.ts DEFERRED_TABLES: the frames table). The
// store's build verifies their files with the rest of the trace but writes no Parquet for them;
// the first statement of a session that reads one verifies that table's file again (its rows,
// batches and sha256 against the manifest, in the same pass as the write: the file is read
// once) and writes its Parquet file beside the store, with a record of what was written
// (`store.frames.parquet.id`: the table's sha256 and the file's identity). Later sessions use the
// file when the record matches both; any other state writes it again, so a changed, replaced or
// half-written file is never read. In-memory sessions (trust, salvage) load such a table the
// same way: on first use.
//
// Which statements read a table is decided from the SQL text before it runs (mayRead), erring
// towards yes: a false yes costs one write of the file, a false no is DuckDB's "Table with name
// frames does not exist", which the statement runner answers by making the table and preparing
// the statement again (statements.ts). No statement ever sees a table that is empty because it
// was not made yet: until it is made, it does not exist.

import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fileSha256InBackground } from '../trace/file-hash-worker.js';
import { verifyTablesInBackground } from '../trace/open.js';
import { QueryError } from './errors.js';
import { ParquetWriter } from './parquet/writer.js';
import { parquetColumns } from './store-tables.js';
import {
  deferredIdPath,
  fileIdentity,
  parquetPath,
  removeStaleTemporaries,
  STORE_FORMAT_VERSION,
  type DeferredTable,
} from './store.js';

// String literals and comments: a table name inside them is not a read of the table.
const LITERALS_AND_COMMENTS = /'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//g;
// DuckDB's table functions that take a table name or SQL as a string.
const DYNAMIC = /\bquery(?:_table)?\s*\(/i;
// What lists the catalog: a session's tables are all there when a user asks which there are.
const CATALOG = /\b(?:information_schema|duckdb_(?:tables|columns|views|dependencies)|show_tables(?:_expanded)?|show|describe)\b/i;

/**
 * Whether the SQL text may read `table` (case-insensitive, bare or double-quoted): any mention
 * outside literals and comments except as a column alias (`count(*) AS frames`), any mention at
 * all when the text calls query()/query_table(), which take names in strings, and any text that
 * lists the catalog (information_schema, duckdb_tables(), SHOW, DESCRIBE).
 */
export function mayRead(sql: string, table: string): boolean {
  const word = new RegExp(`(?<![\\w$])(?:"${table}"|${table})(?![\\w$"])`, 'gi');
  if (DYNAMIC.test(sql) && word.test(sql)) return true;
  const code = sql.replace(LITERALS_AND_COMMENTS, ' ');
  if (CATALOG.test(code)) return true;
  for (const match of code.matchAll(word)) {
    if (!/\bAS\s*$/i.test(code.slice(0, match.index))) return true;
  }
  return false;
}

/** The table a DuckDB error says is missing ("Table with name frames does not exist"), if any. */
export function missingTable(error: unknown): string | null {
  const text = error instanceof Error ? error.message : String(error);
  return /Table with name "?(\w+)"? does not exist/i.exec(text)?.[1]?.toLowerCase() ?? null;
}

const idRecord = z.strictObject({
  formatVersion: z.number(),
  table: z.string(),
  sha256: z.string(),
  file: z.string(),
  /** Identity (size, mtime, inode) of the trace's table file it was verified from. */
  source: z.string(),
});

/** The trace's file of a table (`frames.arrow`), as traceFingerprint names it. */
function sourcePath(dir: string, table: DeferredTable): string {
  return join(dir, `${table}.arrow`);
}

/**
 * The table's Parquet file beside the store holds the table with this sha256, as written, from
 * the trace file that is there now: the build does not verify a deferred table, so a trace file
 * changed since (damaged, replaced) is verified again at its next use, not answered from an
 * earlier copy.
 */
export function deferredReady(dir: string, storePath: string, table: DeferredTable, sha256: string): boolean {
  try {
    const record = idRecord.parse(JSON.parse(readFileSync(deferredIdPath(storePath, table), 'utf8')));
    return (
      record.formatVersion === STORE_FORMAT_VERSION &&
      record.table === table &&
      record.sha256 === sha256 &&
      record.file === fileIdentity(parquetPath(storePath, table)) &&
      record.source === fileIdentity(sourcePath(dir, table))
    );
  } catch {
    return false; // no record, an unreadable one, or no file: write it
  }
}

export interface DeferredBuild {
  table: DeferredTable;
  rows: number;
  seconds: number;
}

/**
 * Verifies `table` of the trace in `dir` and writes its Parquet file beside the store at
 * `storePath` (temporary names, then renames: the file, then its record), the file hashed on a
 * worker thread meanwhile. `sha256` is the table's hash the store was built for: a trace changed
 * since is refused, and so is a file changed while it was read (the walk and the hashing read it
 * separately). A damaged file is the TraceError of verify mode, naming the table.
 */
export async function buildDeferred(dir: string, storePath: string, table: DeferredTable, sha256: string): Promise<DeferredBuild> {
  const started = performance.now();
  removeStaleTemporaries(storePath);
  const suffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const file = parquetPath(storePath, table);
  const id = deferredIdPath(storePath, table);
  const temporary = { file: `${file}${suffix}`, id: `${id}${suffix}` };
  try {
    const source = fileIdentity(sourcePath(dir, table));
    const rows = await writeVerified(dir, table, sha256, temporary.file);
    if (fileIdentity(sourcePath(dir, table)) !== source) {
      throw new QueryError('load', `${dir}: ${table}.arrow changed while it was read; run the command again`);
    }
    renameSync(temporary.file, file);
    const record = { formatVersion: STORE_FORMAT_VERSION, table, sha256, file: fileIdentity(file), source };
    writeFileSync(temporary.id, `${JSON.stringify(record)}\n`);
    renameSync(temporary.id, id);
    return { table, rows, seconds: (performance.now() - started) / 1000 };
  } finally {
    for (const f of Object.values(temporary)) rmSync(f, { force: true });
  }
}

/** The verify pass over one table writing its Parquet file at `path`; its rows. */
async function writeVerified(dir: string, table: DeferredTable, sha256: string, path: string): Promise<number> {
  const writer = new ParquetWriter(path, parquetColumns(table));
  let rows = 0;
  let written = false;
  try {
    const trace = await verifyTablesInBackground(dir, [table], (_table, batch) => {
      writer.writeBatch(batch, false);
      rows += batch.numRows;
    }, fileSha256InBackground);
    if (trace.manifest.tables[table]!.sha256 !== sha256) {
      throw new QueryError('load', `${dir}: the trace changed since its query store was built; run the command again`);
    }
    writer.finish();
    written = true;
    return rows;
  } finally {
    if (!written) writer.close();
  }
}

// The trace directory before a recording or an import writes into it: created level by level
// when missing, refused when it holds something that is not a trace, emptied of an old trace's
// files when it holds one.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { TraceError } from './errors.js';
import { MANIFEST_FILE, TRACE_FORMAT } from './manifest-file.js';
import { TABLE_NAMES } from './tables.js';

// The query store (src/query/store.ts) is named here rather than imported: this module is on
// record's and import's start-up path, which must not load DuckDB.
const STORE_FILES = ['store.duckdb', 'store.duckdb.wal', 'store.events.parquet', 'store.frames.parquet', 'store.frames.parquet.id']; // frames: issue 12 §1 (written on first use: src/query/deferred-tables.ts)
const TRACE_FILES = [
  MANIFEST_FILE,
  `${MANIFEST_FILE}.tmp`,
  ...TABLE_NAMES.map((t) => `${t}.arrow`),
  'digests.ndjson', // the replay digests (src/replay/digest-file.ts), named here for the same reason
  'identity.json', // the table files' identity at finish (file-identity.ts IDENTITY_FILE)
  ...STORE_FILES,
];

export function prepareDirectory(dir: string, overwrite: boolean): void {
  if (!existsSync(dir)) {
    createDirectory(dir);
    return;
  }
  if (!statSync(dir).isDirectory()) {
    throw new TraceError('not_a_directory', `${dir}: exists and is not a directory`);
  }
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  const isTrace = entries.includes(MANIFEST_FILE) && holdsTraceManifest(dir);
  if (!isTrace && !overwrite) {
    throw new TraceError(
      'not_empty',
      // the CLI's flag is --force; the library's option is overwrite (RecordOptions, DltImportOptions)
      `${dir}: directory is not empty and holds no trace; choose another, or use --force ` +
        '(overwrite: true from code) to write the trace files into it',
    );
  }
  // Manifest first: a crash between these removals must not leave a manifest over new files.
  for (const file of TRACE_FILES) rmSync(join(dir, file), { force: true });
  // The snapshots (src/snapshot/format.ts SNAPSHOT_DIR; issue 10 §3) of the trace being
  // replaced; a directory that held no trace keeps a `snapshots` folder of its own.
  if (isTrace) rmSync(join(dir, 'snapshots'), { recursive: true, force: true });
}

/**
 * mkdir -p one level at a time. Node 20's recursive mkdirSync spins forever under /proc (a
 * peer's report: `record -o /proc/x` hung at 100% CPU); creating each missing level ourselves
 * fails at once with the system's answer, which becomes a one-line error.
 */
function createDirectory(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (let depth = 0; depth < 256 && !existsSync(at); depth++) {
    missing.push(at);
    at = dirname(at);
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new TraceError('not_a_directory', `${dir}: cannot create directory ${path} (${code})`);
    }
  }
}

function holdsTraceManifest(dir: string): boolean {
  try {
    const raw = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as { format?: unknown };
    return raw.format === TRACE_FORMAT;
  } catch {
    return false;
  }
}

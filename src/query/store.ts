// The persistent query store (ARCHITECTURE principle 7, issue #7.2): a trace is loaded into a
// DuckDB database file once, after its files were verified against the manifest; later
// queries open that file read-only. Measured on a 600 s cockpit trace (18.8 M events): loading
// the Arrow files into an in-memory DuckDB took 10–12 s and 1.5 GB per query; the store answers
// `GROUP BY kind` in ≈0.15 s with ≈120 MB. A DuckDB file rather than Parquet: no extension is
// needed to write it (nothing can be downloaded), ENUM types and the lookup tables persist in
// it, and its zone maps serve `ts_ns BETWEEN …` without any index of ours.
//
// Safety of reuse: the store records the trace's fingerprint (src/trace/open.ts) and the tables'
// sha256 from the manifest. An equal fingerprint means the files are the ones that were
// verified; any other fingerprint re-verifies the files (a damaged trace is refused before the
// store is looked at) and rebuilds when the hashes changed. Only verified traces are stored:
// trust and salvage sessions load into memory, so a salvaged table is never reused.
//
// Crashes and concurrency: a store is built under a temporary name and renamed into place,
// so a reader sees no store or a complete one; two builders racing both succeed (the last
// rename wins, both files are complete and equal in content).

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { Trace } from '../trace/reader.js';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';
import { createTraceTables, loadTable, type BatchSource, type TableLoad } from './load.js';
import { buildConfig } from './settings.js';
import { createSummaries } from './summaries.js';
import { createTopologyTables } from './topology.js';
import type { CheckedTrace } from '../trace/open.js';

/** Bump when the store's tables or types change: an older store is rebuilt, not misread. */
export const STORE_FORMAT_VERSION = 1;
export const STORE_FILE = 'store.duckdb';
/** Files a trace directory may hold besides the trace (directory.ts removes them on replace). */
export const STORE_FILES = [STORE_FILE, `${STORE_FILE}.wal`] as const;
const META_TABLE = 'store_meta';

export interface StoreMeta {
  formatVersion: number;
  fingerprint: string;
  sha256: Record<TableName, string>;
}

export interface StoreBuild {
  path: string;
  rows: number;
  bytes: number;
  seconds: number;
  loads: TableLoad[];
}

/** Where a trace's store lives: beside it, or in the user's cache when the trace is read-only. */
export function storePaths(dir: string, manifestSha256: string): { beside: string; cached: string } {
  const cacheRoot = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return { beside: join(dir, STORE_FILE), cached: join(cacheRoot, 'tracevisor', `${manifestSha256}.duckdb`) };
}

/** Creates every table, loads the checked trace's batches, sorts events if they were not,
 *  then the lookup tables and the summaries (summaries.ts). */
export async function populate(
  connection: DuckDBConnection,
  checked: CheckedTrace,
): Promise<TableLoad[]> {
  return populateFrom(connection, checked, checked.trace.manifest.scenario);
}

/**
 * populate's steps over any batch source and the scenario that made it: a sweep's worker
 * (src/sweep/check-session.ts) loads a run's in-memory batches this way, so its check SQL sees
 * exactly the tables a query session sees.
 */
export async function populateFrom(
  connection: DuckDBConnection,
  source: BatchSource,
  scenario: unknown,
): Promise<TableLoad[]> {
  await createTraceTables(connection);
  const loads: TableLoad[] = [];
  for (const table of TABLE_NAMES) loads.push(await loadTable(connection, source, table));
  // The recorder writes events in (ts_ns, seq) order (principle 1); a trace from elsewhere may
  // not be, and time-window queries rely on it (zone maps on ts_ns).
  if (!loads.find((l) => l.table === 'events')!.sorted) await sortEvents(connection);
  await createTopologyTables(connection, scenario);
  await createSummaries(connection);
  return loads;
}

async function sortEvents(connection: DuckDBConnection): Promise<void> {
  await connection.run('CREATE TABLE events_sorted AS SELECT * FROM events ORDER BY ts_ns, seq');
  await connection.run('DROP TABLE events');
  await connection.run('ALTER TABLE events_sorted RENAME TO events');
}

/** Builds the store at `path` (temporary name, then rename). */
export async function buildStore(checked: CheckedTrace, path: string, fingerprint: string): Promise<StoreBuild> {
  const started = performance.now();
  removeStaleTemporaries(path);
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const instance = await DuckDBInstance.create(temporary, buildConfig());
    const connection = await instance.connect();
    let loads: TableLoad[];
    try {
      loads = await populate(connection, checked);
      await writeMeta(connection, checked.trace, fingerprint);
      await connection.run('CHECKPOINT');
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    renameSync(temporary, path);
    const rows = loads.reduce((n, l) => n + l.rows, 0);
    return { path, rows, bytes: statSync(path).size, seconds: (performance.now() - started) / 1000, loads };
  } finally {
    rmSync(temporary, { force: true });
    rmSync(`${temporary}.wal`, { force: true });
  }
}

async function writeMeta(connection: DuckDBConnection, trace: Trace, fingerprint: string): Promise<void> {
  await connection.run(`CREATE TABLE ${META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`);
  const rows: [string, string][] = [
    ['format_version', String(STORE_FORMAT_VERSION)],
    ['fingerprint', fingerprint],
    ...TABLE_NAMES.map((t): [string, string] => [`sha256.${t}`, trace.manifest.tables[t]!.sha256]),
  ];
  for (const [key, value] of rows) await connection.run(`INSERT INTO ${META_TABLE} VALUES ($1, $2)`, [key, value]);
}

/** The store's metadata, or null when the file is not a store of this format. */
export async function readMeta(connection: DuckDBConnection): Promise<StoreMeta | null> {
  let values: Map<string, string>;
  try {
    const reader = await connection.runAndReadAll(`SELECT key, value FROM ${META_TABLE}`);
    values = new Map(reader.getRowsJS().map((r) => [String(r[0]), String(r[1])]));
  } catch {
    return null;
  }
  const formatVersion = Number(values.get('format_version'));
  const fingerprint = values.get('fingerprint');
  if (formatVersion !== STORE_FORMAT_VERSION || fingerprint === undefined) return null;
  const sha256 = {} as Record<TableName, string>;
  for (const t of TABLE_NAMES) sha256[t] = values.get(`sha256.${t}`) ?? '';
  return { formatVersion, fingerprint, sha256 };
}

/** Same tables as the manifest says: the store holds this trace's verified content. */
export function sameTables(meta: StoreMeta, trace: Trace): boolean {
  return TABLE_NAMES.every((t) => meta.sha256[t] === trace.manifest.tables[t]!.sha256);
}

/** After a re-verification with unchanged hashes: record the new fingerprint (best effort). */
export async function refreshFingerprint(path: string, fingerprint: string): Promise<boolean> {
  try {
    const instance = await DuckDBInstance.create(path, buildConfig());
    try {
      const connection = await instance.connect();
      await connection.run(`UPDATE ${META_TABLE} SET value = $1 WHERE key = 'fingerprint'`, [fingerprint]);
      await connection.run('CHECKPOINT');
      connection.closeSync();
    } finally {
      instance.closeSync();
    }
    return true;
  } catch {
    return false; // another session holds it open read-only: the next query re-verifies again
  }
}

/** A killed build leaves `<store>.tmp-<pid>-<hex>`: remove those whose process is gone. */
function removeStaleTemporaries(path: string): void {
  const dir = dirname(path);
  const prefix = `${basename(path)}.tmp-`;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) rmSync(join(dir, name), { force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the cache directory level by level (see directory.ts on recursive mkdir). */
export function ensureParent(path: string): void {
  const parent = dirname(path);
  if (existsSync(parent)) return;
  ensureParent(parent);
  mkdirSync(parent);
}

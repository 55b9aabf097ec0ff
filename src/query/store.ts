// The persistent query store (ARCHITECTURE principle 7, issue #7.2): a trace is written once,
// while its files are verified against the manifest (the verify pass hands each validated
// batch on; the files' SHA-256 runs on a worker thread meanwhile), into a Parquet file for events (store.events.parquet, parquet/writer.ts)
// — frames are neither read nor verified by the build: the first statement that reads them
// verifies their file as it writes theirs (DEFERRED_TABLES, deferred-tables.ts) —
// and a small DuckDB file (store.duckdb: dlt, clock and inputs appended as tables, the ENUM
// types, the lookup tables, the summaries and this metadata); later queries open the DuckDB
// file read-only and see events as a view over its Parquet file (store-tables.ts). Measured on
// a 600 s cockpit trace (18.8 M events): loading the Arrow files into an in-memory DuckDB took
// 10–12 s and 1.5 GB per query; the store answers `GROUP BY kind` in ≈0.2 s with ≈120 MB.
//
// Events in Parquet written by our own writer rather than a DuckDB table: appending rows to a
// DuckDB table is DuckDB's insert path (statistics, compression analysis), which measured
// 1.5–2.4 M rows/s here and ≤ 4.6 M rows/s with no JavaScript at all on 2 cores; the Parquet
// pages are mostly the Arrow column bytes (encode.ts), so the build costs the verification
// read, the writes and the small tables' appends (README Benchmarks: the two side by side).
// The price is disk: ~41 bytes per event uncompressed against DuckDB's ~15. The files are
// sorted by time as the trace is, with min/max statistics of ts_ns per row group, so a time
// window reads only its groups. Sessions may read the file but never write it
// (refused-statements.ts).
//
// Safety of reuse: the store records the trace's fingerprint (src/trace/open.ts), the tables'
// sha256 from the manifest and each Parquet file's identity (size, mtime, inode). An equal
// fingerprint and intact files mean the files are the ones that were verified; any other
// fingerprint re-verifies the files (a damaged trace is refused before the store is looked at)
// and rebuilds when the hashes changed; a changed Parquet file rebuilds. Only verified traces
// are stored: trust and salvage sessions load into memory, so a salvaged table is never reused.
//
// Crashes and concurrency: every file is built under a temporary name and renamed into place,
// the DuckDB file last, so a reader sees no store or a complete one; two builders racing both
// succeed (a metadata file naming the other builder's Parquet files fails the identity check,
// and the store is rebuilt, never misread).

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Trace } from '../trace/reader.js';
import type { RecordBatch } from 'apache-arrow';
import { duckdbCreateTableSql, TABLE_NAMES, type TableName } from '../trace/tables.js';
import { createTraceTables, loadTable, OrderCheck, TableAppender, type BatchSource, type TableLoad } from './load.js';
import { ParquetWriter } from './parquet/writer.js';
import { buildConfig } from './settings.js';
import { parquetColumns, storeViewSql } from './store-tables.js';
import { createSummaries, createSummariesAfterEvents, VQ_LATENCY_SQL } from './summaries.js';
import { createTopologyTables } from './topology.js';
import { VqLatencyWalk, writeVqLatency, type VqLatencyRow } from './vq-latency-walk.js';
import { traceFingerprint, verifyTablesInBackground, type CheckedTrace } from '../trace/open.js';
import { fileSha256InBackground } from '../trace/file-hash-worker.js';
import { recordedOrHashed } from '../trace/file-identity.js';
import { QueryError } from './errors.js';

/** Bump when the store's tables or types change: an older store is rebuilt, not misread. */
export const STORE_FORMAT_VERSION = 5; // 3: the frames table (issue 12 §1); 4: dlt_clock_fit (issue 11 §4); 5: frames on first use
export const STORE_FILE = 'store.duckdb';

/**
 * Tables stored as Parquet files (the rest are DuckDB tables in the store's file): events is
 * ~99 % of a trace's rows; dlt, clock and inputs are small and keep DuckDB's `rowid` (file
 * order), which queries/dlt/*.sql and users order by and a view over Parquet has not. (Filling
 * them from Parquet files with INSERT … SELECT was tried: ~2 s for dlt's 106 k rows on one
 * thread, out of the build's memory limit on two; the appender takes ~0.5 s.)
 */
// --- frames table (issue 12 §1): frames as a Parquet file too. Through the appender its
// bytes made the store's build of the 60 s cockpit 2.5x slower and 3.5x larger in memory
// (1.2 -> 2.9 s, 150 -> 540 MB): 180 k rows but 177 MB of frame bytes.
export const PARQUET_TABLES = ['events', 'frames'] as const satisfies readonly TableName[];
export type ParquetTable = (typeof PARQUET_TABLES)[number];
const DUCKDB_TABLES = TABLE_NAMES.filter((t) => !(PARQUET_TABLES as readonly string[]).includes(t));

/**
 * Parquet tables the build neither reads nor writes: the first statement that reads the table
 * verifies its file against the manifest and writes its Parquet file (deferred-tables.ts).
 * Frames are ~70 % of a trace's bytes (600 s cockpit: 1.85 GB of 2.7 GB) and few queries read
 * them; writing them made every store build 2.2x slower (600 s: 7.0 -> 3.2 M rows/s) for the
 * queries that never look at a frame, and walking and hashing them still cost the build
 * about a third of its time (a CPU profile: the hashing thread's 3.5 s, 2/3 of it frames).
 */
export const DEFERRED_TABLES = ['frames'] as const satisfies readonly ParquetTable[];
export type DeferredTable = (typeof DEFERRED_TABLES)[number];
/** The Parquet tables every build writes. */
type BuiltTable = Exclude<ParquetTable, DeferredTable>;
export const BUILT_TABLES: readonly BuiltTable[] = PARQUET_TABLES.filter((t): t is BuiltTable => !isDeferred(t));

export function isDeferred(table: string): table is DeferredTable {
  return (DEFERRED_TABLES as readonly string[]).includes(table);
}

/** A table's Parquet file beside its store's DuckDB file (`store.events.parquet`). */
export function parquetPath(storePath: string, table: ParquetTable): string {
  return `${storePath.replace(/\.duckdb$/, '')}.${table}.parquet`;
}

/** The record of a deferred table's Parquet file once built (`store.frames.parquet.id`). */
export function deferredIdPath(storePath: string, table: DeferredTable): string {
  return `${parquetPath(storePath, table)}.id`;
}

/** Files a trace directory may hold besides the trace (directory.ts removes them on replace). */
export const STORE_FILES = [
  STORE_FILE,
  `${STORE_FILE}.wal`,
  ...PARQUET_TABLES.map((t) => parquetPath(STORE_FILE, t)),
  ...DEFERRED_TABLES.map((t) => deferredIdPath(STORE_FILE, t)),
];
const META_TABLE = 'store_meta';

export interface StoreMeta {
  formatVersion: number;
  fingerprint: string;
  sha256: Record<TableName, string>;
  /** Identity of each Parquet file the build wrote (fileIdentity); deferred ones have their own
   *  record beside their file (deferred-tables.ts). */
  files: Record<BuiltTable, string>;
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

/** An in-memory session's tables: every table created, the checked trace's batches loaded,
 *  events sorted if they were not, then the lookup tables and the summaries (summaries.ts). */
export async function populate(
  connection: DuckDBConnection,
  checked: CheckedTrace,
  tables: readonly TableName[] = TABLE_NAMES,
): Promise<TableLoad[]> {
  return populateFrom(connection, checked, checked.trace.manifest.scenario, tables);
}

/** A table left out of populate (a deferred one), created and loaded when a statement reads it. */
export async function populateLater(connection: DuckDBConnection, source: BatchSource, table: TableName): Promise<TableLoad> {
  await connection.run(duckdbCreateTableSql(table));
  return loadTable(connection, source, table);
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
  tables: readonly TableName[] = TABLE_NAMES,
): Promise<TableLoad[]> {
  await createTraceTables(connection, tables);
  const loads: TableLoad[] = [];
  for (const table of tables) loads.push(await loadTable(connection, source, table));
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

/**
 * Verifies the trace in `dir` and builds its store at `path` in the same pass (temporary
 * names, then renames); a damaged trace is the TraceError of the verify mode (openVerifiedTrace).
 */
export async function buildStore(dir: string, path: string, fingerprint: string): Promise<StoreBuild> {
  const started = performance.now();
  removeStaleTemporaries(path);
  const suffix = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const temporary = `${path}${suffix}`;
  const parquet = perBuiltTable((t) => `${parquetPath(path, t)}${suffix}`);
  try {
    const instance = await DuckDBInstance.create(temporary, buildConfig());
    const connection = await instance.connect();
    let loads: TableLoad[];
    try {
      await createTraceTables(connection, DUCKDB_TABLES);
      const pass = await verifyAndWrite(instance, connection, dir, parquet);
      // The walk and the hashing read the files separately: a file changed during the build
      // (its size, mtime or inode) could have given the store other bytes than were hashed.
      if (traceFingerprint(dir) !== fingerprint) {
        throw new QueryError('load', `${dir}: the trace's files changed while its query store was built; run the command again`);
      }
      loads = pass.loads;
      if (!loads.find((l) => l.table === 'events')!.sorted) await sortEventsFile(connection, parquet.events);
      for (const t of BUILT_TABLES) await connection.run(storeViewSql(t, parquet[t], true));
      await createTopologyTables(connection, pass.trace.manifest.scenario);
      if (pass.vqLatency !== null) await writeVqLatency(connection, pass.vqLatency);
      if (pass.vqLatency !== null || pass.vqLatencyMade) await createSummariesAfterEvents(connection);
      else await createSummaries(connection);
      await writeMeta(connection, pass.trace, fingerprint, perBuiltTable((t) => fileIdentity(parquet[t])));
      await connection.run('CHECKPOINT');
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    // the size of what this build wrote, taken before the rename: a second session building the
    // same store at once may replace the placed files right after (test/query/store-cli.test.ts)
    const bytes = [temporary, ...Object.values(parquet)].reduce((n, f) => n + statSync(f).size, 0);
    installFiles(path, temporary, parquet);
    const rows = loads.filter((l) => !isDeferred(l.table)).reduce((n, l) => n + l.rows, 0);
    return { path, rows, bytes, seconds: (performance.now() - started) / 1000, loads };
  } finally {
    for (const file of [temporary, `${temporary}.wal`, ...Object.values(parquet)]) rmSync(file, { force: true });
  }
}

/** Renames the Parquet files, then the DuckDB file (the commit point) into place; when that
 *  fails, takes back the Parquet files still ours, so a failed place keeps no orphan. */
function installFiles(path: string, temporary: string, parquet: Record<BuiltTable, string>): void {
  const identities = perBuiltTable((t) => fileIdentity(parquet[t]));
  try {
    for (const t of BUILT_TABLES) replaceFile(parquet[t], parquetPath(path, t));
    // a deferred table's file of an earlier build: another trace's content, or the same one
    // with a record naming a store that no longer exists; the next first use writes it anew
    for (const t of DEFERRED_TABLES) for (const f of [deferredIdPath(path, t), parquetPath(path, t)]) rmSync(f, { force: true });
    replaceFile(temporary, path);
  } catch (error) {
    for (const t of BUILT_TABLES) {
      const placed = parquetPath(path, t);
      if (existsSync(placed) && fileIdentity(placed) === identities[t]) rmSync(placed, { force: true });
    }
    throw error;
  }
}

/**
 * rename(2) onto an existing file, with the old one unlinked first: on ext4 (auto_da_alloc) a
 * rename that replaces a file forces the new file's delayed blocks to disk, which cost a rebuild
 * of a 600 s trace's store ~0.6 s of its ~3.5 s (a CPU profile: `rename`). A reader of the old
 * store sees it gone or replaced either way (store_meta's file identities), never half of one.
 */
function replaceFile(from: string, to: string): void {
  rmSync(to, { force: true });
  renameSync(from, to);
}

function perTable<T>(value: (table: TableName) => T): Record<TableName, T> {
  return Object.fromEntries(TABLE_NAMES.map((t) => [t, value(t)])) as Record<TableName, T>;
}

function perBuiltTable<T>(value: (table: BuiltTable) => T): Record<BuiltTable, T> {
  return Object.fromEntries(BUILT_TABLES.map((t) => [t, value(t)])) as Record<BuiltTable, T>;
}

/** Where the verify pass sends a table's batches. */
interface Sink {
  append(batch: RecordBatch): void;
  /** Completes the table (`ok`) or only releases what it holds. */
  close(ok: boolean): void;
}

/** The tables a store's build reads and verifies: all but the deferred ones, which their
 *  first use verifies as it writes them (deferred-tables.ts). */
export const VERIFIED_AT_BUILD: readonly TableName[] = TABLE_NAMES.filter((t) => !isDeferred(t));

/**
 * The verify pass (verifyTablesInBackground) over the tables the build writes, sending every
 * validated batch to its table's Parquet file or DuckDB appender as it is read: the trace is
 * read once (the verification result is known only at the end, so a damaged trace leaves
 * temporary files that the caller removes). The deferred tables' files are not read at all:
 * no answer depends on them before a statement reads one, which verifies it first.
 */
async function verifyAndWrite(
  instance: DuckDBInstance,
  connection: DuckDBConnection,
  dir: string,
  parquet: Record<BuiltTable, string>,
): Promise<{ trace: Trace; loads: TableLoad[]; vqLatency: VqLatencyRow[] | null; vqLatencyMade: boolean }> {
  const sinks: Partial<Record<TableName, Sink>> = {};
  const order = new OrderCheck();
  const vq = new VqLatencyWalk();
  const loads = perTable((table): TableLoad => ({ table, rows: 0, batches: 0, sorted: true }));
  const side = await instance.connect();
  let early: Promise<unknown> | null = null;
  let ok = false;
  try {
    // events' ts_ns statistics from the order check: its first and last rows while sorted
    for (const t of BUILT_TABLES) sinks[t] = parquetSink(parquet[t], t, t === 'events' ? order : null);
    for (const t of DUCKDB_TABLES) sinks[t] = await duckdbSink(connection, t);
    const walked = (table: TableName): void => {
      if (table !== 'events' || !order.sorted) return; // unsorted: summaries after the sort
      sinks.events!.close(true);
      sinks.events = CLOSED;
      // the walk's own vq_latency, unless it gave up (its cap): then DuckDB's, from the file
      if (vq.fallback !== null) early = vqLatencyBeside(side, parquet.events);
    };
    // the files are hashed on a worker thread meanwhile (open.ts: verifyTablesInBackground),
    // unless identity.json vouches for them (the recorder's files: file-identity.ts)
    const hashFiles = recordedOrHashed(Trace.open(dir).manifest, fileSha256InBackground);
    const trace = await verifyTablesInBackground(dir, VERIFIED_AT_BUILD, (table, batch) => {
      if (table === 'events') {
        order.check(batch);
        vq.add(batch);
      }
      sinks[table]!.append(batch);
      loads[table].rows += batch.numRows;
      loads[table].batches += 1;
    }, hashFiles, walked);
    ok = true;
    loads.events.sorted = order.sorted;
    if (early !== null) await early;
    const vqLatency = vq.rows(); // null after a fallback (its table made beside, or after the sort)
    return { trace, loads: VERIFIED_AT_BUILD.map((t) => loads[t]), vqLatency, vqLatencyMade: early !== null };
  } finally {
    await (early as Promise<unknown> | null)?.catch(() => {}); // never close the instance under it
    side.closeSync();
    closeAll(Object.values(sinks), ok);
  }
}

const CLOSED: Sink = { append: () => {}, close: () => {} };

/**
 * vq_latency (summaries.ts) from the events file just written, on a second connection: one
 * statement text, so DuckDB runs all of it on its own threads while this thread walks the small
 * tables (the walk is synchronous: a second statement would wait for it). Measured on the 600 s
 * cockpit: 0.3–0.7 s that the build no longer waits for after its pass. Its answer is used only
 * if the pass verifies the trace.
 */
function vqLatencyBeside(side: DuckDBConnection, eventsPath: string): Promise<unknown> {
  return side.run(`${storeViewSql('events', eventsPath, true)};\n${VQ_LATENCY_SQL}`);
}

/** Closes every sink, even when one fails (a full disk at a footer); rethrows the first error
 *  only after a complete pass (after a failed one, the pass's own error is the one to report). */
function closeAll(sinks: Sink[], ok: boolean): void {
  let first: unknown = null;
  for (const sink of sinks) {
    try {
      sink.close(ok);
    } catch (error) {
      first ??= error;
    }
  }
  if (first !== null && ok) throw first;
}

function parquetSink(path: string, table: TableName, order: OrderCheck | null): Sink {
  const writer = new ParquetWriter(path, parquetColumns(table));
  return {
    append: (batch) => writer.writeBatch(batch, order?.sorted ?? false),
    close: (ok) => (ok ? writer.finish() : writer.close()),
  };
}

async function duckdbSink(connection: DuckDBConnection, table: TableName): Promise<Sink> {
  const appender = await TableAppender.open(connection, table);
  return { append: (batch) => appender.append(batch), close: (ok) => appender.close(ok) };
}

/** Events not in (ts_ns, seq) order (a trace from elsewhere): DuckDB rewrites the file sorted. */
async function sortEventsFile(connection: DuckDBConnection, path: string): Promise<void> {
  const sorted = `${path}.sorted`;
  const quoted = (p: string): string => `'${p.replaceAll("'", "''")}'`;
  try {
    await connection.run(
      `COPY (SELECT * FROM read_parquet(${quoted(path)}) ORDER BY ts_ns, seq) TO ${quoted(sorted)} ` +
        '(FORMAT parquet, COMPRESSION uncompressed)',
    );
    renameSync(sorted, path);
  } finally {
    rmSync(sorted, { force: true });
  }
}

/** Size, mtime and inode of a file: any rewrite or replacement changes it. */
export function fileIdentity(path: string): string {
  const stat = statSync(path, { bigint: true });
  return `${stat.size} ${stat.mtimeNs} ${stat.ino}`;
}

/** The Parquet files are the ones the store was built with (not rewritten, replaced, gone). */
export function filesIntact(path: string, meta: StoreMeta): boolean {
  try {
    return BUILT_TABLES.every((t) => fileIdentity(parquetPath(path, t)) === meta.files[t]);
  } catch {
    return false;
  }
}

/** Bytes of a store: its DuckDB file and its Parquet files (the deferred ones once written). */
export function storeBytes(path: string): number {
  const files = [path, ...PARQUET_TABLES.map((t) => parquetPath(path, t))].filter((f) => f === path || existsSync(f));
  return files.reduce((n, f) => n + statSync(f).size, 0);
}

async function writeMeta(
  connection: DuckDBConnection,
  trace: Trace,
  fingerprint: string,
  files: Record<BuiltTable, string>,
): Promise<void> {
  await connection.run(`CREATE TABLE ${META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`);
  const rows: [string, string][] = [
    ['format_version', String(STORE_FORMAT_VERSION)],
    ['fingerprint', fingerprint],
    ...TABLE_NAMES.map((t): [string, string] => [`sha256.${t}`, trace.manifest.tables[t]!.sha256]),
    ...BUILT_TABLES.map((t): [string, string] => [`file.${t}`, files[t]]),
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
  const sha256 = perTable((t) => values.get(`sha256.${t}`) ?? '');
  const files = perBuiltTable((t) => values.get(`file.${t}`) ?? '');
  return { formatVersion, fingerprint, sha256, files };
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
export function removeStaleTemporaries(path: string): void {
  const dir = dirname(path);
  const files = [path, ...PARQUET_TABLES.map((t) => parquetPath(path, t)), ...DEFERRED_TABLES.map((t) => deferredIdPath(path, t))];
  const prefixes = files.map((p) => `${basename(p)}.tmp-`);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    if (prefix === undefined) continue;
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

// Which database a query session runs on: the trace's store when its fingerprint matches and
// its files are intact, else (verify mode) a re-verification and a new store, else (trust,
// salvage) an in-memory load that is never kept. store.ts says why each step is safe.

import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { firstLine } from '../trace/errors.js';
import { MANIFEST_FILE } from '../trace/manifest-file.js';
import type { Trace } from '../trace/reader.js';
import { QueryError } from './errors.js';
import type { TableLoad } from './load.js';
import { lockStoreSession, sessionConfig, storeSessionConfig } from './settings.js';
import {
  BUILT_TABLES,
  buildStore,
  DEFERRED_TABLES,
  ensureParent,
  filesIntact,
  isDeferred,
  PARQUET_TABLES,
  parquetPath,
  populate,
  populateLater,
  readMeta,
  refreshFingerprint,
  sameTables,
  storePaths,
  type DeferredTable,
  type StoreBuild,
  type StoreMeta,
  VERIFIED_AT_BUILD,
} from './store.js';
import { buildDeferred, deferredReady, mayRead } from './deferred-tables.js';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';
import { storeViewSql } from './store-tables.js';
import { TraceError } from '../trace/errors.js';
import { fileSha256InBackground } from '../trace/file-hash-worker.js';
import { openCheckedTrace, traceFingerprint, verifyTablesInBackground, type CheckedTrace, type ReadMode } from '../trace/open.js';
import { recordedOrHashed } from '../trace/file-identity.js';

export interface SessionDatabase {
  instance: DuckDBInstance;
  /** The store file answering, or null for an in-memory session. */
  storePath: string | null;
  /** The store was built (or rebuilt) by this session. */
  built: boolean;
  loads: TableLoad[];
  warnings: string[];
  /** Sets up a connection of the session: a store's views over its Parquet files (TEMP views
   *  belong to one connection; made per session so that they name today's paths). */
  prepare(connection: DuckDBConnection): Promise<void>;
  /** Makes the deferred tables the SQL text may read (deferred-tables.ts), before it runs;
   *  true when it made one. */
  prepareFor(connection: DuckDBConnection, sql: string): Promise<boolean>;
}

interface Found {
  path: string;
  /** null: not a store of this format, or its Parquet files changed (`filesChanged`). */
  meta: StoreMeta | null;
  filesChanged: boolean;
}

export async function openSessionDatabase(
  dir: string,
  trace: Trace,
  mode: ReadMode,
  allowFiles: boolean,
): Promise<SessionDatabase> {
  const fingerprint = traceFingerprint(dir);
  const paths = storePaths(dir, manifestSha256(dir));
  const found: Found[] = [];
  for (const path of [paths.beside, paths.cached]) {
    if (!existsSync(path)) continue;
    const opened = await tryOpenStore(path, allowFiles);
    if (opened === null) continue;
    const meta = await metaOf(opened);
    const intact = meta !== null && filesIntact(path, meta);
    if (intact && meta.fingerprint === fingerprint) return reused(opened, path, dir, meta.sha256);
    opened.closeSync();
    found.push({ path, meta: intact ? meta : null, filesChanged: meta !== null && !intact });
  }
  if (mode !== 'verify') return inMemory(openCheckedTrace(dir, mode), allowFiles);
  const same = found.find((f) => f.meta !== null && sameTables(f.meta, trace));
  if (same !== undefined) {
    // Verification first: a changed or damaged trace is refused before any store answers
    // (the deferred tables when a statement first reads them: their record names the file
    // they were verified from, deferred-tables.ts).
    await verifyTablesInBackground(dir, VERIFIED_AT_BUILD, () => {}, recordedOrHashed(trace.manifest, fileSha256InBackground));
    await refreshFingerprint(same.path, fingerprint);
    return reused(await openStore(same.path, allowFiles), same.path, dir, same.meta!.sha256);
  }
  const warnings = found.map((f) =>
    f.filesChanged
      ? `${f.path}: the query store's Parquet file changed or is missing; building a new one`
      : f.meta === null
        ? `${f.path}: not a query store of this tracevisor version; building a new one`
        : `${dir}: the trace changed since its query store was built; rebuilt it`,
  );
  // The build verifies the trace as it writes (store.ts): a damaged trace is refused here.
  const build = await buildStoreFor(dir, fingerprint, warnings);
  if (build !== null) {
    const instance = await openStore(build.path, allowFiles);
    const sha256 = perTableSha256(trace);
    return { ...reused(instance, build.path, dir, sha256), built: true, loads: build.loads, warnings };
  }
  const memory = await inMemory(openCheckedTrace(dir, 'verify'), allowFiles);
  return { ...memory, warnings: [...warnings, 'answering from memory (slower: the trace is loaded per query)'] };
}

/**
 * Verifies a trace and builds its store beside it when its directory is writable, else in the
 * user's cache; null (with a warning per place tried) when neither can be written. A damaged
 * trace is a TraceError, not a warning.
 */
export async function buildStoreFor(dir: string, fingerprint: string, warnings: string[]): Promise<StoreBuild | null> {
  const paths = storePaths(dir, manifestSha256(dir));
  for (const target of buildTargets(dir, paths)) {
    try {
      ensureParent(target);
      return await buildStore(dir, target, fingerprint);
    } catch (error) {
      if (error instanceof TraceError || error instanceof QueryError) throw error;
      warnings.push(`cannot write the query store ${target} (${firstLine(error)})`);
    }
  }
  return null;
}

function buildTargets(dir: string, paths: { beside: string; cached: string }): string[] {
  try {
    accessSync(dir, constants.W_OK);
    return [paths.beside, paths.cached];
  } catch {
    return [paths.cached];
  }
}

/** A store's session: views over its Parquet files; a deferred table's view once a statement
 *  may read it, its file written first when no intact one is there (deferred-tables.ts). */
function reused(
  instance: DuckDBInstance,
  path: string,
  dir: string,
  sha256: Record<TableName, string>,
): SessionDatabase {
  const viewed = new Set<DeferredTable>();
  const prepare = async (connection: DuckDBConnection): Promise<void> => {
    for (const t of BUILT_TABLES) await connection.run(storeViewSql(t, parquetPath(path, t), true));
  };
  const prepareFor = async (connection: DuckDBConnection, sql: string): Promise<boolean> => {
    let made = false;
    for (const t of DEFERRED_TABLES) {
      if (viewed.has(t) || !mayRead(sql, t)) continue;
      if (!deferredReady(dir, path, t, sha256[t])) await buildDeferred(dir, path, t, sha256[t]);
      await connection.run(storeViewSql(t, parquetPath(path, t), true));
      viewed.add(t);
      made = true;
    }
    return made;
  };
  return { instance, storePath: path, built: false, loads: [], warnings: [], prepare, prepareFor };
}

function perTableSha256(trace: Trace): Record<TableName, string> {
  return Object.fromEntries(TABLE_NAMES.map((t) => [t, trace.manifest.tables[t]!.sha256])) as Record<TableName, string>;
}

async function inMemory(checked: CheckedTrace, allowFiles: boolean): Promise<SessionDatabase> {
  const instance = await DuckDBInstance.create(':memory:', sessionConfig({ allowFiles, readOnly: false }));
  try {
    const loads = await populate(await instance.connect(), checked, TABLE_NAMES.filter((t) => !isDeferred(t)));
    const prepare = async (): Promise<void> => {};
    const loaded = new Set<DeferredTable>();
    const prepareFor = async (connection: DuckDBConnection, sql: string): Promise<boolean> => {
      let made = false;
      for (const t of DEFERRED_TABLES) {
        if (loaded.has(t) || !mayRead(sql, t)) continue;
        loads.push(await populateLater(connection, checked, t));
        loaded.add(t);
        made = true;
      }
      return made;
    };
    return { instance, storePath: null, built: false, loads, warnings: checked.warnings, prepare, prepareFor };
  } catch (error) {
    instance.closeSync();
    throw error;
  }
}

/** A store that cannot be opened (damaged, another format) is treated as absent. */
async function tryOpenStore(path: string, allowFiles: boolean): Promise<DuckDBInstance | null> {
  try {
    return await openStore(path, allowFiles);
  } catch {
    return null;
  }
}

// A session refreshing the fingerprint holds the file for writing for a few ms, during which
// read-only opens fail on the file lock; a session placing a store it built replaces the file
// (unlink, then rename: store.ts replaceFile), between which it does not exist: wait both out.
const LOCK_RETRIES = 40;
const LOCK_RETRY_MS = 50;

async function openStore(path: string, allowFiles: boolean): Promise<DuckDBInstance> {
  for (let attempt = 0; ; attempt++) {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, storeSessionConfig());
    } catch (error) {
      if (attempt >= LOCK_RETRIES || !/lock|does not exist/i.test(firstLine(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
      continue;
    }
    try {
      await lockStoreSession(instance, { allowFiles, readPaths: PARQUET_TABLES.map((t) => parquetPath(path, t)) }); // deferred ones too: written later
      return instance;
    } catch (error) {
      instance.closeSync();
      throw error;
    }
  }
}

async function metaOf(instance: DuckDBInstance): Promise<StoreMeta | null> {
  const connection = await instance.connect();
  try {
    return await readMeta(connection);
  } finally {
    connection.closeSync();
  }
}

function manifestSha256(dir: string): string {
  return createHash('sha256').update(readFileSync(join(dir, MANIFEST_FILE))).digest('hex');
}

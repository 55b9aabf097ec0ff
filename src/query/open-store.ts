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
  buildStore,
  ensureParent,
  filesIntact,
  PARQUET_TABLES,
  parquetPath,
  populate,
  readMeta,
  refreshFingerprint,
  sameTables,
  storePaths,
  type StoreBuild,
  type StoreMeta,
} from './store.js';
import { storeViewSql } from './store-tables.js';
import { TraceError } from '../trace/errors.js';
import { openCheckedTrace, traceFingerprint, type CheckedTrace, type ReadMode } from '../trace/open.js';

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
    if (intact && meta.fingerprint === fingerprint) return reused(opened, path);
    opened.closeSync();
    found.push({ path, meta: intact ? meta : null, filesChanged: meta !== null && !intact });
  }
  if (mode !== 'verify') return inMemory(openCheckedTrace(dir, mode), allowFiles);
  const same = found.find((f) => f.meta !== null && sameTables(f.meta, trace));
  if (same !== undefined) {
    // Verification first: a changed or damaged trace is refused before any store answers.
    openCheckedTrace(dir, 'verify');
    await refreshFingerprint(same.path, fingerprint);
    return reused(await openStore(same.path, allowFiles), same.path);
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
    return { ...reused(instance, build.path), built: true, loads: build.loads, warnings };
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

function reused(instance: DuckDBInstance, path: string): SessionDatabase {
  const prepare = async (connection: DuckDBConnection): Promise<void> => {
    for (const t of PARQUET_TABLES) await connection.run(storeViewSql(t, parquetPath(path, t), true));
  };
  return { instance, storePath: path, built: false, loads: [], warnings: [], prepare };
}

async function inMemory(checked: CheckedTrace, allowFiles: boolean): Promise<SessionDatabase> {
  const instance = await DuckDBInstance.create(':memory:', sessionConfig({ allowFiles, readOnly: false }));
  try {
    const loads = await populate(await instance.connect(), checked);
    const prepare = async (): Promise<void> => {};
    return { instance, storePath: null, built: false, loads, warnings: checked.warnings, prepare };
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
// read-only opens fail on the file lock: wait that out.
const LOCK_RETRIES = 40;
const LOCK_RETRY_MS = 50;

async function openStore(path: string, allowFiles: boolean): Promise<DuckDBInstance> {
  for (let attempt = 0; ; attempt++) {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, storeSessionConfig());
    } catch (error) {
      if (attempt >= LOCK_RETRIES || !/lock/i.test(firstLine(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
      continue;
    }
    try {
      await lockStoreSession(instance, { allowFiles, readPaths: PARQUET_TABLES.map((t) => parquetPath(path, t)) });
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

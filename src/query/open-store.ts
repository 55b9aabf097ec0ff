// Which database a query session runs on: the trace's store when its fingerprint matches,
// else (verify mode) a re-verification and a new store, else (trust, salvage) an in-memory load
// that is never kept. store.ts says why each step is safe.

import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { firstLine } from '../trace/errors.js';
import { MANIFEST_FILE } from '../trace/manifest-file.js';
import type { Trace } from '../trace/reader.js';
import type { TableLoad } from './load.js';
import { sessionConfig } from './settings.js';
import {
  buildStore,
  ensureParent,
  populate,
  readMeta,
  refreshFingerprint,
  sameTables,
  storePaths,
  type StoreBuild,
  type StoreMeta,
} from './store.js';
import { openCheckedTrace, traceFingerprint, type CheckedTrace, type ReadMode } from '../trace/open.js';

export interface SessionDatabase {
  instance: DuckDBInstance;
  /** The store file answering, or null for an in-memory session. */
  storePath: string | null;
  /** The store was built (or rebuilt) by this session. */
  built: boolean;
  loads: TableLoad[];
  warnings: string[];
}

interface Found {
  path: string;
  meta: StoreMeta | null;
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
    if (meta?.fingerprint === fingerprint) return reused(opened, path);
    opened.closeSync();
    found.push({ path, meta });
  }
  if (mode !== 'verify') return inMemory(openCheckedTrace(dir, mode), allowFiles);
  // Verification first: a changed or damaged trace is refused before any store answers.
  const checked = openCheckedTrace(dir, 'verify');
  const same = found.find((f) => f.meta !== null && sameTables(f.meta, trace));
  if (same !== undefined) {
    await refreshFingerprint(same.path, fingerprint);
    return reused(await openStore(same.path, allowFiles), same.path);
  }
  const warnings = found.map((f) =>
    f.meta === null
      ? `${f.path}: not a query store of this tracevisor version; building a new one`
      : `${dir}: the trace changed since its query store was built; rebuilt it`,
  );
  const build = await buildStoreFor(checked, fingerprint, warnings);
  if (build !== null) {
    const instance = await openStore(build.path, allowFiles);
    return { instance, storePath: build.path, built: true, loads: build.loads, warnings };
  }
  const memory = await inMemory(checked, allowFiles);
  return { ...memory, warnings: [...warnings, 'answering from memory (slower: the trace is loaded per query)'] };
}

/**
 * Builds the store of a verified trace beside it when its directory is writable, else in the
 * user's cache; null (with a warning per place tried) when neither can be written.
 */
export async function buildStoreFor(
  checked: CheckedTrace,
  fingerprint: string,
  warnings: string[],
): Promise<StoreBuild | null> {
  const dir = checked.trace.dir;
  const paths = storePaths(dir, manifestSha256(dir));
  for (const target of buildTargets(dir, paths)) {
    try {
      ensureParent(target);
      return await buildStore(checked, target, fingerprint);
    } catch (error) {
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
  return { instance, storePath: path, built: false, loads: [], warnings: [] };
}

async function inMemory(checked: CheckedTrace, allowFiles: boolean): Promise<SessionDatabase> {
  const instance = await DuckDBInstance.create(':memory:', sessionConfig({ allowFiles, readOnly: false }));
  try {
    const loads = await populate(await instance.connect(), checked);
    return { instance, storePath: null, built: false, loads, warnings: checked.warnings };
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
    try {
      return await DuckDBInstance.create(path, sessionConfig({ allowFiles, readOnly: true }));
    } catch (error) {
      if (attempt >= LOCK_RETRIES || !/lock/i.test(firstLine(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
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

// DuckDB settings of a query session (issue #7.4): a query reads the trace and nothing else.
// With external access off DuckDB refuses read_csv('/etc/passwd'), COPY … TO, EXPORT DATABASE,
// ATTACH, INSTALL and LOAD ("file system operations are disabled by configuration"); the
// extension switches stop it from fetching or loading code behind a query's back; and
// lock_configuration makes every later SET/RESET of a setting an error, so SQL cannot turn
// any of this back on. The limits keep a query's RSS bounded whatever the trace's size
// (issue #7.2: ≤ 500 MB; measured ≈ 120 MB for the bench's queries on a 600 s trace).

import { cpus } from 'node:os';
import type { DuckDBInstance } from '@duckdb/node-api';

/** DuckDB's buffer pool; the rest of the process (node, the result) stays well under 200 MB. */
export const QUERY_MEMORY_LIMIT = '256MB';
/**
 * Store builds append single-threaded; the limit bounds DuckDB's own buffers, which a build
 * fills to the limit with written blocks it never reads again. Measured building a 30 M-event
 * trace, 4 alternating runs each: 512MB peaked at 469–515 MB RSS, 128MB at 390–425 MB, with
 * the same CPU time (17.4–24.0 s vs 16.9–22.2 s).
 */
export const BUILD_MEMORY_LIMIT = '128MB';
const THREADS_MAX = 4;

export function queryThreads(): string {
  return String(Math.max(1, Math.min(THREADS_MAX, cpus().length)));
}

/**
 * Configuration for a session's DuckDB instance, given at creation so that the lock holds from
 * the first statement (an in-memory session's loading needs no SET: CREATE and the appender).
 */
export function sessionConfig(options: { allowFiles: boolean; readOnly: boolean }): Record<string, string> {
  const config: Record<string, string> = {
    threads: queryThreads(),
    memory_limit: QUERY_MEMORY_LIMIT,
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    allow_unsigned_extensions: 'false',
    // CREATE PERSISTENT SECRET would write ~/.duckdb/stored_secrets.
    allow_persistent_secrets: 'false',
    lock_configuration: 'true',
  };
  if (options.readOnly) config.access_mode = 'READ_ONLY';
  if (!options.allowFiles) config.enable_external_access = 'false';
  return config;
}

/**
 * A store session's configuration at creation: sessionConfig's without the two settings that
 * lockStoreSession sets afterwards. DuckDB 1.5 refuses `allowed_paths` in a creation config
 * ("Failed to set config", whatever the value's spelling), and it must be set before external
 * access goes off.
 */
export function storeSessionConfig(): Record<string, string> {
  const config = sessionConfig({ allowFiles: true, readOnly: true });
  delete config.lock_configuration;
  delete config.enable_external_access;
  return config;
}

/**
 * Before any user SQL: exactly the store's Parquet files readable (DuckDB's allowed_paths: with
 * external access off, read_csv('/etc/passwd'), globs and every other path stay refused), then
 * external access off and the configuration locked, so SQL can change none of it.
 */
export async function lockStoreSession(
  instance: DuckDBInstance,
  options: { allowFiles: boolean; readPaths: readonly string[] },
): Promise<void> {
  const connection = await instance.connect();
  try {
    const paths = options.readPaths.map((p) => `'${p.replaceAll("'", "''")}'`).join(', ');
    await connection.run(`SET allowed_paths = [${paths}]`);
    if (!options.allowFiles) await connection.run('SET enable_external_access = false');
    await connection.run('SET lock_configuration = true');
  } finally {
    connection.closeSync();
  }
}

/** The store is built by tracevisor itself, never by user SQL: no lock needed, no user access. */
export function buildConfig(): Record<string, string> {
  return {
    threads: queryThreads(),
    memory_limit: BUILD_MEMORY_LIMIT,
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  };
}

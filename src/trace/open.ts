// The checked door to a trace (STYLE, vm-virtio: untrusted state becomes a checked object
// through one door). Every reader that hands a trace's rows to DuckDB or to a user opens it
// here, in one of three modes:
//   verify  — the manifest is complete and each file's row count, batch count and sha256 equal
//             the manifest's (the hash covers the size), and every batch validates; else a
//             TraceError naming the table and what differs.
//   trust   — no hash check, but every batch still validates (a bad batch is a TraceError).
//   salvage — per table, the longest prefix of batches that validates; the rest is reported.
// The check reads each file once, front to back, hashing, framing and validating in the same
// pass, holding one batch at a time (ARCHITECTURE principle 7: "only after the files are
// checked against the manifest").

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { TraceError } from './errors.js';
import { MANIFEST_FILE } from './manifest-file.js';
import { newWalk, Trace, walkTable, type TableWalk } from './reader.js';
import { TABLE_NAMES, type TableName } from './tables.js';

export type ReadMode = 'verify' | 'trust' | 'salvage';
export const READ_MODES: readonly ReadMode[] = ['verify', 'trust', 'salvage'];

export interface TableReport {
  table: TableName;
  /** What the manifest says. */
  rowsManifest: number;
  /** Rows in batches that passed every check and will be yielded. */
  rowsUsable: number;
  /** Rows framed in the file but not usable (damaged batch or after it). */
  rowsDropped: number;
  batchesUsable: number;
  /** One line each, naming the table and what differs. */
  problems: string[];
}

export interface CheckedTrace {
  /** The existing reader object (manifest, dir, paths). */
  readonly trace: Trace;
  readonly mode: ReadMode;
  readonly tables: Record<TableName, TableReport>;
  /** Lines for stderr in trust/salvage mode, e.g. "dlt: salvaged 8192 of 12000 rows (…)". */
  readonly warnings: string[];
  /** Validated record batches of a table, in file order; in salvage mode only the intact prefix. */
  batches(table: TableName): Generator<RecordBatch>;
}

/** The whole check of a trace, whatever the mode makes of it (info --verify prints it). */
export interface TraceCheck {
  trace: Trace;
  complete: boolean;
  tables: Record<TableName, TableReport>;
  walks: Record<TableName, TableWalk>;
  /** Every problem, one line each; the trace passes verify mode when there is none. */
  problems: string[];
  /** The files were hashed (not in trust mode). */
  hashed: boolean;
}

const INCOMPLETE = 'the recording did not finish (manifest incomplete)';
const VERIFY_ADVICE = 'use --salvage to query the intact part, or --trust to skip the hash check';

/**
 * Sees each batch that passed validation, as the check reads it (before the file's hash is
 * known): the query store writes its files in the same pass instead of reading the trace
 * twice. The batch's buffers are reused after the call returns.
 */
export type BatchVisitor = (table: TableName, batch: RecordBatch) => void;

/** Checks every table file of a trace (hashing them when asked); throws only for no trace. */
export function checkTrace(dir: string, hashing: boolean, visit?: BatchVisitor): TraceCheck {
  const trace = Trace.open(dir);
  return reportCheck(trace, walkTables(trace, hashing, visit), hashing);
}

function walkTables(
  trace: Trace,
  hashing: boolean,
  visit?: BatchVisitor,
  tables: readonly TableName[] = TABLE_NAMES,
  walked?: (table: TableName) => void,
): Record<TableName, TableWalk> {
  const walks = {} as Record<TableName, TableWalk>;
  for (const table of tables) {
    const walk = newWalk(table, trace.tablePath(table));
    // validated, visited and dropped: one batch in memory
    for (const batch of walkTable(walk, { hashing, reuseBodies: true })) visit?.(table, batch);
    walks[table] = walk;
    walked?.(table);
  }
  return walks;
}

function reportCheck(
  trace: Trace,
  walks: Record<TableName, TableWalk>,
  hashed: boolean,
  checked: readonly TableName[] = TABLE_NAMES,
): TraceCheck {
  const complete = trace.manifest.complete;
  const tables = {} as Record<TableName, TableReport>;
  const problems = complete ? [] : [INCOMPLETE];
  for (const table of checked) {
    tables[table] = tableReport(trace, walks[table], hashed);
    problems.push(...tables[table].problems);
  }
  return { trace, complete, tables, walks, problems, hashed };
}

/** sha256 (hex) of each file, in order, computed elsewhere (e.g. on a worker thread). */
export type FileHasher = (paths: readonly string[]) => Promise<string[]>;

/**
 * openCheckedTrace's verify mode with the hashing handed to `hashFiles`, which reads the files
 * a second time while this thread walks and validates them (the query store's build: the
 * SHA-256 of a 600 s trace's 870 MB was 0.73 s of its ~4 s on one thread). The same checks
 * decide; a file that cannot be hashed counts as a hash that differs. A file changed between
 * the two reads is not caught here: the caller compares the trace's fingerprint before and
 * after (store.ts).
 */
export async function openVerifiedTrace(dir: string, visit: BatchVisitor, hashFiles: FileHasher): Promise<CheckedTrace> {
  return checkedFrom(dir, await checkInBackground(dir, TABLE_NAMES, visit, hashFiles), 'verify');
}

/**
 * openVerifiedTrace for some of the tables only: the manifest is complete and each listed
 * table's file matches it; the other files are not read (the query store's build leaves the
 * tables it writes on first use to that first use, deferred-tables.ts, which verifies them
 * then). Any problem is a TraceError of verify mode; returns the trace. `walked` is told when
 * the walk has passed every batch of a table to `visit` (its hash may still be running: what
 * was seen is trustworthy only once this returns).
 */
export async function verifyTablesInBackground(
  dir: string,
  tables: readonly TableName[],
  visit: BatchVisitor,
  hashFiles: FileHasher,
  walked?: (table: TableName) => void,
): Promise<Trace> {
  const check = await checkInBackground(dir, tables, visit, hashFiles, walked);
  if (check.problems.length > 0) throw damaged(dir, check.problems, VERIFY_ADVICE);
  return check.trace;
}

async function checkInBackground(
  dir: string,
  tables: readonly TableName[],
  visit: BatchVisitor,
  hashFiles: FileHasher,
  walked?: (table: TableName) => void,
): Promise<TraceCheck> {
  const trace = Trace.open(dir);
  const hashing = hashFiles(tables.map((t) => trace.tablePath(t)));
  hashing.catch(() => {}); // awaited below; not an unhandled rejection while the walk runs
  let walks: Record<TableName, TableWalk>;
  try {
    walks = walkTables(trace, false, visit, tables, walked);
  } finally {
    await hashing.catch(() => null); // never leave the hashing thread running past the call
  }
  const hashes = await hashing.catch(() => null);
  tables.forEach((t, i) => (walks[t].sha256 = hashes?.[i] ?? null));
  return reportCheck(trace, walks, true, tables);
}

function tableReport(trace: Trace, walk: TableWalk, hashed: boolean): TableReport {
  const entry = trace.manifest.tables[walk.table]!;
  return {
    table: walk.table,
    rowsManifest: entry.rows,
    rowsUsable: walk.rowsUsable,
    rowsDropped: walk.rowsDropped,
    batchesUsable: walk.batchesUsable,
    problems: tableProblems(trace, walk, hashed).map((p) => `${walk.table}: ${p}`),
  };
}

function tableProblems(trace: Trace, walk: TableWalk, hashed: boolean): string[] {
  const problems: string[] = [];
  if (walk.damage !== null) problems.push(walk.damage.reason);
  else if (!walk.eos) problems.push('no end-of-stream marker (the writer did not finish)');
  // An incomplete manifest holds the counts of the recording's start: nothing to compare.
  if (!trace.manifest.complete) return problems;
  const entry = trace.manifest.tables[walk.table]!;
  if (walk.rowsUsable !== entry.rows) {
    problems.push(`${walk.rowsUsable} rows usable in the file, manifest says ${entry.rows}`);
  } else if (walk.batchesUsable !== entry.batches) {
    problems.push(`${walk.batchesUsable} batches in the file, manifest says ${entry.batches}`);
  }
  if (hashed && walk.sha256 !== entry.sha256) problems.push('content hash differs from the manifest');
  return problems;
}

/**
 * Opens a trace in a read mode (see the file comment). verify: any problem is a TraceError
 * ('trace_damaged'), one line: table + what differs + what to do. trust: a batch that fails
 * validation is one. salvage: never throws for damage; `warnings` says what was kept.
 * `visit` sees every validated batch during the check (BatchVisitor); in verify mode what it
 * saw is only trustworthy once this returns.
 */
export function openCheckedTrace(dir: string, mode: ReadMode, visit?: BatchVisitor): CheckedTrace {
  return checkedFrom(dir, checkTrace(dir, mode !== 'trust', visit), mode);
}

function checkedFrom(dir: string, check: TraceCheck, mode: ReadMode): CheckedTrace {
  if (mode === 'verify' && check.problems.length > 0) {
    throw damaged(dir, check.problems, VERIFY_ADVICE);
  }
  if (mode === 'trust') {
    const bad = TABLE_NAMES.map((t) => check.walks[t]).find((w) => w.damage !== null);
    if (bad !== undefined) {
      throw damaged(dir, [`${bad.table}: ${bad.damage!.reason}`], 'use --salvage to query the intact part');
    }
  }
  const warnings = mode === 'verify' ? [] : mode === 'trust' ? check.problems : salvageWarnings(check);
  return new Checked(check.trace, mode, check.tables, warnings);
}

function damaged(dir: string, problems: string[], advice: string): TraceError {
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return new TraceError('trace_damaged', `${dir}: trace damaged: ${problems[0]}${more}; ${advice}`);
}

function salvageWarnings(check: TraceCheck): string[] {
  const warnings = check.complete ? [] : [INCOMPLETE];
  for (const table of TABLE_NAMES) {
    const report = check.tables[table];
    if (report.problems.length === 0) continue;
    const reasons = report.problems.map((p) => p.slice(table.length + 2)).join('; ');
    const framed = report.rowsUsable + report.rowsDropped;
    const total = Math.max(framed, check.complete ? report.rowsManifest : 0);
    warnings.push(
      total > report.rowsUsable
        ? `${table}: salvaged ${report.rowsUsable} of ${total} rows (${reasons})`
        : `${table}: using all ${report.rowsUsable} rows (${reasons})`,
    );
  }
  return warnings;
}

class Checked implements CheckedTrace {
  constructor(
    readonly trace: Trace,
    readonly mode: ReadMode,
    readonly tables: Record<TableName, TableReport>,
    readonly warnings: string[],
  ) {}

  *batches(table: TableName): Generator<RecordBatch> {
    const report = this.tables[table];
    const walk = newWalk(table, this.trace.tablePath(table));
    let batches = 0;
    let rows = 0;
    for (const batch of walkTable(walk, { hashing: false, reuseBodies: false })) {
      if (batches === report.batchesUsable) break;
      batches += 1;
      rows += batch.numRows;
      yield batch;
    }
    if (batches !== report.batchesUsable || rows !== report.rowsUsable) {
      throw new TraceError(
        'trace_changed',
        `${walk.path}: changed since it was checked (${rows} usable rows now, ${report.rowsUsable} then); run the command again`,
      );
    }
  }
}

/**
 * Cheap identity of a trace's files, for a query store to notice a change without hashing:
 * sha256 of manifest.json's bytes + per table file (size, mtime in ns, inode, device). Any
 * rewrite, truncation or replacement of a file changes it (a same-size rewrite within the
 * filesystem's timestamp granularity is the case only a full verify catches).
 */
export function traceFingerprint(dir: string): string {
  const hash = createHash('sha256');
  try {
    hash.update(readFileSync(join(dir, MANIFEST_FILE)));
  } catch {
    throw new TraceError('no_manifest', `${dir}: no ${MANIFEST_FILE}; not a tracevisor trace`);
  }
  for (const table of TABLE_NAMES) {
    const path = join(dir, `${table}.arrow`);
    let stat;
    try {
      stat = statSync(path, { bigint: true });
    } catch {
      throw new TraceError('table_missing', `${dir}: table file ${table}.arrow is missing`);
    }
    hash.update(`\n${table} ${stat.size} ${stat.mtimeNs} ${stat.ino} ${stat.dev}`);
  }
  return hash.digest('hex');
}

export interface TableVerification {
  table: TableName;
  sha256Expected: string;
  sha256Actual: string;
  rowsExpected: number;
  rowsFound: number;
  truncated: boolean;
  ok: boolean;
}

export interface Verification {
  ok: boolean;
  complete: boolean;
  tables: TableVerification[];
  /** One line per problem, empty when ok. */
  problems: string[];
}

/** The verify-mode check as data, without throwing for damage (info --verify, tests). */
export function verify(dir: string): Verification {
  const check = checkTrace(dir, true);
  const tables = TABLE_NAMES.map((table): TableVerification => {
    const walk = check.walks[table];
    return {
      table,
      sha256Expected: check.trace.manifest.tables[table]!.sha256,
      sha256Actual: walk.sha256!,
      rowsExpected: check.tables[table].rowsManifest,
      rowsFound: walk.rowsUsable,
      truncated: !walk.eos,
      ok: check.complete && check.tables[table].problems.length === 0,
    };
  });
  return { ok: check.problems.length === 0, complete: check.complete, tables, problems: check.problems };
}

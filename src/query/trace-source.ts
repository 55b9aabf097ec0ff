// The one door through which the query layer reads a trace (issue #7.1): a trace becomes a
// CheckedTrace only after its files were checked as the read mode asks. This file is a
// stand-in for the trust helper's src/trace/open.ts, written on today's reader (Trace.open,
// scan, batches, verify); at merge the lead points these two exports at open.ts and deletes
// the rest, so nothing else in src/query/ changes.

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { TraceError } from '../trace/errors.js';
import { MANIFEST_FILE } from '../trace/manifest-file.js';
import { Trace, verify, type TableScan } from '../trace/reader.js';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';

/** verify: refuse any mismatch with the manifest; trust: read as is; salvage: intact prefix. */
export type ReadMode = 'verify' | 'trust' | 'salvage';
export const READ_MODES: readonly ReadMode[] = ['verify', 'trust', 'salvage'];

export interface TableUsability {
  rowsUsable: number;
  rowsDropped: number;
}

export interface CheckedTrace {
  trace: Trace;
  mode: ReadMode;
  tables: Record<TableName, TableUsability>;
  /** One line per table that lost rows (salvage) or was read unchecked (trust). */
  warnings: string[];
  /** The usable batches of a table, in file order. */
  batches(table: TableName): Generator<RecordBatch>;
}

export function openCheckedTrace(dir: string, mode: ReadMode): CheckedTrace {
  const trace = Trace.open(dir);
  if (mode === 'verify') {
    const verification = verify(dir);
    if (!verification.ok) {
      const more = verification.problems.length - 1;
      const also = more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : '';
      throw new TraceError(
        'table_unreadable',
        `${dir}: ${verification.problems[0]}${also}; the trace was changed or damaged ` +
          '(--salvage answers from its intact part, --trust reads it unchecked)',
      );
    }
  }
  const scans = new Map<TableName, TableScan>(TABLE_NAMES.map((t) => [t, trace.scan(t)]));
  const tables = {} as Record<TableName, TableUsability>;
  const warnings: string[] = [];
  for (const table of TABLE_NAMES) {
    const scan = scans.get(table)!;
    const rowsDropped = Math.max(0, trace.manifest.tables[table]!.rows - scan.rowsRecovered);
    tables[table] = { rowsUsable: scan.rowsRecovered, rowsDropped };
    if (mode === 'salvage' && (rowsDropped > 0 || scan.truncated || scan.damage)) {
      const why = scan.damage ?? (scan.truncated ? 'file cut short' : 'fewer rows than the manifest');
      warnings.push(`${table}: kept ${scan.rowsRecovered} rows, dropped ${rowsDropped} (${why})`);
    }
  }
  if (mode === 'trust') warnings.push(`${dir}: read without checking the files against the manifest (--trust)`);
  return {
    trace,
    mode,
    tables,
    warnings,
    batches: (table) => trace.batches(table, scans.get(table)!),
  };
}

/**
 * Cheap identity of a trace's bytes: the manifest's hash and (size, mtime, inode) of each table
 * file. Any rewrite, truncation or replacement of a file changes it, so an unchanged fingerprint
 * lets a later query skip re-hashing the tables.
 */
export function traceFingerprint(dir: string): string {
  const hash = createHash('sha256');
  hash.update(readFileSync(join(dir, MANIFEST_FILE)));
  for (const table of TABLE_NAMES) {
    const stat = statSync(join(dir, `${table}.arrow`), { bigint: true });
    hash.update(`\n${table} ${stat.size} ${stat.mtimeNs} ${stat.ino} ${stat.dev}`);
  }
  return hash.digest('hex');
}

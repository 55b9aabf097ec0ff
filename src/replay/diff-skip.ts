// `tracevisor diff` skipping ahead (issue 10 §3: "diff and replay use them to skip ahead"). diff
// compares recorded files, not re-executions, so a shared snapshot is no starting point for it;
// what it can skip is the identical prefix of each table, which the two traces' batch digests
// (digests.ndjson, whose sha256 each manifest holds) name without reading a byte of it: the
// first batch whose digests differ is where the rows must be looked at. Its files are read from
// there (the bodies before it are skipped by their framed lengths, reader.ts skipBatches), every
// batch read is checked against its digest, and rows are compared from the first differing
// batch on, as diff.ts does. Two 60 s traces that part at 50 s then read the frames (the largest
// table, ~3 MB per virtual second) from 50 s on only, and hash nothing whole.
//
// The summary (rows per table, events per kind, per VM figures) needs the events, clock and dlt
// rows of both whole traces: the shared prefix is read once (from trace a: it is b's too, by its
// digests) and each side's rest after it. Traces without digests, or unfinished ones, go the
// way that reads and verifies both whole (diff.ts).

import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { Manifest } from '../trace/manifest-file.js';
import { TraceError } from '../trace/errors.js';
import { newWalk, Trace, walkTable } from '../trace/reader.js';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';
import { batchDigest } from './digest.js';
import { readDigests, type BatchDigest, type TraceDigests } from './digest-file.js';
import { compareRows, Cursor, earliest, firstStateDifferenceOf } from './diff-compare.js';
import { emptySummary, SUMMARY_TABLES, tallyBatch, type TraceSummary } from './diff-summary.js';
import type { TraceDiff } from './diff.js';
import { tailRows, type Divergence, type Row } from './divergence.js';

interface SkipSide {
  dir: string;
  manifest: Manifest;
  digests: TraceDigests;
  summary: TraceSummary;
  vmNames: string[];
}

/** The diff with identical prefixes skipped, or null when a trace cannot be (unfinished, no digests). */
export function diffBySkipping(dirA: string, dirB: string): TraceDiff | null {
  const a = openSide(dirA);
  const b = openSide(dirB);
  if (a === null || b === null) return null;
  const tables = {} as Record<TableName, Divergence | null>;
  let batchesSkipped = 0;
  for (const table of TABLE_NAMES) {
    const k = firstDifferingBatch(a.digests.batches[table], b.digests.batches[table]);
    batchesSkipped += k;
    tallyPrefix(a, b, table, k);
    tables[table] = divergenceFrom(a, b, table, k);
  }
  for (const side of [a, b]) for (const t of TABLE_NAMES) side.summary.rows[t] = side.manifest.tables[t]!.rows;
  const strip = (s: SkipSide) => ({ dir: s.dir, digests: s.digests, summary: s.summary, vmNames: s.vmNames });
  return { a: strip(a), b: strip(b), tables, first: earliest(tables), batchesSkipped, ...firstStateDifferenceOf(a, b), skipped: true };
}

function openSide(dir: string): SkipSide | null {
  const { manifest } = Trace.open(dir);
  if (!manifest.complete) return null;
  const digests = readDigests(dir, manifest);
  if (digests === null) return null;
  for (const table of TABLE_NAMES) {
    const listed = digests.batches[table];
    const entry = manifest.tables[table];
    if (entry === undefined) return null; // a trace from before this table: read whole
    const rows = listed.reduce((n, d) => n + d.rows, 0);
    if (listed.length !== entry.batches || rows !== entry.rows) {
      throw damaged(dir, table, `digests.ndjson lists ${listed.length} batches of ${rows} rows, the manifest ${entry.batches} of ${entry.rows}`);
    }
  }
  const scenario = manifest.scenario as { vms?: { name?: unknown }[] } | null;
  const vmNames = (scenario?.vms ?? []).map((vm, i) => (typeof vm.name === 'string' ? vm.name : `vm${i}`));
  return { dir, manifest, digests, summary: emptySummary(), vmNames };
}

/** Index of the first batch whose rows or digest differ (or where one table ends). */
function firstDifferingBatch(a: readonly BatchDigest[], b: readonly BatchDigest[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i]!.rows === b[i]!.rows && a[i]!.digest === b[i]!.digest) i++;
  return i;
}

/** The shared prefix's batches [0, k) of a summary table, read once (from a) and tallied for both. */
function tallyPrefix(a: SkipSide, b: SkipSide, table: TableName, k: number): void {
  if (!SUMMARY_TABLES.includes(table) || k === 0) return;
  for (const batch of checkedBatches(a, table, 0, k)) {
    tallyBatch(a.summary, table, batch);
    tallyBatch(b.summary, table, batch);
  }
}

/** Rows compared from batch k on (batch k - 1, the same in both, gives the rows before). */
function divergenceFrom(a: SkipSide, b: SkipSide, table: TableName, k: number): Divergence | null {
  const ia = tallied(a, table, checkedBatches(a, table, Math.max(0, k - 1)), k);
  const ib = tallied(b, table, checkedBatches(b, table, Math.max(0, k - 1)), k);
  try {
    let tail: Row[] = [];
    if (k > 0) {
      tail = tailRows(ia.next().value as RecordBatch);
      ib.next();
    }
    const ca = new Cursor(ia, k - 1);
    const cb = new Cursor(ib, k - 1);
    ca.nextBatch();
    cb.nextBatch();
    const rowsBefore = a.digests.batches[table].slice(0, k).reduce((n, d) => n + d.rows, 0);
    const found = compareRows(table, ca, cb, rowsBefore, tail);
    // The summary wants the rest of both sides too.
    for (const rest of [ia, ib]) if (SUMMARY_TABLES.includes(table)) while (rest.next().done !== true);
    return found;
  } finally {
    ia.return(undefined); // closes the file of a table left unread after its divergence
    ib.return(undefined);
  }
}

/** A summary table's batches from index k on are tallied into the side's summary as they pass. */
function* tallied(side: SkipSide, table: TableName, batches: Generator<RecordBatch>, k: number): Generator<RecordBatch> {
  let index = Math.max(0, k - 1);
  for (const batch of batches) {
    if (index++ >= k && SUMMARY_TABLES.includes(table)) tallyBatch(side.summary, table, batch);
    yield batch;
  }
}

/**
 * Batches [from, to) of a table, the ones before `from` skipped unread; each one read is checked
 * against its digest, and a file read to its end against the manifest's batch and row counts.
 */
function* checkedBatches(side: SkipSide, table: TableName, from: number, to?: number): Generator<RecordBatch> {
  const walk = newWalk(table, join(side.dir, side.manifest.tables[table]!.file));
  const listed = side.digests.batches[table];
  let index = from;
  for (const batch of walkTable(walk, { hashing: false, reuseBodies: false, skipBatches: from })) {
    if (to !== undefined && index >= to) return;
    const digest = listed[index];
    if (digest === undefined || digest.rows !== batch.numRows || digest.digest !== batchDigest(batch)) {
      throw damaged(side.dir, table, `batch ${index} differs from its digest in digests.ndjson`);
    }
    index++;
    yield batch;
  }
  const entry = side.manifest.tables[table]!;
  if (walk.damage !== null) throw damaged(side.dir, table, walk.damage.reason);
  if (walk.batchesUsable !== entry.batches || walk.rowsUsable !== entry.rows) {
    throw damaged(side.dir, table, `${walk.batchesUsable} batches of ${walk.rowsUsable} rows in the file, the manifest says ${entry.batches} of ${entry.rows}`);
  }
}

function damaged(dir: string, table: TableName, what: string): TraceError {
  return new TraceError('trace_damaged', `${dir}: trace damaged: ${table}: ${what}; diff --no-skip reads and verifies both traces whole`);
}

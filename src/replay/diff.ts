// `tracevisor diff <a> <b>`: where two traces part ways (issue 9 §3). Each table of both traces
// is streamed batch by batch (a few batches in memory, whatever the length); while the batches'
// digests agree (digests.ndjson, or computed from the batch for a trace without digests) their
// rows are not looked at; from the first batch whose digests differ, rows are compared one by
// one until the first that differs. Then the summaries of both (diff-summary.ts). This is the
// whole-trace way (`diff --no-skip`, and traces without digests or unfinished): by default
// diff-skip.ts skips the identical prefixes without reading them (issue 10 §3).

import type { RecordBatch } from 'apache-arrow';
import { openCheckedTrace, type CheckedTrace } from '../trace/open.js';
import { Trace } from '../trace/reader.js';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';
import { batchDigest } from './digest.js';
import { readDigests, type TraceDigests } from './digest-file.js';
import { tailRows, type Divergence, type Row } from './divergence.js';
import { summarizeTrace, type TraceSummary } from './diff-summary.js';
import { compareRows, Cursor, earliest, firstStateDifferenceOf, type StateDifference } from './diff-compare.js';
import { diffBySkipping } from './diff-skip.js';

export type { StateDifference };

export interface DiffSide {
  dir: string;
  digests: TraceDigests | null;
  summary: TraceSummary;
  vmNames: string[];
}

export interface TraceDiff {
  a: DiffSide;
  b: DiffSide;
  /** First divergent row per table (null: the table is identical). */
  tables: Record<TableName, Divergence | null>;
  /** The earliest of them by ts_ns (events first on ties); null when the traces are identical. */
  first: Divergence | null;
  /** Batches whose rows were not compared because their digests agreed, per side. */
  batchesSkipped: number;
  /** The first epoch whose state digests differ (both traces have digests), else null. */
  state: StateDifference | null;
  /** Epochs both traces have digests for. */
  epochsCompared: number;
  /**
   * --- diff skipping (issue 10 §3): the identical prefixes were skipped by their batch digests
   * without reading them (diff-skip.ts); false: both traces were verified and read whole.
   */
  skipped?: boolean;
}

export interface DiffOptions {
  /** Skip identical prefixes without reading them (default); false reads and verifies both whole. */
  skip?: boolean;
}


/** Warnings (salvaged or incomplete traces) go to `warn`. */
export function diffTraces(dirA: string, dirB: string, warn: (line: string) => void = () => {}, options: DiffOptions = {}): TraceDiff {
  if (options.skip !== false) {
    const skipped = diffBySkipping(dirA, dirB);
    if (skipped !== null) return skipped;
  }
  const a = openSide(dirA, warn);
  const b = openSide(dirB, warn);
  let batchesSkipped = 0;
  const tables = {} as Record<TableName, Divergence | null>;
  for (const table of TABLE_NAMES) {
    const found = firstTableDivergence(table, a, b);
    tables[table] = found.divergence;
    batchesSkipped += found.skipped;
  }
  return { a, b, tables, first: earliest(tables), batchesSkipped, ...firstStateDifferenceOf(a, b), skipped: false };
}

function openSide(dir: string, warn: (line: string) => void): DiffSide & { trace: CheckedTrace } {
  const manifest = Trace.open(dir).manifest;
  const trace = openCheckedTrace(dir, manifest.complete ? 'verify' : 'salvage');
  for (const w of trace.warnings) warn(`${dir}: ${w}`);
  const scenario = manifest.scenario as { vms?: { name?: unknown }[] } | null;
  const vmNames = (scenario?.vms ?? []).map((vm, i) => (typeof vm.name === 'string' ? vm.name : `vm${i}`));
  return { dir, trace, digests: readDigests(dir, manifest), summary: summarizeTrace(trace), vmNames };
}

function digestOf(side: DiffSide, table: TableName, index: number, batch: RecordBatch): string {
  const listed = side.digests?.batches[table][index];
  return listed !== undefined && listed.rows === batch.numRows ? listed.digest : batchDigest(batch);
}

function firstTableDivergence(table: TableName, a: DiffSide & { trace: CheckedTrace }, b: DiffSide & { trace: CheckedTrace }): { divergence: Divergence | null; skipped: number } {
  const ca = new Cursor(a.trace.batches(table));
  const cb = new Cursor(b.trace.batches(table));
  let rowsBefore = 0;
  let tail: Row[] = [];
  let skipped = 0;
  // Equal digests: equal rows, so both cursors stay at the same row of the table.
  for (;;) {
    const ba = ca.nextBatch();
    const bb = cb.nextBatch();
    if (ba === null || bb === null) break;
    if (digestOf(a, table, ca.batchIndex, ba) !== digestOf(b, table, cb.batchIndex, bb)) break;
    rowsBefore += ba.numRows;
    tail = tailRows(ba);
    skipped++;
  }
  return { divergence: compareRows(table, ca, cb, rowsBefore, tail), skipped };
}

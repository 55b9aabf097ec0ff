// `tracevisor diff <a> <b>`: where two traces part ways (issue 9 §3). Each table of both traces
// is streamed batch by batch (a few batches in memory, whatever the length); while the batches'
// digests agree (digests.ndjson, or computed from the batch for a trace without digests) their
// rows are not looked at; from the first batch whose digests differ, rows are compared one by
// one until the first that differs. Then the summaries of both (diff-summary.ts).

import type { RecordBatch } from 'apache-arrow';
import { openCheckedTrace, type CheckedTrace } from '../trace/open.js';
import { Trace } from '../trace/reader.js';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';
import { batchDigest } from './digest.js';
import { readDigests, type TraceDigests } from './digest-file.js';
import { columnNames, divergenceNs, ROWS_BEFORE, rowAt, sameRow, tailRows, type Divergence, type Row } from './divergence.js';
import { summarizeTrace, type TraceSummary } from './diff-summary.js';
import { firstStateDifference } from './digest-state.js';

export interface DiffSide {
  dir: string;
  trace: CheckedTrace;
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
}

export interface StateDifference {
  epoch: number;
  atNs: number;
  component: string;
}

/** Warnings (salvaged or incomplete traces) go to `warn`. */
export function diffTraces(dirA: string, dirB: string, warn: (line: string) => void = () => {}): TraceDiff {
  const a = openSide(dirA, warn);
  const b = openSide(dirB, warn);
  let batchesSkipped = 0;
  const tables = {} as Record<TableName, Divergence | null>;
  for (const table of TABLE_NAMES) {
    const found = firstTableDivergence(table, a, b);
    tables[table] = found.divergence;
    batchesSkipped += found.skipped;
  }
  const differing = TABLE_NAMES.map((t) => tables[t]).filter((d): d is Divergence => d !== null);
  const first = differing.reduce<Divergence | null>((best, d) => (best === null || divergenceNs(d) < divergenceNs(best) ? d : best), null);
  return { a, b, tables, first, batchesSkipped, ...firstStateDifferenceOf(a, b) };
}

/** Epoch by epoch while both traces have one (and the same epoch length). */
function firstStateDifferenceOf(a: DiffSide, b: DiffSide): { state: StateDifference | null; epochsCompared: number } {
  if (a.digests === null || b.digests === null || a.digests.header.epochNs !== b.digests.header.epochNs) {
    return { state: null, epochsCompared: 0 };
  }
  const count = Math.min(a.digests.epochs.length, b.digests.epochs.length);
  for (let i = 0; i < count; i++) {
    const ea = a.digests.epochs[i]!;
    const component = firstStateDifference(ea, b.digests.epochs[i]!, a.vmNames);
    if (component !== null) return { state: { epoch: ea.epoch, atNs: ea.atNs, component }, epochsCompared: count };
  }
  return { state: null, epochsCompared: count };
}

function openSide(dir: string, warn: (line: string) => void): DiffSide {
  const manifest = Trace.open(dir).manifest;
  const trace = openCheckedTrace(dir, manifest.complete ? 'verify' : 'salvage');
  for (const w of trace.warnings) warn(`${dir}: ${w}`);
  const scenario = manifest.scenario as { vms?: { name?: unknown }[] } | null;
  const vmNames = (scenario?.vms ?? []).map((vm, i) => (typeof vm.name === 'string' ? vm.name : `vm${i}`));
  return { dir, trace, digests: readDigests(dir, manifest), summary: summarizeTrace(trace), vmNames };
}

/** A side's batches of one table with a row cursor over them. */
class Cursor {
  private readonly iterator: Generator<RecordBatch>;
  batch: RecordBatch | null = null;
  batchIndex = -1;
  row = 0;

  constructor(side: DiffSide, table: TableName) {
    this.iterator = side.trace.batches(table);
  }

  nextBatch(): RecordBatch | null {
    const next = this.iterator.next();
    this.batch = next.done === true ? null : next.value;
    this.batchIndex++;
    this.row = 0;
    return this.batch;
  }

  /** The row under the cursor (moving to the next batch at a batch's end), or null at the end. */
  current(): Row | null {
    while (this.batch !== null && this.row >= this.batch.numRows) this.nextBatch();
    return this.batch === null ? null : rowAt(this.batch, this.row);
  }
}

function digestOf(side: DiffSide, table: TableName, index: number, batch: RecordBatch): string {
  const listed = side.digests?.batches[table][index];
  return listed !== undefined && listed.rows === batch.numRows ? listed.digest : batchDigest(batch);
}

function firstTableDivergence(table: TableName, a: DiffSide, b: DiffSide): { divergence: Divergence | null; skipped: number } {
  const ca = new Cursor(a, table);
  const cb = new Cursor(b, table);
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

function compareRows(table: TableName, ca: Cursor, cb: Cursor, firstRow: number, tail: Row[]): Divergence | null {
  const columns = columnNames(table);
  const before = [...tail];
  for (let row = firstRow; ; row++) {
    const left = ca.current();
    const right = cb.current();
    if (left === null && right === null) return null;
    if (left === null || right === null || !sameRow(left, right, columns)) {
      const batch = left === null ? cb.batchIndex : ca.batchIndex;
      return { table, row, batch, left, right, before: before.slice(-ROWS_BEFORE) };
    }
    before.push(left);
    if (before.length > ROWS_BEFORE) before.shift();
    ca.row++;
    cb.row++;
  }
}

// The comparisons both paths of `tracevisor diff` share (diff.ts reads both traces whole,
// diff-skip.ts skips their identical prefixes by digest): a row cursor over a table's batches,
// the row-by-row comparison from the first batch that differs, the earliest divergence of the
// tables, and the first epoch whose state digests differ.

import type { RecordBatch } from 'apache-arrow';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';
import type { TraceDigests } from './digest-file.js';
import { firstStateDifference } from './digest-state.js';
import { columnNames, divergenceNs, ROWS_BEFORE, rowAt, sameRow, type Divergence, type Row } from './divergence.js';

export interface StateDifference {
  epoch: number;
  atNs: number;
  component: string;
}

interface StateSide {
  digests: TraceDigests | null;
  vmNames: string[];
}

/** The earliest divergence of the tables by ts_ns (events first on ties). */
export function earliest(tables: Record<TableName, Divergence | null>): Divergence | null {
  const differing = TABLE_NAMES.map((t) => tables[t]).filter((d): d is Divergence => d !== null);
  return differing.reduce<Divergence | null>((best, d) => (best === null || divergenceNs(d) < divergenceNs(best) ? d : best), null);
}

/** Epoch by epoch while both traces have one (and the same epoch length). */
export function firstStateDifferenceOf(a: StateSide, b: StateSide): { state: StateDifference | null; epochsCompared: number } {
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

/** A side's batches of one table with a row cursor over them. */
export class Cursor {
  batch: RecordBatch | null = null;
  row = 0;

  /** `batchIndex`: the index of the batch before the iterator's first (-1 from the start). */
  constructor(
    private readonly iterator: Iterator<RecordBatch>,
    public batchIndex = -1,
  ) {}

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

export function compareRows(table: TableName, ca: Cursor, cb: Cursor, firstRow: number, tail: Row[]): Divergence | null {
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

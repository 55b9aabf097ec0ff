// The first divergent event between two versions of a table (a recording and its replay, or two
// traces): where it is, both rows column by column with the differing ones marked, and the rows
// before it. One printer for `replay` and `diff` (issue 9 §2, §3).

import type { RecordBatch } from 'apache-arrow';
import { TABLES, type TableName } from '../trace/tables.js';

export type Row = Record<string, unknown>;

/** Rows of context printed before a divergent row. */
export const ROWS_BEFORE = 3;

export interface Divergence {
  table: TableName;
  /** Row number in the table (0-based, over all batches). */
  row: number;
  /** Record batch of the table that holds it (0-based). */
  batch: number;
  /** The row on each side; null when that side has no such row (it ended earlier). */
  left: Row | null;
  right: Row | null;
  /** Up to ROWS_BEFORE rows before it (the same on both sides), oldest first. */
  before: Row[];
}

export function columnNames(table: TableName): string[] {
  return TABLES[table].columns.map((c) => c.name);
}

export function rowAt(batch: RecordBatch, index: number): Row {
  const row = batch.get(index);
  if (row === null) throw new Error(`assert: batch has no row ${index}`);
  return row.toJSON() as Row;
}

/** The last `count` rows of a batch (context for a divergence in the next one). */
export function tailRows(batch: RecordBatch, count = ROWS_BEFORE): Row[] {
  const rows: Row[] = [];
  for (let i = Math.max(0, batch.numRows - count); i < batch.numRows; i++) rows.push(rowAt(batch, i));
  return rows;
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
  return a === b;
}

export function sameRow(a: Row, b: Row, columns: readonly string[]): boolean {
  return columns.every((c) => sameValue(a[c], b[c]));
}

/**
 * First row at which two batches of one table differ: -1 when they are equal; their shorter
 * length when one is a prefix of the other.
 */
export function firstDifferentRow(table: TableName, a: RecordBatch, b: RecordBatch): number {
  const columns = columnNames(table);
  const n = Math.min(a.numRows, b.numRows);
  for (let i = 0; i < n; i++) if (!sameRow(rowAt(a, i), rowAt(b, i), columns)) return i;
  return a.numRows === b.numRows ? -1 : n;
}

/** The divergence at row `index` of batch number `batch` (first row `firstRow` of the table). */
export function divergenceIn(
  where: { table: TableName; batch: number; firstRow: number; tail: Row[] },
  left: RecordBatch | null,
  right: RecordBatch | null,
  index: number,
): Divergence {
  const inBatch = (b: RecordBatch | null): Row | null => (b !== null && index < b.numRows ? rowAt(b, index) : null);
  const source = left ?? right;
  const before: Row[] = [...where.tail];
  if (source !== null) for (let i = Math.max(0, index - ROWS_BEFORE); i < index; i++) before.push(rowAt(source, i));
  return {
    table: where.table,
    row: where.firstRow + index,
    batch: where.batch,
    left: inBatch(left),
    right: inBatch(right),
    before: before.slice(-ROWS_BEFORE),
  };
}

/** A divergence's time, for choosing the earliest among tables (events first on ties). */
export function divergenceNs(d: Divergence): bigint {
  const ts = (d.left?.ts_ns ?? d.right?.ts_ns) as bigint | undefined;
  return typeof ts === 'bigint' ? ts : BigInt(Number.MAX_SAFE_INTEGER);
}

const VALUE_CHARS_MAX = 48;

export function valueText(value: unknown): string {
  if (value === null || value === undefined) return '∅';
  if (value instanceof Uint8Array) {
    const hex = Buffer.from(value.subarray(0, 24)).toString('hex');
    return `${value.length} B ${hex}${value.length > 24 ? '…' : ''}`;
  }
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > VALUE_CHARS_MAX ? `${text.slice(0, VALUE_CHARS_MAX - 1)}…` : text;
}

function rowLine(table: TableName, row: Row): string {
  return columnNames(table).map((c) => `${c}=${valueText(row[c])}`).join(' ');
}

/** Lines for a divergence; labels name the two sides (e.g. recorded / replayed). */
export function formatDivergence(d: Divergence, labels: readonly [string, string]): string[] {
  const any = d.left ?? d.right ?? {};
  const seq = 'seq' in any ? ` seq ${valueText(any.seq)}` : '';
  const lines = [`first divergent row: ${d.table} row ${d.row} (batch ${d.batch}) at ts_ns ${valueText(any.ts_ns)}${seq}`];
  if (d.left === null || d.right === null) {
    const [has, lacks] = d.left === null ? [labels[1], labels[0]] : [labels[0], labels[1]];
    lines.push(`  ${lacks} has no row ${d.row} of ${d.table}: it ends there; ${has} goes on`);
  }
  const columns = columnNames(d.table);
  const width = Math.max(...columns.map((c) => c.length), 6);
  const leftCells = columns.map((c) => (d.left === null ? '' : valueText(d.left[c])));
  const leftWidth = Math.max(labels[0].length, ...leftCells.map((t) => t.length));
  lines.push(`    ${'column'.padEnd(width)}  ${labels[0].padEnd(leftWidth)}  ${labels[1]}`);
  columns.forEach((c, i) => {
    const differs = d.left !== null && d.right !== null && !sameValue(d.left[c], d.right[c]);
    const right = d.right === null ? '' : valueText(d.right[c]);
    lines.push(`  ${differs ? '*' : ' '} ${c.padEnd(width)}  ${leftCells[i]!.padEnd(leftWidth)}  ${right}`);
  });
  if (d.before.length > 0) {
    lines.push(`  rows before it (the same in both):`);
    d.before.forEach((row, i) => lines.push(`    row ${d.row - d.before.length + i}: ${rowLine(d.table, row)}`));
  }
  return lines;
}

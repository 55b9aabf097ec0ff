// A run's digest for --recheck: sha256 over every table's column bytes. Each column is hashed
// as one stream across its batches — fixed-width values as stored, a bool or a validity bit as
// one byte per row, a variable-width value as its length (int32) in one stream and its bytes in
// another — so the digest depends on the rows alone, not on where batches were cut: the tables
// a sweep holds in memory and the same run recorded to disk (other batch boundaries) digest the
// same (test/sweep/memory-sink.test.ts). The per-column hashes are then hashed in table and
// column order with the row counts.

import { createHash, type Hash } from 'node:crypto';
import type { Data } from 'apache-arrow';
import type { BatchSource } from '../query/load.js';
import { TABLE_NAMES, TABLES, type ColumnSpec } from '../trace/schema.js';

export function tablesDigest(source: BatchSource): string {
  const top = createHash('sha256');
  for (const table of TABLE_NAMES) {
    const columns = TABLES[table].columns.map((spec) => new ColumnHash(spec));
    let rows = 0;
    for (const batch of source.batches(table)) {
      columns.forEach((column, i) => column.update(batch.getChildAt(i)!.data[0]!, batch.numRows));
      rows += batch.numRows;
    }
    top.update(`${table}:${rows}\n`);
    for (const column of columns) top.update(`${column.spec.name}:${column.digest()}\n`);
  }
  return top.digest('hex');
}

class ColumnHash {
  private readonly values: Hash = createHash('sha256');
  private readonly lengths: Hash = createHash('sha256');
  private readonly validity: Hash = createHash('sha256');

  constructor(readonly spec: ColumnSpec) {}

  update(data: Data, rows: number): void {
    const values = data.values as ArrayBufferView;
    const row = data.offset;
    if (this.spec.kind === 'utf8' || this.spec.kind === 'binary') {
      const offsets = data.valueOffsets as Int32Array;
      const lengths = new Int32Array(rows);
      for (let i = 0; i < rows; i++) lengths[i] = offsets[row + i + 1]! - offsets[row + i]!;
      this.lengths.update(new Uint8Array(lengths.buffer));
      this.values.update((values as Uint8Array).subarray(offsets[row]!, offsets[row + rows]!));
    } else if (this.spec.kind === 'bool') {
      this.values.update(bitBytes(values as Uint8Array, row, rows));
    } else {
      const width = (values as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      this.values.update(new Uint8Array(values.buffer, values.byteOffset + row * width, rows * width));
    }
    if (this.spec.nullable) {
      const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
      this.validity.update(bitmap === undefined ? new Uint8Array(rows).fill(1) : bitBytes(bitmap, row, rows));
    }
  }

  digest(): string {
    return [this.values, this.lengths, this.validity].map((h) => h.digest('hex')).join(',');
  }
}

/** A bitmap's `rows` bits from `offset` as one byte (0 or 1) per row. */
function bitBytes(bitmap: Uint8Array, offset: number, rows: number): Uint8Array {
  const out = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const bit = offset + i;
    out[i] = (bitmap[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

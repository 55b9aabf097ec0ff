// The digest of one record batch, from its column values in a canonical encoding (issue 9 §2):
// not from the Arrow IPC bytes, so a replay digests the batch it builds from the core's columns
// (or from its row buffers) without encoding Arrow, and a reader digests a batch it decoded.
//
// Encoding, per column in schema order: the column's number and row count (u32 LE each); the
// validity — one 0 byte when the column has no NULLs, else 1 and the bitmap with the bits past
// the last row cleared; then the values: fixed-width columns (i16/i32/i64, enum codes) as their
// little-endian bytes of rows [0, n), bool as the value bitmap (bits past n cleared), utf8 and
// binary as the n+1 offsets rebased to 0 (i32 LE) and the bytes they span. Typed arrays are
// hashed as they lie in memory, which is little-endian on every host Node runs tracevisor on
// (x86-64, arm64); an assert would catch a big-endian one. sha256 cut to 128 bits: a divergence
// detector that a chosen collision would not fool.

import { createHash, type Hash } from 'node:crypto';
import { Bool, DataType, type Data, type RecordBatch } from 'apache-arrow';

/** Hex digits kept of the sha256 (128 bits). */
export const DIGEST_HEX_CHARS = 32;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('assert: tracevisor digests assume a little-endian host');
}

const NO_NULLS = new Uint8Array([0]);
const HAS_NULLS = new Uint8Array([1]);

/** The digest of a whole record batch (every column), as DIGEST_HEX_CHARS hex digits. */
export function batchDigest(batch: RecordBatch): string {
  const hash = createHash('sha256');
  const children = batch.data.children;
  for (let c = 0; c < children.length; c++) hashColumn(hash, c, children[c]!);
  return hash.digest('hex').slice(0, DIGEST_HEX_CHARS);
}

function hashColumn(hash: Hash, index: number, data: Data): void {
  const rows = data.length;
  hash.update(new Uint32Array([index, rows]));
  if (data.nullCount > 0) {
    hash.update(HAS_NULLS);
    hash.update(bitsOf(data.nullBitmap!, data.offset, rows));
  } else {
    hash.update(NO_NULLS);
  }
  const type = data.type as DataType;
  if (type instanceof Bool || DataType.isBool(type)) {
    hash.update(bitsOf(data.values as Uint8Array, data.offset, rows));
    return;
  }
  if (DataType.isUtf8(type) || DataType.isBinary(type)) {
    hashVariable(hash, data, rows);
    return;
  }
  const values = data.values as Uint8Array;
  hash.update(values.subarray(data.offset, data.offset + rows));
}

function hashVariable(hash: Hash, data: Data, rows: number): void {
  const offsets = (data.valueOffsets as Int32Array).subarray(data.offset, data.offset + rows + 1);
  const start = offsets[0] ?? 0;
  const end = offsets[rows] ?? 0;
  hash.update(start === 0 ? offsets : offsets.map((o) => o - start));
  hash.update((data.values as Uint8Array).subarray(start, end));
}

/** `rows` bits from bit `offset` of a bitmap, repacked from bit 0, bits past the end cleared. */
function bitsOf(bitmap: Uint8Array, offset: number, rows: number): Uint8Array {
  const bytes = Math.ceil(rows / 8);
  const out = new Uint8Array(bytes);
  if (offset % 8 === 0) {
    out.set(bitmap.subarray(offset / 8, offset / 8 + bytes));
  } else {
    for (let r = 0; r < rows; r++) {
      const bit = offset + r;
      if ((bitmap[bit >> 3]! >> (bit & 7)) & 1) out[r >> 3] = out[r >> 3]! | (1 << (r & 7));
    }
  }
  const tail = rows % 8;
  if (tail !== 0) out[bytes - 1] = out[bytes - 1]! & ((1 << tail) - 1);
  return out;
}

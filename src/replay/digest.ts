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
//
// The encoding is gathered in one buffer (DigestWriter) and hashed with one update: a batch of
// the small tables is a few KB in ~20 columns, and an update per part (~60 a batch) cost more
// than the hashing (issue 9's 1.2x target). Arrow batches (batchDigest) and row buffers
// (row-buffer.ts RowBuffer.digest, which never builds the batch) both write through it.

import { createHash } from 'node:crypto';
import { Bool, DataType, type Data, type RecordBatch } from 'apache-arrow';

/** Hex digits kept of the sha256 (128 bits). */
export const DIGEST_HEX_CHARS = 32;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('assert: tracevisor digests assume a little-endian host');
}

/** The canonical encoding of one batch, column by column, hashed once by digest(). */
export class DigestWriter {
  private buffer = new Uint8Array(64 * 1024);
  private length = 0;

  /** Forget anything written (a digest a failure cut short leaves nothing behind). */
  reset(): void {
    this.length = 0;
  }

  /** Column `index` of `rows` rows: its number and row count, then its validity. */
  column(index: number, rows: number, nullCount: number, validity: Uint8Array | null, validityOffset = 0): void {
    this.room(9);
    this.u32(index);
    this.u32(rows);
    if (nullCount > 0) {
      if (validity === null) throw new Error('assert: a column with NULLs has no validity bitmap');
      this.buffer[this.length++] = 1;
      this.bits(validity, validityOffset, rows);
    } else {
      this.buffer[this.length++] = 0;
    }
  }

  /** Fixed-width values: the view's bytes as they lie in memory (little-endian). */
  bytes(view: ArrayBufferView): void {
    this.room(view.byteLength);
    this.buffer.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), this.length);
    this.length += view.byteLength;
  }

  /** `rows` bits from bit `offset` of a bitmap, repacked from bit 0, bits past the end cleared. */
  bits(bitmap: Uint8Array, offset: number, rows: number): void {
    const count = Math.ceil(rows / 8);
    this.room(count);
    const out = this.buffer;
    const at = this.length;
    out.fill(0, at, at + count);
    if (offset % 8 === 0) {
      out.set(bitmap.subarray(offset / 8, offset / 8 + count), at); // a short bitmap reads as cleared bits
    } else {
      for (let r = 0; r < rows; r++) {
        const bit = offset + r;
        if ((bitmap[bit >> 3]! >> (bit & 7)) & 1) out[at + (r >> 3)] = out[at + (r >> 3)]! | (1 << (r & 7));
      }
    }
    const tail = rows % 8;
    if (tail !== 0) out[at + count - 1] = out[at + count - 1]! & ((1 << tail) - 1);
    this.length = at + count;
  }

  /** A utf8 or binary column's values: its rows + 1 offsets rebased to 0, then the bytes they span. */
  variable(offsets: Int32Array, values: Uint8Array): void {
    const start = offsets[0] ?? 0;
    const end = offsets[offsets.length - 1] ?? 0;
    if (start === 0) {
      this.bytes(offsets);
    } else {
      this.room(offsets.byteLength);
      for (let i = 0; i < offsets.length; i++) this.u32(offsets[i]! - start);
    }
    this.bytes(values.subarray(start, end));
  }

  /** The digest of everything written since the last digest(), as DIGEST_HEX_CHARS hex digits. */
  digest(): string {
    const hex = createHash('sha256').update(this.buffer.subarray(0, this.length)).digest('hex').slice(0, DIGEST_HEX_CHARS);
    this.length = 0;
    return hex;
  }

  private u32(value: number): void {
    const b = this.buffer;
    let at = this.length;
    b[at++] = value & 0xff;
    b[at++] = (value >>> 8) & 0xff;
    b[at++] = (value >>> 16) & 0xff;
    b[at++] = (value >>> 24) & 0xff;
    this.length = at;
  }

  private room(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/** One writer for the process (digests are taken one at a time, on one thread). */
const shared = new DigestWriter();

/** The digest writer for one batch, empty: write its columns in schema order, then digest(). */
export function digestWriter(): DigestWriter {
  shared.reset();
  return shared;
}

/** The digest of a whole record batch (every column), as DIGEST_HEX_CHARS hex digits. */
export function batchDigest(batch: RecordBatch): string {
  const writer = digestWriter();
  const children = batch.data.children;
  for (let c = 0; c < children.length; c++) writeColumn(writer, c, children[c]!);
  return writer.digest();
}

function writeColumn(writer: DigestWriter, index: number, data: Data): void {
  const rows = data.length;
  writer.column(index, rows, data.nullCount, data.nullCount > 0 ? data.nullBitmap! : null, data.offset);
  const type = data.type as DataType;
  if (type instanceof Bool || DataType.isBool(type)) {
    writer.bits(data.values as Uint8Array, data.offset, rows);
    return;
  }
  if (DataType.isUtf8(type) || DataType.isBinary(type)) {
    writer.variable((data.valueOffsets as Int32Array).subarray(data.offset, data.offset + rows + 1), data.values as Uint8Array);
    return;
  }
  const values = data.values as Uint8Array;
  writer.bytes(values.subarray(data.offset, data.offset + rows));
}

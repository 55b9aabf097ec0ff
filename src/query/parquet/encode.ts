// Parquet page bodies from Arrow column data (parquet-format: Encodings.md), each chosen so
// that the common case is the Arrow bytes themselves, not a per-value loop:
//   - PLAIN INT32/INT64: little-endian values back to back = an Arrow int32/int64 buffer;
//   - PLAIN BOOLEAN: bit-packed, LSB first = an Arrow validity-style bitmap;
//   - definition levels (max level 1) in the RLE/bit-packed hybrid with bit width 1: a
//     bit-packed run is the Arrow validity bitmap byte for byte, a column without NULLs one
//     RLE run;
//   - RLE_DICTIONARY indices with bit width 8: one bit-packed run whose bytes are the Arrow
//     dictionary codes (uint8) as they are.
// Only non-NULL values are encoded (a NULL is a definition level 0), so a column with NULLs
// is compacted first.

import type { Data } from 'apache-arrow';

/** A page body as the parts written back to back. */
export type Parts = Uint8Array[];

export function partsBytes(parts: Parts): number {
  return parts.reduce((n, p) => n + p.byteLength, 0);
}

/** ULEB128 of a non-negative integer (RLE/bit-packed run headers). */
export function uleb128(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Whether row `r` of the data (relative to data.offset) is non-NULL. */
export function validAt(data: Data, r: number): boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap === undefined || bitmap.byteLength === 0) return true;
  const bit = data.offset + r;
  return ((bitmap[bit >> 3]! >> (bit & 7)) & 1) === 1;
}

export function hasNulls(data: Data): boolean {
  return data.nullCount > 0 && data.nullBitmap !== undefined && data.nullBitmap.byteLength > 0;
}

/**
 * Definition levels of a nullable column (Data Page V1: a 4-byte little-endian length, then
 * the hybrid encoding with bit width 1).
 */
export function definitionLevels(data: Data, rows: number): Parts {
  let runs: Parts;
  if (!hasNulls(data)) {
    runs = [uleb128(rows * 2), Uint8Array.of(1)]; // one RLE run of `rows` ones
  } else {
    const groups = Math.ceil(rows / 8);
    runs = [uleb128(groups * 2 + 1), bitmapSlice(data.nullBitmap!, data.offset, rows)];
  }
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, partsBytes(runs), true);
  return [length, ...runs];
}

/** `rows` bits of a bitmap from bit `offset`, as whole bytes (trailing bits are padding). */
function bitmapSlice(bitmap: Uint8Array, offset: number, rows: number): Uint8Array {
  const bytes = Math.ceil(rows / 8);
  if (offset % 8 === 0) return bitmap.subarray(offset / 8, offset / 8 + bytes);
  const out = new Uint8Array(bytes);
  for (let i = 0; i < rows; i++) {
    const bit = offset + i;
    if ((bitmap[bit >> 3]! >> (bit & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

/** PLAIN INT32 (from int16 or int32) or INT64 values of the non-NULL rows. */
export function plainFixed(data: Data, rows: number, width: 'i16' | 'i32' | 'i64'): Uint8Array {
  const values = data.values as Int16Array | Int32Array | BigInt64Array;
  const from = data.offset;
  if (width === 'i16') {
    const out = new Int32Array(rows);
    if (!hasNulls(data)) out.set(values.subarray(from, from + rows) as Int16Array);
    else return bytesOf(compact(out, values, data, rows));
    return bytesOf(out);
  }
  if (!hasNulls(data)) return bytesOf(values.subarray(from, from + rows));
  const out = width === 'i32' ? new Int32Array(rows) : new BigInt64Array(rows);
  return bytesOf(compact(out, values, data, rows));
}

function compact<T extends Int32Array | BigInt64Array>(
  out: T,
  values: Int16Array | Int32Array | BigInt64Array,
  data: Data,
  rows: number,
): T {
  let n = 0;
  for (let r = 0; r < rows; r++) {
    if (validAt(data, r)) (out as unknown as unknown[])[n++] = values[data.offset + r];
  }
  return out.subarray(0, n) as T;
}

/** PLAIN BOOLEAN of the non-NULL rows: bit-packed, LSB first. */
export function plainBooleans(data: Data, rows: number): Uint8Array {
  const bits = data.values as Uint8Array;
  if (!hasNulls(data)) return bitmapSlice(bits, data.offset, rows);
  const out = new Uint8Array(Math.ceil(rows / 8));
  let n = 0;
  for (let r = 0; r < rows; r++) {
    if (!validAt(data, r)) continue;
    const bit = data.offset + r;
    if ((bits[bit >> 3]! >> (bit & 7)) & 1) out[n >> 3]! |= 1 << (n & 7);
    n += 1;
  }
  return out.subarray(0, Math.ceil(n / 8));
}

/** PLAIN BYTE_ARRAY of the non-NULL rows: a 4-byte little-endian length before each value. */
export function plainByteArrays(data: Data, rows: number): Uint8Array {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const first = offsets[data.offset]!;
  const last = offsets[data.offset + rows]!;
  const out = new Uint8Array(4 * rows + (last - first));
  const view = new DataView(out.buffer);
  let at = 0;
  for (let r = 0; r < rows; r++) {
    if (!validAt(data, r)) continue;
    const start = offsets[data.offset + r]!;
    const end = offsets[data.offset + r + 1]!;
    view.setUint32(at, end - start, true);
    out.set(bytes.subarray(start, end), at + 4);
    at += 4 + end - start;
  }
  return out.subarray(0, at);
}

/** PLAIN BYTE_ARRAY of a fixed list of strings (a dictionary page). */
export function plainStrings(values: readonly string[]): Uint8Array {
  const encoded = values.map((v) => new TextEncoder().encode(v));
  const out = new Uint8Array(encoded.reduce((n, e) => n + 4 + e.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const e of encoded) {
    view.setUint32(at, e.length, true);
    out.set(e, at + 4);
    at += 4 + e.length;
  }
  return out;
}

/**
 * RLE_DICTIONARY indices of the non-NULL rows: the bit width (8), then one bit-packed run of
 * ceil(n / 8) groups of 8 one-byte codes (the last group padded with zeros).
 */
export function dictionaryIndices(codes: Uint8Array, data: Data, rows: number): Parts {
  let packed: Uint8Array;
  if (!hasNulls(data)) {
    packed = codes.subarray(0, rows);
  } else {
    const out = new Uint8Array(rows);
    let n = 0;
    for (let r = 0; r < rows; r++) if (validAt(data, r)) out[n++] = codes[r]!;
    packed = out.subarray(0, n);
  }
  const groups = Math.ceil(packed.length / 8);
  const padding = new Uint8Array(groups * 8 - packed.length);
  return [Uint8Array.of(8), uleb128(groups * 2 + 1), packed, padding];
}

/** An enum column's codes as bytes from its row offset (int8 codes are ≥ 0 once validated). */
export function enumCodes(data: Data, rows: number): Uint8Array {
  const values = data.values as Uint8Array | Int8Array;
  return bytesOf(values.subarray(data.offset, data.offset + rows));
}

/** A bool column shown as a 2-value ENUM (dlt.mode): false/true are its codes 0/1. */
export function boolCodes(data: Data, rows: number): Uint8Array {
  const bits = data.values as Uint8Array;
  const out = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const bit = data.offset + r;
    out[r] = (bits[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

/**
 * Row indices of the smallest and largest int64 value, comparing (signed hi, unsigned lo)
 * int32 halves: BigInt reads would allocate per row (the same trick as load.ts's OrderCheck).
 */
export function minMaxIndexI64(data: Data, rows: number): [number, number] {
  const values = data.values as BigInt64Array;
  const halves = new Int32Array(values.buffer, values.byteOffset + data.offset * 8, rows * 2);
  let min = 0;
  let max = 0;
  for (let r = 1; r < rows; r++) {
    if (lessI64(halves, r, min)) min = r;
    else if (lessI64(halves, max, r)) max = r;
  }
  return [min, max];
}

function lessI64(h: Int32Array, a: number, b: number): boolean {
  const ah = h[2 * a + 1]!;
  const bh = h[2 * b + 1]!;
  if (ah !== bh) return ah < bh;
  return h[2 * a]! >>> 0 < h[2 * b]! >>> 0;
}

/** The 8 little-endian bytes of row `r` of an int64 column (a Statistics min/max value). */
export function int64Bytes(data: Data, r: number): Uint8Array {
  const values = data.values as BigInt64Array;
  return new Uint8Array(values.buffer, values.byteOffset + (data.offset + r) * 8, 8).slice();
}

/** Distinct values a one-byte dictionary index can address. */
export const DICTIONARY_SIZE_MAX = 256;

/**
 * A dictionary of an int16 column chunk (PLAIN INT32 for the dictionary page) and each row's
 * one-byte index; null when the chunk spans more than 256 distinct values. Events' vm, vcpu,
 * dev and queue hold a handful each: one byte per row in the file instead of PLAIN INT32's four
 * (measured: 53 → 41 bytes per event). When the values span at most 256 consecutive integers
 * (always, for those columns) the dictionary is that whole span, unused entries included, and
 * an index is `value − min`: two tight loops, ~4× faster than a lookup per row.
 */
export class Int16Dictionary {
  // slot[v + 32768]: index of v in the current chunk's dictionary, or -1
  private readonly slot = new Int16Array(65536).fill(-1);

  // the codes sign-extended back, compared with the values (fitsInt8)
  private back = new Int16Array(0);

  encode(data: Data, rows: number): { dictionary: Int32Array; codes: Uint8Array } | null {
    const values = (data.values as Int16Array).subarray(data.offset, data.offset + rows);
    const codes = new Uint8Array(values);
    if (this.fitsInt8(values, codes)) return { dictionary: BYTE_VALUES, codes };
    let min = 32767;
    let max = -32768;
    for (let r = 0; r < rows; r++) {
      const v = values[r]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (max - min < DICTIONARY_SIZE_MAX) return spanDictionary(values, min, max);
    return this.lookupDictionary(values);
  }

  /**
   * Every value is an int8, so its code is its low byte (BYTE_VALUES): the codes
   * sign-extended back to int16 equal the values. Three native passes (the conversions and a
   * memcmp) where the min/max loop was one JavaScript pass of ~2.6 ns a value: 0.2 s of a
   * 600 s trace's build for events' vm, vcpu, dev and queue (a CPU profile of the writer).
   */
  private fitsInt8(values: Int16Array, codes: Uint8Array): boolean {
    if (this.back.length < values.length) this.back = new Int16Array(values.length);
    const back = this.back.subarray(0, values.length);
    back.set(new Int8Array(codes.buffer, codes.byteOffset, codes.length));
    const a = Buffer.from(back.buffer, back.byteOffset, back.byteLength);
    const b = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    return a.equals(b);
  }

  private lookupDictionary(values: Int16Array): { dictionary: Int32Array; codes: Uint8Array } | null {
    const dictionary = new Int32Array(DICTIONARY_SIZE_MAX);
    const codes = new Uint8Array(values.length);
    const slot = this.slot;
    let size = 0;
    let full = false;
    for (let r = 0; r < values.length; r++) {
      const v = values[r]!;
      let code = slot[v + 32768]!;
      if (code < 0) {
        if (size === DICTIONARY_SIZE_MAX) {
          full = true;
          break;
        }
        code = size++;
        slot[v + 32768] = code;
        dictionary[code] = v;
      }
      codes[r] = code;
    }
    for (let i = 0; i < size; i++) slot[dictionary[i]! + 32768] = -1;
    return full ? null : { dictionary: dictionary.subarray(0, size), codes };
  }
}

/**
 * The dictionary of a chunk whose values are all int8: every int8 as its own two's-complement
 * byte, so a code is value & 0xff, which the typed-array constructor computes natively
 * (ECMAScript ToUint8 is modulo 2^8) where spanDictionary's subtraction is a JavaScript loop;
 * it is all 256 values (1 KiB a chunk). Events' vm, vcpu, dev and queue are small indices or
 * -1, so this is their common case (the four columns' encoding measured 342 ms of a 600 s
 * trace's build before it). BYTE_VALUES[i] is the int8 whose two's-complement byte is i.
 */
const BYTE_VALUES = Int32Array.from({ length: 256 }, (_, i) => (i < 128 ? i : i - 256));

function spanDictionary(values: Int16Array, min: number, max: number): { dictionary: Int32Array; codes: Uint8Array } {
  const size = values.length === 0 ? 0 : max - min + 1;
  const dictionary = new Int32Array(size);
  for (let i = 0; i < size; i++) dictionary[i] = min + i;
  const codes = new Uint8Array(values.length);
  for (let r = 0; r < values.length; r++) codes[r] = values[r]! - min;
  return { dictionary, codes };
}

/**
 * DltBatchBuilder: the `dlt` table's columns filled straight from parser frames, one record
 * batch at a time. The import hot path: no row objects, no strings for ids or payload text
 * (render-into.ts writes the text's bytes into the column), 64-bit values written as two
 * 32-bit words instead of BigInts. Buffers are preallocated per batch and reused; the batch's
 * Arrow data are views of them, valid until the next add() (the recorder writes a batch out
 * before returning, like the row buffer's).
 *
 * Column values (the `dlt` table's contract, src/trace/schema.ts):
 *   ts_ns = storage_ts_ns   storage header time in ns since the epoch
 *   local_ts_ns             WTMS timestamp × 100 000 (0 when the message has none)
 *   vm                      −1
 *   ecu                     the standard header's ECU id (WEID), else the storage header's
 *   apid, ctid, type        NULL without extended header; type NULL for reserved types 4–7
 *   subtype                 the name dlt-convert prints, else the number ("15"); for reserved
 *                           types "<type>:<subtype>" (so export can write the header back)
 *   level                   log messages with subtype 1–6
 *   session_id              WSID as int32 (ids ≥ 2^31 read negative), else NULL
 *   message_id              non-verbose (and control) messages: the payload's first u32
 *   htyp, storage_ecu       as received
 */
import type { ColumnBuffers } from '../../trace/ipc-encode.js';
import { TABLES } from '../../trace/tables.js';
import { DltFrame } from './frame.js';
import { HTYP_WEID, HTYP_WSID, STANDARD_HEADER_SIZE } from './protocol.js';
import { renderPayload } from './render-line.js';
import { messageSubtypeName } from './render-line.js';
import { renderIntoSizeMax, renderPayloadInto } from './render-into.js';

const encoder = new TextEncoder();
/** Memory for a column buffer (zero-filled, like new ArrayBuffer). */
export type BufferAllocator = (bytes: number) => ArrayBuffer | SharedArrayBuffer;

const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const TWO_POW_32 = 0x1_0000_0000;

/**
 * The column order the batch fillers (this builder, and the WASM kernel in kernel.ts) produce;
 * each checks it against the schema at construction.
 */
export const DLT_FILL_COLUMNS = [
  'ts_ns', 'local_ts_ns', 'vm', 'ecu', 'apid', 'ctid', 'session_id', 'type', 'subtype', 'level',
  'msg_counter', 'verbose', 'noar', 'message_id', 'payload', 'payload_raw', 'lifecycle',
  'storage_ts_ns', 'htyp', 'storage_ecu',
] as const;

/**
 * Fixed-width column with a validity bitmap. The bitmap starts all valid and reset() restores
 * it, so only NULLs cost a write (most columns never have one).
 */
class Fixed<T extends Int8Array | Int16Array | Int32Array | BigInt64Array> {
  readonly validity: Uint8Array;
  nullCount = 0;
  constructor(readonly values: T, capacity: number, alloc: BufferAllocator) {
    this.validity = new Uint8Array(alloc(Math.ceil(capacity / 8))).fill(0xff);
  }
  valid(i: number, ok: boolean): void {
    if (!ok) this.setNull(i);
  }
  setNull(i: number): void {
    this.validity[i >> 3]! &= ~(1 << (i & 7));
    this.nullCount++;
  }
  reset(): void {
    if (this.nullCount > 0) this.validity.fill(0xff);
    this.nullCount = 0;
  }
}

/** Utf8 / Binary column: int32 offsets and a byte buffer grown by doubling. */
class Var {
  readonly offsets: Int32Array;
  readonly validity: Uint8Array;
  bytes: Uint8Array;
  /** `bytes` as a DataView: copies move four bytes per step */
  view: DataView<ArrayBufferLike>;
  end = 0;
  nullCount = 0;
  constructor(capacity: number, private readonly alloc: BufferAllocator) {
    this.bytes = new Uint8Array(alloc(256 * 1024));
    this.view = new DataView(this.bytes.buffer);
    this.offsets = new Int32Array(alloc(4 * (capacity + 1)));
    this.validity = new Uint8Array(alloc(Math.ceil(capacity / 8))).fill(0xff);
  }
  reset(): void {
    if (this.nullCount > 0) this.validity.fill(0xff);
    this.nullCount = 0;
    this.end = 0;
  }
  reserve(extra: number): void {
    const needed = this.end + extra;
    if (needed <= this.bytes.length) return;
    if (needed > 2 ** 31 - 1) throw new Error('dlt import: a batch column exceeds 2 GiB');
    let size = this.bytes.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(this.alloc(Math.min(size, 2 ** 31 - 1)));
    grown.set(this.bytes.subarray(0, this.end));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
  close(i: number, ok: boolean): void {
    this.offsets[i + 1] = this.end;
    if (!ok) {
      this.validity[i >> 3]! &= ~(1 << (i & 7));
      this.nullCount++;
    }
  }
  /** A DLT id (4 bytes up to the first NUL) as UTF-8 of its Latin-1 reading, like readId. */
  id(b: Uint8Array, src: DataView<ArrayBufferLike>, at: number): void {
    this.reserve(8);
    let o = this.end;
    const w = src.getInt32(at, true);
    // the usual id: four ASCII characters, none of them NUL (no byte with its top bit set, and
    // no zero byte: the classic (w - 0x01010101) & ~w & 0x80808080 test)
    if ((w & 0x80808080) === 0 && ((w - 0x01010101) & ~w & 0x80808080) === 0) {
      this.view.setInt32(o, w, true);
      this.end = o + 4;
      return;
    }
    const out = this.bytes;
    for (let k = 0; k < 4; k++) {
      const c = b[at + k]!;
      if (c === 0) break;
      if (c < 0x80) {
        out[o++] = c;
      } else {
        out[o++] = 0xc0 | (c >> 6);
        out[o++] = 0x80 | (c & 0x3f);
      }
    }
    this.end = o;
  }
  /** A few bytes (a subtype name) by a byte loop. */
  short(b: Uint8Array, length: number): void {
    this.reserve(length);
    const out = this.bytes;
    const o = this.end;
    for (let k = 0; k < length; k++) out[o + k] = b[k]!;
    this.end = o + length;
  }
  text(s: string): void {
    this.reserve(s.length * 3);
    this.end += encoder.encodeInto(s, this.bytes.subarray(this.end)).written;
  }
  copy(b: Uint8Array, src: DataView<ArrayBufferLike>, from: number, length: number): void {
    this.reserve(length);
    // four bytes per step up to a few cache lines (2× a byte loop); set() would need a
    // subarray object per call (garbage)
    if (length <= 256) {
      const out = this.bytes;
      const view = this.view;
      const o = this.end;
      let k = 0;
      for (; k + 4 <= length; k += 4) view.setInt32(o + k, src.getInt32(from + k, true), true);
      for (; k < length; k++) out[o + k] = b[from + k]!;
    } else {
      this.bytes.set(b.subarray(from, from + length), this.end);
    }
    this.end += length;
  }
}

/**
 * subtype text and level code per (type, subtype) at type * 16 + subtype, precomputed as UTF-8
 * bytes (the WASM kernel gets its table from here too).
 */
export const SUBTYPE_TEXT: Uint8Array[] = [];
const LEVEL_CODE = new Int8Array(8 * 16).fill(-1);
for (let type = 0; type < 8; type++) {
  for (let sub = 0; sub < 16; sub++) {
    const name = type < 4 ? messageSubtypeName(type, sub) : '';
    const text = name !== '' ? name : type < 4 ? String(sub) : `${type}:${sub}`;
    SUBTYPE_TEXT[type * 16 + sub] = encoder.encode(text);
    if (type === 0 && sub >= 1 && sub <= 6) LEVEL_CODE[sub] = sub - 1;
  }
}

export class DltBatchBuilder {
  readonly capacity: number;
  private count = 0;
  private readonly tsNs: Fixed<BigInt64Array>;
  private readonly localTsNs: Fixed<BigInt64Array>;
  private readonly vm: Fixed<Int16Array>;
  private readonly ecu: Var;
  private readonly apid: Var;
  private readonly ctid: Var;
  private readonly sessionId: Fixed<Int32Array>;
  private readonly type: Fixed<Int8Array>;
  private readonly subtype: Var;
  private readonly level: Fixed<Int8Array>;
  private readonly counter: Fixed<Int16Array>;
  private readonly verboseBits: Uint8Array;
  private readonly noar: Fixed<Int16Array>;
  private readonly messageId: Fixed<BigInt64Array>;
  private readonly payload: Var;
  private readonly payloadRaw: Var;
  private readonly lifecycle: Fixed<Int32Array>;
  private readonly htyp: Fixed<Int16Array>;
  private readonly storageEcu: Var;
  /** word views of the 64-bit columns: [2i] low, [2i + 1] high */
  private readonly tsWords: Int32Array;
  private readonly localWords: Int32Array;
  private readonly idWords: Int32Array;
  /** messages whose payload text needed the reference renderer */
  slowPayloads = 0;
  private source: Uint8Array | null = null;
  /** addTimes' cache: the last storage second and its ns as xHigh·2^32 + low·512 */
  private seconds = -1;
  private secondsHigh = 0;
  private secondsLow512 = 0;
  private sourceDataView: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));

  /**
   * `alloc` gives the memory of every column buffer: SharedArrayBuffers let a writer thread
   * write a batch straight from the builder (import.ts keeps a few builders in turn).
   */
  constructor(capacity: number, alloc: BufferAllocator = (bytes) => new ArrayBuffer(bytes)) {
    if (!HOST_LITTLE_ENDIAN) throw new Error('dlt import: needs a little-endian host (Arrow buffers)');
    const names = TABLES.dlt.columns.map((c) => c.name);
    if (names.join() !== DLT_FILL_COLUMNS.join()) {
      throw new Error(`assert: DltBatchBuilder columns ${DLT_FILL_COLUMNS.join()} differ from the schema's ${names.join()}`);
    }
    this.capacity = capacity;
    const fixed64 = () => new Fixed(new BigInt64Array(alloc(8 * capacity)), capacity, alloc);
    this.tsNs = fixed64();
    this.localTsNs = fixed64();
    this.messageId = fixed64();
    this.vm = new Fixed(new Int16Array(alloc(2 * capacity)).fill(-1), capacity, alloc);
    this.sessionId = new Fixed(new Int32Array(alloc(4 * capacity)), capacity, alloc);
    this.type = new Fixed(new Int8Array(alloc(1 * capacity)), capacity, alloc);
    this.level = new Fixed(new Int8Array(alloc(1 * capacity)), capacity, alloc);
    this.counter = new Fixed(new Int16Array(alloc(2 * capacity)), capacity, alloc);
    this.noar = new Fixed(new Int16Array(alloc(2 * capacity)), capacity, alloc);
    this.lifecycle = new Fixed(new Int32Array(alloc(4 * capacity)), capacity, alloc);
    this.htyp = new Fixed(new Int16Array(alloc(2 * capacity)), capacity, alloc);
    this.verboseBits = new Uint8Array(alloc(Math.ceil(capacity / 8)));
    this.ecu = new Var(capacity, alloc);
    this.apid = new Var(capacity, alloc);
    this.ctid = new Var(capacity, alloc);
    this.subtype = new Var(capacity, alloc);
    this.payload = new Var(capacity, alloc);
    this.payloadRaw = new Var(capacity, alloc);
    this.storageEcu = new Var(capacity, alloc);
    this.tsWords = new Int32Array(this.tsNs.values.buffer);
    this.localWords = new Int32Array(this.localTsNs.values.buffer);
    this.idWords = new Int32Array(this.messageId.values.buffer);
  }

  get length(): number {
    return this.count;
  }

  /** A DataView of the parser's buffer, made again only when the parser changes buffers. */
  private sourceView(b: Uint8Array): DataView<ArrayBufferLike> {
    if (b !== this.source) {
      this.source = b;
      this.sourceDataView = new DataView(b.buffer, b.byteOffset, b.byteLength);
    }
    return this.sourceDataView;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }

  /** Appends the frame (a storage-framed message) as one row. */
  add(f: DltFrame, lifecycle: number): void {
    if (this.count === this.capacity) throw new Error('assert: DltBatchBuilder is full; take the batch first');
    const i = this.count;
    const b = f.bytes;
    this.addTimes(i, f);
    const h = f.headerOffset;
    const htyp = f.htyp;
    const src = this.sourceView(b);
    this.ecu.id(b, src, (htyp & HTYP_WEID) !== 0 ? h + STANDARD_HEADER_SIZE : f.offset + 12);
    this.ecu.close(i, true);
    const ext = f.msin >= 0;
    if (ext) {
      this.apid.id(b, src, f.payloadOffset - 8);
      this.ctid.id(b, src, f.payloadOffset - 4);
    }
    this.apid.close(i, ext);
    this.ctid.close(i, ext);
    const hasSession = (htyp & HTYP_WSID) !== 0;
    this.sessionId.values[i] = hasSession ? f.sessionId | 0 : 0;
    this.sessionId.valid(i, hasSession);
    this.addTypes(i, f);
    this.counter.values[i] = f.counter;
    if (f.verbose) this.verboseBits[i >> 3]! |= 1 << (i & 7);
    else this.verboseBits[i >> 3]! &= ~(1 << (i & 7));
    this.noar.values[i] = f.noar;
    this.addMessageId(i, f);
    this.addPayload(i, f);
    this.lifecycle.values[i] = lifecycle;
    this.htyp.values[i] = htyp;
    this.storageEcu.id(b, src, f.offset + 12);
    this.storageEcu.close(i, true);
    this.count = i + 1;
  }

  /** ns = seconds·10^9 + µs·1000, built from exact doubles: seconds·1953125 < 2^53, ·512 by words. */
  private addTimes(i: number, f: DltFrame): void {
    if (f.storageSeconds !== this.seconds) { // many messages share a second
      this.seconds = f.storageSeconds;
      const x = f.storageSeconds * 1953125;
      this.secondsHigh = Math.floor(x / 0x80_0000); // x = xHigh·2^23 + xLow
      this.secondsLow512 = (x - this.secondsHigh * 0x80_0000) * 512;
    }
    const xHigh = this.secondsHigh;
    const sum = this.secondsLow512 + f.storageMicroseconds * 1000;
    const carry = Math.floor(sum / TWO_POW_32);
    const lo = sum - carry * TWO_POW_32;
    const hi = xHigh + carry;
    this.tsWords[2 * i] = lo | 0;
    this.tsWords[2 * i + 1] = hi | 0;
    const local = f.timestamp < 0 ? 0 : f.timestamp * 100_000; // < 2^32 · 10^5 < 2^53
    const localHigh = Math.floor(local / TWO_POW_32);
    this.localWords[2 * i] = (local - localHigh * TWO_POW_32) | 0;
    this.localWords[2 * i + 1] = localHigh;
  }

  private addTypes(i: number, f: DltFrame): void {
    if (f.msin < 0) {
      this.type.valid(i, false);
      this.subtype.close(i, false);
      this.level.valid(i, false);
      return;
    }
    const type = f.type;
    const sub = f.subtype;
    this.type.values[i] = type < 4 ? type : 0;
    this.type.valid(i, type < 4);
    const text = SUBTYPE_TEXT[type * 16 + sub]!;
    this.subtype.short(text, text.length);
    this.subtype.close(i, true);
    const level = type === 0 ? LEVEL_CODE[sub]! : -1;
    this.level.values[i] = level < 0 ? 0 : level;
    this.level.valid(i, level >= 0);
  }

  private addMessageId(i: number, f: DltFrame): void {
    const has = !f.verbose && f.payloadLength >= 4;
    let id = 0;
    if (has) {
      const b = f.bytes;
      const p = f.payloadOffset;
      id = f.bigEndian
        ? (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
        : b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
    }
    this.idWords[2 * i] = id; // the u32's bits; the high word 0 makes it unsigned
    this.idWords[2 * i + 1] = 0;
    this.messageId.valid(i, has);
  }

  private addPayload(i: number, f: DltFrame): void {
    const text = this.payload;
    text.reserve(renderIntoSizeMax(f.payloadLength));
    const end = renderPayloadInto(f, text.bytes, text.end);
    if (end >= 0) {
      text.end = end;
    } else {
      this.slowPayloads++;
      text.text(renderPayload(f));
    }
    text.close(i, true);
    this.payloadRaw.copy(f.bytes, this.sourceView(f.bytes), f.payloadOffset, f.payloadLength);
    this.payloadRaw.close(i, true);
  }

  /**
   * The rows added since the last reset as Arrow column buffers (views of the builder's arrays,
   * valid until the next add() or reset()), in the schema's column order.
   */
  columns(): ColumnBuffers[] {
    const length = this.count;
    const bitmap = (v: { validity: Uint8Array; nullCount: number }) =>
      v.nullCount > 0 ? v.validity.subarray(0, Math.ceil(length / 8)) : undefined;
    const fixed = (c: Fixed<Int8Array | Int16Array | Int32Array | BigInt64Array>): ColumnBuffers => ({
      nullCount: c.nullCount, validity: bitmap(c), values: c.values.subarray(0, length),
    });
    const varying = (c: Var): ColumnBuffers => ({
      nullCount: c.nullCount, validity: bitmap(c), offsets: c.offsets.subarray(0, length + 1),
      values: c.bytes.subarray(0, c.end),
    });
    return [
      fixed(this.tsNs), fixed(this.localTsNs), fixed(this.vm), varying(this.ecu),
      varying(this.apid), varying(this.ctid), fixed(this.sessionId), fixed(this.type),
      varying(this.subtype), fixed(this.level), fixed(this.counter),
      { nullCount: 0, values: this.verboseBits.subarray(0, Math.ceil(length / 8)) },
      fixed(this.noar), fixed(this.messageId), varying(this.payload),
      varying(this.payloadRaw), fixed(this.lifecycle), fixed(this.tsNs),
      fixed(this.htyp), varying(this.storageEcu),
    ];
  }

  /** Empties the builder (after the batch was written). */
  reset(): void {
    this.count = 0;
    for (const c of [this.tsNs, this.localTsNs, this.vm, this.sessionId, this.type, this.level,
      this.counter, this.noar, this.messageId, this.lifecycle, this.htyp]) c.reset();
    for (const c of [this.ecu, this.apid, this.ctid, this.subtype, this.payload, this.payloadRaw,
      this.storageEcu]) c.reset();
  }
}

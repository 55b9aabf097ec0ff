// The guest side of the DLT channel without objects (issue 10 §2): a log call is written as a DLT
// v1 verbose message straight into one reused arena, for the argument types a guest's log call
// maps its values to (toArg in dlt-channel.ts: string, bool, sint32, sint64, float64). The bytes
// are exactly what encodeMessage gives for the same call (test/dlt/guest-log-writer.test.ts
// compares the two over generated calls); encodeMessage stays the general codec (export, import).
//
// Message layout (PRS_Dlt; protocol.ts), no storage header, as on a DLT TCP connection:
//   htyp 0x3d (version 1 | UEH | WEID | WSID | WTMS) | counter u8 | length u16 BE |
//   ecu 4 B | session u32 BE | timestamp u32 BE | msin u8 | noar u8 | apid 4 B | ctid 4 B |
//   arguments, little-endian (MSBF clear): type info u32 | [u16 length] | value

import { DLT_LEVELS, type DltLevel } from '../core/codes.js';
import type { LogValue } from '../guests/guest-api.js';
import {
  bitsTyle, DltType, HTYP_UEH, HTYP_VERSION_SHIFT, HTYP_WEID, HTYP_WSID, HTYP_WTMS, MESSAGE_SIZE_MAX,
  MSIN_MSTP_SHIFT, MSIN_MTIN_SHIFT, MSIN_VERB, PROTOCOL_VERSION, SCOD_UTF8, TYPE_BOOL, TYPE_FLOA,
  TYPE_SINT, TYPE_STRG,
} from '../formats/dlt/protocol.js';

const HTYP = (PROTOCOL_VERSION << HTYP_VERSION_SHIFT) | HTYP_UEH | HTYP_WEID | HTYP_WSID | HTYP_WTMS;
/** standard header 4 + ecu 4 + session 4 + timestamp 4 + extended header 10 */
const HEADER_BYTES = 26;
const TYPE_INFO_BOOL = TYPE_BOOL | bitsTyle(8);
const TYPE_INFO_SINT32 = TYPE_SINT | bitsTyle(32);
const TYPE_INFO_SINT64 = TYPE_SINT | bitsTyle(64);
const TYPE_INFO_FLOAT64 = TYPE_FLOA | bitsTyle(64);
const TYPE_INFO_STRING = TYPE_STRG | SCOD_UTF8;
const U16_MAX = 0xffff;
const U32 = 2 ** 32;
/** A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair: 4 bytes for 2 units). */
const UTF8_BYTES_PER_UNIT_MAX = 3;

/** The header fields of one log call (reused by its VM: set the per-call fields, then write). */
export interface GuestLogHeader {
  ecu: string;
  sessionId: number;
  timestamp: number; // 0.1 ms units of the guest's clock
  counter: number;
  apid: string;
  ctid: string;
  level: DltLevel;
}

const f64Scratch = new Float64Array(1);
const f64Bytes = new Uint8Array(f64Scratch.buffer);

/**
 * Messages written one after another into one buffer that grows by doubling and is reused after
 * reset(): message k is bytes [start(k), end(k)). Nothing is allocated per message once grown.
 */
export class DltLogArena {
  bytes: Buffer = Buffer.alloc(4096);
  /** messages written since reset() */
  count = 0;
  /** where the next message goes */
  end = 0;
  private starts = new Int32Array(64);

  reset(): void {
    this.count = 0;
    this.end = 0;
  }

  start(k: number): number {
    return this.starts[k]!;
  }

  /** The end of message k. */
  endOf(k: number): number {
    return k + 1 < this.count ? this.starts[k + 1]! : this.end;
  }

  /**
   * Appends one log call. Throws the RangeError encodeMessage throws for the same call (an
   * argument or the message over 16-bit lengths, over 255 arguments), leaving the arena as it was.
   */
  write(h: GuestLogHeader, values: readonly LogValue[]): void {
    const from = this.end;
    this.reserve(HEADER_BYTES);
    let at = from + HEADER_BYTES;
    for (let i = 0; i < values.length; i++) at = this.writeValue(at, values[i]!);
    const length = at - from;
    if (length > MESSAGE_SIZE_MAX) throw new RangeError(`DLT: message of ${length} bytes exceeds the 16-bit length field`);
    checkRange('counter', h.counter, 0xff);
    checkRange('noar', values.length, 0xff);
    this.writeHeader(from, length, h, values.length);
    if (this.count === this.starts.length) {
      const grown = new Int32Array(2 * this.count);
      grown.set(this.starts);
      this.starts = grown;
    }
    this.starts[this.count++] = from;
    this.end = at;
  }

  private writeHeader(at: number, length: number, h: GuestLogHeader, noar: number): void {
    const b = this.bytes;
    b[at] = HTYP;
    b[at + 1] = h.counter;
    b[at + 2] = (length >>> 8) & 0xff;
    b[at + 3] = length & 0xff;
    writeId(b, at + 4, h.ecu);
    u32be(b, at + 8, h.sessionId);
    u32be(b, at + 12, h.timestamp);
    // DLT_LEVELS.indexOf + 1: fatal = 1 … verbose = 6 (DltLogLevel); 0 for none
    const subtype = DLT_LEVELS.indexOf(h.level) + 1;
    b[at + 16] = MSIN_VERB | (DltType.LOG << MSIN_MSTP_SHIFT) | (subtype << MSIN_MTIN_SHIFT);
    b[at + 17] = noar;
    writeId(b, at + 18, h.apid);
    writeId(b, at + 22, h.ctid);
  }

  /** One value as toArg maps it; returns where the next one goes. */
  private writeValue(at: number, value: LogValue): number {
    switch (typeof value) {
      case 'string':
        return this.writeString(at, value);
      case 'boolean':
        this.reserve(at + 5 - this.end);
        u32le(this.bytes, at, TYPE_INFO_BOOL);
        this.bytes[at + 4] = value ? 1 : 0;
        return at + 5;
      case 'bigint': {
        const u = BigInt.asUintN(64, value);
        return this.writeSint64(at, Number(u & 0xffff_ffffn), Number(u >> 32n));
      }
      case 'number':
        if (!Number.isInteger(value)) return this.writeFloat64(at, value);
        if (value >= -0x8000_0000 && value <= 0x7fff_ffff) {
          this.reserve(at + 8 - this.end);
          u32le(this.bytes, at, TYPE_INFO_SINT32);
          u32le(this.bytes, at + 4, value);
          return at + 8;
        }
        // two's complement mod 2^64 of an integer double, exactly (% and / 2^32 are exact)
        return this.writeSint64(at, mod(value, U32), mod(Math.floor(value / U32), U32));
    }
  }

  private writeString(at: number, text: string): number {
    this.reserve(at + 6 + UTF8_BYTES_PER_UNIT_MAX * text.length + 1 - this.end);
    u32le(this.bytes, at, TYPE_INFO_STRING);
    // Buffer.write is UTF-8 as TextEncoder (lone surrogates become U+FFFD), with no allocation
    const n = text.length === 0 ? 0 : this.bytes.write(text, at + 6, 'utf8');
    if (n + 1 > U16_MAX) throw new RangeError(`DLT: length ${n + 1} does not fit the 16-bit length field`);
    this.bytes[at + 4] = (n + 1) & 0xff;
    this.bytes[at + 5] = (n + 1) >>> 8;
    this.bytes[at + 6 + n] = 0;
    return at + 7 + n;
  }

  private writeSint64(at: number, lo: number, hi: number): number {
    this.reserve(at + 12 - this.end);
    u32le(this.bytes, at, TYPE_INFO_SINT64);
    u32le(this.bytes, at + 4, lo);
    u32le(this.bytes, at + 8, hi);
    return at + 12;
  }

  private writeFloat64(at: number, value: number): number {
    this.reserve(at + 12 - this.end);
    u32le(this.bytes, at, TYPE_INFO_FLOAT64);
    f64Scratch[0] = value; // the host's bytes: every platform Node runs on is little-endian
    this.bytes.set(f64Bytes, at + 4);
    return at + 12;
  }

  /** Room for `extra` bytes after `end` (and so after any position below it plus `extra`). */
  private reserve(extra: number): void {
    const needed = this.end + extra;
    if (needed <= this.bytes.length) return;
    let capacity = 2 * this.bytes.length;
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.alloc(capacity);
    this.bytes.copy(grown, 0, 0, this.bytes.length);
    this.bytes = grown;
  }
}

/** dlt_set_id: 4 bytes, NUL-padded, cut at 4 characters, each its low byte (bytes.ts writeId). */
function writeId(b: Uint8Array, at: number, id: string): void {
  for (let i = 0; i < 4; i++) b[at + i] = i < id.length ? id.charCodeAt(i) & 0xff : 0;
}

// ByteWriter.u32's arithmetic (`>>> shift & 0xff`: ToUint32 of any number), in each byte order.
function u32be(b: Uint8Array, at: number, value: number): void {
  for (let i = 0; i < 4; i++) b[at + i] = (value >>> (24 - 8 * i)) & 0xff;
}
function u32le(b: Uint8Array, at: number, value: number): void {
  for (let i = 0; i < 4; i++) b[at + i] = (value >>> (8 * i)) & 0xff;
}

function mod(value: number, m: number): number {
  const r = value % m;
  return r < 0 ? r + m : r;
}

function checkRange(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`DLT: ${what} ${value} is outside 0..${max}`);
  }
}

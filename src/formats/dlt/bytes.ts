/**
 * Byte-level helpers shared by the DLT encoder and decoder: a growable writer with explicit
 * byte order, 4-character ids, and text decoding. No DataView: the hot paths read bytes directly.
 */

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export function utf8Encode(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array, start: number, end: number): string {
  return utf8Decoder.decode(bytes.subarray(start, end));
}

/**
 * A 4-byte id as text: up to the first NUL, bytes as Latin-1 so that every byte value maps to
 * one character and back (libdlt treats ids as raw chars; dlt_print_id stops at NUL too).
 */
export function readId(bytes: Uint8Array, offset: number): string {
  let text = '';
  for (let i = 0; i < 4; i++) {
    const c = bytes[offset + i]!;
    if (c === 0) break;
    text += String.fromCharCode(c);
  }
  return text;
}

/** Writes an id as 4 bytes, NUL-padded (dlt_set_id); longer ids are cut at 4 characters. */
export function writeId(bytes: Uint8Array, offset: number, id: string): void {
  for (let i = 0; i < 4; i++) {
    bytes[offset + i] = i < id.length ? id.charCodeAt(i) & 0xff : 0;
  }
}

/** The 4 id bytes as one u32 (first byte lowest): a cheap key for id caches. */
export function idKey(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) |
    (bytes[offset + 3]! << 24)) >>> 0;
}

export function readU16(bytes: Uint8Array, offset: number, bigEndian: boolean): number {
  return bigEndian
    ? (bytes[offset]! << 8) | bytes[offset + 1]!
    : bytes[offset]! | (bytes[offset + 1]! << 8);
}

export function readU32(bytes: Uint8Array, offset: number, bigEndian: boolean): number {
  return bigEndian
    ? ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) |
      bytes[offset + 3]!) >>> 0
    : (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) |
      (bytes[offset + 3]! << 24)) >>> 0;
}

export function readU64(bytes: Uint8Array, offset: number, bigEndian: boolean): bigint {
  const a = BigInt(readU32(bytes, offset, bigEndian));
  const b = BigInt(readU32(bytes, offset + 4, bigEndian));
  return bigEndian ? (a << 32n) | b : (b << 32n) | a;
}

export function readU128(bytes: Uint8Array, offset: number, bigEndian: boolean): bigint {
  const a = readU64(bytes, offset, bigEndian);
  const b = readU64(bytes, offset + 8, bigEndian);
  return bigEndian ? (a << 64n) | b : (b << 64n) | a;
}

const f32Scratch = new Float32Array(1);
const f32Bytes = new Uint8Array(f32Scratch.buffer);
const f64Scratch = new Float64Array(1);
const f64Bytes = new Uint8Array(f64Scratch.buffer);
/** Typed arrays use the host's byte order; every platform Node runs on is little-endian. */
const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

export function readF32(bytes: Uint8Array, offset: number, bigEndian: boolean): number {
  const swap = bigEndian === HOST_LITTLE_ENDIAN;
  for (let i = 0; i < 4; i++) f32Bytes[i] = bytes[offset + (swap ? 3 - i : i)]!;
  return f32Scratch[0]!;
}

export function readF64(bytes: Uint8Array, offset: number, bigEndian: boolean): number {
  const swap = bigEndian === HOST_LITTLE_ENDIAN;
  for (let i = 0; i < 8; i++) f64Bytes[i] = bytes[offset + (swap ? 7 - i : i)]!;
  return f64Scratch[0]!;
}

/** Appends bytes in a fixed byte order to a buffer that grows by doubling. */
export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(readonly bigEndian: boolean, capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  get size(): number {
    return this.pos;
  }

  /** A copy of what was written. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private reserve(count: number): number {
    const at = this.pos;
    if (at + count > this.buf.length) {
      let capacity = this.buf.length * 2;
      while (capacity < at + count) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.buf.subarray(0, at));
      this.buf = grown;
    }
    this.pos = at + count;
    return at;
  }

  // reserve() may replace `buf`: always call it before reading `this.buf`.
  u8(value: number): void {
    const at = this.reserve(1);
    this.buf[at] = value & 0xff;
  }

  u16(value: number): void {
    const at = this.reserve(2);
    const hi = (value >>> 8) & 0xff;
    const lo = value & 0xff;
    this.buf[at] = this.bigEndian ? hi : lo;
    this.buf[at + 1] = this.bigEndian ? lo : hi;
  }

  u32(value: number): void {
    const at = this.reserve(4);
    for (let i = 0; i < 4; i++) {
      const shift = this.bigEndian ? 24 - 8 * i : 8 * i;
      this.buf[at + i] = (value >>> shift) & 0xff;
    }
  }

  /** Writes the low `bits` bits of a two's-complement bigint. */
  bigint(value: bigint, bits: 64 | 128): void {
    const count = bits / 8;
    const at = this.reserve(count);
    let v = BigInt.asUintN(bits, value);
    for (let i = 0; i < count; i++) {
      this.buf[at + (this.bigEndian ? count - 1 - i : i)] = Number(v & 0xffn);
      v >>= 8n;
    }
  }

  f32(value: number): void {
    f32Scratch[0] = value;
    this.hostBytes(f32Bytes);
  }

  f64(value: number): void {
    f64Scratch[0] = value;
    this.hostBytes(f64Bytes);
  }

  private hostBytes(host: Uint8Array): void {
    const at = this.reserve(host.length);
    const swap = this.bigEndian === HOST_LITTLE_ENDIAN;
    for (let i = 0; i < host.length; i++) {
      this.buf[at + i] = host[swap ? host.length - 1 - i : i]!;
    }
  }

  raw(bytes: Uint8Array): void {
    const at = this.reserve(bytes.length);
    this.buf.set(bytes, at);
  }
}

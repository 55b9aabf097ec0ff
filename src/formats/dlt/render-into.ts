/**
 * renderPayloadInto: the payload text of a parser frame, written as UTF-8 bytes straight into a
 * column buffer, with no string made on the way. This is the import hot path; render-payload.ts
 * stays the reference (every quirk of `dlt-convert -a`), and this file covers only what real
 * logs are mostly made of, exactly as the reference prints it:
 *
 *   verbose   ASCII strings (CR/LF → space, cut at NUL), bool, 8–32-bit ints, 64-bit ints of
 *             magnitude below 2^53, float32/64 (not NaN), raw data; VARI names skipped
 *   otherwise non-verbose messages that are not control messages: "<id>, <hex bytes>"
 *
 * Anything else — other types or codings, a short or failing argument, non-ASCII text, a
 * payload long enough that the C text buffer could cut it — returns -1 and the caller renders
 * with renderPayload(). Success is all or nothing: on -1 nothing the caller relies on is written.
 * test/dlt-interop/render-into.test.ts checks the two agree on real and generated messages.
 */
import type { DltFrame } from './frame.js';
import { printfG } from './printf-g.js';
import {
  DltType, SCOD_ASCII, SCOD_UTF8, TYLE_16, TYLE_32, TYLE_64, TYLE_8, TYPE_BOOL, TYPE_FLOA,
  TYPE_RAWD, TYPE_SCOD_MASK, TYPE_SINT, TYPE_STRG, TYPE_TYLE_MASK, TYPE_UINT, TYPE_VARI,
} from './protocol.js';

/**
 * Payloads up to this size cannot reach the C text buffer's 10023 characters: each argument
 * prints at most 3 characters per payload byte it consumes (raw and hex bytes: "xx'"), so
 * 3000 bytes print at most ~9000 characters.
 */
export const FAST_PAYLOAD_SIZE_MAX = 3000;

/** Bytes the caller must have free at `at` for a payload of `payloadLength` bytes. */
export function renderIntoSizeMax(payloadLength: number): number {
  return payloadLength * 3 + 24;
}

const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const SPACE = 0x20;
const TWO_POW_32 = 0x1_0000_0000;
/** type info bits this renderer understands; any other bit sends the payload to the reference */
const KNOWN_BITS = TYPE_TYLE_MASK | TYPE_VARI | TYPE_SCOD_MASK;

const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Renders the frame's payload at `out[at]`; returns the end offset, or -1 (use renderPayload). */
export function renderPayloadInto(f: DltFrame, out: Uint8Array, at: number): number {
  if (f.payloadLength > FAST_PAYLOAD_SIZE_MAX) return -1;
  if (f.verbose) return renderVerbose(f, out, at);
  if (f.msin >= 0 && f.type === DltType.CONTROL) return -1;
  return renderNonVerbose(f, out, at);
}

function renderNonVerbose(f: DltFrame, out: Uint8Array, at: number): number {
  const b = f.bytes;
  const start = f.payloadOffset;
  const end = start + f.payloadLength;
  if (f.payloadLength < 4) return -1;
  let o = writeDecimal(out, at, read32(b, start, f.bigEndian));
  out[o++] = 0x2c; // ','
  out[o++] = SPACE;
  for (let p = start + 4; p < end; p++) {
    if (p !== start + 4) out[o++] = SPACE;
    o = writeHexByte(out, o, b[p]!);
  }
  return o;
}

/** A cursor over the payload: a class with fixed fields keeps the loop monomorphic. */
class Cursor {
  bytes: Uint8Array = HEX_DIGITS;
  pos = 0;
  end = 0;
  bigEndian = false;
}
const cur = new Cursor();

function renderVerbose(f: DltFrame, out: Uint8Array, at: number): number {
  cur.bytes = f.bytes;
  cur.pos = f.payloadOffset;
  cur.end = f.payloadOffset + f.payloadLength;
  cur.bigEndian = f.bigEndian;
  let o = at;
  const noar = f.noar;
  for (let i = 0; i < noar; i++) {
    if (i !== 0) out[o++] = SPACE;
    if (cur.end - cur.pos < 4) return -1;
    const typeInfo = read32(cur.bytes, cur.pos, cur.bigEndian);
    cur.pos += 4;
    o = renderArg(typeInfo, out, o);
    if (o < 0) return -1;
  }
  return o;
}

function renderArg(typeInfo: number, out: Uint8Array, o: number): number {
  if ((typeInfo & ~KNOWN_BITS & ~(TYPE_STRG | TYPE_BOOL | TYPE_SINT | TYPE_UINT | TYPE_FLOA |
    TYPE_RAWD)) !== 0) return -1;
  const scod = typeInfo & TYPE_SCOD_MASK;
  const vari = (typeInfo & TYPE_VARI) !== 0;
  const kind = typeInfo & (TYPE_STRG | TYPE_BOOL | TYPE_SINT | TYPE_UINT | TYPE_FLOA | TYPE_RAWD);
  switch (kind) {
    case TYPE_STRG:
      return scod === SCOD_ASCII || scod === SCOD_UTF8 ? renderString(vari, out, o) : -1;
    case TYPE_BOOL:
      if (scod !== 0 || (vari && !skipName())) return -1;
      if (cur.end - cur.pos < 1) return -1;
      return writeDecimal(out, o, cur.bytes[cur.pos++]!);
    case TYPE_SINT:
    case TYPE_UINT:
      if (scod !== 0 || (vari && !skipNameAndUnit())) return -1;
      return renderInt(typeInfo & TYPE_TYLE_MASK, kind === TYPE_SINT, out, o);
    case TYPE_FLOA:
      if (scod !== 0 || (vari && !skipNameAndUnit())) return -1;
      return renderFloat(typeInfo & TYPE_TYLE_MASK, out, o);
    case TYPE_RAWD:
      return scod === 0 ? renderRaw(vari, out, o) : -1;
    default:
      return -1;
  }
}

/** DLT_MSG_READ_STRING: CR/LF print as spaces, the text ends at the first NUL; ASCII only. */
function renderString(vari: boolean, out: Uint8Array, o: number): number {
  if (cur.end - cur.pos < 2) return -1;
  const length = read16(cur.bytes, cur.pos, cur.bigEndian);
  cur.pos += 2;
  if (vari && !skipName()) return -1;
  if (length === 0 || cur.end - cur.pos < length) return -1;
  const b = cur.bytes;
  const start = cur.pos;
  const stop = start + length;
  for (let p = start; p < stop; p++) {
    const c = b[p]!;
    if (c === 0) break;
    if (c >= 0x80) return -1; // UTF-8: the reference decodes it (and replaces invalid bytes)
    out[o++] = c === 0x0a || c === 0x0d ? SPACE : c;
  }
  cur.pos = stop;
  return o;
}

function renderInt(tyle: number, signed: boolean, out: Uint8Array, o: number): number {
  const b = cur.bytes;
  const left = cur.end - cur.pos;
  switch (tyle) {
    case TYLE_8: {
      if (left < 1) return -1;
      const v = b[cur.pos]!;
      cur.pos += 1;
      return writeSigned(out, o, signed ? (v << 24) >> 24 : v);
    }
    case TYLE_16: {
      if (left < 2) return -1;
      const v = read16(b, cur.pos, cur.bigEndian);
      cur.pos += 2;
      return writeSigned(out, o, signed ? (v << 16) >> 16 : v);
    }
    case TYLE_32: {
      if (left < 4) return -1;
      const v = read32(b, cur.pos, cur.bigEndian);
      cur.pos += 4;
      return writeSigned(out, o, signed ? v | 0 : v);
    }
    case TYLE_64: {
      if (left < 8) return -1;
      const first = read32(b, cur.pos, cur.bigEndian);
      const second = read32(b, cur.pos + 4, cur.bigEndian);
      cur.pos += 8;
      const hi = cur.bigEndian ? first : second;
      const lo = cur.bigEndian ? second : first;
      return write64(out, o, hi, lo, signed);
    }
    default:
      return -1;
  }
}

/** A 64-bit value from its words, when its magnitude is below 2^53 (else -1: BigInt path). */
function write64(out: Uint8Array, o: number, hi: number, lo: number, signed: boolean): number {
  if (hi < 0x20_0000) return writeDecimal(out, o, hi * TWO_POW_32 + lo);
  if (!signed || hi < 0xffe0_0000) return -1;
  // two's complement: 2^64 - v, split so every step stays exact
  const magnitude = lo === 0 ? (TWO_POW_32 - hi) * TWO_POW_32 : (0xffff_ffff - hi) * TWO_POW_32 + (TWO_POW_32 - lo);
  if (magnitude > Number.MAX_SAFE_INTEGER) return -1;
  out[o++] = 0x2d; // '-'
  return writeDecimal(out, o, magnitude);
}

function renderFloat(tyle: number, out: Uint8Array, o: number): number {
  const b = cur.bytes;
  const p = cur.pos;
  let value: number;
  if (tyle === TYLE_32) {
    if (cur.end - p < 4) return -1;
    copyHostOrder(b, p, f32Bytes, 4);
    value = f32[0]!;
    cur.pos += 4;
  } else if (tyle === TYLE_64) {
    if (cur.end - p < 8) return -1;
    copyHostOrder(b, p, f64Bytes, 8);
    value = f64[0]!;
    cur.pos += 8;
  } else {
    return -1;
  }
  if (Number.isNaN(value)) return -1; // the sign of a NaN matters ("-nan"): the reference knows
  const fast = writeG(out, o, value);
  if (fast >= 0) return fast;
  const text = printfG(value);
  for (let i = 0; i < text.length; i++) out[o++] = text.charCodeAt(i);
  return o;
}

const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** How close to a rounding tie (in units of the 6th digit) the scaled value may come. */
const TIE_MARGIN = 1e-6;
const G_DIGITS = new Uint8Array(6);

/**
 * printf("%g") (6 significant digits) of a finite double, when one scaling by a power of ten
 * decides the digits: the scaled value is off by at most ~1e-10 of a unit, so unless it lies
 * within TIE_MARGIN of a rounding tie its rounding is the exact one. Else -1: printfG() rounds
 * on the exact binary value. Checked against printfG in test/dlt-interop/render-into.test.ts.
 */
export function writeG(out: Uint8Array, o: number, value: number): number {
  if (value === 0 || !Number.isFinite(value)) return -1;
  const a = Math.abs(value);
  let e = Math.floor(Math.log10(a));
  let scaled = scale(a, 5 - e);
  if (scaled < 100_000) scaled = scale(a, 5 - --e);
  else if (scaled >= 1_000_000) scaled = scale(a, 5 - ++e);
  if (!(scaled >= 100_000 && scaled < 1_000_000)) return -1; // out of the exact powers' range
  const floor = Math.floor(scaled);
  if (Math.abs(scaled - floor - 0.5) < TIE_MARGIN) return -1;
  let r = scaled - floor > 0.5 ? floor + 1 : floor;
  if (r === 1_000_000) {
    r = 100_000;
    e++;
  }
  for (let k = 5; k >= 0; k--) {
    G_DIGITS[k] = 0x30 + (r % 10);
    r = Math.floor(r / 10);
  }
  let last = 5; // the last digit kept: trailing zeros go
  while (last > 0 && G_DIGITS[last] === 0x30) last--;
  if (value < 0) out[o++] = 0x2d;
  if (e < -4 || e >= 6) {
    out[o++] = G_DIGITS[0]!;
    if (last > 0) out[o++] = 0x2e;
    for (let k = 1; k <= last; k++) out[o++] = G_DIGITS[k]!;
    out[o++] = 0x65; // 'e'
    out[o++] = e < 0 ? 0x2d : 0x2b;
    const x = Math.abs(e);
    if (x >= 100) out[o++] = 0x30 + Math.floor(x / 100);
    out[o++] = 0x30 + (Math.floor(x / 10) % 10);
    out[o++] = 0x30 + (x % 10);
  } else if (e >= 0) {
    for (let k = 0; k <= e; k++) out[o++] = G_DIGITS[k]!;
    if (last > e) out[o++] = 0x2e;
    for (let k = e + 1; k <= last; k++) out[o++] = G_DIGITS[k]!;
  } else {
    out[o++] = 0x30;
    out[o++] = 0x2e;
    for (let k = -1; k > e; k--) out[o++] = 0x30;
    for (let k = 0; k <= last; k++) out[o++] = G_DIGITS[k]!;
  }
  return o;
}

/** a · 10^k with one rounding, or NaN when 10^k is not an exact double. */
function scale(a: number, k: number): number {
  if (k > 22 || k < -22) return NaN;
  return k >= 0 ? a * POW10[k]! : a / POW10[-k]!;
}

function copyHostOrder(b: Uint8Array, p: number, to: Uint8Array, size: number): void {
  if (cur.bigEndian === !HOST_LITTLE_ENDIAN) {
    for (let i = 0; i < size; i++) to[i] = b[p + i]!;
  } else {
    for (let i = 0; i < size; i++) to[i] = b[p + size - 1 - i]!;
  }
}

/** Raw data: its length, then the VARI name, then the bytes as hex joined by "'". */
function renderRaw(vari: boolean, out: Uint8Array, o: number): number {
  if (cur.end - cur.pos < 2) return -1;
  const length = read16(cur.bytes, cur.pos, cur.bigEndian);
  cur.pos += 2;
  if (vari && !skipName()) return -1;
  if (cur.end - cur.pos < length) return -1;
  const b = cur.bytes;
  const start = cur.pos;
  for (let p = start; p < start + length; p++) {
    if (p !== start) out[o++] = 0x27; // "'"
    o = writeHexByte(out, o, b[p]!);
  }
  cur.pos = start + length;
  return o;
}

function skipName(): boolean {
  if (cur.end - cur.pos < 2) return false;
  const length = read16(cur.bytes, cur.pos, cur.bigEndian);
  cur.pos += 2;
  if (cur.end - cur.pos < length) return false;
  cur.pos += length;
  return true;
}

function skipNameAndUnit(): boolean {
  if (cur.end - cur.pos < 4) return false;
  const nameLength = read16(cur.bytes, cur.pos, cur.bigEndian);
  const unitLength = read16(cur.bytes, cur.pos + 2, cur.bigEndian);
  cur.pos += 4;
  if (cur.end - cur.pos < nameLength + unitLength) return false;
  cur.pos += nameLength + unitLength;
  return true;
}

function read16(b: Uint8Array, p: number, bigEndian: boolean): number {
  return bigEndian ? (b[p]! << 8) | b[p + 1]! : b[p]! | (b[p + 1]! << 8);
}

function read32(b: Uint8Array, p: number, bigEndian: boolean): number {
  return (bigEndian
    ? (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
    : b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

function writeHexByte(out: Uint8Array, o: number, v: number): number {
  out[o] = HEX_DIGITS[v >> 4]!;
  out[o + 1] = HEX_DIGITS[v & 15]!;
  return o + 2;
}

function writeSigned(out: Uint8Array, o: number, v: number): number {
  if (v < 0) {
    out[o++] = 0x2d;
    return writeDecimal(out, o, -v);
  }
  return writeDecimal(out, o, v);
}

/** Decimal digits of a non-negative integer below 2^53. */
export function writeDecimal(out: Uint8Array, o: number, v: number): number {
  if (v < 10) {
    out[o] = 0x30 + v;
    return o + 1;
  }
  let digits = 1;
  for (let p = 10; p <= v; p *= 10) digits++;
  let i = o + digits;
  const end = i;
  if (v < TWO_POW_32) {
    let u = v >>> 0;
    while (u >= 10) {
      const q = (u / 10) >>> 0;
      out[--i] = 0x30 + (u - q * 10);
      u = q;
    }
    out[--i] = 0x30 + u;
  } else {
    let u = v;
    while (u >= 10) {
      const q = Math.floor(u / 10);
      out[--i] = 0x30 + (u - q * 10);
      u = q;
    }
    out[--i] = 0x30 + u;
  }
  return end;
}

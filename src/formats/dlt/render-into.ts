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
 * test/dlt/render-into-equivalence.test.ts and test/dlt-interop/render-into.test.ts check the
 * two agree on real, generated and damaged messages.
 *
 * Speed: the whole verbose walk is one loop over locals (bytes, position, end, byte order), with
 * no cursor object, no allocation and no string; integers print two digits per step from a
 * table; floats are read by 32-bit words into a scratch double.
 */
import type { DltFrame } from './frame.js';
import { printfG } from './printf-g.js';
import {
  DltType, HTYP_MSBF, MSIN_MSTP_MASK, MSIN_MSTP_SHIFT, MSIN_VERB, SCOD_ASCII, SCOD_UTF8, TYLE_16,
  TYLE_32, TYLE_64, TYLE_8, TYPE_BOOL, TYPE_FLOA, TYPE_RAWD, TYPE_SCOD_MASK, TYPE_SINT, TYPE_STRG,
  TYPE_TYLE_MASK, TYPE_UINT, TYPE_VARI,
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

const SPACE = 0x20;
const TWO_POW_32 = 0x1_0000_0000;
const KIND_MASK = TYPE_STRG | TYPE_BOOL | TYPE_SINT | TYPE_UINT | TYPE_FLOA | TYPE_RAWD;
/** type info bits this renderer does not understand: any of them sends the payload to the reference */
const UNKNOWN_BITS = ~(TYPE_TYLE_MASK | TYPE_VARI | TYPE_SCOD_MASK | KIND_MASK);

/** "0123456789abcdef" as the high and the low digit of each byte value */
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
for (let v = 0; v < 256; v++) {
  HEX_HI[v] = '0123456789abcdef'.charCodeAt(v >> 4);
  HEX_LO[v] = '0123456789abcdef'.charCodeAt(v & 15);
}
/** "00" "01" … "99": two decimal digits per lookup */
const PAIRS = new Uint8Array(200);
for (let v = 0; v < 100; v++) {
  PAIRS[2 * v] = 0x30 + Math.floor(v / 10);
  PAIRS[2 * v + 1] = 0x30 + (v % 10);
}

// Floats are read as 32-bit words (in the message's byte order) into a scratch value: the word
// view and the float view share the host's byte order, so this holds on any host.
const f32 = new Float32Array(1);
const f32Word = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const f64Words = new Uint32Array(f64.buffer);
const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const LOW_WORD = HOST_LITTLE_ENDIAN ? 0 : 1;
const HIGH_WORD = 1 - LOW_WORD;

/** "<id>, <hex bytes>" */
function renderNonVerbose(b: Uint8Array, start: number, end: number, bigEndian: boolean, out: Uint8Array, at: number): number {
  if (end - start < 4) return -1;
  const id = bigEndian
    ? ((b[start]! << 24) | (b[start + 1]! << 16) | (b[start + 2]! << 8) | b[start + 3]!) >>> 0
    : (b[start]! | (b[start + 1]! << 8) | (b[start + 2]! << 16) | (b[start + 3]! << 24)) >>> 0;
  let o = writeU32(out, at, id);
  out[o++] = 0x2c; // ','
  let p = start + 4;
  if (p < end) {
    const v = b[p++]!;
    out[o] = SPACE;
    out[o + 1] = HEX_HI[v]!;
    out[o + 2] = HEX_LO[v]!;
    o += 3;
  } else {
    out[o++] = SPACE;
  }
  for (; p < end; p++) {
    const v = b[p]!;
    out[o] = SPACE;
    out[o + 1] = HEX_HI[v]!;
    out[o + 2] = HEX_LO[v]!;
    o += 3;
  }
  return o;
}

// Type infos of the common arguments, each with its own case in renderPayloadInto's switch: no VARI,
// no coding (strings: ASCII or UTF-8). Every other type info takes the general path, which
// checks the bits one by one.
const GENERAL = 0;
const STRING = 1;
const U8 = 2;
const S8 = 3;
const U16 = 4;
const S16 = 5;
const U32 = 6;
const S32 = 7;
const F32 = 8;
const F64 = 9;
const BOOL = 10;
/** class of a type info below 0x400 */
const FAST_CLASS = new Uint8Array(0x400);
FAST_CLASS[TYPE_STRG] = STRING;
FAST_CLASS[TYPE_UINT | TYLE_8] = U8;
FAST_CLASS[TYPE_SINT | TYLE_8] = S8;
FAST_CLASS[TYPE_UINT | TYLE_16] = U16;
FAST_CLASS[TYPE_SINT | TYLE_16] = S16;
FAST_CLASS[TYPE_UINT | TYLE_32] = U32;
FAST_CLASS[TYPE_SINT | TYLE_32] = S32;
FAST_CLASS[TYPE_FLOA | TYLE_32] = F32;
FAST_CLASS[TYPE_FLOA | TYLE_64] = F64;
FAST_CLASS[TYPE_BOOL | TYLE_8] = BOOL;
const UTF8_STRING = TYPE_STRG | SCOD_UTF8;

/**
 * Renders the frame's payload at `out[at]`; returns the end offset, or -1 (use renderPayload).
 * The verbose arguments are one loop in this function (a call per message costs): `p` walks the
 * payload, `o` the output; every argument checks that its bytes lie before `end` before
 * reading them.
 */
export function renderPayloadInto(f: DltFrame, out: Uint8Array, at: number): number {
  const length = f.payloadLength;
  if (length > FAST_PAYLOAD_SIZE_MAX) return -1;
  const msin = f.msin;
  const b = f.bytes;
  let p = f.payloadOffset;
  const end = p + length;
  const bigEndian = (f.htyp & HTYP_MSBF) !== 0;
  if (msin < 0 || (msin & MSIN_VERB) === 0) {
    if (msin >= 0 && (msin & MSIN_MSTP_MASK) >> MSIN_MSTP_SHIFT === DltType.CONTROL) return -1;
    return renderNonVerbose(b, p, end, bigEndian, out, at);
  }
  const noar = f.noar;
  let o = at;
  for (let i = 0; i < noar; i++) {
    if (i !== 0) out[o++] = SPACE;
    if (end - p < 4) return -1;
    const typeInfo = bigEndian
      ? (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
      : b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
    p += 4;
    const left = end - p;
    const cls = (typeInfo & ~0x3ff) === 0 ? FAST_CLASS[typeInfo]! : typeInfo === UTF8_STRING ? STRING : GENERAL;
    let v: number; // an integer to print, when the case breaks out of the switch
    switch (cls) {
      case STRING: {
        if (left < 2) return -1;
        const length = bigEndian ? (b[p]! << 8) | b[p + 1]! : b[p]! | (b[p + 1]! << 8);
        p += 2;
        if (length === 0 || left - 2 < length) return -1;
        const stop = p + length;
        o = copyString(b, p, stop, out, o); // DLT_MSG_READ_STRING, ASCII only
        if (o < 0) return -1;
        p = stop;
        continue;
      }
      case U32:
      case S32:
        if (left < 4) return -1;
        v = bigEndian
          ? (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
          : b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
        p += 4;
        if (v < 0) {
          if (cls === U32) {
            o = writeU32Large(out, o, v >>> 0);
            continue;
          }
          out[o++] = 0x2d; // '-'
          v = -v; // 2^31 for -2^31: writeU32 takes it
        }
        break;
      case U16:
      case S16:
        if (left < 2) return -1;
        v = bigEndian ? (b[p]! << 8) | b[p + 1]! : b[p]! | (b[p + 1]! << 8);
        p += 2;
        if (cls === S16 && v >= 0x8000) {
          out[o++] = 0x2d;
          v = 0x1_0000 - v;
        }
        break;
      case U8:
      case S8:
      case BOOL:
        if (left < 1) return -1;
        v = b[p++]!;
        if (cls === S8 && v >= 0x80) {
          out[o++] = 0x2d;
          v = 0x100 - v;
        }
        break;
      case F64:
      case F32: {
        let value: number;
        if (cls === F64) {
          if (left < 8) return -1;
          value = readF64(b, p, bigEndian);
          p += 8;
        } else {
          if (left < 4) return -1;
          value = readF32(b, p, bigEndian);
          p += 4;
        }
        if (value !== value) return -1; // NaN: its sign matters ("-nan"), the reference knows
        o = writeFloat(out, o, value);
        continue;
      }
      default:
        o = renderGeneral(b, p, end, bigEndian, typeInfo, out, o);
        if (o < 0) return -1;
        p = generalEnd;
        continue;
    }
    o = writeU32(out, o, v);
  }
  return o;
}

/** where the argument renderGeneral() last rendered ends */
let generalEnd = 0;

/**
 * One argument of any type info the switch in renderPayloadInto does not take: every known bit
 * checked one by one (VARI names and units, other widths). Returns the output end or -1, and
 * leaves the argument's end in `generalEnd`.
 */
function renderGeneral(
  b: Uint8Array, p: number, end: number, bigEndian: boolean, typeInfo: number, out: Uint8Array, o: number,
): number {
  if ((typeInfo & UNKNOWN_BITS) !== 0) return -1;
  const kind = typeInfo & KIND_MASK;
  const scod = typeInfo & TYPE_SCOD_MASK;
  const vari = (typeInfo & TYPE_VARI) !== 0;
  if (kind === TYPE_STRG) {
    // DLT_MSG_READ_STRING: CR/LF print as spaces, the text ends at the first NUL; ASCII only
    if (scod !== SCOD_ASCII && scod !== SCOD_UTF8) return -1;
    if (end - p < 2) return -1;
    const length = bigEndian ? (b[p]! << 8) | b[p + 1]! : b[p]! | (b[p + 1]! << 8);
    p += 2;
    if (vari) {
      p = skipName(b, p, end, bigEndian);
      if (p < 0) return -1;
    }
    if (length === 0 || end - p < length) return -1;
    o = copyString(b, p, p + length, out, o);
    if (o < 0) return -1;
    p += length;
    generalEnd = p;
    return o;
  }
  if (scod !== 0) return -1;
  const tyle = typeInfo & TYPE_TYLE_MASK;
  if (kind === TYPE_UINT || kind === TYPE_SINT) {
    if (vari) {
      p = skipNameAndUnit(b, p, end, bigEndian);
      if (p < 0) return -1;
    }
    const rest = end - p;
    let v: number;
    if (tyle === TYLE_32) {
      if (rest < 4) return -1;
      v = bigEndian
        ? (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
        : b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
      p += 4;
      if (kind === TYPE_UINT) v >>>= 0;
    } else if (tyle === TYLE_16) {
      if (rest < 2) return -1;
      v = bigEndian ? (b[p]! << 8) | b[p + 1]! : b[p]! | (b[p + 1]! << 8);
      p += 2;
      if (kind === TYPE_SINT) v = (v << 16) >> 16;
    } else if (tyle === TYLE_8) {
      if (rest < 1) return -1;
      v = b[p++]!;
      if (kind === TYPE_SINT) v = (v << 24) >> 24;
    } else if (tyle === TYLE_64) {
      if (rest < 8) return -1;
      const first = bigEndian
        ? ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0
        : (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
      const q = p + 4;
      const second = bigEndian
        ? ((b[q]! << 24) | (b[q + 1]! << 16) | (b[q + 2]! << 8) | b[q + 3]!) >>> 0
        : (b[q]! | (b[q + 1]! << 8) | (b[q + 2]! << 16) | (b[q + 3]! << 24)) >>> 0;
      p += 8;
      o = write64(out, o, bigEndian ? first : second, bigEndian ? second : first, kind === TYPE_SINT);
      if (o < 0) return -1;
      generalEnd = p;
      return o;
    } else {
      return -1;
    }
    if (v < 0) {
      out[o++] = 0x2d; // '-'
      v = -v;
    }
    o = writeU32(out, o, v);
    generalEnd = p;
    return o;
  }
  if (kind === TYPE_FLOA) {
    if (vari) {
      p = skipNameAndUnit(b, p, end, bigEndian);
      if (p < 0) return -1;
    }
    let value: number;
    if (tyle === TYLE_64) {
      if (end - p < 8) return -1;
      value = readF64(b, p, bigEndian);
      p += 8;
    } else if (tyle === TYLE_32) {
      if (end - p < 4) return -1;
      value = readF32(b, p, bigEndian);
      p += 4;
    } else {
      return -1;
    }
    if (value !== value) return -1; // NaN: its sign matters ("-nan"), the reference knows
    o = writeFloat(out, o, value);
    generalEnd = p;
    return o;
  }
  if (kind === TYPE_BOOL) {
    if (vari) {
      p = skipName(b, p, end, bigEndian);
      if (p < 0) return -1;
    }
    if (end - p < 1) return -1;
    o = writeU32(out, o, b[p++]!);
    generalEnd = p;
    return o;
  }
  if (kind === TYPE_RAWD) {
    // its length, then the VARI name, then the bytes as hex joined by "'"
    if (end - p < 2) return -1;
    const length = bigEndian ? (b[p]! << 8) | b[p + 1]! : b[p]! | (b[p + 1]! << 8);
    p += 2;
    if (vari) {
      p = skipName(b, p, end, bigEndian);
      if (p < 0) return -1;
    }
    if (end - p < length) return -1;
    const stop = p + length;
    if (p < stop) {
      const v = b[p++]!;
      out[o] = HEX_HI[v]!;
      out[o + 1] = HEX_LO[v]!;
      o += 2;
    }
    for (; p < stop; p++) {
      const v = b[p]!;
      out[o] = 0x27; // "'"
      out[o + 1] = HEX_HI[v]!;
      out[o + 2] = HEX_LO[v]!;
      o += 3;
    }
    generalEnd = p;
    return o;
  }
  return -1; // no kind, or several
}

/**
 * DLT_MSG_READ_STRING's text of b[p, stop): CR/LF print as spaces, the text ends at the first
 * NUL; -1 for a byte ≥ 0x80 (UTF-8: the reference decodes it and replaces invalid bytes).
 */
function copyString(b: Uint8Array, p: number, stop: number, out: Uint8Array, o: number): number {
  // four plain characters (0x0e–0x7f: copied as they are) at a time, then one by one
  let q = p;
  for (; q + 4 <= stop; q += 4) {
    const c0 = b[q]!;
    const c1 = b[q + 1]!;
    const c2 = b[q + 2]!;
    const c3 = b[q + 3]!;
    if (((c0 - 0x0e) | (c1 - 0x0e) | (c2 - 0x0e) | (c3 - 0x0e) | (0x7f - c0) | (0x7f - c1) | (0x7f - c2) |
      (0x7f - c3)) < 0) break;
    out[o] = c0;
    out[o + 1] = c1;
    out[o + 2] = c2;
    out[o + 3] = c3;
    o += 4;
  }
  for (; q < stop; q++) {
    const c = b[q]!;
    if (c > 0x0d && c < 0x80) {
      out[o++] = c;
    } else if (c === 0) {
      break;
    } else if (c >= 0x80) {
      return -1;
    } else {
      out[o++] = c === 0x0a || c === 0x0d ? SPACE : c;
    }
  }
  return o;
}

function readF64(b: Uint8Array, p: number, bigEndian: boolean): number {
  const first = bigEndian
    ? (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
    : b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
  const q = p + 4;
  const second = bigEndian
    ? (b[q]! << 24) | (b[q + 1]! << 16) | (b[q + 2]! << 8) | b[q + 3]!
    : b[q]! | (b[q + 1]! << 8) | (b[q + 2]! << 16) | (b[q + 3]! << 24);
  f64Words[HIGH_WORD] = bigEndian ? first : second;
  f64Words[LOW_WORD] = bigEndian ? second : first;
  return f64[0]!;
}

function readF32(b: Uint8Array, p: number, bigEndian: boolean): number {
  f32Word[0] = bigEndian
    ? (b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!
    : b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
  return f32[0]!;
}

/** %g of a double that is not NaN: writeG, else printfG's text (ASCII). */
function writeFloat(out: Uint8Array, o: number, value: number): number {
  const fast = writeG(out, o, value);
  if (fast >= 0) return fast;
  const text = printfG(value);
  for (let k = 0; k < text.length; k++) out[o++] = text.charCodeAt(k);
  return o;
}

/** Past a VARI name (u16 length, text), or -1 when it does not fit. */
function skipName(b: Uint8Array, p: number, end: number, bigEndian: boolean): number {
  if (end - p < 2) return -1;
  const length = bigEndian ? (b[p]! << 8) | b[p + 1]! : b[p]! | (b[p + 1]! << 8);
  p += 2;
  return end - p < length ? -1 : p + length;
}

/** Past a VARI name and unit (two u16 lengths, two texts), or -1 when they do not fit. */
function skipNameAndUnit(b: Uint8Array, p: number, end: number, bigEndian: boolean): number {
  if (end - p < 4) return -1;
  const nameLength = bigEndian ? (b[p]! << 8) | b[p + 1]! : b[p]! | (b[p + 1]! << 8);
  const unitLength = bigEndian ? (b[p + 2]! << 8) | b[p + 3]! : b[p + 2]! | (b[p + 3]! << 8);
  p += 4;
  return end - p < nameLength + unitLength ? -1 : p + nameLength + unitLength;
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

/** Decimal digits of an integer in [0, 2^32), two per step (in int32 arithmetic below 2^31). */
function writeU32(out: Uint8Array, o: number, v: number): number {
  if (v > 0x7fff_ffff) return writeU32Large(out, o, v);
  let u = v | 0;
  if (u < 100) {
    if (u < 10) {
      out[o] = 0x30 + u;
      return o + 1;
    }
    out[o] = PAIRS[2 * u]!;
    out[o + 1] = PAIRS[2 * u + 1]!;
    return o + 2;
  }
  const end = o + (u < 10_000 ? (u < 1000 ? 3 : 4) : u < 1_000_000 ? (u < 100_000 ? 5 : 6)
    : u < 100_000_000 ? (u < 10_000_000 ? 7 : 8) : u < 1_000_000_000 ? 9 : 10);
  let i = end;
  while (u >= 100) {
    const q = (u / 100) | 0;
    const k = (u - 100 * q) << 1;
    out[i - 1] = PAIRS[k + 1]!;
    out[i - 2] = PAIRS[k]!;
    i -= 2;
    u = q;
  }
  if (u >= 10) {
    out[i - 1] = PAIRS[2 * u + 1]!;
    out[i - 2] = PAIRS[2 * u]!;
  } else {
    out[i - 1] = 0x30 + u;
  }
  return end;
}

/** writeU32 for [2^31, 2^32): ten digits, the first two from the double, the rest in int32. */
function writeU32Large(out: Uint8Array, o: number, v: number): number {
  const high = Math.floor(v / 1e8); // 21…42
  out[o] = PAIRS[2 * high]!;
  out[o + 1] = PAIRS[2 * high + 1]!;
  return writePadded(out, o + 2, (v - high * 1e8) | 0, 8);
}

/** Decimal digits of a non-negative integer below 2^53. */
export function writeDecimal(out: Uint8Array, o: number, v: number): number {
  if (v < TWO_POW_32) return writeU32(out, o, v);
  // v < 2^53: the part above the last 8 digits is below 2^32; the last 8 digits keep their zeros
  const high = Math.floor(v / 1e8);
  const o2 = writeU32(out, o, high);
  return writePadded(out, o2, (v - high * 1e8) | 0, 8);
}

const POW10 = Float64Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** How close to a rounding tie (in units of the 6th digit) the scaled value may come. */
const TIE_MARGIN = 1e-6;
/** the six significant digits of writeG, as ASCII */
const G_DIGITS = new Uint8Array(8);
const LOG10_2 = 0.30102999566398120;

/**
 * printf("%g") (6 significant digits) of a finite double, when one scaling by a power of ten
 * decides the digits: the scaled value is off by at most ~1e-10 of a unit, so unless it lies
 * within TIE_MARGIN of a rounding tie its rounding is the exact one. Else -1: printfG() rounds
 * on the exact binary value. Checked against printfG in test/dlt-interop/render-into.test.ts.
 *
 * The decimal exponent comes from the binary one (no log10): floor(e2 · log10 2) is the
 * exponent or one below it, and the scaled value says which — any exponent whose scaling lands
 * in [10^5, 10^6) gives the right digits, so the estimate only has to be close.
 */
export function writeG(out: Uint8Array, o: number, value: number): number {
  const a = value < 0 ? -value : value;
  if (a === 0 || !(a < Infinity)) return -1;
  f64[0] = a;
  const e2 = ((f64Words[HIGH_WORD]! >>> 20) & 0x7ff) - 1023;
  let e = Math.floor(e2 * LOG10_2);
  let k = 5 - e;
  if (k > 22 || k < -21) return -1; // 10^k or 10^(k-1) is not an exact double
  let scaled = k >= 0 ? a * POW10[k]! : a / POW10[-k]!;
  if (scaled >= 1_000_000) {
    e++;
    k--;
    scaled = k >= 0 ? a * POW10[k]! : a / POW10[-k]!;
  }
  if (!(scaled >= 100_000 && scaled < 1_000_000)) return -1;
  const floor = Math.floor(scaled);
  const frac = scaled - floor;
  if (frac - 0.5 < TIE_MARGIN && 0.5 - frac < TIE_MARGIN) return -1;
  let r = (frac > 0.5 ? floor + 1 : floor) | 0;
  if (r === 1_000_000) {
    r = 100_000;
    e++;
  }
  // the six digits, as three independent pairs (no chain of divisions), then trailing zeros go
  const hi = (r / 10_000) | 0;
  const rest = r - 10_000 * hi;
  const mid = (rest / 100) | 0;
  const lo = rest - 100 * mid;
  const d = G_DIGITS;
  d[0] = PAIRS[2 * hi]!;
  d[1] = PAIRS[2 * hi + 1]!;
  d[2] = PAIRS[2 * mid]!;
  d[3] = PAIRS[2 * mid + 1]!;
  d[4] = PAIRS[2 * lo]!;
  d[5] = PAIRS[2 * lo + 1]!;
  let digits = 6;
  while (digits > 1 && d[digits - 1] === 0x30) digits--;
  if (value < 0) out[o++] = 0x2d;
  if (e >= 0 && e < 6) {
    if (digits > e + 1) {
      for (let k = 0; k <= e; k++) out[o++] = d[k]!;
      out[o++] = 0x2e; // '.'
      for (let k = e + 1; k < digits; k++) out[o++] = d[k]!;
    } else {
      for (let k = 0; k <= e; k++) out[o++] = d[k]!; // an integer: its zeros are digits too
    }
    return o;
  }
  if (e < 0 && e >= -4) {
    out[o++] = 0x30;
    out[o++] = 0x2e;
    for (let z = -1; z > e; z--) out[o++] = 0x30;
    for (let k = 0; k < digits; k++) out[o++] = d[k]!;
    return o;
  }
  // exponential: d[.ddddd]e±xx
  out[o++] = d[0]!;
  if (digits > 1) {
    out[o++] = 0x2e;
    for (let k = 1; k < digits; k++) out[o++] = d[k]!;
  }
  out[o++] = 0x65; // 'e'
  out[o++] = e < 0 ? 0x2d : 0x2b;
  const x = e < 0 ? -e : e;
  if (x >= 100) out[o++] = 0x30 + ((x / 100) | 0);
  const k2 = 2 * (x % 100);
  out[o++] = PAIRS[k2]!;
  out[o++] = PAIRS[k2 + 1]!;
  return o;
}

/** `v` (< 10^n) as exactly n decimal digits, leading zeros kept. */
function writePadded(out: Uint8Array, o: number, v: number, n: number): number {
  const end = o + n;
  let i = end;
  while (i - o >= 2) {
    const q = (v / 100) | 0;
    const k = 2 * (v - 100 * q);
    out[i - 1] = PAIRS[k + 1]!;
    out[i - 2] = PAIRS[k]!;
    i -= 2;
    v = q;
  }
  if (i > o) out[o] = 0x30 + v;
  return end;
}

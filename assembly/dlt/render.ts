// The payload text of one DLT message as `dlt-convert -a` prints it, written as UTF-8 at an
// address: the port of src/formats/dlt/render-into.ts (the JavaScript fast path), which says
// which messages it covers and why. Everything else returns -1 and the caller (kernel.ts) renders
// the row with the reference renderer (render-payload.ts). One addition: 64-bit integers print
// exactly at any magnitude (u64 arithmetic; the JavaScript fast path stops at 2^53).
//
// Every read checks that its bytes lie before `end` first; every write stays within
// renderSizeMax(payload length) bytes of the start (each argument prints at most 3 characters
// per payload byte it consumes), which the caller checked is free.

/** Payloads above this size could reach the C text buffer's cut (render-into.ts). */
export const FAST_PAYLOAD_SIZE_MAX: i32 = 3000;

const SPACE: u8 = 0x20;
const TYPE_TYLE_MASK: u32 = 0x0f;
const TYPE_BOOL: u32 = 0x10;
const TYPE_SINT: u32 = 0x20;
const TYPE_UINT: u32 = 0x40;
const TYPE_FLOA: u32 = 0x80;
const TYPE_STRG: u32 = 0x200;
const TYPE_RAWD: u32 = 0x400;
const TYPE_VARI: u32 = 0x800;
const TYPE_SCOD_MASK: u32 = 0x38000;
const SCOD_ASCII: u32 = 0;
const SCOD_UTF8: u32 = 0x8000;
const TYLE_8: u32 = 1;
const TYLE_16: u32 = 2;
const TYLE_32: u32 = 3;
const TYLE_64: u32 = 4;
const KIND_MASK: u32 = TYPE_STRG | TYPE_BOOL | TYPE_SINT | TYPE_UINT | TYPE_FLOA | TYPE_RAWD;
const UNKNOWN_BITS: u32 = ~(TYPE_TYLE_MASK | TYPE_VARI | TYPE_SCOD_MASK | KIND_MASK);
const MSIN_VERB: i32 = 0x01;
const DLT_TYPE_CONTROL: i32 = 3;

// Tables, filled by renderInit(): "0123456789abcdef" per byte (high digit, low digit), decimal
// pairs "00".."99", exact powers of ten 10^0..10^22, and writeG's six digits.
const HEX = memory.data(512);
const PAIRS = memory.data(200);
const POW10 = memory.data(23 * 8, 8);
const G_DIGITS = memory.data(8);
const TIE_MARGIN: f64 = 1e-6;
const LOG10_2: f64 = 0.30102999566398120;

export function renderInit(): void {
  for (let v = 0; v < 256; v++) {
    store<u8>(HEX + 2 * v, hexDigit(v >> 4));
    store<u8>(HEX + 2 * v + 1, hexDigit(v & 15));
  }
  for (let v = 0; v < 100; v++) {
    store<u8>(PAIRS + 2 * v, <u8>(0x30 + v / 10));
    store<u8>(PAIRS + 2 * v + 1, <u8>(0x30 + v % 10));
  }
  // products of exact integers below 2^53·2^22 that are themselves doubles: each step exact
  let p: f64 = 1;
  for (let k = 0; k < 23; k++) {
    store<f64>(POW10 + 8 * k, p);
    p *= 10;
  }
  assert(load<f64>(POW10 + 8 * 22) == 1e22, 'renderInit: 10^22 is not exact');
}

function hexDigit(d: i32): u8 {
  return <u8>(d < 10 ? 0x30 + d : 0x57 + d);
}

/** Bytes the caller must have free at the output for a payload of `payloadLength` bytes. */
export function renderSizeMax(payloadLength: i32): i32 {
  return payloadLength * 3 + 24;
}

// @ts-ignore: decorator
@inline function u16At(p: usize, bigEndian: bool): u32 {
  const v = <u32>load<u16>(p);
  return bigEndian ? <u32>bswap<u16>(<u16>v) : v;
}

// @ts-ignore: decorator
@inline function u32At(p: usize, bigEndian: bool): u32 {
  const v = load<u32>(p);
  return bigEndian ? bswap<u32>(v) : v;
}

// @ts-ignore: decorator
@inline function u64At(p: usize, bigEndian: bool): u64 {
  const v = load<u64>(p);
  return bigEndian ? bswap<u64>(v) : v;
}

// @ts-ignore: decorator
@inline function putHex(o: usize, v: u32): void {
  store<u16>(o, load<u16>(HEX + 2 * v));
}

/**
 * Renders the payload of a message at `out`; returns the end address, or -1 (the caller uses
 * the reference renderer). `msin` is -1 without extended header.
 */
export function renderPayload(
  payload: usize, length: i32, msin: i32, noar: i32, bigEndian: bool, out: usize,
): isize {
  if (length > FAST_PAYLOAD_SIZE_MAX) return -1;
  const end = payload + <usize>length;
  if (msin < 0 || (msin & MSIN_VERB) == 0) {
    if (msin >= 0 && (msin & 0x0e) >> 1 == DLT_TYPE_CONTROL) return -1;
    return renderNonVerbose(payload, end, bigEndian, out);
  }
  let p = payload;
  let o = out;
  for (let i = 0; i < noar; i++) {
    if (i != 0) store<u8>(o++, SPACE);
    if (end - p < 4) return -1;
    const typeInfo = u32At(p, bigEndian);
    p += 4;
    const next = renderArg(p, end, bigEndian, typeInfo, o);
    if (next < 0) return -1;
    o = <usize>next;
    p = argEnd;
  }
  return <isize>o;
}

/** "<id>, <hex bytes>" */
function renderNonVerbose(p: usize, end: usize, bigEndian: bool, out: usize): isize {
  if (end - p < 4) return -1;
  let o = writeU64(out, <u64>u32At(p, bigEndian));
  store<u8>(o++, 0x2c); // ','
  p += 4;
  if (p == end) {
    store<u8>(o++, SPACE);
    return <isize>o;
  }
  for (; p < end; p++) {
    store<u8>(o, SPACE);
    putHex(o + 1, <u32>load<u8>(p));
    o += 3;
  }
  return <isize>o;
}

/** where the argument renderArg() last rendered ends */
let argEnd: usize = 0;

/**
 * One verbose argument after its type info (render-into.ts renderGeneral, every known bit
 * checked): returns the output end or -1, and leaves the argument's end in `argEnd`.
 */
function renderArg(p: usize, end: usize, bigEndian: bool, typeInfo: u32, o: usize): isize {
  if ((typeInfo & UNKNOWN_BITS) != 0) return -1;
  const kind = typeInfo & KIND_MASK;
  const scod = typeInfo & TYPE_SCOD_MASK;
  const vari = (typeInfo & TYPE_VARI) != 0;
  if (kind == TYPE_STRG) {
    // DLT_MSG_READ_STRING: CR/LF print as spaces, the text ends at the first NUL; ASCII only
    if (scod != SCOD_ASCII && scod != SCOD_UTF8) return -1;
    if (end - p < 2) return -1;
    const length = <usize>u16At(p, bigEndian);
    p += 2;
    if (vari) {
      p = skipName(p, end, bigEndian);
      if (p == 0) return -1;
    }
    if (length == 0 || end - p < length) return -1;
    const next = copyString(p, p + length, o);
    argEnd = p + length;
    return next;
  }
  if (scod != 0) return -1;
  const tyle = typeInfo & TYPE_TYLE_MASK;
  if (kind == TYPE_UINT || kind == TYPE_SINT) {
    if (vari) {
      p = skipNameAndUnit(p, end, bigEndian);
      if (p == 0) return -1;
    }
    const signed = kind == TYPE_SINT;
    let v: i64;
    if (tyle == TYLE_32) {
      if (end - p < 4) return -1;
      const w = u32At(p, bigEndian);
      v = signed ? <i64><i32>w : <i64>w;
      p += 4;
    } else if (tyle == TYLE_16) {
      if (end - p < 2) return -1;
      const w = u16At(p, bigEndian);
      v = signed ? <i64><i16>w : <i64>w;
      p += 2;
    } else if (tyle == TYLE_8) {
      if (end - p < 1) return -1;
      const w = load<u8>(p);
      v = signed ? <i64><i8>w : <i64>w;
      p += 1;
    } else if (tyle == TYLE_64) {
      if (end - p < 8) return -1;
      const w = u64At(p, bigEndian);
      p += 8;
      argEnd = p;
      if (!signed) return <isize>writeU64(o, w);
      v = <i64>w;
    } else {
      return -1;
    }
    if (v < 0) {
      store<u8>(o++, 0x2d); // '-'
      o = writeU64(o, <u64>(-v)); // 2^63 for -2^63: the u64 reading of the negation
    } else {
      o = writeU64(o, <u64>v);
    }
    argEnd = p;
    return <isize>o;
  }
  if (kind == TYPE_FLOA) {
    if (vari) {
      p = skipNameAndUnit(p, end, bigEndian);
      if (p == 0) return -1;
    }
    let value: f64;
    if (tyle == TYLE_64) {
      if (end - p < 8) return -1;
      value = reinterpret<f64>(u64At(p, bigEndian));
      p += 8;
    } else if (tyle == TYLE_32) {
      if (end - p < 4) return -1;
      value = <f64>reinterpret<f32>(u32At(p, bigEndian));
      p += 4;
    } else {
      return -1;
    }
    if (value != value) return -1; // NaN: its sign matters ("-nan"), the reference knows
    argEnd = p;
    return writeG(o, value); // -1 where printfG must decide: the reference renders the row
  }
  if (kind == TYPE_BOOL) {
    if (vari) {
      p = skipName(p, end, bigEndian);
      if (p == 0) return -1;
    }
    if (end - p < 1) return -1;
    o = writeU64(o, <u64>load<u8>(p));
    argEnd = p + 1;
    return <isize>o;
  }
  if (kind == TYPE_RAWD) {
    // its length, then the VARI name, then the bytes as hex joined by "'"
    if (end - p < 2) return -1;
    const length = <usize>u16At(p, bigEndian);
    p += 2;
    if (vari) {
      p = skipName(p, end, bigEndian);
      if (p == 0) return -1;
    }
    if (end - p < length) return -1;
    const stop = p + length;
    if (p < stop) {
      putHex(o, <u32>load<u8>(p++));
      o += 2;
    }
    for (; p < stop; p++) {
      store<u8>(o, 0x27); // "'"
      putHex(o + 1, <u32>load<u8>(p));
      o += 3;
    }
    argEnd = p;
    return <isize>o;
  }
  return -1; // no kind, or several
}

/**
 * DLT_MSG_READ_STRING's text of [p, stop): CR/LF print as spaces, the text ends at the first
 * NUL; -1 for a byte ≥ 0x80 (UTF-8: the reference decodes it and replaces invalid bytes).
 */
function copyString(p: usize, stop: usize, o: usize): isize {
  let q = p;
  // four plain characters (0x0e–0x7f, copied as they are) per step: no byte < 0x0e, none ≥ 0x80
  for (; q + 4 <= stop; q += 4) {
    const w = load<u32>(q);
    if (((w | (w - 0x0e0e0e0e)) & 0x80808080) != 0) break;
    store<u32>(o, w);
    o += 4;
  }
  for (; q < stop; q++) {
    const c = load<u8>(q);
    if (c > 0x0d && c < 0x80) {
      store<u8>(o++, c);
    } else if (c == 0) {
      break;
    } else if (c >= 0x80) {
      return -1;
    } else {
      store<u8>(o++, c == 0x0a || c == 0x0d ? SPACE : c);
    }
  }
  return <isize>o;
}

/** Past a VARI name (u16 length, text), or 0 when it does not fit. */
function skipName(p: usize, end: usize, bigEndian: bool): usize {
  if (end - p < 2) return 0;
  const length = <usize>u16At(p, bigEndian);
  p += 2;
  return end - p < length ? 0 : p + length;
}

/** Past a VARI name and unit (two u16 lengths, two texts), or 0 when they do not fit. */
function skipNameAndUnit(p: usize, end: usize, bigEndian: bool): usize {
  if (end - p < 4) return 0;
  const nameLength = <usize>u16At(p, bigEndian);
  const unitLength = <usize>u16At(p + 2, bigEndian);
  p += 4;
  return end - p < nameLength + unitLength ? 0 : p + nameLength + unitLength;
}

/** Decimal digits of an unsigned 64-bit integer, two per step. */
export function writeU64(o: usize, v: u64): usize {
  let digits: usize = 1;
  for (let t = v; t >= 10; t /= 10) digits++;
  const end = o + digits;
  let i = end;
  while (v >= 100) {
    const q = v / 100;
    const k = <usize>(v - 100 * q) << 1;
    store<u16>(i - 2, load<u16>(PAIRS + k));
    i -= 2;
    v = q;
  }
  if (v >= 10) {
    store<u16>(i - 2, load<u16>(PAIRS + (<usize>v << 1)));
  } else {
    store<u8>(i - 1, <u8>(0x30 + v));
  }
  return end;
}

/**
 * printf("%g") of a finite double that is not NaN, when one scaling by a power of ten decides
 * the six digits (render-into.ts writeG, step for step: the same IEEE operations give the same
 * doubles); else -1, and the reference renders the row (printfG rounds on the exact value).
 */
export function writeG(o: usize, value: f64): isize {
  const a = value < 0 ? -value : value;
  if (a == 0 || !(a < Infinity)) return -1;
  const e2 = <i32>((reinterpret<u64>(a) >> 52) & 0x7ff) - 1023;
  let e = <i32>Math.floor(<f64>e2 * LOG10_2);
  let k = 5 - e;
  if (k > 22 || k < -21) return -1; // 10^k or 10^(k-1) is not an exact double
  let scaled = k >= 0 ? a * load<f64>(POW10 + 8 * k) : a / load<f64>(POW10 + 8 * -k);
  if (scaled >= 1_000_000) {
    e++;
    k--;
    scaled = k >= 0 ? a * load<f64>(POW10 + 8 * k) : a / load<f64>(POW10 + 8 * -k);
  }
  if (!(scaled >= 100_000 && scaled < 1_000_000)) return -1;
  const floor = Math.floor(scaled);
  const frac = scaled - floor;
  if (frac - 0.5 < TIE_MARGIN && 0.5 - frac < TIE_MARGIN) return -1;
  let r = <i32>(frac > 0.5 ? floor + 1 : floor);
  if (r == 1_000_000) {
    r = 100_000;
    e++;
  }
  const hi = r / 10_000;
  const rest = r - 10_000 * hi;
  const mid = rest / 100;
  const lo = rest - 100 * mid;
  const d = G_DIGITS;
  store<u16>(d, load<u16>(PAIRS + 2 * hi));
  store<u16>(d + 2, load<u16>(PAIRS + 2 * mid));
  store<u16>(d + 4, load<u16>(PAIRS + 2 * lo));
  let digits = 6;
  while (digits > 1 && load<u8>(d + digits - 1) == 0x30) digits--;
  if (value < 0) store<u8>(o++, 0x2d);
  if (e >= 0 && e < 6) {
    if (digits > e + 1) {
      for (let j = 0; j <= e; j++) store<u8>(o++, load<u8>(d + j));
      store<u8>(o++, 0x2e); // '.'
      for (let j = e + 1; j < digits; j++) store<u8>(o++, load<u8>(d + j));
    } else {
      for (let j = 0; j <= e; j++) store<u8>(o++, load<u8>(d + j)); // an integer: its zeros are digits too
    }
    return <isize>o;
  }
  if (e < 0 && e >= -4) {
    store<u8>(o++, 0x30);
    store<u8>(o++, 0x2e);
    for (let z = -1; z > e; z--) store<u8>(o++, 0x30);
    for (let j = 0; j < digits; j++) store<u8>(o++, load<u8>(d + j));
    return <isize>o;
  }
  // exponential: d[.ddddd]e±xx
  store<u8>(o++, load<u8>(d));
  if (digits > 1) {
    store<u8>(o++, 0x2e);
    for (let j = 1; j < digits; j++) store<u8>(o++, load<u8>(d + j));
  }
  store<u8>(o++, 0x65); // 'e'
  store<u8>(o++, e < 0 ? 0x2d : 0x2b);
  const x = e < 0 ? -e : e;
  if (x >= 100) store<u8>(o++, <u8>(0x30 + x / 100));
  store<u16>(o, load<u16>(PAIRS + 2 * (x % 100)));
  return <isize>(o + 2);
}

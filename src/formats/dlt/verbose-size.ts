/**
 * Size of a verbose payload without decoding it: walks the type infos and length fields only
 * (no allocation). The parser uses it to tell an intact message from one whose length field
 * lies when the bytes after it do not start another message. Layouts: verbose-encode.ts.
 */
import { readU16, readU32 } from './bytes.js';
import {
  TYPE_ARAY, TYPE_BOOL, TYPE_FIXP, TYPE_FLOA, TYPE_RAWD, TYPE_SINT, TYPE_STRG, TYPE_STRU,
  TYPE_TRAI, TYPE_TYLE_MASK, TYPE_UINT, TYPE_VARI, tyleBits,
} from './protocol.js';

const STRUCT_DEPTH_MAX = 8;

/**
 * Bytes taken by `noar` arguments starting at `start`, or -1 when they do not fit before `end`
 * or hold a type that cannot be sized.
 */
export function verbosePayloadSize(
  bytes: Uint8Array, start: number, end: number, noar: number, bigEndian: boolean,
): number {
  let pos = start;
  for (let i = 0; i < noar && pos >= 0; i++) pos = skipArg(bytes, pos, end, bigEndian, 0);
  return pos < 0 ? -1 : pos - start;
}

function skipArg(bytes: Uint8Array, pos: number, end: number, bigEndian: boolean, depth: number): number {
  if (pos + 4 > end) return -1;
  const typeInfo = readU32(bytes, pos, bigEndian);
  pos += 4;
  const vari = (typeInfo & TYPE_VARI) !== 0;
  const bytesPerValue = tyleBits(typeInfo & TYPE_TYLE_MASK) / 8;
  // Same precedence as verbose-decode.ts readArg.
  if ((typeInfo & TYPE_STRG) !== 0) return skipLengthNameData(bytes, pos, end, bigEndian, vari);
  if ((typeInfo & TYPE_ARAY) !== 0) return skipArray(bytes, pos, end, bigEndian, typeInfo);
  if ((typeInfo & TYPE_BOOL) !== 0) {
    pos = vari ? skipName(bytes, pos, end, bigEndian) : pos;
    return fits(pos, 1, end);
  }
  if ((typeInfo & (TYPE_SINT | TYPE_UINT | TYPE_FLOA)) !== 0) {
    if (bytesPerValue === 0) return -1;
    pos = vari ? skipNameAndUnit(bytes, pos, end, bigEndian) : pos;
    if ((typeInfo & TYPE_FIXP) !== 0 && (typeInfo & (TYPE_SINT | TYPE_UINT)) !== 0) {
      // quantisation f32, then an offset of 32 bits (values up to 32 bits) or of the value's width
      pos = fits(pos, 4 + Math.max(4, bytesPerValue), end);
    }
    return fits(pos, bytesPerValue, end);
  }
  if ((typeInfo & TYPE_RAWD) !== 0) return skipLengthNameData(bytes, pos, end, bigEndian, vari);
  if ((typeInfo & TYPE_TRAI) !== 0) {
    const length = u16At(bytes, pos, end, bigEndian);
    return length < 0 ? -1 : fits(pos + 2, length, end);
  }
  if ((typeInfo & TYPE_STRU) !== 0 && depth < STRUCT_DEPTH_MAX) {
    const count = u16At(bytes, pos, end, bigEndian);
    if (count < 0) return -1;
    pos = vari ? skipName(bytes, pos + 2, end, bigEndian) : pos + 2;
    for (let i = 0; i < count && pos >= 0; i++) pos = skipArg(bytes, pos, end, bigEndian, depth + 1);
    return pos;
  }
  return -1;
}

/** Strings and raw data: data length u16, [name], data. */
function skipLengthNameData(
  bytes: Uint8Array, pos: number, end: number, bigEndian: boolean, vari: boolean,
): number {
  const length = u16At(bytes, pos, end, bigEndian);
  if (length < 0) return -1;
  pos = vari ? skipName(bytes, pos + 2, end, bigEndian) : pos + 2;
  return fits(pos, length, end);
}

function skipArray(bytes: Uint8Array, pos: number, end: number, bigEndian: boolean, typeInfo: number): number {
  const bytesPerValue = tyleBits(typeInfo & TYPE_TYLE_MASK) / 8;
  const dimCount = u16At(bytes, pos, end, bigEndian);
  if (dimCount < 0 || bytesPerValue === 0) return -1;
  pos += 2;
  let count = 1;
  for (let i = 0; i < dimCount; i++) {
    const dim = u16At(bytes, pos, end, bigEndian);
    if (dim < 0) return -1;
    count *= dim;
    pos += 2;
  }
  pos = (typeInfo & TYPE_VARI) !== 0 ? skipNameAndUnit(bytes, pos, end, bigEndian) : pos;
  return pos < 0 ? -1 : fits(pos, count * bytesPerValue, end);
}

function skipName(bytes: Uint8Array, pos: number, end: number, bigEndian: boolean): number {
  const length = u16At(bytes, pos, end, bigEndian);
  return length < 0 ? -1 : fits(pos + 2, length, end);
}

function skipNameAndUnit(bytes: Uint8Array, pos: number, end: number, bigEndian: boolean): number {
  const nameLength = u16At(bytes, pos, end, bigEndian);
  const unitLength = u16At(bytes, pos + 2, end, bigEndian);
  if (nameLength < 0 || unitLength < 0) return -1;
  return fits(pos + 4, nameLength + unitLength, end);
}

function u16At(bytes: Uint8Array, pos: number, end: number, bigEndian: boolean): number {
  return pos < 0 || pos + 2 > end ? -1 : readU16(bytes, pos, bigEndian);
}

function fits(pos: number, count: number, end: number): number {
  return pos < 0 || pos + count > end ? -1 : pos + count;
}

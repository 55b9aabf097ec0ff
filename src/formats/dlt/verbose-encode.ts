/**
 * Verbose payload encoder: DltArg[] → bytes, laid out as libdlt's dlt_user_log_write_* functions
 * lay them out (checked byte for byte against libdlt 2.18 in test/dlt/fixtures):
 *
 *   bool     type info | [name len u16 | name]                       | u8
 *   int      type info | [name len u16 | unit len u16 | name | unit] | [fixp] | value
 *   float    type info | [name len u16 | unit len u16 | name | unit] | value
 *   string   type info | len u16 (incl. NUL) | [name len u16 | name] | bytes NUL
 *   raw      type info | len u16             | [name len u16 | name] | bytes
 *   trace    type info | len u16 (incl. NUL) | bytes NUL
 *   array    type info | dims u16 | dim u16 … | [name len | unit len | name | unit] | elements
 *   struct   type info | count u16 | [name len u16 | name] | count complete arguments
 *
 * Everything after the header is in the message's byte order (MSBF); names and units are
 * NUL-terminated, their lengths include the NUL (null → length 0, see DltVarInfo).
 */
import { ByteWriter, utf8Encode } from './bytes.js';
import {
  bitsTyle, SCOD_BIN, SCOD_HEX, SCOD_UTF8, TYPE_ARAY, TYPE_BOOL, TYPE_FIXP, TYPE_FLOA, TYPE_RAWD,
  TYPE_SINT, TYPE_STRG, TYPE_STRU, TYPE_TRAI, TYPE_UINT, TYPE_VARI,
} from './protocol.js';
import type { DltArg, DltArrayArg, DltIntArg, DltIntCoding, DltStructArg } from './types.js';

const U16_MAX = 0xffff;

/** Encodes verbose arguments in the given byte order. Throws RangeError on unencodable input. */
export function encodeVerbosePayload(args: readonly DltArg[], bigEndian: boolean): Uint8Array {
  const w = new ByteWriter(bigEndian);
  for (const arg of args) writeArg(w, arg);
  return w.bytes();
}

/** Writes one argument; exported for the struct case and for the message encoder. */
export function writeArg(w: ByteWriter, arg: DltArg): void {
  switch (arg.kind) {
    case 'bool': {
      const vari = arg.name !== undefined;
      w.u32(TYPE_BOOL | bitsTyle(8) | (vari ? TYPE_VARI : 0));
      if (vari) writeTextWithLength(w, arg.name);
      w.u8(arg.value ? 1 : 0);
      return;
    }
    case 'sint':
    case 'uint':
      writeInt(w, arg);
      return;
    case 'float': {
      const vari = arg.name !== undefined || arg.unit !== undefined;
      w.u32(TYPE_FLOA | bitsTyle(arg.bits) | (vari ? TYPE_VARI : 0));
      if (vari) writeNameAndUnit(w, arg.name, arg.unit);
      if ('bytes' in arg) writeExact(w, arg.bytes, arg.bits / 8);
      else if (arg.bits === 32) w.f32(arg.value);
      else w.f64(arg.value);
      return;
    }
    case 'string': {
      const vari = arg.name !== undefined;
      const text = utf8Encode(arg.value);
      w.u32(TYPE_STRG | (arg.coding === 'utf8' ? SCOD_UTF8 : 0) | (vari ? TYPE_VARI : 0));
      w.u16(checkedLength(text.length + 1));
      if (vari) writeTextWithLength(w, arg.name);
      w.raw(text);
      w.u8(0);
      return;
    }
    case 'raw': {
      const vari = arg.name !== undefined;
      const tyle = arg.bits === undefined ? 0 : bitsTyle(arg.bits);
      w.u32(TYPE_RAWD | tyle | codingBits(arg.coding) | (vari ? TYPE_VARI : 0));
      w.u16(checkedLength(arg.value.length));
      if (vari) writeTextWithLength(w, arg.name);
      w.raw(arg.value);
      return;
    }
    case 'trace': {
      const text = utf8Encode(arg.value);
      w.u32(TYPE_TRAI);
      w.u16(checkedLength(text.length + 1));
      w.raw(text);
      w.u8(0);
      return;
    }
    case 'array':
      writeArray(w, arg);
      return;
    case 'struct':
      writeStruct(w, arg);
      return;
  }
}

function writeInt(w: ByteWriter, arg: DltIntArg): void {
  const vari = arg.name !== undefined || arg.unit !== undefined;
  const fixp = arg.fixedPoint !== undefined;
  if (arg.kind === 'sint' && arg.coding !== undefined && arg.coding !== 'dec') {
    throw new RangeError(`DLT: ${arg.coding} coding is defined for unsigned integers only`);
  }
  w.u32((arg.kind === 'sint' ? TYPE_SINT : TYPE_UINT) | bitsTyle(arg.bits) |
    codingBits(arg.coding) | (vari ? TYPE_VARI : 0) | (fixp ? TYPE_FIXP : 0));
  if (vari) writeNameAndUnit(w, arg.name, arg.unit);
  if (arg.fixedPoint !== undefined) {
    w.f32(arg.fixedPoint.quantization);
    if (arg.bits <= 32) w.u32(Number(arg.fixedPoint.offset));
    else w.bigint(BigInt(arg.fixedPoint.offset), arg.bits === 128 ? 128 : 64);
  }
  writeIntValue(w, arg.bits, arg.value);
}

function writeIntValue(w: ByteWriter, bits: 8 | 16 | 32 | 64 | 128, value: number | bigint): void {
  if (bits === 64 || bits === 128) {
    w.bigint(BigInt(value), bits);
  } else if (bits === 32) {
    w.u32(Number(value));
  } else if (bits === 16) {
    w.u16(Number(value));
  } else {
    w.u8(Number(value));
  }
}

function writeArray(w: ByteWriter, arg: DltArrayArg): void {
  const vari = arg.name !== undefined || arg.unit !== undefined;
  const base = { bool: TYPE_BOOL, sint: TYPE_SINT, uint: TYPE_UINT, float: TYPE_FLOA }[arg.element];
  const count = arg.dims.reduce((product, dim) => product * dim, 1);
  if (count !== arg.values.length) {
    throw new RangeError(`DLT: array dims give ${count} elements, values has ${arg.values.length}`);
  }
  w.u32(TYPE_ARAY | base | bitsTyle(arg.bits) | (vari ? TYPE_VARI : 0));
  w.u16(checkedLength(arg.dims.length));
  for (const dim of arg.dims) w.u16(checkedLength(dim));
  if (vari) writeNameAndUnit(w, arg.name, arg.unit);
  for (const value of arg.values) {
    if (arg.element === 'bool') w.u8(value ? 1 : 0);
    else if (arg.element === 'float' && arg.bits === 32) w.f32(Number(value));
    else if (arg.element === 'float' && arg.bits === 64) w.f64(Number(value));
    else if (arg.element === 'float') throw new RangeError('DLT: float arrays are 32 or 64 bit');
    else writeIntValue(w, arg.bits, typeof value === 'boolean' ? Number(value) : value);
  }
}

function writeStruct(w: ByteWriter, arg: DltStructArg): void {
  const vari = arg.name !== undefined;
  w.u32(TYPE_STRU | (vari ? TYPE_VARI : 0));
  w.u16(checkedLength(arg.fields.length));
  if (vari) writeTextWithLength(w, arg.name);
  for (const field of arg.fields) writeArg(w, field);
}

function codingBits(coding: DltIntCoding | undefined): number {
  return coding === 'hex' ? SCOD_HEX : coding === 'bin' ? SCOD_BIN : 0;
}

/** Name (and unit) lengths first, then the texts: the order libdlt and dlt_common.c use. */
function writeNameAndUnit(w: ByteWriter, name: string | null | undefined, unit: string | null | undefined): void {
  const nameBytes = name == null ? undefined : utf8Encode(name);
  const unitBytes = unit == null ? undefined : utf8Encode(unit);
  w.u16(nameBytes === undefined ? 0 : checkedLength(nameBytes.length + 1));
  w.u16(unitBytes === undefined ? 0 : checkedLength(unitBytes.length + 1));
  writeTerminated(w, nameBytes);
  writeTerminated(w, unitBytes);
}

function writeTextWithLength(w: ByteWriter, text: string | null | undefined): void {
  const bytes = text == null ? undefined : utf8Encode(text);
  w.u16(bytes === undefined ? 0 : checkedLength(bytes.length + 1));
  writeTerminated(w, bytes);
}

function writeTerminated(w: ByteWriter, bytes: Uint8Array | undefined): void {
  if (bytes === undefined) return;
  w.raw(bytes);
  w.u8(0);
}

function writeExact(w: ByteWriter, bytes: Uint8Array, size: number): void {
  if (bytes.length !== size) {
    throw new RangeError(`DLT: float${size * 8} needs ${size} bytes, got ${bytes.length}`);
  }
  w.raw(bytes);
}

function checkedLength(length: number): number {
  if (!Number.isInteger(length) || length < 0 || length > U16_MAX) {
    throw new RangeError(`DLT: length ${length} does not fit the 16-bit length field`);
  }
  return length;
}

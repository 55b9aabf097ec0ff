/**
 * Verbose payload decoder: bytes → DltArg[], the inverse of verbose-encode.ts (layouts there).
 * Never throws on input: a payload that ends early or holds a type it cannot read returns the
 * arguments decoded so far together with an error.
 */
import {
  readF32, readF64, readU16, readU32, readU64, readU128, utf8Decode,
} from './bytes.js';
import {
  SCOD_BIN, SCOD_HEX, SCOD_UTF8, TYPE_ARAY, TYPE_BOOL, TYPE_FIXP, TYPE_FLOA, TYPE_RAWD, TYPE_SINT,
  TYPE_SCOD_MASK, TYPE_STRG, TYPE_STRU, TYPE_TRAI, TYPE_TYLE_MASK, TYPE_UINT, TYPE_VARI, tyleBits,
} from './protocol.js';
import type { DltArg, DltArrayArg, DltFixedPoint, DltIntCoding, DltVarInfo } from './types.js';

export interface DltVerboseDecodeResult {
  /** the arguments decoded, all `noar` of them unless `error` is set */
  args: DltArg[];
  /** bytes consumed by those arguments */
  size: number;
  /** why decoding stopped early */
  error?: string;
}

/** Structs nest; a hostile payload must not recurse without limit. */
const STRUCT_DEPTH_MAX = 8;

class DecodeError {
  constructor(readonly reason: string) {}
}

/** Decodes `noar` arguments from `bytes` (the payload after the headers). */
export function decodeVerbosePayload(
  bytes: Uint8Array, noar: number, bigEndian: boolean,
): DltVerboseDecodeResult {
  const r = new Reader(bytes, bigEndian);
  const args: DltArg[] = [];
  try {
    for (let i = 0; i < noar; i++) args.push(readArg(r, 0));
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return { args, size: r.pos, error: e.reason };
  }
  return { args, size: r.pos };
}

/** A bounds-checked cursor; every read past the end raises DecodeError. */
class Reader {
  pos = 0;

  constructor(readonly bytes: Uint8Array, readonly bigEndian: boolean) {}

  take(count: number): number {
    const at = this.pos;
    if (count < 0 || at + count > this.bytes.length) {
      throw new DecodeError(`argument needs ${count} bytes at offset ${at}, payload has ` +
        `${this.bytes.length - at}`);
    }
    this.pos = at + count;
    return at;
  }

  u8(): number {
    return this.bytes[this.take(1)]!;
  }

  u16(): number {
    return readU16(this.bytes, this.take(2), this.bigEndian);
  }

  u32(): number {
    return readU32(this.bytes, this.take(4), this.bigEndian);
  }

  slice(count: number): Uint8Array {
    const at = this.take(count);
    return this.bytes.subarray(at, at + count);
  }

  /** Text of `length` bytes whose last byte is the NUL terminator (dropped if present). */
  text(length: number): string {
    const at = this.take(length);
    const end = length > 0 && this.bytes[at + length - 1] === 0 ? at + length - 1 : at + length;
    return utf8Decode(this.bytes, at, end);
  }
}

function readArg(r: Reader, depth: number): DltArg {
  const typeInfo = r.u32();
  const vari = (typeInfo & TYPE_VARI) !== 0;
  // Precedence as in dlt_common.c dlt_message_argument_print: string first, then the rest.
  if ((typeInfo & TYPE_STRG) !== 0) return readString(r, typeInfo, vari);
  if ((typeInfo & TYPE_ARAY) !== 0) return readArray(r, typeInfo, vari);
  if ((typeInfo & TYPE_BOOL) !== 0) {
    const name = vari ? readName(r) : undefined;
    const value = r.u8() !== 0;
    return withDefined({ kind: 'bool', value, name });
  }
  if ((typeInfo & (TYPE_SINT | TYPE_UINT)) !== 0) return readInt(r, typeInfo, vari);
  if ((typeInfo & TYPE_FLOA) !== 0) return readFloat(r, typeInfo, vari);
  if ((typeInfo & TYPE_RAWD) !== 0) {
    const length = r.u16();
    const name = vari ? readName(r) : undefined;
    const coding = codingOf(typeInfo);
    const tyle = tyleBits(typeInfo & TYPE_TYLE_MASK);
    const bits = tyle === 0 ? undefined : tyle as 8 | 16 | 32 | 64 | 128;
    return withDefined({ kind: 'raw', value: r.slice(length), coding, bits, name });
  }
  if ((typeInfo & TYPE_TRAI) !== 0) return { kind: 'trace', value: r.text(r.u16()) };
  if ((typeInfo & TYPE_STRU) !== 0) return readStruct(r, vari, depth);
  throw new DecodeError(`unknown argument type info 0x${typeInfo.toString(16)}`);
}

function readString(r: Reader, typeInfo: number, vari: boolean): DltArg {
  const length = r.u16();
  const name = vari ? readName(r) : undefined;
  const coding = (typeInfo & TYPE_SCOD_MASK) === SCOD_UTF8 ? 'utf8' : 'ascii';
  return withDefined({ kind: 'string', value: r.text(length), coding, name });
}

function readInt(r: Reader, typeInfo: number, vari: boolean): DltArg {
  const kind = (typeInfo & TYPE_SINT) !== 0 ? 'sint' : 'uint';
  const bits = intBits(typeInfo);
  const info = vari ? readNameAndUnit(r) : {};
  let fixedPoint: DltFixedPoint | undefined;
  if ((typeInfo & TYPE_FIXP) !== 0) {
    const quantization = readF32(r.bytes, r.take(4), r.bigEndian);
    // the offset is 32 bits for values up to 32 bits, else as wide as the value (dlt_common.c)
    const offset = bits <= 32 ? signed32(r.u32()) : bits === 64
      ? BigInt.asIntN(64, readU64(r.bytes, r.take(8), r.bigEndian))
      : BigInt.asIntN(128, readU128(r.bytes, r.take(16), r.bigEndian));
    fixedPoint = { quantization, offset };
  }
  const coding = kind === 'uint' ? codingOf(typeInfo) : undefined;
  const common = { ...info, coding, fixedPoint };
  if (bits === 64 || bits === 128) {
    const raw = bits === 64 ? readU64(r.bytes, r.take(8), r.bigEndian)
      : readU128(r.bytes, r.take(16), r.bigEndian);
    const value = kind === 'sint' ? BigInt.asIntN(bits, raw) : raw;
    return withDefined({ kind, bits, value, ...common });
  }
  const raw = bits === 8 ? r.u8() : bits === 16 ? r.u16() : r.u32();
  const value = kind === 'sint' ? (raw << (32 - bits)) >> (32 - bits) : raw;
  return withDefined({ kind, bits, value, ...common });
}

function readFloat(r: Reader, typeInfo: number, vari: boolean): DltArg {
  const bits = tyleBits(typeInfo & TYPE_TYLE_MASK);
  const info = vari ? readNameAndUnit(r) : {};
  if (bits === 32) return withDefined({ kind: 'float', bits, value: readF32(r.bytes, r.take(4), r.bigEndian), ...info });
  if (bits === 64) return withDefined({ kind: 'float', bits, value: readF64(r.bytes, r.take(8), r.bigEndian), ...info });
  if (bits === 16 || bits === 128) {
    return withDefined({ kind: 'float', bits, bytes: r.slice(bits / 8), ...info });
  }
  throw new DecodeError(`float argument with undefined length (TYLE ${typeInfo & TYPE_TYLE_MASK})`);
}

function readArray(r: Reader, typeInfo: number, vari: boolean): DltArg {
  const element = (typeInfo & TYPE_BOOL) !== 0 ? 'bool' : (typeInfo & TYPE_SINT) !== 0 ? 'sint'
    : (typeInfo & TYPE_UINT) !== 0 ? 'uint' : (typeInfo & TYPE_FLOA) !== 0 ? 'float' : undefined;
  const bits = tyleBits(typeInfo & TYPE_TYLE_MASK);
  if (element === undefined || bits === 0 || bits === 128 || (element === 'float' && bits < 32)) {
    throw new DecodeError(`array of unsupported element type (type info 0x${typeInfo.toString(16)})`);
  }
  const dims: number[] = [];
  const dimCount = r.u16();
  let count = 1;
  for (let i = 0; i < dimCount; i++) {
    dims.push(r.u16());
    count *= dims[i]!;
  }
  const info = vari ? readNameAndUnit(r) : {};
  if (count * (bits / 8) > r.bytes.length - r.pos) throw new DecodeError('array longer than payload');
  const values: DltArrayArg['values'] = [];
  for (let i = 0; i < count; i++) values.push(readElement(r, element, bits));
  return withDefined({ kind: 'array', element, bits: bits as DltArrayArg['bits'], dims, values, ...info });
}

function readElement(r: Reader, element: DltArrayArg['element'], bits: number): number | bigint | boolean {
  if (element === 'bool') return r.u8() !== 0;
  if (element === 'float') {
    return bits === 32 ? readF32(r.bytes, r.take(4), r.bigEndian) : readF64(r.bytes, r.take(8), r.bigEndian);
  }
  if (bits === 64) {
    const raw = readU64(r.bytes, r.take(8), r.bigEndian);
    return element === 'sint' ? BigInt.asIntN(64, raw) : raw;
  }
  const raw = bits === 8 ? r.u8() : bits === 16 ? r.u16() : r.u32();
  return element === 'sint' ? (raw << (32 - bits)) >> (32 - bits) : raw;
}

function readStruct(r: Reader, vari: boolean, depth: number): DltArg {
  if (depth >= STRUCT_DEPTH_MAX) throw new DecodeError(`structs nested deeper than ${STRUCT_DEPTH_MAX}`);
  const count = r.u16();
  const name = vari ? readName(r) : undefined;
  const fields: DltArg[] = [];
  for (let i = 0; i < count; i++) fields.push(readArg(r, depth + 1));
  return withDefined({ kind: 'struct', fields, name });
}

function intBits(typeInfo: number): 8 | 16 | 32 | 64 | 128 {
  const bits = tyleBits(typeInfo & TYPE_TYLE_MASK);
  if (bits === 0) throw new DecodeError(`integer with undefined length (TYLE ${typeInfo & TYPE_TYLE_MASK})`);
  return bits as 8 | 16 | 32 | 64 | 128;
}

function codingOf(typeInfo: number): DltIntCoding | undefined {
  const scod = typeInfo & TYPE_SCOD_MASK;
  return scod === SCOD_HEX ? 'hex' : scod === SCOD_BIN ? 'bin' : undefined;
}

function readName(r: Reader): string | null {
  const length = r.u16();
  return length === 0 ? null : r.text(length);
}

function readNameAndUnit(r: Reader): DltVarInfo {
  const nameLength = r.u16();
  const unitLength = r.u16();
  const name = nameLength === 0 ? null : r.text(nameLength);
  const unit = unitLength === 0 ? null : r.text(unitLength);
  return { name, unit };
}

function signed32(value: number): number {
  return value | 0;
}

/** Drops keys whose value is undefined, so decoded args compare equal to hand-written ones. */
function withDefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

// The Thrift compact protocol, write side only, as Parquet's metadata needs it (the file footer
// and every page header are compact-protocol structs: parquet-format's parquet.thrift).
// Spec: Apache Thrift "Thrift Compact protocol encoding" (thrift/doc/specs/thrift-compact-
// protocol.md): a field header is one byte (field-id delta << 4 | type) when the delta is
// 1..15, integers are zigzag ULEB128 varints, binaries a varint length then the bytes, a list
// header is (size << 4 | element type) below 15 elements, and every struct ends with a 0 byte.

/** Compact-protocol type codes (the spec's "struct field" and "list element" types). */
export const T = {
  boolTrue: 1,
  boolFalse: 2,
  i32: 5,
  i64: 6,
  binary: 8,
  list: 9,
  struct: 12,
} as const;

/** A struct field: id, then the value (a bigint is an i64; a number an i32). */
export type Field =
  | { id: number; i32: number }
  | { id: number; i64: bigint | number }
  | { id: number; binary: Uint8Array | string }
  | { id: number; bool: boolean }
  | { id: number; struct: Field[] }
  | { id: number; list: ListValue };

export type ListValue =
  | { i32: number[] }
  | { binary: (Uint8Array | string)[] }
  | { struct: Field[][] };

/** Grows as it writes; `bytes()` is the encoding so far. */
export class CompactWriter {
  private buffer = new Uint8Array(256);
  private length = 0;
  private static readonly text = new TextEncoder();

  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** A struct's fields, in increasing id order (the deltas are positive), then its stop byte. */
  struct(fields: readonly Field[]): this {
    let lastId = 0;
    for (const field of fields) {
      if (field.id <= lastId) throw new Error(`thrift: field ${field.id} after ${lastId}`);
      this.field(field, lastId);
      lastId = field.id;
    }
    this.byte(0);
    return this;
  }

  private field(field: Field, lastId: number): void {
    const type = fieldType(field);
    const delta = field.id - lastId;
    if (delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.varint(zigzag32(field.id));
    }
    if ('i32' in field) this.varint(zigzag32(field.i32));
    else if ('i64' in field) this.varint64(BigInt(field.i64));
    else if ('binary' in field) this.binary(field.binary);
    else if ('struct' in field) this.struct(field.struct);
    else if ('list' in field) this.list(field.list);
    // a bool's value is its type code
  }

  private list(value: ListValue): void {
    if ('i32' in value) {
      this.listHeader(value.i32.length, T.i32);
      for (const v of value.i32) this.varint(zigzag32(v));
    } else if ('binary' in value) {
      this.listHeader(value.binary.length, T.binary);
      for (const v of value.binary) this.binary(v);
    } else {
      this.listHeader(value.struct.length, T.struct);
      for (const v of value.struct) this.struct(v);
    }
  }

  private listHeader(size: number, type: number): void {
    if (size < 15) this.byte((size << 4) | type);
    else {
      this.byte(0xf0 | type);
      this.varint(size);
    }
  }

  private binary(value: Uint8Array | string): void {
    const bytes = typeof value === 'string' ? CompactWriter.text.encode(value) : value;
    this.varint(bytes.length);
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** ULEB128 of a non-negative number below 2^53 (sizes, zigzagged i32s). */
  private varint(value: number): void {
    this.ensure(8);
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.length++] = v;
  }

  private varint64(value: bigint): void {
    this.ensure(10);
    let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n)); // zigzag
    while (v >= 0x80n) {
      this.buffer[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buffer[this.length++] = Number(v);
  }

  private byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.bytes());
    this.buffer = grown;
  }
}

function fieldType(field: Field): number {
  if ('i32' in field) return T.i32;
  if ('i64' in field) return T.i64;
  if ('binary' in field) return T.binary;
  if ('bool' in field) return field.bool ? T.boolTrue : T.boolFalse;
  if ('struct' in field) return T.struct;
  return T.list;
}

function zigzag32(value: number): number {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31) {
    throw new Error(`thrift: ${value} is not an i32`);
  }
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** One struct, encoded. */
export function encodeStruct(fields: readonly Field[]): Uint8Array {
  return new CompactWriter().struct(fields).bytes();
}

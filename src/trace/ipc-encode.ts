// Arrow IPC stream messages for the trace tables, encoded without apache-arrow's runtime: the
// flatbuffer tables are built with the flatbuffers package's Builder by the very calls, in the
// very order, that apache-arrow's own writer makes through its generated code
// (ipc/metadata/message.mjs: Message.encode, encodeSchema, encodeField, encodeRecordBatch,
// encodeDictionaryBatch; visitor/vectorassembler.mjs for the body). So a stream written from
// here has the same bytes as TableFileWriter's for the same columns, a test checks it, and the
// import path skips loading apache-arrow (~80 ms of a short import's start-up).
//
// Layout (Arrow columnar format, "Encapsulated message format"):
//   0xFFFFFFFF | int32 metadata size (padded so the body starts 8-aligned) | flatbuffer | padding
//   | body: every buffer padded to a multiple of 8 bytes, empty validity buffers when no NULLs
// A stream: schema message, dictionary messages (before the first record batch), record batch
// messages, end of stream (0xFFFFFFFF 0x00000000).

import { Builder } from 'flatbuffers';
import { DICTIONARY_IDS, TABLES, type ColumnSpec, type TableName } from './tables.js';

// The calls of apache-arrow's generated fb/*.mjs, inlined: a table is startObject(slots), fields
// by slot number with their schema defaults (a field equal to its default is left out), then
// endObject(). Importing the generated modules instead costs ~40 ms (some 40 ES modules).
const MESSAGE_HEADER = { Schema: 1, DictionaryBatch: 2, RecordBatch: 3 } as const;
const METADATA_VERSION_V5 = 4;
const TYPE = { NONE: 0, Int: 2, Binary: 4, Utf8: 5, Bool: 6 } as const;
const ENDIANNESS_LITTLE = 0;
const ZERO64 = BigInt(0);
const encoder = new TextEncoder();

/** End of stream: a continuation marker and a zero metadata size. */
export const EOS_BYTES: Uint8Array = new Uint8Array(Int32Array.of(-1, 0).buffer);

const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * One column of a record batch as its Arrow buffers (views, already cut to the batch):
 * fixed-width and enum columns give `values`, utf8/binary give `offsets` (length + 1, starting
 * at 0) and `values` (the bytes), bool gives `values` as the packed bitmap. `validity` is the
 * packed validity bitmap, given only when nullCount > 0.
 */
export interface ColumnBuffers {
  nullCount: number;
  validity?: Uint8Array;
  offsets?: Int32Array;
  values: ArrayBufferView;
}

/** A message ready to write: its metadata prefix and its body buffers, each padded to 8. */
export interface EncodedMessage {
  /** continuation marker, size, flatbuffer and padding */
  header: Uint8Array;
  /** body buffers in order (views of the caller's columns); pad each to 8 bytes when writing */
  body: Uint8Array[];
  /** body bytes including padding */
  bodyLength: number;
  /** header + body bytes */
  byteLength: number;
}

const pad8 = (n: number) => (n + 7) & ~7;

function framed(flatbuffer: Uint8Array): Uint8Array {
  const aligned = pad8(flatbuffer.byteLength + 8);
  const out = new Uint8Array(aligned);
  const view = new DataView(out.buffer);
  view.setInt32(0, -1, true);
  view.setInt32(4, aligned - 8, true);
  out.set(flatbuffer, 8);
  return out;
}

/** Message: version 0, header_type 1, header 2, bodyLength 3, custom_metadata 4. */
function message(b: Builder, headerType: number, header: number, bodyLength: number): Uint8Array {
  b.startObject(5);
  b.addFieldInt16(0, METADATA_VERSION_V5, 0);
  b.addFieldOffset(2, header, 0);
  b.addFieldInt8(1, headerType, 0);
  b.addFieldInt64(3, BigInt(bodyLength), ZERO64);
  b.finish(b.endObject());
  return framed(b.asUint8Array());
}

/** Int: bitWidth 0, is_signed 1. */
function intType(b: Builder, bitWidth: number, signed: boolean): number {
  b.startObject(2);
  b.addFieldInt32(0, bitWidth, 0);
  b.addFieldInt8(1, +signed, 0);
  return b.endObject();
}

/** Utf8, Binary and Bool are tables without fields. */
function emptyTable(b: Builder): number {
  b.startObject(0);
  return b.endObject();
}

/** The field's value type table and its Type union tag. */
function valueType(b: Builder, column: ColumnSpec): [number, number] {
  switch (column.kind) {
    case 'i16':
      return [intType(b, 16, true), TYPE.Int];
    case 'i32':
      return [intType(b, 32, true), TYPE.Int];
    case 'i64':
      return [intType(b, 64, true), TYPE.Int];
    case 'bool':
      return [emptyTable(b), TYPE.Bool];
    case 'utf8':
    case 'enum':
      return [emptyTable(b), TYPE.Utf8];
    case 'binary':
      return [emptyTable(b), TYPE.Binary];
  }
}

/** A vector of offsets to tables. */
function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
  return b.endVector();
}

/**
 * Field: name 0, nullable 1, type_type 2, type 3, dictionary 4, children 5, custom_metadata 6.
 * DictionaryEncoding: id 0, indexType 1, isOrdered 2, dictionaryKind 3.
 */
function encodeField(b: Builder, column: ColumnSpec): number {
  let dictionary = -1;
  if (column.kind === 'enum') {
    const indices = intType(b, 8, column.indexWidth !== 'u8');
    b.startObject(4);
    b.addFieldInt64(0, BigInt(dictionaryId(column)), ZERO64);
    b.addFieldInt8(2, 0, 0);
    b.addFieldOffset(1, indices, 0);
    dictionary = b.endObject();
  }
  const [type, typeId] = valueType(b, column);
  const children = offsetVector(b, []);
  const name = b.createString(column.name);
  b.startObject(7);
  b.addFieldOffset(3, type, 0);
  b.addFieldInt8(2, typeId, TYPE.NONE);
  b.addFieldOffset(5, children, 0);
  b.addFieldInt8(1, +column.nullable, 0);
  b.addFieldOffset(0, name, 0);
  if (dictionary !== -1) b.addFieldOffset(4, dictionary, 0);
  return b.endObject();
}

function dictionaryId(column: ColumnSpec): number {
  const id = DICTIONARY_IDS[column.name];
  if (id === undefined) throw new Error(`assert: enum column ${column.name} has no dictionary id`);
  return id;
}

/** The schema message of a table's stream. */
export function encodeSchemaMessage(table: TableName): Uint8Array {
  if (!HOST_LITTLE_ENDIAN) throw new Error('Arrow encoder: needs a little-endian host');
  const b = new Builder();
  const fields = TABLES[table].columns.map((c) => encodeField(b, c));
  b.startVector(4, fields.length, 4); // apache-arrow starts the vector twice; so do we (same bytes)
  const vector = offsetVector(b, fields);
  // Schema: endianness 0, fields 1, custom_metadata 2, features 3
  b.startObject(4);
  b.addFieldOffset(1, vector, 0);
  b.addFieldInt16(0, ENDIANNESS_LITTLE, ENDIANNESS_LITTLE);
  return message(b, MESSAGE_HEADER.Schema, b.endObject(), 0);
}

interface Layout {
  nodes: Array<[number, number]>;
  /** [offset, padded length] per buffer */
  regions: Array<[number, number]>;
  body: Uint8Array[];
  bodyLength: number;
}

function bytesOf(view: ArrayBufferView, byteLength = view.byteLength): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, byteLength);
}

function layoutColumns(specs: readonly ColumnSpec[], length: number, columns: readonly ColumnBuffers[]): Layout {
  if (columns.length !== specs.length) {
    throw new Error(`assert: ${columns.length} columns for a table of ${specs.length}`);
  }
  const layout: Layout = { nodes: [], regions: [], body: [], bodyLength: 0 };
  const add = (bytes: Uint8Array) => {
    const padded = pad8(bytes.byteLength);
    layout.regions.push([layout.bodyLength, padded]);
    layout.body.push(bytes);
    layout.bodyLength += padded;
  };
  const bitmapBytes = (length + 7) >> 3;
  for (let k = 0; k < specs.length; k++) {
    const spec = specs[k]!;
    const c = columns[k]!;
    if (c.nullCount > 0 && (c.validity === undefined || c.validity.byteLength < bitmapBytes)) {
      throw new Error(`assert: column ${spec.name} has NULLs but no validity bitmap`);
    }
    layout.nodes.push([length, c.nullCount]);
    add(c.nullCount > 0 ? c.validity!.subarray(0, bitmapBytes) : new Uint8Array(0));
    switch (spec.kind) {
      case 'utf8':
      case 'binary': {
        const offsets = c.offsets!;
        if (offsets.length < length + 1 || offsets[0] !== 0) {
          throw new Error(`assert: column ${spec.name} needs ${length + 1} offsets from 0`);
        }
        add(bytesOf(offsets, (length + 1) * 4));
        add(bytesOf(c.values, offsets[length]!));
        break;
      }
      case 'bool':
        add(bytesOf(c.values, bitmapBytes));
        break;
      default: {
        const width = spec.kind === 'enum' ? 1 : spec.kind === 'i16' ? 2 : spec.kind === 'i32' ? 4 : 8;
        add(bytesOf(c.values, length * width));
      }
    }
  }
  return layout;
}

/**
 * RecordBatch: length 0, nodes 1, buffers 2, compression 3, variadicBufferCounts 4. FieldNode
 * {length, null_count} and Buffer {offset, length} are 16-byte structs, written back to front.
 */
function encodeBatchTable(b: Builder, length: number, layout: Layout): number {
  b.startVector(16, layout.nodes.length, 8);
  for (let i = layout.nodes.length - 1; i >= 0; i--) {
    const [n, nulls] = layout.nodes[i]!;
    b.prep(8, 16);
    b.writeInt64(BigInt(nulls));
    b.writeInt64(BigInt(n));
  }
  const nodes = b.endVector();
  b.startVector(16, layout.regions.length, 8);
  for (let i = layout.regions.length - 1; i >= 0; i--) {
    const [offset, size] = layout.regions[i]!;
    b.prep(8, 16);
    b.writeInt64(BigInt(size));
    b.writeInt64(BigInt(offset));
  }
  const buffers = b.endVector();
  b.startObject(5);
  b.addFieldInt64(0, BigInt(length), ZERO64);
  b.addFieldOffset(1, nodes, 0);
  b.addFieldOffset(2, buffers, 0);
  return b.endObject();
}

function encoded(header: Uint8Array, layout: Layout): EncodedMessage {
  return {
    header, body: layout.body, bodyLength: layout.bodyLength,
    byteLength: header.byteLength + layout.bodyLength,
  };
}

/** A record batch message over the caller's column buffers (no copy). */
export function encodeRecordBatch(table: TableName, length: number, columns: readonly ColumnBuffers[]): EncodedMessage {
  const layout = layoutColumns(TABLES[table].columns, length, columns);
  const b = new Builder();
  const header = message(b, MESSAGE_HEADER.RecordBatch, encodeBatchTable(b, length, layout), layout.bodyLength);
  return encoded(header, layout);
}

/** The dictionary messages of a table's enum columns, each id once, as bytes to write. */
export function encodeDictionaryMessages(table: TableName): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<number>();
  const utf8: ColumnSpec = { name: 'dictionary', kind: 'utf8', nullable: false, unit: '', description: '' };
  for (const column of TABLES[table].columns) {
    if (column.kind !== 'enum') continue;
    const id = dictionaryId(column);
    if (seen.has(id)) continue;
    seen.add(id);
    const words = column.dictionary!.map((word) => encoder.encode(word));
    const text = new Uint8Array(words.reduce((n, w) => n + w.length, 0));
    const offsets = new Int32Array(words.length + 1);
    for (let i = 0, at = 0; i < words.length; i++) {
      text.set(words[i]!, at);
      at += words[i]!.length;
      offsets[i + 1] = at;
    }
    const layout = layoutColumns([utf8], words.length, [{ nullCount: 0, offsets, values: text }]);
    const b = new Builder();
    const data = encodeBatchTable(b, words.length, layout);
    // DictionaryBatch: id 0, data 1, isDelta 2
    b.startObject(3);
    b.addFieldInt64(0, BigInt(id), ZERO64);
    b.addFieldInt8(2, 0, 0);
    b.addFieldOffset(1, data, 0);
    const header = message(b, MESSAGE_HEADER.DictionaryBatch, b.endObject(), layout.bodyLength);
    out.push(concatMessage(encoded(header, layout)));
  }
  return out;
}

const ZEROS = new Uint8Array(8);

/** The message as byte views to write back to back: header, each body buffer and its padding. */
export function messageParts(m: EncodedMessage): Uint8Array[] {
  const parts = [m.header];
  for (const part of m.body) {
    if (part.byteLength === 0) continue;
    parts.push(part);
    const pad = -part.byteLength & 7;
    if (pad > 0) parts.push(ZEROS.subarray(0, pad));
  }
  return parts;
}

/** The whole message as one fresh buffer. */
export function concatMessage(m: EncodedMessage): Uint8Array {
  const out = new Uint8Array(m.byteLength);
  let at = 0;
  for (const part of messageParts(m)) {
    out.set(part, at);
    at += part.byteLength;
  }
  if (at !== m.byteLength) throw new Error('assert: message length differs from its layout');
  return out;
}

// Structural validation of one record batch message against the table's schema (tables.ts),
// done before apache-arrow's accessors or DuckDB see the bytes: query/load.ts copies Arrow
// buffers straight into DuckDB vectors with memcpy, so an offset past a buffer or a string that
// is not UTF-8 would reach native code (issue #7: one invalid byte in dlt.arrow was a SIGSEGV).
// What passes here is turned into apache-arrow Data over the body, without copying.
//
// The rules, from the Arrow columnar format ("Buffer alignment and padding", "Validity
// bitmaps", "Variable-size binary layout", "Dictionary-encoded layout") narrowed to what our
// writers produce (table-writer.ts via apache-arrow, ipc-encode.ts):
//   - a batch has one field node per column and 2 buffers per column (3 for utf8/binary);
//   - every buffer is 8-aligned and inside the body; the body ends with the last buffer (+pad);
//   - a fixed-width buffer holds rows × width bytes, padded to 8 at most (so a row count that
//     lies is caught: every table has an int64 column whose size is exactly rows × 8);
//   - a validity bitmap is empty (no NULLs) or ≥ ceil(rows / 8) bytes, and its zero bits are
//     exactly the node's null count; a non-nullable column has none;
//   - utf8/binary offsets start ≥ 0, never decrease and end inside the values; utf8 values are
//     valid UTF-8 and every value starts on a character boundary;
//   - dictionary codes are inside the table's fixed dictionary; no compression.

import { isUtf8 } from 'node:buffer';
import { Data, type DataType, type RecordBatch, type Vector } from 'apache-arrow';
import { Buffer as FbBuffer } from 'apache-arrow/fb/buffer';
import { FieldNode } from 'apache-arrow/fb/field-node';
import type { Message as FbMessage } from 'apache-arrow/fb/message';
import type { ByteBuffer } from 'flatbuffers';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { NO_BITMAP, tableBatch } from './arrow-batch.js';
import { arrowSchema, dictionaryVector, TABLES, type ColumnSpec, type TableName } from './schema.js';

/** More rows than any batch we write (core columns: 64 Ki events; row buffers: 8 Ki). */
export const BATCH_ROWS_MAX = 1 << 24;

/** A batch that fails a check; the message names the column and the rule. */
export class BatchInvalid extends Error {
  override readonly name = 'BatchInvalid';
}


const pad8 = (n: number): number => Math.ceil(n / 8) * 8;

interface Region {
  offset: number;
  length: number;
}

/** The row count a record batch message declares, or null when it cannot be one of ours. */
export function declaredRows(message: FbMessage): number | null {
  if (message.headerType() !== MessageHeader.RecordBatch) return null;
  const header = message.header(new FbRecordBatch()) as FbRecordBatch | null;
  if (header === null) return null;
  const rows = header.length();
  return rows < 0n || rows > BigInt(BATCH_ROWS_MAX) ? null : Number(rows);
}

/** Validates a record batch message and its body; returns the batch over the body's bytes. */
export function decodeRecordBatch(table: TableName, message: FbMessage, body: Uint8Array): RecordBatch {
  if (message.headerType() !== MessageHeader.RecordBatch) throw new BatchInvalid('not a record batch');
  const header = message.header(new FbRecordBatch()) as FbRecordBatch | null;
  if (header === null) throw new BatchInvalid('record batch header missing');
  if (header.compression() !== null) throw new BatchInvalid('compressed bodies are not supported');
  if (header.variadicBufferCountsLength() !== 0) throw new BatchInvalid('unexpected variadic buffers');
  const rows = batchRows(header);
  const columns = TABLES[table].columns;
  const regions = bufferRegions(header, columns, body.byteLength);
  if (header.nodesLength() !== columns.length) {
    throw new BatchInvalid(`${header.nodesLength()} field nodes for ${columns.length} columns`);
  }
  const schema = arrowSchema(table);
  const children: Data[] = [];
  const node = new FieldNode();
  let next = 0;
  for (let c = 0; c < columns.length; c++) {
    const spec = columns[c]!;
    const count = spec.kind === 'utf8' || spec.kind === 'binary' ? 3 : 2;
    const nullCount = nodeNulls(header, c, rows, spec, node);
    const type = schema.fields[c]!.type;
    children.push(columnData({ spec, type, rows, nullCount, body }, regions, next));
    next += count;
  }
  return tableBatch(table, rows, children);
}

/**
 * An int64 of a flatbuffer struct (a field node's or a buffer's) as a number when it is in
 * [0, 2^32), else null: every length and offset of a valid batch is. The generated accessors
 * return a BigInt (allocated, ~4 per column and batch): bufferRegions and nodeNulls measured
 * another fifth of walking the small tables with them.
 */
function smallUint64(bb: ByteBuffer, position: number): number | null {
  return bb.readInt32(position + 4) === 0 ? bb.readUint32(position) : null;
}

function batchRows(header: FbRecordBatch): number {
  const rows = header.length();
  if (rows < 1n || rows > BigInt(BATCH_ROWS_MAX)) {
    throw new BatchInvalid(`record batch length ${rows} outside [1, ${BATCH_ROWS_MAX}]`);
  }
  return Number(rows);
}

function nodeNulls(header: FbRecordBatch, index: number, rows: number, spec: ColumnSpec, scratch: FieldNode): number {
  const node = header.nodes(index, scratch);
  if (node === null) throw new BatchInvalid(`column ${spec.name}: field node missing`);
  if (smallUint64(node.bb!, node.bb_pos) !== rows) {
    throw new BatchInvalid(`column ${spec.name}: ${node.length()} values in a batch of ${rows} rows`);
  }
  const nulls = smallUint64(node.bb!, node.bb_pos + 8);
  if (nulls === null || nulls > rows) {
    throw new BatchInvalid(`column ${spec.name}: null count ${node.nullCount()} for ${rows} rows`);
  }
  if (nulls > 0 && !spec.nullable) {
    throw new BatchInvalid(`column ${spec.name}: ${nulls} NULLs in a non-nullable column`);
  }
  return nulls;
}

function bufferRegions(header: FbRecordBatch, columns: readonly ColumnSpec[], bodyBytes: number): Region[] {
  const expected = columns.reduce((n, c) => n + (c.kind === 'utf8' || c.kind === 'binary' ? 3 : 2), 0);
  if (header.buffersLength() !== expected) {
    throw new BatchInvalid(`${header.buffersLength()} buffers for ${expected} expected`);
  }
  const regions: Region[] = [];
  const buffer = new FbBuffer();
  let end = 0;
  for (let i = 0; i < expected; i++) {
    header.buffers(i, buffer);
    const offset = smallUint64(buffer.bb!, buffer.bb_pos);
    const length = smallUint64(buffer.bb!, buffer.bb_pos + 8);
    if (offset === null || length === null || offset + length > bodyBytes) {
      throw new BatchInvalid(`buffer ${i} (${buffer.offset()}+${buffer.length()}) outside the body of ${bodyBytes} bytes`);
    }
    if (offset % 8 !== 0) throw new BatchInvalid(`buffer ${i} at ${offset} is not 8-aligned`);
    regions.push({ offset, length });
    end = Math.max(end, offset + length);
  }
  if (bodyBytes !== pad8(end)) {
    throw new BatchInvalid(`body of ${bodyBytes} bytes, its buffers end at ${end}`);
  }
  return regions;
}

interface ColumnContext {
  spec: ColumnSpec;
  type: DataType;
  rows: number;
  nullCount: number;
  body: Uint8Array;
}

/**
 * A column's Data built with apache-arrow's Data constructor, not makeData: makeData's visitor
 * re-derives what is known here (type, length, buffers) and costs ~100 µs a batch of dlt's 21
 * columns; the small tables come in ~150-row batches (600 s cockpit: 2055 batches for 135 k
 * rows), where decoding measured 160 µs a batch with makeData and 35-60 µs without. The
 * buffers are those makeData makes: [valueOffsets, values, validity (empty when none)].
 */
function columnData(column: ColumnContext, regions: Region[], first: number): Data {
  const { spec, type, rows, nullCount, body } = column;
  const nullBitmap = validity(spec, rows, nullCount, regions[first]!, body) ?? NO_BITMAP;
  const values = regions[first + 1]!;
  const at = (width: number) => fixed(spec, rows, width, values, body);
  const data = (buffer: ArrayBufferView, valueOffsets?: Int32Array, dictionary?: Vector): Data =>
    new Data(type, 0, rows, nullCount, [valueOffsets, buffer, nullBitmap], [], dictionary);
  switch (spec.kind) {
    case 'i16':
      return data(new Int16Array(body.buffer, at(2), rows));
    case 'i32':
      return data(new Int32Array(body.buffer, at(4), rows));
    case 'i64':
      return data(new BigInt64Array(body.buffer, at(8), rows));
    case 'bool':
      return data(bitmapBytes(spec, rows, values, body));
    case 'enum':
      return data(codes(spec, rows, values, body), undefined, dictionaryVector(spec));
    case 'utf8':
    case 'binary': {
      const { valueOffsets, data: bytes } = variable(spec, rows, values, regions[first + 2]!, body);
      return data(bytes, valueOffsets);
    }
  }
}

function view(region: Region, body: Uint8Array, length = region.length): Uint8Array {
  return new Uint8Array(body.buffer, body.byteOffset + region.offset, length);
}

/** Checks a fixed-width buffer's size; returns its byte offset in body.buffer. */
function fixed(spec: ColumnSpec, rows: number, width: number, region: Region, body: Uint8Array): number {
  const needed = rows * width;
  if (region.length < needed || region.length > pad8(needed)) {
    throw new BatchInvalid(`column ${spec.name}: ${region.length} value bytes for ${rows} rows of ${width}`);
  }
  return body.byteOffset + region.offset;
}

function bitmapBytes(spec: ColumnSpec, rows: number, region: Region, body: Uint8Array): Uint8Array {
  const needed = Math.ceil(rows / 8);
  if (region.length < needed || region.length > pad8(needed)) {
    throw new BatchInvalid(`column ${spec.name}: ${region.length} bitmap bytes for ${rows} rows`);
  }
  return view(region, body, needed);
}

function validity(
  spec: ColumnSpec,
  rows: number,
  nullCount: number,
  region: Region,
  body: Uint8Array,
): Uint8Array | undefined {
  if (region.length === 0) {
    if (nullCount > 0) {
      throw new BatchInvalid(`column ${spec.name}: ${nullCount} NULLs but no validity bitmap`);
    }
    return undefined;
  }
  const bitmap = bitmapBytes(spec, rows, region, body);
  const nulls = rows - countSetBits(bitmap, rows);
  if (nulls !== nullCount) {
    const what = spec.nullable ? `says ${nullCount}` : 'is not nullable';
    throw new BatchInvalid(`column ${spec.name}: validity bitmap has ${nulls} NULLs, the column ${what}`);
  }
  return nullCount > 0 ? bitmap : undefined;
}

const BITS_IN_BYTE = Uint8Array.from({ length: 256 }, (_, b) => {
  let n = 0;
  for (let v = b; v !== 0; v >>= 1) n += v & 1;
  return n;
});

function countSetBits(bitmap: Uint8Array, rows: number): number {
  const whole = rows >> 3;
  let set = 0;
  for (let i = 0; i < whole; i++) set += BITS_IN_BYTE[bitmap[i]!]!;
  const rest = rows & 7;
  if (rest > 0) set += BITS_IN_BYTE[bitmap[whole]! & ((1 << rest) - 1)]!;
  return set;
}

/** Dictionary codes, each inside the column's fixed dictionary (NULL slots hold 0 too). */
function codes(spec: ColumnSpec, rows: number, region: Region, body: Uint8Array): Uint8Array | Int8Array {
  const at = fixed(spec, rows, 1, region, body);
  const values =
    spec.indexWidth === 'u8' ? new Uint8Array(body.buffer, at, rows) : new Int8Array(body.buffer, at, rows);
  const limit = spec.dictionary!.length;
  for (let i = 0; i < rows; i++) {
    const code = values[i]!;
    if (code < 0 || code >= limit) {
      const where = `code ${code} at row ${i}`;
      throw new BatchInvalid(`column ${spec.name}: ${where} is outside its ${limit}-value dictionary`);
    }
  }
  return values;
}

function variable(spec: ColumnSpec, rows: number, offsetsRegion: Region, valuesRegion: Region, body: Uint8Array) {
  const at = fixed(spec, rows + 1, 4, offsetsRegion, body);
  const valueOffsets = new Int32Array(body.buffer, at, rows + 1);
  const first = valueOffsets[0]!;
  const last = valueOffsets[rows]!;
  if (first < 0 || last > valuesRegion.length) {
    const range = `offsets ${first}..${last}`;
    throw new BatchInvalid(`column ${spec.name}: ${range} outside ${valuesRegion.length} value bytes`);
  }
  for (let i = 0; i < rows; i++) {
    if (valueOffsets[i + 1]! < valueOffsets[i]!) {
      throw new BatchInvalid(`column ${spec.name}: offsets decrease at row ${i}`);
    }
  }
  const data = view(valuesRegion, body);
  if (spec.kind === 'utf8') checkUtf8(spec, valueOffsets, data, rows);
  return { valueOffsets, data };
}

/**
 * The whole value range is valid UTF-8 and no value starts on a continuation byte (10xxxxxx),
 * so every value on its own is valid UTF-8 too (its end is the next start or the range's end).
 */
function checkUtf8(spec: ColumnSpec, offsets: Int32Array, data: Uint8Array, rows: number): void {
  const end = offsets[rows]!;
  if (!isUtf8(data.subarray(offsets[0]!, end))) {
    throw new BatchInvalid(`column ${spec.name}: text is not valid UTF-8`);
  }
  for (let i = 0; i < rows; i++) {
    const start = offsets[i]!;
    if (start < end && (data[start]! & 0xc0) === 0x80) {
      throw new BatchInvalid(`column ${spec.name}: value at row ${i} starts inside a UTF-8 character`);
    }
  }
}

// A Parquet file writer for the query store (store.ts): one row group per Arrow record batch,
// one uncompressed Data Page V1 per column chunk (encode.ts says why each encoding is the Arrow
// bytes), a dictionary page per ENUM column chunk and per int16 chunk of ≤ 256 values, min/max statistics on the columns that
// time-window queries filter (ts_ns), so DuckDB skips the row groups outside a window.
// File layout (parquet-format README "File Format"): "PAR1", the column chunks, the
// FileMetaData (Thrift compact, thrift-compact.ts), its length (4 bytes LE), "PAR1".
//
// Measured against DuckDB's own insert path (README Benchmarks, query store): the writer costs
// about what writing the bytes to the page cache costs, where appending the same rows to a
// DuckDB table measured 1.5–2.4 M rows/s.

import { closeSync, openSync, writevSync } from 'node:fs';
import type { Data, RecordBatch } from 'apache-arrow';
import {
  boolCodes,
  definitionLevels,
  dictionaryIndices,
  enumCodes,
  Int16Dictionary,
  int64Bytes,
  minMaxIndexI64,
  partsBytes,
  plainBooleans,
  plainByteArrays,
  plainFixed,
  plainStrings,
  type Parts,
} from './encode.js';
import { encodeStruct, type Field } from './thrift-compact.js';

/** A store column: its SQL name and how the Arrow column is encoded. */
export interface ParquetColumn {
  name: string;
  kind: 'i16' | 'i32' | 'i64' | 'bool' | 'utf8' | 'binary' | 'enum';
  nullable: boolean;
  /** kind 'enum': the strings of codes 0, 1, … (the file stores the strings, dictionary-encoded). */
  dictionary?: readonly string[];
  /** kind 'enum' from an Arrow bool (dlt.mode): false/true are codes 0/1. */
  fromBool?: boolean;
  /** Write min/max statistics (int64 only). */
  statistics?: boolean;
}

// parquet.thrift enums
const TYPE = { BOOLEAN: 0, INT32: 1, INT64: 2, BYTE_ARRAY: 6 } as const;
const CONVERTED = { UTF8: 0, INT_16: 16 } as const;
const ENCODING = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 } as const;
const PAGE = { DATA: 0, DICTIONARY: 2 } as const;
const REPETITION = { REQUIRED: 0, OPTIONAL: 1 } as const;
const MAGIC = new TextEncoder().encode('PAR1');

interface ChunkMeta {
  start: number;
  dataPageOffset: number;
  dictionaryPageOffset: number | null;
  bytes: number;
  statistics: { min: Uint8Array; max: Uint8Array } | null;
}

export class ParquetWriter {
  private readonly fd: number;
  private position = 0;
  private rows = 0;
  private readonly rowGroups: Field[][] = [];
  private readonly dictionaryPages: (Uint8Array | null)[];
  private readonly int16Dictionary = new Int16Dictionary();
  private closed = false;

  constructor(
    readonly path: string,
    private readonly columns: readonly ParquetColumn[],
  ) {
    this.dictionaryPages = columns.map((c) => (c.kind === 'enum' ? plainStrings(c.dictionary!) : null));
    this.fd = openSync(path, 'w');
    this.write([MAGIC]);
  }

  /**
   * Appends a batch as one row group (an empty batch adds nothing). `ascending`: the caller
   * checked that the statistics columns ascend through the batch (events in (ts_ns, seq) order),
   * so their min/max are the first and last rows, without a pass over the column.
   */
  writeBatch(batch: RecordBatch, ascending = false): void {
    const rows = batch.numRows;
    if (rows === 0) return;
    const chunks: Field[][] = [];
    let bytes = 0;
    const datas = batch.data.children; // not getChildAt, which makes a Vector per call
    if (datas.length !== this.columns.length) throw new Error(`parquet: batch of ${datas.length} columns for ${this.columns.length}`);
    for (let c = 0; c < this.columns.length; c++) {
      const meta = this.writeChunk(c, datas[c]!, rows, ascending);
      bytes += meta.bytes;
      chunks.push(columnChunk(this.columns[c]!, meta, rows));
    }
    this.rowGroups.push([
      { id: 1, list: { struct: chunks } },
      { id: 2, i64: bytes },
      { id: 3, i64: rows },
    ]);
    this.rows += rows;
  }

  /** Writes the footer and closes the file; returns its size in bytes. */
  finish(): number {
    const footer = encodeStruct([
      { id: 1, i32: 1 },
      { id: 2, list: { struct: schemaElements(this.columns) } },
      { id: 3, i64: this.rows },
      { id: 4, list: { struct: this.rowGroups } },
      { id: 6, binary: 'tracevisor' },
    ]);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, footer.length, true);
    this.write([footer, length, MAGIC]);
    this.close();
    return this.position;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private writeChunk(c: number, data: Data, rows: number, ascending: boolean): ChunkMeta {
    const column = this.columns[c]!;
    const start = this.position;
    const dictionary = this.dictionaryOf(c, data, rows);
    if (dictionary !== null) {
      this.writePage(PAGE.DICTIONARY, [dictionary.page], {
        id: 7,
        struct: [{ id: 1, i32: dictionary.size }, { id: 2, i32: ENCODING.PLAIN }],
      });
    }
    const dataPageOffset = this.position;
    const levels = column.nullable ? definitionLevels(data, rows) : [];
    const values = dictionary !== null ? dictionaryIndices(dictionary.codes, data, rows) : valueParts(column, data, rows);
    this.writePage(PAGE.DATA, [...levels, ...values], {
      id: 5,
      struct: [
        { id: 1, i32: rows },
        { id: 2, i32: dictionary !== null ? ENCODING.RLE_DICTIONARY : ENCODING.PLAIN },
        { id: 3, i32: ENCODING.RLE },
        { id: 4, i32: ENCODING.RLE },
      ],
    });
    return {
      start,
      dataPageOffset,
      dictionaryPageOffset: dictionary !== null ? start : null,
      bytes: this.position - start,
      statistics: statistics(column, data, rows, ascending),
    };
  }

  /** The chunk's dictionary page and one-byte codes: always for ENUMs, for int16 when it fits. */
  private dictionaryOf(c: number, data: Data, rows: number): { page: Uint8Array; size: number; codes: Uint8Array } | null {
    const column = this.columns[c]!;
    if (column.kind === 'enum') {
      const codes = column.fromBool ? boolCodes(data, rows) : enumCodes(data, rows);
      return { page: this.dictionaryPages[c]!, size: column.dictionary!.length, codes };
    }
    if (column.kind !== 'i16') return null;
    const encoded = this.int16Dictionary.encode(data, rows);
    if (encoded === null) return null;
    const page = new Uint8Array(encoded.dictionary.buffer, encoded.dictionary.byteOffset, encoded.dictionary.byteLength);
    return { page, size: encoded.dictionary.length, codes: encoded.codes };
  }

  private writePage(type: number, body: Parts, header: Field): void {
    const size = partsBytes(body);
    const head = encodeStruct([
      { id: 1, i32: type },
      { id: 2, i32: size },
      { id: 3, i32: size },
      header,
    ]);
    this.write([head, ...body]);
  }

  private write(parts: Parts): void {
    const nonEmpty = parts.filter((p) => p.byteLength > 0);
    const expected = partsBytes(nonEmpty);
    const written = writevSync(this.fd, nonEmpty);
    // writev may write less than asked (signals, huge buffers): finish part by part.
    if (written < expected) this.writeRest(nonEmpty, written);
    this.position += expected;
  }

  private writeRest(parts: Parts, done: number): void {
    let skip = done;
    for (const part of parts) {
      if (skip >= part.byteLength) {
        skip -= part.byteLength;
        continue;
      }
      const rest = part.subarray(skip);
      skip = 0;
      let at = 0;
      while (at < rest.byteLength) at += writevSync(this.fd, [rest.subarray(at)]);
    }
  }
}

function valueParts(column: ParquetColumn, data: Data, rows: number): Parts {
  switch (column.kind) {
    case 'i16':
    case 'i32':
    case 'i64':
      return [plainFixed(data, rows, column.kind)];
    case 'bool':
      return [plainBooleans(data, rows)];
    case 'utf8':
    case 'binary':
      return [plainByteArrays(data, rows)];
    case 'enum':
      throw new Error(`parquet: ENUM column ${column.name} without its dictionary`);
  }
}

function statistics(column: ParquetColumn, data: Data, rows: number, ascending: boolean): ChunkMeta['statistics'] {
  if (column.statistics !== true || column.kind !== 'i64' || column.nullable) return null;
  const [min, max] = ascending ? [0, rows - 1] : minMaxIndexI64(data, rows);
  return { min: int64Bytes(data, min), max: int64Bytes(data, max) };
}

function physicalType(column: ParquetColumn): number {
  switch (column.kind) {
    case 'i16':
    case 'i32':
      return TYPE.INT32;
    case 'i64':
      return TYPE.INT64;
    case 'bool':
      return TYPE.BOOLEAN;
    default:
      return TYPE.BYTE_ARRAY;
  }
}

function columnChunk(column: ParquetColumn, meta: ChunkMeta, rows: number): Field[] {
  const encodings = meta.dictionaryPageOffset !== null
    ? [ENCODING.PLAIN, ENCODING.RLE, ENCODING.RLE_DICTIONARY]
    : [ENCODING.PLAIN, ENCODING.RLE];
  const fields: Field[] = [
    { id: 1, i32: physicalType(column) },
    { id: 2, list: { i32: encodings } },
    { id: 3, list: { binary: [column.name] } },
    { id: 4, i32: 0 }, // UNCOMPRESSED
    { id: 5, i64: rows },
    { id: 6, i64: meta.bytes },
    { id: 7, i64: meta.bytes },
    { id: 9, i64: meta.dataPageOffset },
  ];
  if (meta.dictionaryPageOffset !== null) fields.push({ id: 11, i64: meta.dictionaryPageOffset });
  if (meta.statistics !== null) {
    fields.push({
      id: 12,
      struct: [
        { id: 3, i64: 0 },
        { id: 5, binary: meta.statistics.max },
        { id: 6, binary: meta.statistics.min },
      ],
    });
  }
  return [
    { id: 2, i64: meta.start },
    { id: 3, struct: fields },
  ];
}

function schemaElements(columns: readonly ParquetColumn[]): Field[][] {
  const root: Field[] = [
    { id: 4, binary: 'schema' },
    { id: 5, i32: columns.length },
  ];
  return [root, ...columns.map(schemaElement)];
}

function schemaElement(column: ParquetColumn): Field[] {
  const fields: Field[] = [
    { id: 1, i32: physicalType(column) },
    { id: 3, i32: column.nullable ? REPETITION.OPTIONAL : REPETITION.REQUIRED },
    { id: 4, binary: column.name },
  ];
  if (column.kind === 'utf8' || column.kind === 'enum') fields.push({ id: 6, i32: CONVERTED.UTF8 });
  if (column.kind === 'i16') fields.push({ id: 6, i32: CONVERTED.INT_16 });
  return fields;
}

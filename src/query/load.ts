// Loads trace tables into DuckDB through the data-chunk fast path (principle 7): the rows of
// the Arrow record batches fill chunks of the DuckDB vector size (2048 rows; a big batch makes
// several, small ones share one), and every fixed-width column of a batch is copied into the
// chunk's vector with one native memcpy (copy_data_to_vector); the appender takes whole chunks. Row-by-row appends measured ≈1 M
// rows/s here; the chunk path is an order of magnitude faster (bench/trace.ts measures both).
//
// The copy primitives are in @duckdb/node-bindings, the native layer @duckdb/node-api is built
// on (node-api's own typed vectors write the same way, but only value by value through setItem).
// DuckDB vector layouts (duckdb/common/types/vector.hpp): fixed-width values contiguous,
// ENUM of <= 256 values stored as UTINYINT codes, BOOLEAN one byte per value, validity a
// little-endian bitmap of uint64 words (bit i = row i valid) — the same bit order as Arrow's
// validity bitmap, so it is copied byte for byte too. A VARCHAR/BLOB vector holds 16-byte
// string_t's (duckdb.h duckdb_string_t): a uint32 length, then for a value of at most 12 bytes
// the bytes themselves, zero-padded ("inlined"), else a prefix and a pointer to the vector's heap.

import duckdb from '@duckdb/node-bindings';
import {
  DuckDBDataChunk,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
} from '@duckdb/node-api';
import type { Data, RecordBatch, Vector } from 'apache-arrow';
import {
  duckdbCreateTableSql,
  duckdbEnumTypesSql,
  TABLES,
  type ColumnSpec,
  type TableName,
} from '../trace/schema.js';
import { QueryError } from './errors.js';

export const CHUNK_ROWS = 2048;

export interface TableLoad {
  table: TableName;
  rows: number;
  batches: number;
  /** Rows arrived in (ts_ns, seq) order (events only; other tables keep file order). */
  sorted: boolean;
}

/** Where the batches come from: a CheckedTrace (src/trace/open.ts) or, in benches, a Trace. */
export interface BatchSource {
  batches(table: TableName): Iterable<RecordBatch>;
}

/** The ENUM types, then a DuckDB table for each of `tables` (default: every trace table). */
export async function createTraceTables(
  connection: DuckDBConnection,
  tables: readonly TableName[] = Object.keys(TABLES) as TableName[],
): Promise<void> {
  for (const statement of duckdbEnumTypesSql()) await connection.run(statement);
  for (const table of tables) await connection.run(duckdbCreateTableSql(table));
}

/**
 * Batch-by-batch appends to one table, for a caller that is handed batches (the store build's
 * verify pass): each batch is copied into DuckDB before append() returns, so its buffers may be
 * reused afterwards.
 */
export class TableAppender {
  private constructor(
    private readonly appender: DuckDBAppender,
    private readonly loader: ChunkLoader,
  ) {}

  static async open(connection: DuckDBConnection, table: TableName): Promise<TableAppender> {
    const appender = await connection.createAppender(table);
    return new TableAppender(appender, new ChunkLoader(appender, TABLES[table].columns));
  }

  append(batch: RecordBatch): void {
    this.loader.appendBatch(batch);
  }

  /** Flushes (with `flush`) and closes; closing twice is a no-op. */
  close(flush: boolean): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (flush) {
        this.loader.finish();
        this.appender.flushSync();
      }
    } finally {
      this.appender.closeSync();
    }
  }

  private closed = false;
}

/** Appends every batch of a trace table to the DuckDB table of the same name, in file order. */
export async function loadTable(
  connection: DuckDBConnection,
  source: BatchSource,
  table: TableName,
): Promise<TableLoad> {
  const appender = await connection.createAppender(table);
  const loader = new ChunkLoader(appender, TABLES[table].columns);
  const order = table === 'events' ? new OrderCheck() : null;
  let rows = 0;
  let batches = 0;
  try {
    for (const batch of source.batches(table)) {
      order?.check(batch);
      loader.appendBatch(batch);
      rows += batch.numRows;
      batches += 1;
    }
    loader.finish();
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return { table, rows, batches, sorted: order?.sorted ?? true };
}

/**
 * Whether events arrive in (ts_ns, seq) order, as the recorder writes them (principle 1): if so
 * the store needs no sort. Compares the int64 columns as (hi, lo) int32 pairs, which costs a
 * few ms per million rows where BigInt reads would allocate per row.
 */
export class OrderCheck {
  sorted = true;
  private first = true;
  // The previous batch's last ts_ns and seq as (signed hi, unsigned lo) halves.
  private readonly last = new Float64Array(4);

  check(batch: RecordBatch): void {
    const rows = batch.numRows;
    if (!this.sorted || rows === 0) return;
    const ts = int32Pairs(batch, 0);
    const seq = int32Pairs(batch, 1);
    const last = this.last;
    if (!this.first && !notBefore(ts[1]!, ts[0]! >>> 0, seq[1]!, seq[0]! >>> 0, last)) {
      this.sorted = false;
      return;
    }
    this.first = false;
    if (!sortedWithin(ts, seq, rows)) {
      this.sorted = false;
      return;
    }
    const end = 2 * (rows - 1);
    last[0] = ts[end + 1]!;
    last[1] = ts[end]! >>> 0;
    last[2] = seq[end + 1]!;
    last[3] = seq[end]! >>> 0;
  }
}

/**
 * Each row's (ts, seq) >= the previous row's, row against row in the int32 halves: the common
 * case (same high half, a larger low half) costs two loads and two compares. Storing every row
 * into OrderCheck's fields as it went measured 0.1 s of a 600 s trace's ~19 M events (a
 * whole-batch loop of the build's walk alone: 0.26 -> 0.35 s).
 */
function sortedWithin(ts: Int32Array, seq: Int32Array, rows: number): boolean {
  for (let i = 1; i < rows; i++) {
    const th = ts[2 * i + 1]!;
    const ph = ts[2 * i - 1]!;
    if (th !== ph) {
      if (th < ph) return false;
      continue;
    }
    const tl = ts[2 * i]! >>> 0;
    const pl = ts[2 * i - 2]! >>> 0;
    if (tl !== pl) {
      if (tl < pl) return false;
      continue;
    }
    const sh = seq[2 * i + 1]!;
    const qh = seq[2 * i - 1]!;
    if (sh !== qh) {
      if (sh < qh) return false;
      continue;
    }
    if (seq[2 * i]! >>> 0 < seq[2 * i - 2]! >>> 0) return false;
  }
  return true;
}

/** (ts, seq) >= last, comparing int64s as (hi, lo) pairs. */
function notBefore(th: number, tl: number, sh: number, sl: number, last: Float64Array): boolean {
  if (th !== last[0]) return th > last[0]!;
  if (tl !== last[1]) return tl > last[1]!;
  if (sh !== last[2]) return sh > last[2]!;
  return sl >= last[3]!;
}

function int32Pairs(batch: RecordBatch, column: number): Int32Array {
  const data = batch.data.children[column]!;
  const values = data.values as BigInt64Array;
  return new Int32Array(values.buffer, values.byteOffset + data.offset * 8, batch.numRows * 2);
}

/**
 * Fills DuckDB data chunks of CHUNK_ROWS rows from Arrow batches and appends each full one;
 * rows of consecutive batches share a chunk (finish() appends the last, partial one). The small
 * tables come in batches of ~150 rows (600 s cockpit: dlt, clock and sync in 2055 batches):
 * a chunk per batch made 2055 appendDataChunk calls of ~46 µs each, ~95 ms of the build.
 */
class ChunkLoader {
  private readonly appender: DuckDBAppender;
  private readonly chunk: DuckDBDataChunk;
  private readonly bools = new Uint8Array(CHUNK_ROWS);
  private readonly strings = new Uint8Array(CHUNK_ROWS * STRING_T_BYTES);
  /** Each nullable column's validity for the chunk being filled (null for the others). */
  private readonly validity: (Uint8Array | null)[];
  private readonly checkedDictionaries = new WeakSet<object>();
  /** Rows in the chunk being filled, and its vectors (taken when its first rows arrive). */
  private filled = 0;
  private vectors: duckdb.Vector[] = [];

  constructor(
    appender: DuckDBAppender,
    private readonly columns: readonly ColumnSpec[],
  ) {
    if (appender.columnCount !== columns.length) {
      throw new Error(`appender has ${appender.columnCount} columns, schema ${columns.length}`);
    }
    const types: DuckDBType[] = columns.map((_, i) => appender.columnType(i));
    this.chunk = DuckDBDataChunk.create(types);
    this.appender = appender;
    this.validity = columns.map((c) => (c.nullable ? new Uint8Array(CHUNK_ROWS / 8) : null));
  }

  appendBatch(batch: RecordBatch): void {
    // a batch's columns as its data's children: getChildAt makes a Vector of each per call
    const datas = batch.data.children;
    if (datas.length !== this.columns.length) {
      throw new Error(`batch of ${datas.length} columns, table ${this.columns.length}`);
    }
    for (let start = 0; start < batch.numRows; ) {
      if (this.filled === 0) this.beginChunk();
      const count = Math.min(CHUNK_ROWS - this.filled, batch.numRows - start);
      for (let c = 0; c < this.columns.length; c++) this.fillColumn(c, datas[c]!, start, count);
      this.filled += count;
      start += count;
      if (this.filled === CHUNK_ROWS) this.appendChunk();
    }
  }

  /** Appends the rows still in the chunk being filled. */
  finish(): void {
    if (this.filled > 0) this.appendChunk();
  }

  private beginChunk(): void {
    this.chunk.reset();
    const raw = this.chunk.chunk;
    this.vectors = this.columns.map((_, c) => duckdb.data_chunk_get_vector(raw, c));
    for (const bits of this.validity) bits?.fill(0xff);
  }

  private appendChunk(): void {
    const bytes = Math.ceil(this.filled / 8);
    for (let c = 0; c < this.columns.length; c++) {
      const bits = this.validity[c];
      if (bits === null) continue;
      // written for every chunk: a reset chunk may keep the previous chunk's mask
      duckdb.vector_ensure_validity_writable(this.vectors[c]!);
      duckdb.copy_data_to_vector_validity(this.vectors[c]!, 0, bits.buffer as ArrayBuffer, bits.byteOffset, bytes);
    }
    duckdb.data_chunk_set_size(this.chunk.chunk, this.filled);
    this.appender.appendDataChunk(this.chunk);
    this.filled = 0;
  }

  /** Rows [start, start + count) of a batch's column into the chunk from row `this.filled`. */
  private fillColumn(c: number, data: Data, start: number, count: number): void {
    const spec = this.columns[c]!;
    const vector = this.vectors[c]!;
    const row = data.offset + start;
    const at = this.filled;
    switch (spec.kind) {
      case 'i16':
      case 'i32':
      case 'i64':
        copyFixed(vector, at, data.values as ArrayLike<unknown> & ArrayBufferView, row, count);
        break;
      case 'enum':
        this.checkDictionary(spec, data);
        checkCodes(spec, data.values as Uint8Array | Int8Array, row, count);
        copyFixed(vector, at, data.values as Uint8Array, row, count);
        break;
      case 'bool':
        // A bool shown as an ENUM in SQL (dlt.mode): false/true are exactly its codes 0/1.
        copyBools(vector, at, data.values as Uint8Array, row, count, this.bools);
        break;
      case 'utf8':
      case 'binary':
        copyVariable(vector, at, data, row, count, this.strings);
        break;
    }
    const bits = this.validity[c];
    if (bits !== null) clearNulls(bits, at, data, row, count);
  }

  private checkDictionary(spec: ColumnSpec, data: Data): void {
    const dictionary = data.dictionary as Vector | undefined;
    if (dictionary === undefined) throw new Error(`${spec.name}: dictionary column without values`);
    if (this.checkedDictionaries.has(dictionary)) return;
    const found = dictionary.toArray() as string[];
    const expected = spec.dictionary!;
    const same = found.length === expected.length && found.every((v, i) => v === expected[i]);
    if (!same) {
      throw new QueryError(
        'load',
        `column ${spec.name}: the trace's dictionary differs from this tracevisor's ` +
          `(${found.length} vs ${expected.length} values); another format version?`,
      );
    }
    this.checkedDictionaries.add(dictionary);
  }
}

/** Clears the bits of the NULL rows among `count` from `row` in a chunk's validity, from `at`. */
function clearNulls(bits: Uint8Array, at: number, data: Data, row: number, count: number): void {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap === undefined || bitmap.byteLength === 0) return;
  for (let i = 0; i < count; i++) {
    const r = row + i;
    if (((bitmap[r >> 3]! >> (r & 7)) & 1) === 0) bits[(at + i) >> 3]! &= ~(1 << ((at + i) & 7));
  }
}

/** Values `row` .. `row + count` of a fixed-width column into a vector from its row `at`. */
function copyFixed(vector: duckdb.Vector, at: number, values: ArrayBufferView & ArrayLike<unknown>, row: number, count: number): void {
  const width = (values as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const source = values.buffer as ArrayBuffer;
  duckdb.copy_data_to_vector(vector, at * width, source, values.byteOffset + row * width, count * width);
}

/** An ENUM code outside the dictionary would be read back as garbage: refuse it on load. */
function checkCodes(spec: ColumnSpec, codes: Uint8Array | Int8Array, row: number, count: number): void {
  const limit = spec.dictionary!.length;
  for (let i = row; i < row + count; i++) {
    const code = codes[i]!;
    if (code < 0 || code >= limit) {
      throw new QueryError('load', `column ${spec.name}: code ${code} at row ${i} is not in its dictionary`);
    }
  }
}

function copyBools(vector: duckdb.Vector, at: number, bits: Uint8Array, row: number, count: number, into: Uint8Array): void {
  for (let i = 0; i < count; i++) {
    const bit = row + i;
    into[i] = (bits[bit >> 3]! >> (bit & 7)) & 1;
  }
  duckdb.copy_data_to_vector(vector, at, into.buffer as ArrayBuffer, into.byteOffset, count);
}

/** Bytes of DuckDB's string_t, and the longest value it holds inline (string_type.hpp). */
const STRING_T_BYTES = 16;
const STRING_INLINE_BYTES_MAX = 12;

/**
 * Values of at most 12 bytes are written as inlined string_t's into `staging` and copied into
 * the vector (from its row `at`) at once; longer ones are assigned one by one (DuckDB copies them to the vector's
 * heap). One native call per value measured ~0.45 µs: dlt's ecu, apid, ctid and subtype are all
 * short (4 of its 6 text columns, 425 k values per 600 s cockpit). NULL slots are zeroed (DuckDB
 * does not read them). The values were validated as UTF-8 on read (trace/validate.ts).
 */
function copyVariable(vector: duckdb.Vector, at: number, data: Data, row: number, count: number, staging: Uint8Array): void {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  const bitmap = data.nullCount > 0 ? data.nullBitmap : undefined;
  const strings = staging.subarray(0, count * STRING_T_BYTES);
  strings.fill(0);
  const lengths = new Uint32Array(strings.buffer, strings.byteOffset, strings.length / 4);
  let inlined = 0;
  for (let i = 0; i < count; i++) {
    const r = row + i;
    if (bitmap !== undefined && ((bitmap[r >> 3]! >> (r & 7)) & 1) === 0) continue;
    const start = offsets[r]!;
    const length = offsets[r + 1]! - start;
    if (length > STRING_INLINE_BYTES_MAX) continue;
    lengths[i * (STRING_T_BYTES / 4)] = length; // native byte order, as DuckDB reads it
    const into = i * STRING_T_BYTES + 4;
    for (let b = 0; b < length; b++) strings[into + b] = bytes[start + b]!;
    inlined += 1;
  }
  if (inlined > 0) {
    duckdb.copy_data_to_vector(vector, at * STRING_T_BYTES, strings.buffer as ArrayBuffer, strings.byteOffset, strings.byteLength);
  }
  if (inlined === count) return;
  for (let i = 0; i < count; i++) {
    const r = row + i;
    if (bitmap !== undefined && ((bitmap[r >> 3]! >> (r & 7)) & 1) === 0) continue;
    const start = offsets[r]!;
    const end = offsets[r + 1]!;
    if (end - start > STRING_INLINE_BYTES_MAX) duckdb.vector_assign_string_element_len(vector, at + i, bytes.subarray(start, end));
  }
}

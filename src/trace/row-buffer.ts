// Row-at-a-time tables (dlt, clock, inputs, sync) are buffered in columns and leave as one
// record batch every `capacity` rows, so batch boundaries depend only on the row count
// (principle 1). The columns start small and grow by doubling up to the capacity, and are kept
// across batches, so steady state allocates nothing but the Arrow Data wrappers.

import { Data, type DataType, type RecordBatch, type Schema, type Vector } from 'apache-arrow';
import { digestWriter, type DigestWriter } from '../replay/digest.js';
import { NO_BITMAP, tableBatch } from './arrow-batch.js';
import { arrowSchema, dictionaryVector, type ColumnSpec, type TableName, TABLES } from './schema.js';

// Each column class has its own check() and push(): a call site of the generated row code
// (rowCode) always meets one class, so V8 inlines them with their conversions. The shared
// checks a base-class check() and push() made through abstract convert() and pushValue() met
// every class from one site of their own (megamorphic): measured 5.7 µs per dlt row in a replay
// of the 10 s cockpit (issue 9's 1.2x target).
abstract class ColumnBuffer {
  protected validity: Uint8Array;
  protected nullCount = 0;
  constructor(
    readonly spec: ColumnSpec,
    readonly type: DataType,
    /** Rows the buffers hold now (RowBuffer grows them up to its capacity). */
    rows: number,
  ) {
    this.validity = new Uint8Array(Math.ceil(rows / 8));
  }

  /** Room for `rows` rows, the values so far kept. */
  grow(rows: number): void {
    this.validity = grown(this.validity, Math.ceil(rows / 8));
  }

  /** Checks and normalises a value (null for a missing one); throws on a bad value. */
  abstract check(value: unknown): unknown;
  /** Stores a value returned by check() at row index (rows are appended in order). */
  abstract push(index: number, value: unknown): void;
  abstract toData(length: number): Data;
  /** Rows [0, length) in the batch digest's encoding (digest.ts), as toData's Data would give them. */
  abstract digestInto(writer: DigestWriter, index: number, length: number): void;
  reset(): void {
    this.nullCount = 0;
  }

  /** check() of a missing value (null or undefined). */
  protected missing(value: null | undefined): null {
    if (!this.spec.nullable) throw new Error(`column ${this.spec.name} is not nullable but got ${String(value)}`);
    return null;
  }
  protected setNull(index: number): void {
    this.validity[index >> 3]! &= ~(1 << (index & 7));
    this.nullCount += 1;
  }
  protected setValid(index: number): void {
    this.validity[index >> 3]! |= 1 << (index & 7);
  }

  /** The column's Arrow data over its buffers ([valueOffsets, values, validity], as makeData makes them). */
  protected data(length: number, values: ArrayBufferView, valueOffsets?: Int32Array, dictionary?: Vector): Data {
    const nullBitmap = this.nullCount > 0 ? this.validity.subarray(0, Math.ceil(length / 8)) : NO_BITMAP;
    return new Data(this.type, 0, length, this.nullCount, [valueOffsets, values, nullBitmap], [], dictionary);
  }
}


function toInteger(spec: ColumnSpec, value: unknown, min: number, max: number): number {
  if (typeof value === 'bigint') value = Number(value);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`column ${spec.name}: ${String(value)} is not an integer in [${min}, ${max}]`);
  }
  return value;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A checked int64: a safe-integer number, or a bigint in range. */
function toInt64(spec: ColumnSpec, value: unknown): number | bigint {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new Error(`column ${spec.name}: ${value} is not a safe integer (pass a bigint)`);
    }
    return value;
  }
  if (typeof value !== 'bigint' || value < INT64_MIN || value > INT64_MAX) {
    throw new Error(`column ${spec.name}: ${String(value)} is not an int64`);
  }
  return value;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const TWO_32 = 0x1_0000_0000;

class IntColumn extends ColumnBuffer {
  private values: Int16Array | Int32Array | Int8Array | Uint8Array;
  private readonly min: number;
  private readonly max: number;
  private readonly codes: Map<string, number> | null;
  constructor(spec: ColumnSpec, type: DataType, capacity: number) {
    super(spec, type, capacity);
    this.codes = null;
    if (spec.kind === 'i16') {
      this.values = new Int16Array(capacity);
      [this.min, this.max] = [-32768, 32767];
    } else if (spec.kind === 'i32') {
      this.values = new Int32Array(capacity);
      [this.min, this.max] = [-(2 ** 31), 2 ** 31 - 1];
    } else if (spec.kind === 'enum') {
      this.values = spec.indexWidth === 'u8' ? new Uint8Array(capacity) : new Int8Array(capacity);
      [this.min, this.max] = [0, spec.dictionary!.length - 1];
      this.codes = new Map(spec.dictionary!.map((name, code) => [name, code]));
    } else {
      throw new Error(`IntColumn cannot hold ${spec.kind}`);
    }
  }
  override grow(rows: number): void {
    super.grow(rows);
    this.values = grown(this.values, rows);
  }
  check(value: unknown): number | null {
    if (value === null || value === undefined) return this.missing(value);
    if (this.codes !== null && typeof value === 'string') {
      const code = this.codes.get(value);
      if (code === undefined) {
        throw new Error(`column ${this.spec.name}: "${value}" is not one of its enum values`);
      }
      return code;
    }
    return toInteger(this.spec, value, this.min, this.max);
  }
  push(index: number, value: unknown): void {
    if (value === null) {
      this.setNull(index);
      this.values[index] = 0;
      return;
    }
    this.setValid(index);
    this.values[index] = value as number;
  }
  toData(length: number): Data {
    const values = this.values.subarray(0, length);
    return this.spec.kind === 'enum' ? this.data(length, values, undefined, dictionaryVector(this.spec)) : this.data(length, values);
  }
  digestInto(writer: DigestWriter, index: number, length: number): void {
    writer.column(index, length, this.nullCount, this.validity);
    writer.bytes(this.values.subarray(0, length));
  }
}

class Int64Column extends ColumnBuffer {
  private values: BigInt64Array;
  /** The same memory as 32-bit words: a number is stored as its two words, no bigint made. */
  private words: Int32Array;
  constructor(spec: ColumnSpec, type: DataType, capacity: number) {
    super(spec, type, capacity);
    this.values = new BigInt64Array(capacity);
    this.words = new Int32Array(this.values.buffer);
  }
  override grow(rows: number): void {
    super.grow(rows);
    this.values = grown(this.values, rows);
    this.words = new Int32Array(this.values.buffer);
  }
  check(value: unknown): number | bigint | null {
    if (value === null || value === undefined) return this.missing(value);
    return toInt64(this.spec, value);
  }
  push(index: number, value: unknown): void {
    if (value === null) {
      this.setNull(index);
      this.values[index] = 0n;
      return;
    }
    this.setValid(index);
    if (typeof value === 'number' && LITTLE_ENDIAN) {
      // low word: ToInt32 is the value modulo 2^32; high word: floor division (two's complement)
      this.words[index << 1] = value;
      this.words[(index << 1) + 1] = Math.floor(value / TWO_32);
    } else {
      this.values[index] = BigInt(value as number | bigint);
    }
  }
  toData(length: number): Data {
    return this.data(length, this.values.subarray(0, length));
  }
  digestInto(writer: DigestWriter, index: number, length: number): void {
    writer.column(index, length, this.nullCount, this.validity);
    writer.bytes(this.values.subarray(0, length));
  }
}

class BoolColumn extends ColumnBuffer {
  private bits: Uint8Array;
  constructor(spec: ColumnSpec, type: DataType, capacity: number) {
    super(spec, type, capacity);
    this.bits = new Uint8Array(Math.ceil(capacity / 8));
  }
  override grow(rows: number): void {
    super.grow(rows);
    this.bits = grown(this.bits, Math.ceil(rows / 8));
  }
  check(value: unknown): boolean | null {
    if (value === null || value === undefined) return this.missing(value);
    if (typeof value !== 'boolean') throw new Error(`column ${this.spec.name}: not a boolean`);
    return value;
  }
  push(index: number, value: unknown): void {
    if (value === null) {
      this.setNull(index);
      this.bits[index >> 3]! &= ~(1 << (index & 7));
      return;
    }
    this.setValid(index);
    if (value) this.bits[index >> 3]! |= 1 << (index & 7);
    else this.bits[index >> 3]! &= ~(1 << (index & 7));
  }
  toData(length: number): Data {
    return this.data(length, this.bits.subarray(0, Math.ceil(length / 8)));
  }
  digestInto(writer: DigestWriter, index: number, length: number): void {
    writer.column(index, length, this.nullCount, this.validity);
    writer.bits(this.bits, 0, length);
  }
}

/** A copy of `array` `length` elements long (longer: the new elements are 0). */
function grown<T extends Uint8Array | Int8Array | Int16Array | Int32Array | BigInt64Array>(array: T, length: number): T {
  const copy = new (array.constructor as new (n: number) => T)(length);
  copy.set(array as never);
  return copy;
}

/**
 * Rows a buffer holds before its first growth, and a byte column's first bytes: a replay or a
 * sweep seed makes a detached recorder per run, and buffers of the whole capacity (8192 rows,
 * 64 KiB per text column) were ~1 MB allocated per recorder for batches the cockpit flushes
 * every second with ~200 rows (issue 9's 1.2x target). Growth doubles; the capacity, and so
 * where a batch ends, is the RowBuffer's whatever it holds.
 */
const ROWS_INITIAL = 256;
const VAR_BYTES_INITIAL = 8 * 1024;

/** Strings up to this many UTF-16 units are written by a loop here when they are ASCII (Buffer.write is a native call each). */
const ASCII_LOOP_MAX = 64;

/** Utf8 and Binary: int32 offsets + a byte buffer. */
class VarColumn extends ColumnBuffer {
  private offsets: Int32Array;
  private bytes = new Uint8Array(VAR_BYTES_INITIAL);
  /**
   * `bytes` as a Buffer (the same memory): strings are written with Buffer.write, UTF-8 as
   * TextEncoder's (lone surrogates become U+FFFD) without encodeInto's view per value (issue 10
   * §2: a `dlt` row has seven strings; the views were ~2.5 B per trace event on the cockpit).
   */
  private text = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  private end = 0;
  private readonly utf8: boolean;
  constructor(spec: ColumnSpec, type: DataType, capacity: number) {
    super(spec, type, capacity);
    this.offsets = new Int32Array(capacity + 1);
    this.utf8 = spec.kind === 'utf8';
  }
  override grow(rows: number): void {
    super.grow(rows);
    this.offsets = grown(this.offsets, rows + 1);
  }
  check(value: unknown): string | Uint8Array | null {
    if (value === null || value === undefined) return this.missing(value);
    if (this.utf8) {
      if (typeof value !== 'string') throw new Error(`column ${this.spec.name}: not a string`);
      return value;
    }
    if (!(value instanceof Uint8Array)) throw new Error(`column ${this.spec.name}: not a Uint8Array`);
    return value;
  }
  push(index: number, value: unknown): void {
    if (value === null) {
      this.setNull(index);
    } else {
      this.setValid(index);
      if (typeof value === 'string') this.pushText(value);
      else this.pushBytes(value as Uint8Array);
    }
    this.offsets[index + 1] = this.end;
  }
  private pushText(value: string): void {
    const length = value.length;
    this.reserve(length * 3); // a UTF-16 unit is at most 3 UTF-8 bytes: nothing is cut
    if (length <= ASCII_LOOP_MAX) {
      const { bytes, end } = this;
      let i = 0;
      for (; i < length; i++) {
        const unit = value.charCodeAt(i);
        if (unit >= 0x80) break;
        bytes[end + i] = unit;
      }
      if (i === length) {
        this.end = end + length;
        return;
      }
    }
    if (length > 0) this.end += this.text.write(value, this.end, 'utf8'); // rewrites an ASCII prefix the loop wrote
  }
  private pushBytes(value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) throw new Error('VarColumn: unchecked value');
    this.reserve(value.byteLength);
    this.bytes.set(value, this.end);
    this.end += value.byteLength;
  }
  private reserve(extra: number): void {
    const needed = this.end + extra;
    if (needed > 2 ** 31 - 1) throw new Error(`column ${this.spec.name}: batch exceeds 2 GiB`);
    if (needed <= this.bytes.byteLength) return;
    let size = this.bytes.byteLength * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(Math.min(size, 2 ** 31 - 1));
    grown.set(this.bytes.subarray(0, this.end));
    this.bytes = grown;
    this.text = Buffer.from(grown.buffer, grown.byteOffset, grown.byteLength);
  }
  override reset(): void {
    super.reset();
    this.end = 0;
  }
  toData(length: number): Data {
    return this.data(length, this.bytes.subarray(0, this.end), this.offsets.subarray(0, length + 1));
  }
  digestInto(writer: DigestWriter, index: number, length: number): void {
    writer.column(index, length, this.nullCount, this.validity);
    writer.variable(this.offsets.subarray(0, length + 1), this.bytes.subarray(0, this.end));
  }
}

function makeColumn(spec: ColumnSpec, type: DataType, capacity: number): ColumnBuffer {
  switch (spec.kind) {
    case 'i16':
    case 'i32':
    case 'enum':
      return new IntColumn(spec, type, capacity);
    case 'i64':
      return new Int64Column(spec, type, capacity);
    case 'bool':
      return new BoolColumn(spec, type, capacity);
    case 'utf8':
    case 'binary':
      return new VarColumn(spec, type, capacity);
  }
}

type RowChecker = (columns: readonly ColumnBuffer[], scratch: unknown[], row: Readonly<Record<string, unknown>>) => void;
type RowPusher = (columns: readonly ColumnBuffer[], scratch: readonly unknown[], index: number) => void;

/**
 * `scratch[i] = columns[i].check(row.<name i>)` for every column, then `columns[i].push(index,
 * scratch[i])`, as straight-line code: each property read and each call is a call site of its
 * own, which V8 sees with one shape and one column class and so inlines. The loops they replace
 * read the row with a computed key and called check() and push() on five column classes from
 * one site each: measured 3.6 us per dlt row of append's own time (V8 profile of 354 k rows of
 * the 10 s cockpit; 0.7 us with this), the largest share of what the dlt rows cost a replay and
 * a recording (issue 9's 1.2x target). The names are the schema's (tables.ts), not input.
 */
function rowCode(names: readonly string[]): { checkRow: RowChecker; pushRow: RowPusher } {
  const checks = names.map((name, i) => `scratch[${i}] = columns[${i}].check(row[${JSON.stringify(name)}]);`);
  const pushes = names.map((_, i) => `columns[${i}].push(index, scratch[${i}]);`);
  return {
    checkRow: new Function('columns', 'scratch', 'row', checks.join('\n')) as RowChecker,
    pushRow: new Function('columns', 'scratch', 'index', pushes.join('\n')) as RowPusher,
  };
}

/**
 * One pair per table for the process, shared by every buffer of it: the functions' type
 * feedback and optimised code outlive a recorder (a replay or a sweep seed makes new ones), as
 * a plain method's would.
 */
const rowCodes = new Map<TableName, ReturnType<typeof rowCode>>();

function rowCodeOf(table: TableName, names: readonly string[]): ReturnType<typeof rowCode> {
  let code = rowCodes.get(table);
  if (code === undefined) {
    code = rowCode(names);
    rowCodes.set(table, code);
  }
  return code;
}

export class RowBuffer {
  readonly schema: Schema;
  private readonly columns: ColumnBuffer[];
  /** check() of every column of a row into scratch, and push() of scratch (rowCode). */
  private readonly checkRow: RowChecker;
  private readonly pushRow: RowPusher;
  private readonly scratch: unknown[];
  private count = 0;
  /** Rows the column buffers hold now (grown by doubling up to capacity). */
  private allocated: number;

  constructor(
    readonly table: TableName,
    readonly capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('RowBuffer capacity >= 1');
    this.schema = arrowSchema(table);
    const fields = this.schema.fields;
    this.allocated = Math.min(capacity, ROWS_INITIAL);
    this.columns = TABLES[table].columns.map((spec, i) => makeColumn(spec, fields[i]!.type, this.allocated));
    const code = rowCodeOf(table, this.columns.map((c) => c.spec.name));
    this.checkRow = code.checkRow;
    this.pushRow = code.pushRow;
    this.scratch = new Array<unknown>(this.columns.length).fill(null);
  }

  get length(): number {
    return this.count;
  }
  get full(): boolean {
    return this.count === this.capacity;
  }

  /**
   * Appends one row (an object keyed by column name). Checks every value before storing any,
   * so a bad row leaves the buffer as it was.
   */
  append(row: Readonly<Record<string, unknown>>): void {
    if (this.full) throw new Error(`RowBuffer ${this.table} is full; take a batch first`);
    const { columns, scratch } = this;
    this.checkRow(columns, scratch, row);
    const index = this.count;
    if (index === this.allocated) this.grow();
    this.pushRow(columns, scratch, index);
    this.count = index + 1;
  }

  private grow(): void {
    this.allocated = Math.min(this.capacity, this.allocated * 2);
    for (const column of this.columns) column.grow(this.allocated);
  }

  /** The buffered rows as one record batch over the buffers (valid until reset()). */
  toBatch(): RecordBatch {
    const length = this.count;
    const children = this.columns.map((c) => c.toData(length));
    return tableBatch(this.table, length, children);
  }

  /**
   * The digest of the batch toBatch() would give (digest.ts batchDigest of it), from the
   * buffers without building it: a replay that finds the recorded digest builds no batch.
   */
  digest(): string {
    const writer = digestWriter();
    const length = this.count;
    for (let c = 0; c < this.columns.length; c++) this.columns[c]!.digestInto(writer, c, length);
    return writer.digest();
  }

  reset(): void {
    this.count = 0;
    for (const column of this.columns) column.reset();
  }
}

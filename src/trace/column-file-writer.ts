// ColumnFileWriter: a table file (events, frames) whose batches leave the recording thread as
// one copy of their columns into shared memory; the Arrow IPC encoding's body, the write, the
// file's sha256 and the batch's replay digest happen on a writer thread (threaded-writer.ts).
//
// Why (issue 10, measured on `record cockpit --duration 60s`): the file hash, the batch digests
// and writev were ~19 % of the recording thread, the WASM core ~8 %. The core reuses its columns
// when appendEvents/appendFrames return, so they are copied (TypedArray.set, a memcpy) into a
// slot laid out as the IPC message body: every buffer at its 8-aligned offset, padding zeroed.
// Only the message header (a small flatbuffer, ipc-encode.ts) is built here. The bytes are
// those of TableFileWriter for the same columns (ipc-encode.ts follows apache-arrow's writer
// call for call; test/trace/writer-thread-record.test.ts compares whole traces).
//
// Memory is bounded: SLOTS batches in flight; a slot is reused only once the thread has written
// its job (waitWritten: Atomics.wait, so the recorder blocks when the disk is SLOTS behind).
// The digest (src/replay/digest.ts's canonical encoding: per column u32 index and rows, a 0 byte
// for "no NULLs", the values; binary: offsets from 0 then bytes) is hashed from the same slot.
//
// Durability is TableFileWriter's: close() returns after fsync; a killed recorder leaves the
// jobs the thread wrote, whole batches (one writev each), a prefix of the stream.

import { createHash } from 'node:crypto';
import { openSync } from 'node:fs';
import { DIGEST_HEX_CHARS } from '../replay/digest.js';
import { encodeDictionaryMessages, encodeRecordBatch, encodeSchemaMessage, EOS_BYTES, type ColumnBuffers } from './ipc-encode.js';
import { TABLES, type ColumnSpec, type TableName } from './tables.js';
import { ThreadedFileWriter } from './threaded-writer.js';
import type { TableFileSummary } from './table-writer.js';

/** Batches in flight per table: the recorder fills one while the thread writes the others. */
const SLOTS = 3;
/** Per column of the digest: u32 column number, u32 rows, the "no NULLs" byte (+ pad to 4). */
const DIGEST_PREFIX_BYTES = 12;

/** One column's rows [0, count): fixed-width values, or binary offsets (count + 1, from 0) + bytes. */
export interface ColumnRows {
  values: ArrayBufferView;
  offsets?: Int32Array;
}

interface Slot {
  memory: SharedArrayBuffer;
  /** ticket of the job that last used it (0: none) */
  ticket: number;
}

interface PendingDigest {
  ticket: number;
  resolve: (digest: string) => void;
}

const pad8 = (n: number) => (n + 7) & ~7;

function bytesOf(view: ArrayBufferView, byteLength = view.byteLength): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, byteLength);
}

/** The bytes of a column's buffers in IPC body order (the validity buffers are empty: no NULLs). */
function columnBuffers(spec: ColumnSpec, rows: ColumnRows, count: number): Uint8Array[] {
  if (spec.kind === 'binary' || spec.kind === 'utf8') {
    const offsets = rows.offsets;
    if (offsets === undefined || offsets.length < count + 1 || offsets[0] !== 0) {
      throw new Error(`assert: column ${spec.name} needs ${count + 1} offsets from 0`);
    }
    return [bytesOf(offsets, (count + 1) * 4), bytesOf(rows.values, offsets[count]!)];
  }
  if (spec.kind === 'bool' || spec.nullable) throw new Error(`assert: column ${spec.name}: bool and nullable columns are not written from columns`);
  const width = spec.kind === 'enum' ? 1 : spec.kind === 'i16' ? 2 : spec.kind === 'i32' ? 4 : 8;
  if (rows.values.byteLength < count * width) throw new Error(`assert: column ${spec.name} holds fewer than ${count} rows`);
  return [bytesOf(rows.values, count * width)];
}

export class ColumnFileWriter {
  private readonly specs: readonly ColumnSpec[];
  private readonly file: ThreadedFileWriter;
  private readonly slots: Slot[] = [];
  private readonly digests: PendingDigest[] = [];
  private readonly schemaHash: string;
  private rowCount = 0;
  private batchCount = 0;
  private byteCount = 0;
  private closed = false;

  constructor(readonly path: string, readonly table: TableName) {
    this.specs = TABLES[table].columns;
    const fd = openSync(path, 'w');
    this.file = new ThreadedFileWriter(path, fd, (ticket, digest) => this.digested(ticket, digest));
    const schema = encodeSchemaMessage(table);
    this.schemaHash = createHash('sha256').update(schema).digest('hex');
    this.file.writeBytes(schema);
    this.byteCount = schema.byteLength;
  }

  /**
   * Queues one batch of `count` rows, copied from `columns` (one per schema column) before this
   * returns. With onDigest, the batch's replay digest comes back to it in a later call.
   */
  append(count: number, columns: readonly ColumnRows[], onDigest?: (digest: string) => void): void {
    if (this.closed) throw new Error(`${this.path}: write after close`);
    if (columns.length !== this.specs.length) throw new Error(`assert: ${columns.length} columns for ${this.table}`);
    if (count === 0) return;
    if (this.batchCount === 0) this.writeDictionaries();
    const buffers = this.specs.map((spec, c) => columnBuffers(spec, columns[c]!, count));
    const slot = this.freeSlot(bodyBytes(buffers) + DIGEST_PREFIX_BYTES * this.specs.length);
    const { body, views } = copyInto(slot.memory, buffers);
    const message = encodeRecordBatch(this.table, count, this.specs.map((spec, c) => columnAt(spec, views[c]!)));
    if (message.bodyLength !== body.byteLength) throw new Error('assert: slot layout differs from the IPC body');
    const digest = onDigest === undefined ? undefined : digestParts(slot.memory, body.byteLength, count, views);
    slot.ticket = this.file.write([message.header, body], digest);
    if (onDigest !== undefined) this.digests.push({ ticket: slot.ticket, resolve: onDigest });
    this.rowCount += count;
    this.batchCount += 1;
    this.byteCount += message.byteLength;
  }

  /** Hands the digests computed so far to their callbacks (never blocks). */
  poll(): void {
    this.file.pollDigests();
  }

  rows(): number {
    return this.rowCount;
  }

  /** Before the first batch only: the file's hash lives on the writer thread until close(). */
  summary(): TableFileSummary {
    if (this.batchCount > 0) throw new Error(`assert: ${this.path}: the running hash is the writer thread's`);
    return { rows: 0, batches: 0, bytes: this.byteCount, sha256: this.schemaHash };
  }

  /** Writes the end of stream, waits for every job and its digest, fsyncs and closes. */
  close(): TableFileSummary {
    if (this.closed) throw new Error(`${this.path}: closed twice`);
    this.closed = true;
    this.file.writeBytes(EOS_BYTES);
    const result = this.file.finish();
    if (this.digests.length > 0) throw new Error(`assert: ${this.path}: ${this.digests.length} batch digests never came`);
    if (result.bytes !== this.byteCount + EOS_BYTES.byteLength) throw new Error(`assert: ${this.path}: byte count differs`);
    return { rows: this.rowCount, batches: this.batchCount, bytes: result.bytes, sha256: result.sha256 };
  }

  /** Stops: what the thread has queued is written, the file is closed unsynced (a crash's prefix). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.abandon();
  }

  private writeDictionaries(): void {
    for (const dictionary of encodeDictionaryMessages(this.table)) {
      this.file.writeBytes(dictionary);
      this.byteCount += dictionary.byteLength;
    }
  }

  /** A slot of at least `bytes` whose previous job is written (waits for it: backpressure). */
  private freeSlot(bytes: number): Slot {
    let slot = this.slots[this.batchCount % SLOTS];
    if (slot !== undefined && slot.ticket > 0) this.file.waitWritten(slot.ticket);
    if (slot === undefined || slot.memory.byteLength < bytes) {
      // sized by the first batch; a larger batch (a frames batch of long frames) grows it by half
      const size = Math.max(bytes, slot === undefined ? 0 : slot.memory.byteLength + (slot.memory.byteLength >> 1));
      slot = { memory: new SharedArrayBuffer(pad8(size)), ticket: 0 };
      this.slots[this.batchCount % SLOTS] = slot;
    }
    return slot;
  }

  private digested(ticket: number, digest: string): void {
    const pending = this.digests.shift();
    if (pending === undefined || pending.ticket !== ticket) throw new Error(`assert: ${this.path}: digest of job ${ticket} out of order`);
    pending.resolve(digest.slice(0, DIGEST_HEX_CHARS));
  }
}

function bodyBytes(buffers: readonly Uint8Array[][]): number {
  let total = 0;
  for (const column of buffers) for (const b of column) total += pad8(b.byteLength);
  return total;
}

/** Copies every buffer to its 8-aligned place in `memory` (padding zeroed): the IPC body. */
function copyInto(memory: SharedArrayBuffer, buffers: readonly Uint8Array[][]): { body: Uint8Array; views: Uint8Array[][] } {
  const bytes = new Uint8Array(memory);
  let at = 0;
  const views = buffers.map((column) =>
    column.map((source) => {
      bytes.set(source, at);
      const view = bytes.subarray(at, at + source.byteLength);
      const end = pad8(at + source.byteLength);
      bytes.fill(0, at + source.byteLength, end);
      at = end;
      return view;
    }),
  );
  return { body: bytes.subarray(0, at), views };
}

/** ipc-encode's column description over the slot's copy. */
function columnAt(spec: ColumnSpec, views: Uint8Array[]): ColumnBuffers {
  if (spec.kind === 'binary' || spec.kind === 'utf8') {
    const offsets = views[0]!;
    return { nullCount: 0, offsets: new Int32Array(offsets.buffer, offsets.byteOffset, offsets.byteLength / 4), values: views[1]! };
  }
  return { nullCount: 0, values: views[0]! };
}

/** digest.ts's canonical encoding as views: each column's prefix (written after the body) and buffers. */
function digestParts(memory: SharedArrayBuffer, bodyEnd: number, count: number, views: Uint8Array[][]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  const prefixes = new DataView(memory, bodyEnd, DIGEST_PREFIX_BYTES * views.length);
  views.forEach((column, c) => {
    const at = c * DIGEST_PREFIX_BYTES;
    prefixes.setUint32(at, c, true);
    prefixes.setUint32(at + 4, count, true);
    prefixes.setUint8(at + 8, 0); // no NULLs
    parts.push(new Uint8Array(memory, bodyEnd + at, 9), ...column);
  });
  return parts;
}

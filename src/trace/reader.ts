// Opens a trace directory and reads its tables from untrusted bytes (principle 6). A table file
// is walked message by message (framing.ts): the schema and dictionary messages must be the
// exact bytes this tracevisor writes for the table (ipc-encode.ts), and every record batch is
// validated (validate.ts) before it becomes apache-arrow Data over its body. A file cut by a
// killed recorder yields its intact batches; a byte that breaks a rule is a one-line reason
// naming the batch and its byte offset. The modes built on this walk (verify / trust /
// salvage) are in open.ts.

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { TraceError, firstLine } from './errors.js';
import { FileCursor, nextFrame, type Frame, type MessageFrame } from './framing.js';
import { encodeDictionaryMessages, encodeSchemaMessage } from './ipc-encode.js';
import { readManifest, type Manifest } from './manifest.js';
import { TABLE_NAMES, type TableName } from './tables.js';
import { BatchInvalid, decodeRecordBatch, declaredRows } from './validate.js';

export interface TableScan {
  table: TableName;
  path: string;
  bytesTotal: number;
  /** End of the last complete message: everything before it is readable. */
  bytesValid: number;
  /** Complete (readable) record batches and their rows. */
  batches: number;
  rowsRecovered: number;
  /** The end-of-stream marker is present: the writer closed the file. */
  eos: boolean;
  /** No end-of-stream marker: the recording was cut; `rowsRecovered` rows are readable. */
  truncated: boolean;
  /** Why the scan stopped before the end of the file, if it did (one line). */
  damage: string | null;
}

/**
 * Where a walk stopped early: 'cut' the file ends inside a message, 'framing' bytes that are no
 * message, 'layout' a schema or dictionary other than the table's, 'batch' a batch that fails
 * validation.
 */
export type DamageKind = 'cut' | 'framing' | 'layout' | 'batch';

/** What one walk over a table file found; filled in while the walk runs. */
export interface TableWalk {
  table: TableName;
  path: string;
  bytesTotal: number;
  /** End of the last message that was used. */
  bytesValid: number;
  batchesUsable: number;
  rowsUsable: number;
  /** Rows of record batches framed at or after the damage (not usable). */
  rowsDropped: number;
  eos: boolean;
  damage: { kind: DamageKind; reason: string } | null;
  /** sha256 of the whole file, when the walk hashed. */
  sha256: string | null;
}

export class Trace {
  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
  ) {}

  /** Opens a trace directory; every problem is a TraceError with a one-line message. */
  static open(dir: string): Trace {
    if (!existsSync(dir)) throw new TraceError('not_a_directory', `${dir}: no such directory`);
    if (!statSync(dir).isDirectory()) {
      throw new TraceError('not_a_directory', `${dir}: not a directory (a trace is a directory)`);
    }
    const manifest = readManifest(dir);
    for (const table of TABLE_NAMES) {
      const path = join(dir, manifest.tables[table]!.file);
      if (!existsSync(path)) {
        throw new TraceError('table_missing', `${dir}: table file ${table}.arrow is missing`);
      }
    }
    return new Trace(dir, manifest);
  }

  tablePath(table: TableName): string {
    return join(this.dir, `${table}.arrow`);
  }

  /** Walks the message framing of a table file (no bodies read). */
  scan(table: TableName): TableScan {
    return scanTableFile(table, this.tablePath(table));
  }

  /**
   * Yields the validated record batches of a table, in file order, up to where the file is cut
   * (a killed writer). Any other damage — a batch that fails validation, bytes that are no
   * message, a schema other than the table's — is a TraceError: those bytes never reach a
   * consumer, and a broken length never reads as "0 rows". openCheckedTrace (open.ts) is the
   * door with modes; this is the reader it and older callers share.
   */
  *batches(table: TableName, _scan?: TableScan): Generator<RecordBatch> {
    const walk = newWalk(table, this.tablePath(table));
    yield* walkTable(walk, { hashing: false, reuseBodies: false });
    if (walk.damage !== null && walk.damage.kind !== 'cut') {
      throw new TraceError('trace_damaged', `${walk.path}: ${walk.damage.reason}; use --salvage`);
    }
  }

  /** All intact batches of a table and the scan report. */
  read(table: TableName): { batches: RecordBatch[]; scan: TableScan } {
    const scan = this.scan(table);
    return { batches: [...this.batches(table, scan)], scan };
  }
}

export function newWalk(table: TableName, path: string): TableWalk {
  return {
    table,
    path,
    bytesTotal: 0,
    bytesValid: 0,
    batchesUsable: 0,
    rowsUsable: 0,
    rowsDropped: 0,
    eos: false,
    damage: null,
    sha256: null,
  };
}

/**
 * A walk's read-ahead (FileCursor): a few of the small tables' batches per read(2), and small
 * enough to stay in the core's 512 KiB L2 between the read's copy and the checks over it.
 */
const WALK_READ_AHEAD_BYTES = 64 * 1024;

function openCursor(path: string, hashing: boolean, readAheadBytes = 0): FileCursor {
  try {
    return new FileCursor(path, hashing, readAheadBytes);
  } catch (error) {
    throw new TraceError('table_missing', `${path}: cannot open (${firstLine(error)})`);
  }
}

export interface WalkOptions {
  /** Put every byte of the file through sha256 (walk.sha256). */
  hashing: boolean;
  /** Read each body into one reused buffer: each batch is dead once the next is read. */
  reuseBodies: boolean;
  /**
   * --- diff skipping (issue 10 §3): the first this many record batches are neither read nor
   * decoded (their bodies are skipped by their framed length; rows counted from their headers)
   * and not yielded: for a caller that knows them from their digests. Not with hashing.
   */
  skipBatches?: number;
}

/**
 * Reads a table file once, front to back, yielding each record batch that passes validation
 * and filling `walk` as it goes; stops at the first damage. With `hashing`, every byte of the
 * file goes through sha256 (the rest of the file too, after a stop).
 */
export function* walkTable(walk: TableWalk, options: WalkOptions): Generator<RecordBatch> {
  const cursor = openCursor(walk.path, options.hashing, WALK_READ_AHEAD_BYTES);
  const readBody = options.reuseBodies
    ? (n: number) => cursor.readReused(n)!
    : (n: number) => cursor.read(n)!;
  walk.bytesTotal = cursor.size;
  if (options.hashing && (options.skipBatches ?? 0) > 0) throw new Error('assert: skipped batches cannot be hashed');
  try {
    if (readSchema(cursor, walk)) yield* readBatches(cursor, walk, readBody, options.skipBatches ?? 0);
    if (walk.damage !== null) countDropped(cursor, walk);
  } catch (error) {
    if (error instanceof TraceError) throw error;
    throw new TraceError('table_unreadable', `${walk.path}: ${firstLine(error)}`);
  } finally {
    walk.sha256 = cursor.finish();
  }
}

const layouts = new Map<TableName, Uint8Array[]>();

/** The exact bytes a table's stream starts with: its schema message, then its dictionaries. */
function layoutMessages(table: TableName): Uint8Array[] {
  let messages = layouts.get(table);
  if (messages === undefined) {
    messages = [encodeSchemaMessage(table), ...encodeDictionaryMessages(table)];
    layouts.set(table, messages);
  }
  return messages;
}

/** Checks the schema message; false (with walk.damage set) when it is not the table's. */
function readSchema(cursor: FileCursor, walk: TableWalk): boolean {
  const frame = nextFrame(cursor);
  if (frame.kind !== 'message') {
    setFrameDamage(walk, frame, 'schema');
    return false;
  }
  const body = cursor.read(frame.bodyBytes)!;
  if (!sameBytes(frame.head, body, layoutMessages(walk.table)[0]!)) {
    walk.damage = { kind: 'layout', reason: layoutMismatch(walk.table, 0, frame, body) };
    return false;
  }
  walk.bytesValid = cursor.position;
  return true;
}

function setFrameDamage(walk: TableWalk, frame: Exclude<Frame, MessageFrame>, what: string): void {
  if (frame.kind === 'cut' || frame.kind === 'bad') {
    walk.damage = { kind: frame.kind === 'cut' ? 'cut' : 'framing', reason: frame.reason };
  } else if (frame.kind === 'end') {
    walk.damage = { kind: 'cut', reason: `file ends before its ${what} message (byte ${frame.byteOffset})` };
  } else {
    walk.damage = { kind: 'framing', reason: `end-of-stream marker instead of the ${what} at byte ${frame.byteOffset}` };
  }
}

function sameBytes(head: Uint8Array, body: Uint8Array, expected: Uint8Array): boolean {
  if (head.byteLength + body.byteLength !== expected.byteLength) return false;
  const e = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength);
  return (
    e.subarray(0, head.byteLength).equals(head) && e.subarray(head.byteLength).equals(body)
  );
}

function layoutMismatch(table: TableName, index: number, frame: MessageFrame, body: Uint8Array): string {
  if (index > 0) {
    return `dictionary ${index} at byte ${frame.byteOffset} differs from the ${table} table's (another format version?)`;
  }
  const other = TABLE_NAMES.find((t) => sameBytes(frame.head, body, layoutMessages(t)[0]!));
  if (other !== undefined) {
    return `the file holds the ${other} table's columns, not ${table}'s (a file swapped?)`;
  }
  return `columns differ from the ${table} table this tracevisor knows (another format version?)`;
}

/**
 * The messages after the schema: the table's dictionaries (written before the first batch, so
 * absent from a table without rows), then record batches, then the end-of-stream marker.
 */
function* readBatches(
  cursor: FileCursor,
  walk: TableWalk,
  readBody: (bytes: number) => Uint8Array,
  skipBatches: number,
): Generator<RecordBatch> {
  const layout = layoutMessages(walk.table);
  let dictionaries = 0;
  for (let index = 1; ; ) {
    const frame = nextFrame(cursor);
    if (frame.kind !== 'message') {
      endOfBatches(cursor, walk, frame);
      return;
    }
    const skippedRows = index <= skipBatches && dictionaries + 1 >= layout.length ? declaredRows(frame.message) : null;
    if (skippedRows !== null) {
      cursor.skip(frame.bodyBytes);
      index++;
      walk.rowsUsable += skippedRows;
      walk.batchesUsable += 1;
      walk.bytesValid = cursor.position;
      continue;
    }
    const body = readBody(frame.bodyBytes);
    if (dictionaries + 1 < layout.length) {
      dictionaries += 1;
      if (!sameBytes(frame.head, body, layout[dictionaries]!)) {
        walk.damage = { kind: 'layout', reason: layoutMismatch(walk.table, dictionaries, frame, body) };
        return;
      }
      walk.bytesValid = cursor.position;
      continue;
    }
    const batch = decodeBatch(walk, frame, body, index++);
    if (batch === null) return;
    walk.rowsUsable += batch.numRows;
    walk.batchesUsable += 1;
    walk.bytesValid = cursor.position;
    yield batch;
  }
}

function endOfBatches(cursor: FileCursor, walk: TableWalk, frame: Exclude<Frame, MessageFrame>): void {
  if (frame.kind === 'end') return; // cut at a message boundary: no damage, no marker
  if (frame.kind !== 'eos') {
    setFrameDamage(walk, frame, 'batch');
    return;
  }
  walk.eos = true;
  if (cursor.remaining > 0) {
    const reason = `${cursor.remaining} bytes after the end-of-stream marker at byte ${frame.byteOffset}`;
    walk.damage = { kind: 'framing', reason };
  } else {
    walk.bytesValid = cursor.position;
  }
}

function decodeBatch(walk: TableWalk, frame: MessageFrame, body: Uint8Array, index: number): RecordBatch | null {
  try {
    return decodeRecordBatch(walk.table, frame.message, body);
  } catch (error) {
    if (!(error instanceof BatchInvalid)) throw error; // a bug of ours, not damage
    const rows = declaredRows(frame.message);
    if (rows !== null) walk.rowsDropped += rows;
    const reason = `batch ${index} at byte ${frame.byteOffset}: ${firstLine(error)}`;
    walk.damage = { kind: 'batch', reason };
    return null;
  }
}

/** After damage, the rows of the record batches that still frame (reported as dropped). */
function countDropped(cursor: FileCursor, walk: TableWalk): void {
  for (;;) {
    const frame = nextFrame(cursor);
    if (frame.kind !== 'message') return;
    const rows = declaredRows(frame.message);
    if (rows === null) return;
    cursor.skip(frame.bodyBytes);
    walk.rowsDropped += rows;
  }
}

/** The framing of a table file: the schema checked, record batches counted, bodies skipped. */
export function scanTableFile(table: TableName, path: string): TableScan {
  const cursor = openCursor(path, false);
  const scan: TableScan = {
    table,
    path,
    bytesTotal: cursor.size,
    bytesValid: 0,
    batches: 0,
    rowsRecovered: 0,
    eos: false,
    truncated: true,
    damage: null,
  };
  try {
    scanFrames(cursor, scan);
  } finally {
    cursor.close();
  }
  return scan;
}

function scanFrames(cursor: FileCursor, scan: TableScan): void {
  const layout = layoutMessages(scan.table);
  for (let index = 0; ; index++) {
    const frame = nextFrame(cursor);
    if (frame.kind === 'eos') {
      scan.eos = true;
      scan.truncated = false;
      scan.bytesValid = cursor.position;
      return;
    }
    if (frame.kind !== 'message') {
      if (frame.kind === 'bad') scan.damage = frame.reason;
      return;
    }
    if (index === 0) checkSchema(scan, frame, cursor.read(frame.bodyBytes)!, layout[0]!);
    else if (index < layout.length) cursor.skip(frame.bodyBytes);
    else if (!countBatch(scan, frame, cursor)) return;
    scan.bytesValid = cursor.position;
  }
}

function countBatch(scan: TableScan, frame: MessageFrame, cursor: FileCursor): boolean {
  const rows = declaredRows(frame.message);
  if (rows === null) {
    scan.damage = `message at byte ${frame.byteOffset} is not a record batch of ours`;
    return false;
  }
  cursor.skip(frame.bodyBytes);
  scan.rowsRecovered += rows;
  scan.batches += 1;
  return true;
}

function checkSchema(scan: TableScan, frame: MessageFrame, body: Uint8Array, expected: Uint8Array): void {
  if (!sameBytes(frame.head, body, expected)) {
    throw new TraceError('table_unreadable', `${scan.path}: ${layoutMismatch(scan.table, 0, frame, body)}`);
  }
}

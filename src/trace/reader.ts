// Opens a trace directory and reads its tables, tolerating damage (principle 6): a table file
// is first scanned message by message (framing and metadata only, bodies skipped), which finds
// the end of the last complete message; only that prefix is handed to apache-arrow. A file cut
// mid-batch (killed recorder) therefore yields its intact batches plus a report, never a stack
// trace and never a hang (every length read from the file is bounds-checked before use).

import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  Message,
  MessageHeader,
  RecordBatchReader,
  Schema,
  type RecordBatch,
} from 'apache-arrow';
import { TraceError, firstLine } from './errors.js';
import { readManifest, type Manifest } from './manifest.js';
import { arrowSchema, TABLE_NAMES, type TableName } from './schema.js';

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

// No message of ours comes near this; a larger length is damage, not a reason to allocate.
const METADATA_BYTES_MAX = 16 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

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

  /** Yields the intact record batches of a table, in file order. */
  *batches(table: TableName, scan: TableScan = this.scan(table)): Generator<RecordBatch> {
    if (scan.bytesValid === 0) return;
    const reader = openArrowReader(scan);
    try {
      // apache-arrow yields an empty placeholder batch for a stream without batches; the
      // recorder never writes zero-row batches, so nothing real is skipped.
      for (const batch of reader) if (batch.numRows > 0) yield batch;
    } catch (error) {
      if (error instanceof TraceError) throw error;
      throw new TraceError('table_unreadable', `${scan.path}: ${firstLine(error)}`);
    }
  }

  /** All intact batches of a table and the scan report. */
  read(table: TableName): { batches: RecordBatch[]; scan: TableScan } {
    const scan = this.scan(table);
    return { batches: [...this.batches(table, scan)], scan };
  }
}

function openArrowReader(scan: TableScan): Iterable<RecordBatch> {
  try {
    return RecordBatchReader.from(fileChunks(scan.path, scan.bytesValid)) as Iterable<RecordBatch>;
  } catch (error) {
    throw new TraceError('table_unreadable', `${scan.path}: ${firstLine(error)}`);
  }
}

/** The first `length` bytes of a file in bounded chunks, then an end-of-stream marker. */
function* fileChunks(path: string, length: number): Generator<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    let position = 0;
    while (position < length) {
      const size = Math.min(READ_CHUNK_BYTES, length - position);
      const chunk = new Uint8Array(size);
      const read = readFully(fd, chunk, position);
      if (read !== size) throw new TraceError('table_unreadable', `${path}: shrank while reading`);
      position += size;
      yield chunk;
    }
    yield EOS;
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, into: Uint8Array, position: number): number {
  let done = 0;
  while (done < into.byteLength) {
    const n = readSync(fd, into, done, into.byteLength - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export function scanTableFile(table: TableName, path: string): TableScan {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new TraceError('table_missing', `${path}: cannot open (${firstLine(error)})`);
  }
  try {
    return scanFramed(table, path, fd, statSync(path).size);
  } finally {
    closeSync(fd);
  }
}

function scanFramed(table: TableName, path: string, fd: number, size: number): TableScan {
  const result: TableScan = {
    table,
    path,
    bytesTotal: size,
    bytesValid: 0,
    batches: 0,
    rowsRecovered: 0,
    eos: false,
    truncated: true,
    damage: null,
  };
  const prefix = new Uint8Array(8);
  const prefixView = new DataView(prefix.buffer);
  let position = 0;
  let messages = 0;
  while (position < size) {
    // Arrow IPC message: [0xFFFFFFFF] int32 metadataSize, flatbuffer, body (bodyLength bytes).
    if (readFully(fd, prefix, position) < 8) break; // a cut prefix (EOS is 8 bytes too)
    let headerBytes = 8;
    let metadataBytes = prefixView.getInt32(4, true);
    if (prefixView.getUint32(0, true) !== 0xffffffff) {
      headerBytes = 4; // pre-0.15 framing without the continuation marker
      metadataBytes = prefixView.getInt32(0, true);
    }
    if (metadataBytes === 0) {
      result.eos = true;
      result.truncated = false;
      result.bytesValid = position + headerBytes;
      break;
    }
    if (metadataBytes < 0 || metadataBytes > METADATA_BYTES_MAX) {
      result.damage = `bad message length ${metadataBytes} at byte ${position}`;
      break;
    }
    const metadataEnd = position + headerBytes + metadataBytes;
    if (metadataEnd > size) break;
    const metadata = new Uint8Array(metadataBytes);
    readFully(fd, metadata, position + headerBytes);
    let message: Message;
    try {
      message = Message.decode(metadata);
    } catch (error) {
      result.damage = `unreadable message at byte ${position}: ${firstLine(error)}`;
      break;
    }
    const bodyBytes = Number(message.bodyLength);
    if (!Number.isSafeInteger(bodyBytes) || bodyBytes < 0) {
      result.damage = `bad body length at byte ${position}`;
      break;
    }
    if (metadataEnd + bodyBytes > size) break; // cut mid-body
    if (messages === 0) checkSchema(table, path, message);
    if (message.headerType === MessageHeader.RecordBatch) {
      const header = message.header() as { length: number | bigint };
      result.rowsRecovered += Number(header.length);
      result.batches += 1;
    }
    messages += 1;
    position = metadataEnd + bodyBytes;
    result.bytesValid = position;
  }
  if (messages === 0 && !result.eos) result.bytesValid = 0; // not even a schema: nothing to read
  return result;
}

function checkSchema(table: TableName, path: string, message: Message): void {
  if (message.headerType !== MessageHeader.Schema) {
    throw new TraceError('table_unreadable', `${path}: does not start with an Arrow schema`);
  }
  const found = message.header() as Schema;
  const expected = arrowSchema(table);
  const describe = (s: Schema): string =>
    s.fields.map((f) => `${f.name}:${String(f.type)}:${f.nullable ? 'null' : ''}`).join(',');
  if (describe(found) !== describe(expected)) {
    throw new TraceError(
      'table_unreadable',
      `${path}: columns differ from the ${table} table this tracevisor knows (another format version?)`,
    );
  }
}

export interface TableVerification {
  table: TableName;
  sha256Expected: string;
  sha256Actual: string;
  rowsExpected: number;
  rowsFound: number;
  truncated: boolean;
  ok: boolean;
}

export interface Verification {
  ok: boolean;
  complete: boolean;
  tables: TableVerification[];
  /** One line per problem, empty when ok. */
  problems: string[];
}

/** Recomputes every table's hash and row count and compares them with the manifest. */
export function verify(dir: string): Verification {
  const trace = Trace.open(dir);
  const problems: string[] = [];
  if (!trace.manifest.complete) problems.push('the recording did not finish (manifest incomplete)');
  const tables = TABLE_NAMES.map((table) => {
    const entry = trace.manifest.tables[table]!;
    const scan = trace.scan(table);
    const sha256Actual = hashFile(trace.tablePath(table));
    const ok = sha256Actual === entry.sha256 && scan.rowsRecovered === entry.rows && !scan.truncated;
    if (sha256Actual !== entry.sha256) problems.push(`${table}: content hash differs from manifest`);
    if (scan.rowsRecovered !== entry.rows) {
      problems.push(`${table}: ${scan.rowsRecovered} rows readable, manifest says ${entry.rows}`);
    }
    if (scan.truncated) problems.push(`${table}: file is truncated`);
    if (scan.damage) problems.push(`${table}: ${scan.damage}`);
    return {
      table,
      sha256Expected: entry.sha256,
      sha256Actual,
      rowsExpected: entry.rows,
      rowsFound: scan.rowsRecovered,
      truncated: scan.truncated,
      ok,
    };
  });
  return { ok: problems.length === 0, complete: trace.manifest.complete, tables, problems };
}

function hashFile(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const chunk = new Uint8Array(READ_CHUNK_BYTES);
    let position = 0;
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.byteLength, position);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
      position += n;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

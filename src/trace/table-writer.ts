// One table file: Arrow IPC *stream* format, written batch by batch with fs.writevSync so a
// batch's bytes are in the file when writeBatch() returns and a killed recorder leaves a
// readable prefix (principle 6). The content hash is computed incrementally over the same bytes.
//
// Bytes come from apache-arrow's own RecordBatchStreamWriter: its sink is an AsyncByteQueue,
// and a writer handed an AsyncByteQueue writes into it directly. ChunkSink is such a queue that
// keeps the chunks instead of queueing them for an async reader, so after writer.write(batch)
// the chunks of exactly that batch are in hand, synchronously. The body chunks are views of the
// column buffers (no copy): they must go to the file before the caller reuses its arrays.
//
// Stream layout (Arrow columnar format, "IPC Streaming Format"):
//   <schema message> <dictionary message>* <record batch message>* <EOS = 0xFFFFFFFF 0x00000000>
//   message = 0xFFFFFFFF (continuation) | int32 metadata size | flatbuffer (8-aligned) | body

import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync, writevSync } from 'node:fs';
import {
  AsyncByteQueue,
  RecordBatchStreamWriter,
  type RecordBatch,
  type Schema,
} from 'apache-arrow';

class ChunkSink extends AsyncByteQueue {
  readonly chunks: Uint8Array[] = [];
  override write(value: Uint8Array): void {
    if (!(value instanceof Uint8Array)) throw new Error('ChunkSink: writer handed a non-Uint8Array');
    if (value.byteLength > 0) this.chunks.push(value);
  }
}

export interface TableFileSummary {
  rows: number;
  batches: number;
  bytes: number;
  sha256: string;
}

// Linux IOV_MAX is 1024; a batch of the widest table is ~60 chunks, so one call nearly always.
const IOV_CHUNKS_MAX = 1024;

export class TableFileWriter {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  private readonly sink = new ChunkSink();
  private readonly writer = new RecordBatchStreamWriter();
  private rowCount = 0;
  private batchCount = 0;
  private byteCount = 0;
  private closed = false;

  constructor(
    readonly path: string,
    readonly schema: Schema,
  ) {
    this.fd = openSync(path, 'w');
    // reset(sink, schema) starts the stream and writes the schema message now, so even a table
    // that never gets a row is a valid stream.
    this.writer.reset(this.sink as unknown as AsyncByteQueue, schema);
    this.drain();
  }

  /** Writes one record batch (and, before the first, the dictionaries). Zero rows: nothing. */
  writeBatch(batch: RecordBatch): void {
    if (this.closed) throw new Error(`${this.path}: write after close`);
    // apache-arrow would silently close the stream on a schema change: refuse it here instead.
    if (!sameColumns(batch.schema, this.schema)) {
      throw new Error(`${this.path}: batch has a foreign schema`);
    }
    if (batch.numRows === 0) return;
    this.writer.write(batch);
    this.drain();
    forgetBlocks(this.writer);
    this.rowCount += batch.numRows;
    this.batchCount += 1;
  }

  /** Rows written so far (summary() without copying the running hash). */
  rows(): number {
    return this.rowCount;
  }

  /** Summary of what is in the file so far (hash of the bytes written up to now). */
  summary(): TableFileSummary {
    return {
      rows: this.rowCount,
      batches: this.batchCount,
      bytes: this.byteCount,
      sha256: this.hash.copy().digest('hex'),
    };
  }

  /** Writes the end-of-stream marker, fsyncs and closes. */
  close(): TableFileSummary {
    if (this.closed) throw new Error(`${this.path}: closed twice`);
    this.writer.close(); // writes EOS into the sink
    this.drain();
    this.closed = true;
    fsyncSync(this.fd);
    closeSync(this.fd);
    return this.summary();
  }

  /** Closes the file descriptor without an EOS (abandoned recording): the file stays a prefix. */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private drain(): void {
    const chunks = this.sink.chunks;
    if (chunks.length === 0) return;
    let total = 0;
    for (const chunk of chunks) {
      this.hash.update(chunk);
      total += chunk.byteLength;
    }
    let written = 0;
    for (let start = 0; start < chunks.length; start += IOV_CHUNKS_MAX) {
      written += writevSync(this.fd, chunks.slice(start, start + IOV_CHUNKS_MAX));
    }
    if (written !== total) this.writeRest(chunks, written);
    this.byteCount += total;
    chunks.length = 0;
  }

  // Regular files take a whole writev; this is the general case for short writes anyway.
  private writeRest(chunks: Uint8Array[], skipBytes: number): void {
    let skip = skipBytes;
    for (const chunk of chunks) {
      if (skip >= chunk.byteLength) {
        skip -= chunk.byteLength;
        continue;
      }
      let offset = skip;
      skip = 0;
      while (offset < chunk.byteLength) {
        offset += writeSync(this.fd, chunk, offset, chunk.byteLength - offset);
      }
    }
  }
}

function sameColumns(a: Schema, b: Schema): boolean {
  if (a === b) return true;
  if (a.fields.length !== b.fields.length) return false;
  return a.fields.every((field, i) => {
    const other = b.fields[i]!;
    return field.name === other.name && field.typeId === other.typeId;
  });
}

/**
 * apache-arrow's writer remembers a FileBlock per batch for the footer of the IPC *file*
 * format; a stream has no footer, so the list only grows with the run length. Emptying it after
 * each batch keeps a recorder's memory bounded however long it records.
 */
function forgetBlocks(writer: RecordBatchStreamWriter): void {
  const internal = writer as unknown as { _recordBatchBlocks?: unknown[] };
  if (Array.isArray(internal._recordBatchBlocks)) internal._recordBatchBlocks.length = 0;
}

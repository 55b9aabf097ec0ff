// The recording's events file, read batch by batch as the replay produces its events batches:
// each replayed batch is compared byte for byte with the recorded batch's column buffers, and
// every byte read is hashed for the table-file check (the manifest's sha256) on the way.
//
// Why (issue 9 §2, the 1.2x target): a replay with verification hashed the 14 MB of events of
// the 10 s cockpit twice, once as the file (sha256 against the manifest: the replay vouches
// for the files on disk) and once as the batches' canonical digests (digest.ts); both passes
// were ~12 ms each, the largest share of what replay adds to a run (bench/replay.ts). The file
// is read anyway, so comparing its column bytes with the core's columns (memcmp, ~1 ms) checks
// the same thing as the digest: the canonical encoding of a batch without NULLs is its column
// count, row count and each column's value bytes, exactly what is compared here.
//
// Anything unexpected (a damaged frame, another layout, a short file) only makes a batch "not
// matched here": the verifier then digests it and compares with the recorded digest as
// before, and the file's hash, checked before the answer, tells damage.

import { statSync } from 'node:fs';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import type { TraceColumns } from '../core/api.js';
import { FileCursor, nextFrame } from '../trace/framing.js';
import { EVENTS_TABLE } from '../trace/schema.js';

const COLUMN_NAMES = EVENTS_TABLE.columns.map((c) => c.name as keyof TraceColumns);
/** Validity + values per fixed-width column (Arrow columnar format, "Buffer listing"). */
const BUFFERS_PER_COLUMN = 2;

interface RecordedBatch {
  header: FbRecordBatch;
  body: Uint8Array;
}

export class RecordedEventsFile {
  private readonly cursor: FileCursor;
  /** False after a frame we cannot follow: later batches are left to the digests. */
  private readable = true;
  private failure: unknown = null;
  private readonly header = new FbRecordBatch();

  constructor(private readonly path: string) {
    this.cursor = new FileCursor(path, true);
  }

  /**
   * Reads the next recorded batch and answers whether the replayed columns' first `count` rows
   * are that batch, byte for byte. Batches must be asked in order, each once.
   */
  matchesNext(cols: TraceColumns, count: number): boolean {
    const recorded = this.nextBatch();
    return recorded !== null && sameColumns(recorded, cols, count);
  }

  /**
   * The sha256 (hex) of the whole file, read to its end; throws a read error met on the way.
   * A file whose size changed since it was opened gets no hash (null: it is not the recorded file).
   */
  finish(): string | null {
    if (this.failure !== null) throw this.failure;
    const hex = this.cursor.finish();
    return this.grown() ? null : hex;
  }

  close(): void {
    this.cursor.close();
  }

  private grown(): boolean {
    try {
      return this.cursor.size !== statSync(this.path).size;
    } catch {
      return true;
    }
  }

  private nextBatch(): RecordedBatch | null {
    if (!this.readable) return null;
    try {
      for (;;) {
        const frame = nextFrame(this.cursor);
        if (frame.kind !== 'message') break;
        if (frame.message.headerType() !== MessageHeader.RecordBatch) {
          this.cursor.skip(frame.bodyBytes); // the schema's dictionary (kind): hashed, not compared
          continue;
        }
        const body = this.cursor.readReused(frame.bodyBytes);
        const header = frame.message.header(this.header) as FbRecordBatch | null;
        if (body === null || header === null) break;
        return { header, body };
      }
    } catch (error) {
      this.failure = error;
    }
    this.readable = false;
    return null;
  }
}

/** The recorded batch has `count` rows, no NULLs, and each column's values are the replayed ones. */
function sameColumns(recorded: RecordedBatch, cols: TraceColumns, count: number): boolean {
  const { header, body } = recorded;
  if (header.length() !== BigInt(count) || header.nodesLength() !== COLUMN_NAMES.length) return false;
  if (header.buffersLength() !== COLUMN_NAMES.length * BUFFERS_PER_COLUMN) return false;
  for (let c = 0; c < COLUMN_NAMES.length; c++) {
    const node = header.nodes(c)!;
    if (node.length() !== BigInt(count) || node.nullCount() !== 0n) return false;
    const column = cols[COLUMN_NAMES[c]!];
    const bytes = count * column.BYTES_PER_ELEMENT;
    const values = header.buffers(c * BUFFERS_PER_COLUMN + 1)!;
    const offset = Number(values.offset());
    // The values buffer may carry the 8-byte padding in its length; those bytes are not data.
    if (Number(values.length()) < bytes || offset + bytes > body.byteLength) return false;
    const replayed = Buffer.from(column.buffer, column.byteOffset, bytes);
    if (!replayed.equals(body.subarray(offset, offset + bytes))) return false;
  }
  return true;
}

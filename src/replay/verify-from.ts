// `replay --from <t>` (issue 10 §3: replay skips ahead with snapshots): the platform is restored
// from the trace's latest snapshot at or before t and verified from that moment on, as rr
// replays from a checkpoint. What the recording holds before the snapshot is not looked at.
//
// The replayed batches no longer line up with the recorded ones at first: the restored core
// drains its first events (and frames) batch where the live run did, but that batch holds only
// the rows after the snapshot (core.ts phantom rows), and the row-buffered tables (dlt, clock,
// sync, inputs) start their batches afresh. So each table keeps a cursor on the recorded rows,
// placed on the first row after the snapshot: for events and frames the first with
// seq >= the snapshot's next seq, for the others the first with ts_ns > its time (rows at or
// before it were written before the snapshot was taken: platform-snapshot.ts). A replayed
// batch that starts on a recorded batch's first row, with that batch's row count and digest
// (digests.ndjson), matches without a read (once the first events batch has drained, the
// boundaries are the recording's again); any other is compared row by row with the recorded
// rows, and every recorded batch read is first checked against its digest, so what is compared
// is what the manifest vouches for (the sidecar's sha256 is in the manifest) without hashing
// the files whole.

import { DataType, type Data, type RecordBatch } from 'apache-arrow';
import type { FrameColumns, TraceColumns } from '../core/api.js';
import { TraceError } from '../trace/errors.js';
import { newWalk, walkTable } from '../trace/reader.js';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';
import { batchDigest } from './digest.js';
import type { BatchDigest, TraceDigests } from './digest-file.js';
import { columnNames, divergenceNs, ROWS_BEFORE, rowAt, sameRow, tailRows, type Divergence, type Row } from './divergence.js';
import { lastSeqOfBatches } from './recorded-seq.js';
import { ReplayVerifier, type RecordedTrace } from './verify.js';

/** The snapshot a replay resumed from. */
export interface ResumePoint {
  id: string;
  timeNs: number;
  /** The core's next sequence number at the snapshot. */
  seq: number;
}

const SEQ_TABLES: ReadonlySet<TableName> = new Set(['events', 'frames']);

/** A table's recorded rows from the resume point on, read (and digest-checked) only as needed. */
class RecordedRows {
  private iterator: Generator<RecordBatch>;
  /** Batch index the iterator yields next. */
  private iterated = 0;
  /** The batch under the cursor, null when not read (or past the end). */
  private batch: RecordBatch | null = null;
  /** Cursor: batch index, row in it, and the table's row number of that batch's first row. */
  index = 0;
  row = 0;
  firstRow = 0;
  readonly before: Row[] = [];
  /** Set at the table's first divergence: the cursor no longer lines up, later batches are not compared. */
  diverged = false;
  private readonly columns: string[];

  constructor(
    private readonly dir: string,
    private readonly table: TableName,
    private readonly digests: readonly BatchDigest[],
    private readonly path: string,
  ) {
    this.columns = columnNames(table);
    this.iterator = this.batchesFrom(0);
  }

  /** fresh bodies: the context rows keep views of a batch's bytes (binary columns) */
  private batchesFrom(first: number): Generator<RecordBatch> {
    return walkTable(newWalk(this.table, this.path), { hashing: false, reuseBodies: false, skipBatches: first });
  }

  /**
   * Moves to the first recorded row after the resume point. Events and frames skip, unread, the
   * batches whose last seq comes before it (recorded-seq.ts); the small tables are read from
   * their start. The batches before are not checked.
   */
  place(at: ResumePoint): void {
    const seqs = SEQ_TABLES.has(this.table) ? lastSeqOfBatches(this.path, this.table) : null;
    if (seqs !== null) {
      let first = 0;
      while (first < seqs.length && seqs[first]! < BigInt(at.seq)) first++;
      if (first > 0 && first <= this.digests.length) {
        this.iterator.return(undefined);
        this.iterator = this.batchesFrom(first);
        this.iterated = first;
        this.index = first;
        this.firstRow = this.digests.slice(0, first).reduce((n, d) => n + d.rows, 0);
      }
    }
    for (;;) {
      const batch = this.read(false);
      if (batch === null) return;
      const first = firstAfter(this.table, batch, at);
      if (first >= 0) {
        this.check(batch);
        this.row = first;
        return;
      }
      this.advanceBatch();
    }
  }

  /** A replayed batch that is exactly the recorded batch under the cursor, by its digest. */
  matchesWhole(rows: number, digest: string): boolean {
    const listed = this.digests[this.index];
    if (this.row !== 0 || listed === undefined || listed.rows !== rows || listed.digest !== digest) return false;
    this.advanceBatch();
    return true;
  }

  /** The recorded row under the cursor (read and checked as needed), or null past the end. */
  current(): Row | null {
    const batch = this.currentBatch();
    return batch === null ? null : rowAt(batch, this.row);
  }

  /** The recorded batch under the cursor with a row left in it (read and checked as needed), or null. */
  currentBatch(): RecordBatch | null {
    for (;;) {
      const batch = this.batch ?? this.read(true);
      if (batch === null) return null;
      if (this.row < batch.numRows) return batch;
      this.advanceBatch();
    }
  }

  /** Moves past `rows` rows of the batch under the cursor (compared as columns: no context kept). */
  skipRows(rows: number): void {
    this.row += rows;
  }

  next(row: Row): void {
    this.before.push(row);
    if (this.before.length > ROWS_BEFORE) this.before.shift();
    this.row++;
  }

  keepTail(rows: Row[]): void {
    this.before.splice(0, this.before.length, ...rows.slice(-ROWS_BEFORE));
  }

  /** Closes the table file (a cursor left mid-file after a divergence or a stop). */
  close(): void {
    this.iterator.return(undefined);
  }

  same(a: Row, b: Row): boolean {
    return sameRow(a, b, this.columns);
  }

  private advanceBatch(): void {
    this.firstRow += this.digests[this.index]?.rows ?? this.batch?.numRows ?? 0;
    this.index++;
    this.row = 0;
    this.batch = null;
  }

  /** Reads batch `index` (skipping any the cursor passed by digest); null past the file's last. */
  private read(checked: boolean): RecordBatch | null {
    while (this.iterated <= this.index) {
      const next = this.iterator.next();
      if (next.done === true) return null;
      this.iterated++;
      this.batch = next.value;
    }
    if (checked && this.batch !== null) this.check(this.batch);
    return this.batch;
  }

  private check(batch: RecordBatch): void {
    const listed = this.digests[this.index];
    if (listed !== undefined && listed.rows === batch.numRows && listed.digest === batchDigest(batch)) return;
    throw new TraceError(
      'trace_damaged',
      `${this.dir}: trace damaged: ${this.table}: batch ${this.index} differs from its digest in digests.ndjson; record the trace again`,
    );
  }
}

/** Index of the first row of `batch` written after the resume point, or -1. */
function firstAfter(table: TableName, batch: RecordBatch, at: ResumePoint): number {
  const column = SEQ_TABLES.has(table) ? 'seq' : 'ts_ns';
  const limit = BigInt(SEQ_TABLES.has(table) ? at.seq : at.timeNs + 1);
  const values = batch.getChild(column)!.data[0]!.values as BigInt64Array;
  for (let i = 0; i < batch.numRows; i++) if (values[i]! >= limit) return i;
  return -1;
}

/**
 * Rows [from, from + count) of `recorded` hold the values of rows [at, at + count) of `replayed`,
 * compared as column bytes (what the canonical digest covers, digest.ts); false when they differ,
 * or for a column with NULLs or bits (left to the row-by-row comparison).
 */
function sameRows(recorded: RecordBatch, from: number, replayed: RecordBatch, at: number, count: number): boolean {
  const a = recorded.data.children;
  const b = replayed.data.children;
  if (count <= 0 || a.length !== b.length) return false;
  for (let c = 0; c < a.length; c++) {
    const x = a[c]!;
    const y = b[c]!;
    if (x.nullCount > 0 || y.nullCount > 0 || DataType.isBool(x.type)) return false;
    const same = x.valueOffsets !== undefined && x.valueOffsets !== null
      ? sameVariable(x, x.offset + from, y, y.offset + at, count)
      : sameFixed(x.values as Int32Array, x.offset + from, y.values as Int32Array, y.offset + at, count);
    if (!same) return false;
  }
  return true;
}

function bytesOf(values: ArrayBufferView & { BYTES_PER_ELEMENT: number }, start: number, count: number): Buffer {
  const size = values.BYTES_PER_ELEMENT;
  return Buffer.from(values.buffer, values.byteOffset + start * size, count * size);
}

function sameFixed(x: Int32Array, i: number, y: Int32Array, j: number, count: number): boolean {
  return x.BYTES_PER_ELEMENT === y.BYTES_PER_ELEMENT && bytesOf(x, i, count).equals(bytesOf(y, j, count));
}

/** Utf8 / binary: each row's length (offset steps) and the bytes the rows span. */
function sameVariable(x: Data, i: number, y: Data, j: number, count: number): boolean {
  const ox = x.valueOffsets as Int32Array;
  const oy = y.valueOffsets as Int32Array;
  const [sx, sy] = [ox[i]!, oy[j]!];
  for (let k = 1; k <= count; k++) if (ox[i + k]! - sx !== oy[j + k]! - sy) return false;
  const bytes = ox[i + count]! - sx;
  return bytesOf(x.values as Uint8Array, sx, bytes).equals(bytesOf(y.values as Uint8Array, sy, bytes));
}

/** Checks a replay resumed from a snapshot against the recording from that moment on. */
export class ResumedVerifier extends ReplayVerifier {
  private readonly cursors: Record<TableName, RecordedRows>;

  constructor(
    dir: string,
    recorded: RecordedTrace,
    digests: TraceDigests,
    vmNames: readonly string[],
    paths: Record<TableName, string>,
    readonly resumedFrom: ResumePoint,
  ) {
    super(recorded, digests, vmNames);
    this.cursors = {} as Record<TableName, RecordedRows>;
    for (const table of TABLE_NAMES) {
      const cursor = new RecordedRows(dir, table, digests.batches[table], paths[table]);
      cursor.place(resumedFrom);
      this.cursors[table] = cursor;
    }
  }

  /** Every batch is digested and compared here (the byte path needs aligned batches). */
  override matchEvents(_index: number, _cols: TraceColumns, _count: number): boolean {
    return false;
  }
  override matchFrames(_index: number, _cols: FrameColumns, _count: number): boolean {
    return false;
  }

  override onBatch(table: TableName, _index: number, batch: RecordBatch, digest: string): void {
    const cursor = this.cursors[table];
    if (cursor.diverged) return;
    if (cursor.matchesWhole(batch.numRows, digest)) {
      this.tally(table, batch.numRows);
      cursor.keepTail(tailRows(batch));
      return;
    }
    // Runs of rows inside one recorded batch are compared column by column; only a run that
    // differs is walked row by row, to name its first divergent row.
    for (let i = 0; i < batch.numRows; ) {
      const recordedBatch = cursor.currentBatch();
      const run = recordedBatch === null ? 0 : Math.min(recordedBatch.numRows - cursor.row, batch.numRows - i);
      if (recordedBatch !== null && sameRows(recordedBatch, cursor.row, batch, i, run)) {
        cursor.skipRows(run);
        const context: Row[] = [];
        for (let k = Math.max(i, i + run - ROWS_BEFORE); k < i + run; k++) context.push(rowAt(batch, k));
        cursor.keepTail([...cursor.before, ...context]);
        i += run;
        continue;
      }
      for (const end = i + Math.max(run, 1); i < end; i++) {
        const replayed = rowAt(batch, i);
        const recorded = cursor.current();
        if (recorded === null || !cursor.same(recorded, replayed)) {
          this.resumedDivergence(table, cursor, recorded, replayed);
          return;
        }
        cursor.next(recorded);
      }
    }
    cursor.keepTail(tailRows(batch));
    this.tally(table, batch.numRows);
  }

  /** After the run: a table whose recording has rows the replay never produced diverged. */
  override finish(): void {
    for (const table of TABLE_NAMES) {
      const cursor = this.cursors[table];
      if (cursor.diverged) continue;
      const recorded = cursor.current();
      if (recorded !== null) this.resumedDivergence(table, cursor, recorded, null);
    }
  }

  /** Closes the recorded table files the cursors hold open. */
  close(): void {
    for (const table of TABLE_NAMES) this.cursors[table].close();
  }

  override reachedRecordingEnd(): boolean {
    return false;
  }

  private tally(table: TableName, rows: number): void {
    this.matched[table].rows += rows;
    this.matched[table].batches++;
  }

  private resumedDivergence(table: TableName, cursor: RecordedRows, left: Row | null, right: Row | null): void {
    this.divergentBatches++;
    cursor.diverged = true;
    const found: Divergence = {
      table,
      row: cursor.firstRow + cursor.row,
      batch: cursor.index,
      left,
      right,
      before: [...cursor.before],
    };
    if (this.divergence === null || divergenceNs(found) < divergenceNs(this.divergence)) this.divergence = found;
  }
}

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

import type { RecordBatch } from 'apache-arrow';
import type { FrameColumns, TraceColumns } from '../core/api.js';
import { TraceError } from '../trace/errors.js';
import { newWalk, walkTable } from '../trace/reader.js';
import { TABLE_NAMES, type TableName } from '../trace/tables.js';
import { batchDigest } from './digest.js';
import type { BatchDigest, TraceDigests } from './digest-file.js';
import { columnNames, divergenceNs, ROWS_BEFORE, rowAt, sameRow, tailRows, type Divergence, type Row } from './divergence.js';
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
  private readonly iterator: Generator<RecordBatch>;
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
    path: string,
  ) {
    this.columns = columnNames(table);
    // fresh bodies: the context rows keep views of a batch's bytes (binary columns)
    this.iterator = walkTable(newWalk(table, path), { hashing: false, reuseBodies: false });
  }

  /** Moves to the first recorded row after the resume point (the batches before are read, not checked). */
  place(at: ResumePoint): void {
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
    for (;;) {
      const batch = this.batch ?? this.read(true);
      if (batch === null) return null;
      if (this.row < batch.numRows) return rowAt(batch, this.row);
      this.advanceBatch();
    }
  }

  next(row: Row): void {
    this.before.push(row);
    if (this.before.length > ROWS_BEFORE) this.before.shift();
    this.row++;
  }

  keepTail(rows: Row[]): void {
    this.before.splice(0, this.before.length, ...rows.slice(-ROWS_BEFORE));
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
    for (let i = 0; i < batch.numRows; i++) {
      const replayed = rowAt(batch, i);
      const recorded = cursor.current();
      if (recorded === null || !cursor.same(recorded, replayed)) {
        this.resumedDivergence(table, cursor, recorded, replayed);
        return;
      }
      cursor.next(recorded);
    }
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

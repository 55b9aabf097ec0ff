// A run's tables kept in memory, as Arrow record batches, instead of being written to disk:
// what a sweep's check loads into DuckDB (check-session.ts) and what its digest covers. The
// core reuses its event columns after each drain, so each batch is copied out (one memcpy per
// column: ≈40 bytes per event); dlt, clock and inputs rows go into row buffers of the
// recorder's batch size, a fresh buffer per batch since a batch is a view of its buffer.

import type { RecordBatch } from 'apache-arrow';
import type { FrameColumns, TraceColumns } from '../core/api.js';
import { copyFrameColumns, framesBatch } from '../trace/frames-batch.js'; // frames table (issue 12 §1)
import type { PlatformSink } from '../platform/sink.js';
import { eventsBatch } from '../trace/events-batch.js';
import type { ClockRow, DltRow, InputRow, SyncRow } from '../trace/recorder.js';
import { RowBuffer } from '../trace/row-buffer.js';
import { ROWS_PER_BATCH_DEFAULT, TABLES, type TableName } from '../trace/schema.js';
import type { BatchSource } from '../query/load.js';
import { tablesDigest } from './digest.js';

type BufferedTable = Exclude<TableName, 'events' | 'frames'>;
const COLUMN_NAMES = TABLES.events.columns.map((c) => c.name as keyof TraceColumns);

export class MemorySink implements PlatformSink, BatchSource {
  private readonly done: Record<TableName, RecordBatch[]> = { events: [], dlt: [], clock: [], inputs: [], sync: [], frames: [] };
  private readonly open: Record<BufferedTable, RowBuffer | null> = { dlt: null, clock: null, inputs: null, sync: null };
  private readonly counts: Record<TableName, number> = { events: 0, dlt: 0, clock: 0, inputs: 0, sync: 0, frames: 0 };
  private finished = false;

  events(cols: TraceColumns, count: number): void {
    if (count === 0) return;
    const copy = {} as Record<keyof TraceColumns, TraceColumns[keyof TraceColumns]>;
    for (const name of COLUMN_NAMES) copy[name] = cols[name].slice(0, count);
    this.done.events.push(eventsBatch(copy as TraceColumns, count));
    this.counts.events += count;
  }
  /** --- frames table (issue 12 §1): each drained batch copied out of the core's ring. */
  frames(cols: FrameColumns, count: number): void {
    if (count === 0) return;
    this.done.frames.push(framesBatch(copyFrameColumns(cols, count), count));
    this.counts.frames += count;
  }
  dlt(row: DltRow, _wire: Uint8Array): void {
    this.append('dlt', row as unknown as Record<string, unknown>);
  }
  clock(row: ClockRow): void {
    this.append('clock', row as unknown as Record<string, unknown>);
  }
  input(row: InputRow): void {
    this.append('inputs', row as unknown as Record<string, unknown>);
  }
  sync(row: SyncRow): void {
    this.append('sync', row as unknown as Record<string, unknown>);
  }

  private append(table: BufferedTable, row: Record<string, unknown>): void {
    if (this.finished) throw new Error(`assert: ${table} row after the run finished`);
    let buffer = this.open[table];
    if (buffer === null || buffer.full) {
      if (buffer !== null) this.done[table].push(buffer.toBatch());
      buffer = new RowBuffer(table, ROWS_PER_BATCH_DEFAULT);
      this.open[table] = buffer;
    }
    buffer.append(row);
    this.counts[table] += 1;
  }

  /** Ends the run: the buffered rows become their last batches. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const table of ['dlt', 'clock', 'inputs', 'sync'] as const) {
      const buffer = this.open[table];
      if (buffer !== null && buffer.length > 0) this.done[table].push(buffer.toBatch());
      this.open[table] = null;
    }
  }

  rows(table: TableName): number {
    return this.counts[table];
  }

  *batches(table: TableName): Generator<RecordBatch> {
    if (!this.finished) throw new Error('assert: batches read before the run finished');
    yield* this.done[table];
  }

  /** sha256 over every table's column bytes (digest.ts). */
  digest(): string {
    return tablesDigest(this);
  }
}

// Records a run as a trace directory: manifest.json + one Arrow IPC stream per table.
// The manifest is written with complete:false first and rewritten at finish(), so a killed run
// is recognisable and still readable up to its last batch (principle 6).
//
// Flush policy of the row-buffered tables (dlt, clock, inputs): a killed run must not lose
// their rows for long (issue #7: 8191 DLT rows and every clock row were lost), yet batch
// boundaries must stay a pure function of the run (principle 1), so no wall-clock timer decides
// them. They are flushed (1) whenever an events batch is written — the core's columns fill
// every 64 Ki events, 0.05–0.2 s of wall time here; (2) when a table's buffered rows span
// FLUSH_SPAN_NS of virtual time; (3) at rowsPerBatch rows.

import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import type { TraceColumns } from '../core/api.js';
import type { DltLevel } from '../core/codes.js';
import { prepareDirectory } from './directory.js';
import { TraceError } from './errors.js';
import { eventsBatch } from './events-batch.js';
import {
  newManifest,
  writeManifest,
  type Manifest,
  type ManifestTable,
  type TraceMeta,
} from './manifest.js';
import { RowBuffer } from './row-buffer.js';
import { arrowSchema, ROWS_PER_BATCH_DEFAULT, TABLE_NAMES, type DltType, type TableName } from './schema.js';

export { ROWS_PER_BATCH_DEFAULT };
import { TableFileWriter } from './table-writer.js';

/** 64-bit integer columns take a safe-integer number or a bigint. */
export type Int64Input = number | bigint;

export interface DltRow {
  ts_ns: Int64Input;
  local_ts_ns: Int64Input;
  vm: number; // -1 for imported logs
  ecu: string;
  apid?: string | null;
  ctid?: string | null;
  session_id?: number | null;
  type?: DltType | null;
  subtype?: string | null;
  level?: DltLevel | null;
  msg_counter: number;
  verbose: boolean;
  noar: number;
  message_id?: Int64Input | null;
  payload: string;
  payload_raw: Uint8Array;
  lifecycle: number;
  storage_ts_ns?: Int64Input | null;
  /** DLT standard header type byte as received (imported logs); see the schema */
  htyp?: number | null;
  storage_ecu?: string | null;
}

export interface ClockRow {
  ts_ns: Int64Input;
  vm: number;
  local_ns: Int64Input;
  offset_ns: Int64Input;
  drift_ppb: Int64Input;
  steal_ns: Int64Input;
}

export interface InputRow {
  ts_ns: Int64Input;
  seq: Int64Input;
  source: string;
  kind: string;
  data: Uint8Array;
}

export type RecorderMeta = TraceMeta;

export interface RecorderOptions {
  /** Write into a non-empty directory that is not a trace (our files replace same-named ones). */
  overwrite?: boolean;
  /** Rows per record batch of the row-buffered tables (dlt, clock, inputs). */
  rowsPerBatch?: number;
}


export type BufferedTable = Exclude<TableName, 'events'>;
const BUFFERED_TABLES = ['dlt', 'clock', 'inputs'] as const;

/** Virtual time the buffered rows of a table may span before they are written (1 s). */
export const FLUSH_SPAN_NS = 1_000_000_000;

export class Recorder {
  private readonly writers: Record<TableName, TableFileWriter>;
  private readonly buffers: Record<BufferedTable, RowBuffer>;
  private readonly manifest: Manifest;
  /** ts_ns of the first buffered row of each table (meaningless while its buffer is empty). */
  private readonly firstTsNs: Record<BufferedTable, number> = { dlt: 0, clock: 0, inputs: 0 };
  private state: 'open' | 'finished' | 'aborted' = 'open';

  private constructor(
    readonly dir: string,
    meta: RecorderMeta,
    rowsPerBatch: number,
  ) {
    const writers = {} as Record<TableName, TableFileWriter>;
    for (const table of TABLE_NAMES) {
      writers[table] = new TableFileWriter(join(dir, `${table}.arrow`), arrowSchema(table));
    }
    this.writers = writers;
    this.buffers = {
      dlt: new RowBuffer('dlt', rowsPerBatch),
      clock: new RowBuffer('clock', rowsPerBatch),
      inputs: new RowBuffer('inputs', rowsPerBatch),
    };
    this.manifest = newManifest(meta, this.tableEntries());
    writeManifest(dir, this.manifest);
  }

  /** Creates (or replaces) a trace directory and starts recording into it. */
  static create(dir: string, meta: RecorderMeta, options: RecorderOptions = {}): Recorder {
    const rowsPerBatch = options.rowsPerBatch ?? ROWS_PER_BATCH_DEFAULT;
    if (!Number.isInteger(rowsPerBatch) || rowsPerBatch < 1 || rowsPerBatch > 1 << 20) {
      throw new Error(`rowsPerBatch must be an integer in [1, 2^20], got ${rowsPerBatch}`);
    }
    prepareDirectory(dir, options.overwrite === true);
    return new Recorder(dir, meta, rowsPerBatch);
  }

  /**
   * Writes the first `count` rows of the core's columns as one record batch, without copying
   * them; the bytes are in the file when this returns, so the caller may reuse the columns.
   */
  appendEvents(cols: TraceColumns, count: number): void {
    this.assertOpen();
    if (count === 0) return;
    this.writers.events.writeBatch(eventsBatch(cols, count));
    for (const table of BUFFERED_TABLES) this.flush(table);
  }

  appendDlt(row: DltRow): void {
    this.appendRow('dlt', row as unknown as Record<string, unknown>);
  }
  appendClock(row: ClockRow): void {
    this.appendRow('clock', row as unknown as Record<string, unknown>);
  }
  appendInput(row: InputRow): void {
    this.appendRow('inputs', row as unknown as Record<string, unknown>);
  }

  /**
   * Writes a record batch the caller built in the table's schema (bulk import builds whole
   * columns instead of row objects). Rows buffered by append*() go first, so order is kept.
   */
  appendBatch(table: BufferedTable, batch: RecordBatch): void {
    this.assertOpen();
    this.flush(table);
    this.writers[table].writeBatch(batch);
  }

  /** Rows written or buffered so far, per table. */
  rowCounts(): Record<TableName, number> {
    const counts = {} as Record<TableName, number>;
    for (const table of TABLE_NAMES) counts[table] = this.writers[table].summary().rows;
    for (const table of BUFFERED_TABLES) {
      counts[table] += this.buffers[table].length;
    }
    return counts;
  }

  /** Flushes the buffered rows, ends every stream, and marks the manifest complete. */
  finish(): Manifest {
    this.assertOpen();
    for (const table of BUFFERED_TABLES) this.flush(table);
    const tables: Record<string, ManifestTable> = {};
    for (const table of TABLE_NAMES) {
      const summary = this.writers[table].close();
      tables[table] = {
        file: `${table}.arrow`,
        rows: summary.rows,
        batches: summary.batches,
        sha256: summary.sha256,
      };
    }
    this.state = 'finished';
    this.manifest.tables = tables;
    this.manifest.complete = true;
    writeManifest(this.dir, this.manifest);
    return structuredClone(this.manifest);
  }

  /**
   * Stops without finishing: buffered rows are dropped, files keep what was written, and the
   * manifest stays complete:false — what a crash leaves, minus the crash (used on errors).
   */
  abort(): void {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    for (const table of TABLE_NAMES) this.writers[table].abandon();
  }

  private appendRow(table: BufferedTable, row: Record<string, unknown>): void {
    this.assertOpen();
    const buffer = this.buffers[table];
    buffer.append(row);
    const tsNs = Number(row.ts_ns as Int64Input);
    if (buffer.length === 1) this.firstTsNs[table] = tsNs;
    if (buffer.full || tsNs - this.firstTsNs[table] >= FLUSH_SPAN_NS) this.flush(table);
  }

  private flush(table: BufferedTable): void {
    const buffer = this.buffers[table];
    if (buffer.length === 0) return;
    this.writers[table].writeBatch(buffer.toBatch());
    buffer.reset();
  }

  private tableEntries(): Record<string, ManifestTable> {
    const tables: Record<string, ManifestTable> = {};
    for (const table of TABLE_NAMES) {
      const s = this.writers[table].summary();
      tables[table] = { file: `${table}.arrow`, rows: s.rows, batches: s.batches, sha256: s.sha256 };
    }
    return tables;
  }

  private assertOpen(): void {
    if (this.state !== 'open') {
      throw new TraceError('recorder_closed', `${this.dir}: recorder already ${this.state}`);
    }
  }
}

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
import type { ColumnsDigester, FrameColumns, TraceColumns } from '../core/api.js';
import { framesBatch } from './frames-batch.js'; // frames table (issue 12 §1)
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
import type { ManifestSnapshot } from './manifest-file.js';
import { RowBuffer } from './row-buffer.js';
import { arrowSchema, ROWS_PER_BATCH_DEFAULT, TABLE_NAMES, type DltType, type TableName } from './schema.js';

import { TableFileWriter, type TableFileSummary } from './table-writer.js';
import { ColumnFileWriter, type ColumnRows } from './column-file-writer.js';
import { availableParallelism } from 'node:os';
import { EVENTS_TABLE, FRAMES_TABLE } from './tables.js';
import { batchDigest } from '../replay/digest.js';
import { writeIdentity } from './file-identity.js';
import { DigestLog, type DigestHeader } from '../replay/digest-file.js';
import type { EpochDigest } from '../replay/digest-state.js';

export { ROWS_PER_BATCH_DEFAULT };

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
  uptime_ns: Int64Input;
}

// --- clock sync (issue 11): a row of the sync table (tables.ts SYNC_TABLE)
export interface SyncRow {
  ts_ns: Int64Input;
  vm: number;
  protocol: 'gptp' | 'cantsyn' | 'paravirt';
  exchange: 'sync' | 'pdelay';
  seq: number;
  t1_ns: Int64Input;
  t2_ns: Int64Input;
  t3_ns: Int64Input | null;
  t4_ns: Int64Input | null;
  correction_ns: Int64Input;
  offset_ns: Int64Input | null;
  path_delay_ns: Int64Input | null;
  rate_ratio_ppb: Int64Input;
  state: 'unlocked' | 'step' | 'locked';
  freq_adj_ppb: Int64Input;
  true_offset_ns: Int64Input;
  error_ns: Int64Input;
  uptime_ns: Int64Input | null;
  master_vm: number;
  /** --- CanTSyn ECU slaves (issue 11): the external ECU's name (vm −1); null for a VM */
  ecu: string | null;
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
  /**
   * Write the replay digests (digests.ndjson: one per batch, and the epochs given to
   * appendEpoch) with this header; recordScenario always does (issue 9 §2).
   */
  digests?: DigestHeader;
  /**
   * Told of every batch as it is written, with its digest (replay verifies here). An events
   * batch's columns are views the core reuses: use them before returning.
   */
  onBatch?: (table: TableName, index: number, batch: RecordBatch, digest: string) => void;
  /**
   * A detached recorder only (replay without -o): offered every events batch as the core's
   * columns first; true means the caller verified it from the columns (the replay compared
   * them with the recorded file's bytes, src/replay/recorded-events.ts), so the batch is only
   * counted: no Arrow batch, no digest, no onBatch. False: the batch goes the usual way.
   */
  matchEvents?: (index: number, cols: TraceColumns, count: number) => boolean;
  /** --- frames table (issue 12 §1): matchEvents for the frames ring's batches. */
  matchFrames?: (index: number, cols: FrameColumns, count: number) => boolean;
  /**
   * A detached recorder only: offered every batch of the row tables (dlt, clock, inputs, sync)
   * as its digest, taken from the row buffer (RowBuffer.digest, the digest batchDigest gives
   * the batch); true means the caller matched it with the recording, so the batch is only
   * counted: no Arrow batch is built, no onBatch. False: the batch goes the usual way.
   */
  matchRows?: (table: BufferedTable, index: number, rows: number, digest: string) => boolean;
  /**
   * --- pipeline (issue 10): write, file-hash and digest the events and frames batches on a
   * writer thread (column-file-writer.ts). The files are the same bytes either way; what
   * changes is when a batch is on disk: 'off' (the default here) writes it before appendEvents
   * returns, with the thread up to 3 batches per table are in flight, so a killed run keeps a
   * shorter prefix of whole batches. 'auto' (recordScenario's default): on when files are
   * written, no onBatch needs Arrow batches, and the host has a second core; the environment's
   * TRACEVISOR_WRITER_THREAD=on|off decides 'auto' instead (benchmarks compare the two).
   */
  writerThread?: 'auto' | 'on' | 'off';
  /**
   * The core's digest of the events or frames batch being appended (recordScenario passes the
   * platform's core): written with the batch's digest line (`core`), so a replay can check a
   * batch against it without reading the batch back (src/replay/verify-run.ts).
   */
  columnsDigest?: ColumnsDigester['columnsDigest'];
}

/** What the recorder needs of a table file; a detached recorder (replay) counts only. */
interface BatchWriter {
  writeBatch(batch: RecordBatch): void;
  /** Rows written so far. */
  rows(): number;
  summary(): TableFileSummary;
  close(): TableFileSummary;
  abandon(): void;
}

/** --- pipeline (issue 10): whether events and frames go to a writer thread (RecorderOptions.writerThread). */
function useWriterThread(dir: string | null, options: RecorderOptions): boolean {
  if (dir === null || options.onBatch !== undefined) return false;
  const asked = options.writerThread ?? 'off';
  if (asked !== 'auto') return asked === 'on';
  const env = process.env.TRACEVISOR_WRITER_THREAD;
  if (env === 'on' || env === 'off') return env === 'on';
  // Not load-based (unlike replay's hash thread, whose answer waits at the end): the thread takes
  // the file hash, digests and writev of events and frames off the recording thread; at load
  // 6-10 on the shared 2-core host it neither helped nor hurt measurably (bench platform:
  // 0.98x per round), and with the second core free it overlaps them with the run.
  return availableParallelism() >= 2;
}

const EVENT_COLUMNS = EVENTS_TABLE.columns.map((c) => c.name as keyof TraceColumns);
const FRAME_COLUMNS = FRAMES_TABLE.columns.map((c) => c.name);

/** The core's events columns as rows [0, count) for ColumnFileWriter. */
function eventRows(cols: TraceColumns, count: number): ColumnRows[] {
  return EVENT_COLUMNS.map((name) => {
    const column = cols[name];
    if (column.length < count) throw new Error(`events: column ${name} holds ${column.length} rows, ${count} requested`);
    return { values: column };
  });
}

/** The frames ring's columns as rows [0, count); `data` is binary (offsets + bytes). */
function frameRows(cols: FrameColumns, count: number): ColumnRows[] {
  const byName = cols as unknown as Record<string, ArrayBufferView & { length: number }>;
  return FRAME_COLUMNS.map((name) => {
    if (name === 'data') return { values: cols.data, offsets: cols.offsets };
    const column = byName[name];
    if (column === undefined || column.length < count) throw new Error(`frames: column ${name} missing or short`);
    return { values: column };
  });
}

class CountingWriter implements BatchWriter {
  private rowCount = 0;
  private batches = 0;
  writeBatch(batch: RecordBatch): void {
    this.count(batch.numRows);
  }
  /** A batch of `rows` rows that was never built (RecorderOptions.matchEvents). */
  count(rows: number): void {
    if (rows === 0) return;
    this.rowCount += rows;
    this.batches += 1;
  }
  rows(): number {
    return this.rowCount;
  }
  summary(): TableFileSummary {
    return { rows: this.rowCount, batches: this.batches, bytes: 0, sha256: '0'.repeat(64) };
  }
  close(): TableFileSummary {
    return this.summary();
  }
  abandon(): void {}
}


/** --- pipeline (issue 10): a ColumnFileWriter in the recorder's table list (written through writeColumns). */
function threadedWriter(writer: ColumnFileWriter): BatchWriter {
  return {
    writeBatch: (batch) => {
      if (batch.numRows > 0) throw new Error(`assert: ${writer.path}: Arrow batches go to the threaded writer as columns`);
    },
    rows: () => writer.rows(),
    summary: () => writer.summary(), // before the first batch only (the initial manifest)
    close: () => writer.close(),
    abandon: () => writer.abandon(),
  };
}

export type BufferedTable = Exclude<TableName, 'events' | 'frames'>;
const BUFFERED_TABLES = ['dlt', 'clock', 'inputs', 'sync'] as const;

/** Virtual time the buffered rows of a table may span before they are written (1 s). */
export const FLUSH_SPAN_NS = 1_000_000_000;

export class Recorder {
  private readonly writers: Record<TableName, BatchWriter>;
  /** --- pipeline (issue 10): events and frames on a writer thread (else null: writers[] does them). */
  private readonly threaded: Record<'events' | 'frames', ColumnFileWriter> | null;
  private readonly batchesWritten: Record<TableName, number> = { events: 0, dlt: 0, clock: 0, inputs: 0, sync: 0, frames: 0 };
  private readonly digestLog: DigestLog | null;
  private readonly onBatch: RecorderOptions['onBatch'];
  private readonly columnsDigest: RecorderOptions['columnsDigest'];
  private readonly matchEvents: RecorderOptions['matchEvents'];
  private readonly matchFrames: RecorderOptions['matchFrames'];
  private readonly matchRows: RecorderOptions['matchRows'];
  private readonly buffers: Record<BufferedTable, RowBuffer>;
  private readonly manifest: Manifest;
  /** ts_ns of the first buffered row of each table (meaningless while its buffer is empty). */
  private readonly firstTsNs: Record<BufferedTable, number> = { dlt: 0, clock: 0, inputs: 0, sync: 0 };
  private state: 'open' | 'finished' | 'aborted' = 'open';

  private constructor(
    /** null: a detached recorder (replay without -o) that batches and digests but writes nothing. */
    readonly dir: string | null,
    meta: RecorderMeta,
    rowsPerBatch: number,
    options: RecorderOptions,
  ) {
    const writers = {} as Record<TableName, BatchWriter>;
    const threaded = useWriterThread(dir, options) ? ({} as Record<'events' | 'frames', ColumnFileWriter>) : null;
    try {
      for (const table of TABLE_NAMES) {
        if (threaded !== null && (table === 'events' || table === 'frames')) {
          threaded[table] = new ColumnFileWriter(join(dir!, `${table}.arrow`), table);
          writers[table] = threadedWriter(threaded[table]);
        } else {
          writers[table] = dir === null ? new CountingWriter() : new TableFileWriter(join(dir, `${table}.arrow`), arrowSchema(table));
        }
      }
    } catch (error) {
      // --- pipeline (issue 10): a file that cannot be opened leaves no thread or descriptor behind
      for (const writer of Object.values(writers)) writer.abandon();
      throw error;
    }
    this.threaded = threaded;
    this.writers = writers;
    this.onBatch = options.onBatch;
    this.columnsDigest = options.columnsDigest;
    this.matchEvents = options.matchEvents;
    this.matchFrames = options.matchFrames;
    this.matchRows = options.matchRows;
    this.digestLog = dir !== null && options.digests !== undefined ? new DigestLog(dir, options.digests) : null;
    this.buffers = {
      dlt: new RowBuffer('dlt', rowsPerBatch),
      clock: new RowBuffer('clock', rowsPerBatch),
      inputs: new RowBuffer('inputs', rowsPerBatch),
      sync: new RowBuffer('sync', rowsPerBatch),
    };
    this.manifest = newManifest(meta, this.tableEntries());
    if (dir !== null) writeManifest(dir, this.manifest);
  }

  /** Creates (or replaces) a trace directory and starts recording into it. */
  static create(dir: string, meta: RecorderMeta, options: RecorderOptions = {}): Recorder {
    const rowsPerBatch = options.rowsPerBatch ?? ROWS_PER_BATCH_DEFAULT;
    if (!Number.isInteger(rowsPerBatch) || rowsPerBatch < 1 || rowsPerBatch > 1 << 20) {
      throw new Error(`rowsPerBatch must be an integer in [1, 2^20], got ${rowsPerBatch}`);
    }
    prepareDirectory(dir, options.overwrite === true);
    return new Recorder(dir, meta, rowsPerBatch, options);
  }

  /** A recorder that writes no files: the same batches, digests and onBatch calls (replay). */
  static detached(meta: RecorderMeta, options: RecorderOptions = {}): Recorder {
    return new Recorder(null, meta, options.rowsPerBatch ?? ROWS_PER_BATCH_DEFAULT, options);
  }

  /** --- snapshots (issue 10 §3): a snapshot written under snapshots/, listed at finish. */
  addSnapshot(entry: ManifestSnapshot): void {
    this.assertOpen();
    (this.manifest.snapshots ??= []).push(entry);
  }

  /** One epoch's state digests (the run loop takes them at fixed virtual times). */
  appendEpoch(epoch: EpochDigest): void {
    this.assertOpen();
    this.digestLog?.epoch(epoch);
  }

  /**
   * Writes the first `count` rows of the core's columns as one record batch, without copying
   * them; the bytes are in the file when this returns, so the caller may reuse the columns.
   */
  appendEvents(cols: TraceColumns, count: number): void {
    this.assertOpen();
    if (count === 0) return;
    if (this.threaded !== null) {
      this.writeColumns('events', count, eventRows(cols, count), this.coreDigest('events', count));
    } else if (!this.columnsMatched('events', count, (i) => this.matchEvents?.(i, cols, count) === true)) {
      this.write('events', eventsBatch(cols, count), this.coreDigest('events', count));
    }
    for (const table of BUFFERED_TABLES) this.flush(table);
  }

  /** The caller verified the batch from the columns (options.matchEvents/matchFrames): counted only. */
  private columnsMatched(table: 'events' | 'frames', count: number, match: (index: number) => boolean): boolean {
    const writer = this.writers[table];
    const asked = table === 'events' ? this.matchEvents : this.matchFrames;
    if (asked === undefined || this.digestLog !== null || !(writer instanceof CountingWriter)) return false;
    if (!match(this.batchesWritten[table])) return false;
    this.batchesWritten[table]++;
    writer.count(count);
    return true;
  }

  /**
   * --- frames table (issue 12 §1): the first `count` rows of the core's frames ring as one
   * record batch, without copying (the core reuses the ring when this returns).
   */
  appendFrames(cols: FrameColumns, count: number): void {
    this.assertOpen();
    if (count === 0) return;
    if (this.threaded !== null) return this.writeColumns('frames', count, frameRows(cols, count), this.coreDigest('frames', count));
    if (this.columnsMatched('frames', count, (i) => this.matchFrames?.(i, cols, count) === true)) return;
    this.write('frames', framesBatch(cols, count), this.coreDigest('frames', count));
  }

  appendDlt(row: DltRow): void {
    this.appendRow('dlt', row as unknown as Record<string, unknown>);
  }
  appendClock(row: ClockRow): void {
    this.appendRow('clock', row as unknown as Record<string, unknown>);
  }
  appendSync(row: SyncRow): void {
    this.appendRow('sync', row as unknown as Record<string, unknown>);
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
    this.write(table, batch);
  }

  /** Rows written or buffered so far, per table. */
  rowCounts(): Record<TableName, number> {
    const counts = {} as Record<TableName, number>;
    for (const table of TABLE_NAMES) counts[table] = this.writers[table].rows();
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
    if (this.digestLog !== null) this.manifest.digests = this.digestLog.close();
    if (this.dir !== null) {
      writeManifest(this.dir, this.manifest);
      writeIdentity(this.dir, TABLE_NAMES.map((t) => tables[t]!.file));
    }
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
    this.digestLog?.abandon();
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
    if (!this.rowsMatched(table, buffer)) this.write(table, buffer.toBatch());
    buffer.reset();
  }

  /** The caller matched the buffer's batch by its digest (options.matchRows): counted only. */
  private rowsMatched(table: BufferedTable, buffer: RowBuffer): boolean {
    const writer = this.writers[table];
    if (this.matchRows === undefined || this.digestLog !== null || !(writer instanceof CountingWriter)) return false;
    if (!this.matchRows(table, this.batchesWritten[table], buffer.length, buffer.digest())) return false;
    this.batchesWritten[table]++;
    writer.count(buffer.length);
    return true;
  }

  /** The core's digest of the batch in its columns, for the digest line (RecorderOptions.columnsDigest). */
  private coreDigest(table: 'events' | 'frames', count: number): string | undefined {
    return this.digestLog !== null ? this.columnsDigest?.(table, count) : undefined;
  }

  /** Every batch goes out here: digested (when asked), told to onBatch, then written. */
  private write(table: TableName, batch: RecordBatch, core?: string): void {
    if (batch.numRows === 0) {
      this.writers[table].writeBatch(batch); // nothing written (the writer still checks the schema)
      return;
    }
    const index = this.batchesWritten[table]++;
    if (this.digestLog !== null || this.onBatch !== undefined) {
      const digest = batchDigest(batch);
      this.digestLog?.batch(table, index, { rows: batch.numRows, digest, ...(core !== undefined ? { core } : {}) });
      this.onBatch?.(table, index, batch, digest);
    }
    this.writers[table].writeBatch(batch);
  }

  /** --- pipeline (issue 10): a batch to the writer thread; its digest line keeps its place. */
  private writeColumns(table: 'events' | 'frames', count: number, rows: ColumnRows[], core: string | undefined): void {
    const index = this.batchesWritten[table]++;
    const onDigest = this.digestLog?.batchLater(table, index, count, core);
    this.threaded![table].append(count, rows, onDigest);
    this.threaded![table === 'events' ? 'frames' : 'events'].poll(); // the other table's digests too
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
      throw new TraceError('recorder_closed', `${this.dir ?? '(detached)'}: recorder already ${this.state}`);
    }
  }
}

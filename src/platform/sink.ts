// Where a running platform's output goes. The recorder is one sink; a counting sink measures
// the simulation alone (recording off), and tests can collect rows in memory.

import type { FrameColumns, TraceColumns } from '../core/api.js';
import type { ClockRow, DltRow, InputRow, SyncRow } from '../trace/recorder.js';

export interface PlatformSink {
  /** Event columns drained from the core; the views are reused after this returns. */
  events(cols: TraceColumns, count: number): void;
  /** A guest's log message: the decoded row, and the bytes exactly as the guest wrote them
   *  (a DLT v1 message without storage header, as on a DLT daemon's TCP connection). */
  dlt(row: DltRow, wire: Uint8Array): void;
  clock(row: ClockRow): void;
  /** A clock-sync row (issue 11); sinks without it drop them (none are made without clock.sync). */
  sync?(row: SyncRow): void;
  /** An outside input as it entered the platform (Platform.applyInput): the replay feed. */
  input(row: InputRow): void;
  /**
   * --- frames table (issue 12 §1): frame rows drained from the core's frames ring (views reused
   * after this returns). A sink without it records no frames (the core's ring stays off).
   */
  frames?(cols: FrameColumns, count: number): void;
}

/** Counts rows and keeps nothing: "recording off". */
export class CountingSink implements PlatformSink {
  eventRows = 0;
  dltRows = 0;
  clockRows = 0;
  inputRows = 0;
  syncRows = 0;

  events(_cols: TraceColumns, count: number): void {
    this.eventRows += count;
  }
  dlt(_row: DltRow, _wire: Uint8Array): void {
    this.dltRows++;
  }
  clock(_row: ClockRow): void {
    this.clockRows++;
  }
  input(_row: InputRow): void {
    this.inputRows++;
  }
  sync(_row: SyncRow): void {
    this.syncRows++;
  }
}

// Event rows copied out of the core's columns (the sink's views are reused after each call), for
// tests that reason about a whole run's events.
import type { TraceColumns, TraceRow } from '../src/core/api.js';

/** A core trace row at its time, with its sequence number. */
export interface EventRow extends TraceRow {
  ts: number;
  seq: number;
}

/** Appends the first `count` rows of the columns to `into`. */
export function copyEventRows(cols: TraceColumns, count: number, into: EventRow[]): void {
  for (let i = 0; i < count; i++) {
    into.push({
      ts: Number(cols.ts_ns[i]), seq: Number(cols.seq[i]), vm: cols.vm[i]!, vcpu: cols.vcpu[i]!,
      kind: cols.kind[i]!, dev: cols.dev[i]!, queue: cols.queue[i]!, id: Number(cols.id[i]),
      len: cols.len[i]!, val: Number(cols.val[i]),
    });
  }
}

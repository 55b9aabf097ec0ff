// `tracevisor export perfetto`: a trace's tables as a Perfetto timeline (protobuf, or Chrome
// JSON). The trace goes through the checked door first (src/trace/open.ts: verify by default,
// the same one-line errors as `query`; trust / salvage on request), then its tables are read
// batch by batch, merged in time order and handed to the timeline (timeline.ts); the output is
// written in chunks, one counter interval at a time. Memory: one record batch per table and
// what the timeline holds open, whatever the trace's length.

import type { RecordBatch } from 'apache-arrow';
import { openCheckedTrace, type CheckedTrace, type ReadMode } from '../../trace/open.js';
import { scenarioSchema } from '../../scenario/schema.js';
import { deviceEntries, vmEntries } from '../../scenario/topology.js';
import { FileOut } from './file-out.js';
import { JsonSink } from './json-sink.js';
import { ProtoSink } from './proto-sink.js';
import type { TimelineSink } from './sink.js';
import { Timeline, type ClockRow, type DltRow, type EventColumns, type TimelineCounts } from './timeline.js';
import type { FrameRow } from './bridged-flows.js';
import type { Topology } from './tracks.js';

export type PerfettoFormat = 'proto' | 'json';

export interface PerfettoExportOptions {
  format: PerfettoFormat;
  mode: ReadMode;
  /** Where warnings go (the trace's trust/salvage notes, the JSON size warning). */
  warn: (message: string) => void;
  /** Called after each events batch with the events rows read so far (the CLI's progress bar). */
  onRows?: (rows: number) => void;
}

export interface PerfettoExportResult extends TimelineCounts {
  format: PerfettoFormat;
  bytes: number;
}

export function exportPerfettoFile(traceDir: string, outPath: string, options: PerfettoExportOptions): PerfettoExportResult {
  const checked = openCheckedTrace(traceDir, options.mode);
  for (const w of checked.warnings) options.warn(w);
  const out = new FileOut(outPath);
  try {
    const sink: TimelineSink = options.format === 'json' ? new JsonSink(out, options.warn) : new ProtoSink(out);
    const frames = new FrameCursor(checked.batches('frames'));
    const timeline = new Timeline(sink, topologyOf(checked.trace.manifest.scenario), (seq, tsNs) => frames.find(seq, tsNs));
    const counts = writeTimeline(checked, timeline, options.onRows);
    const bytes = sink.close();
    out.commit();
    return { format: options.format, bytes, ...counts };
  } catch (error) {
    out.abandon();
    throw error;
  }
}

/** VM and device names from the manifest's scenario; none for a trace without one (imports). */
export function topologyOf(scenario: unknown): Topology {
  const parsed = scenarioSchema.safeParse(scenario);
  if (!parsed.success) return { vms: [], devices: [], canBuses: [] };
  return { vms: vmEntries(parsed.data), devices: deviceEntries(parsed.data), canBuses: parsed.data.canBuses.map((b) => b.name) };
}

/** The three tables merged by ts_ns (events first on a tie). */
function writeTimeline(checked: CheckedTrace, timeline: Timeline, onRows?: (rows: number) => void): TimelineCounts {
  const events = new EventCursor(counted(checked.batches('events'), onRows));
  const dlt = new RowCursor(checked.batches('dlt'), dltRow);
  const clock = new RowCursor(checked.batches('clock'), clockRow);
  for (;;) {
    const otherNs = Math.min(dlt.tsNs, clock.tsNs);
    while (events.valid && events.tsNs <= otherNs) {
      timeline.event(events.columns, events.index);
      events.next();
    }
    if (otherNs === Infinity) {
      if (!events.valid) break;
      continue;
    }
    if (dlt.tsNs <= clock.tsNs) timeline.dlt(dlt.take()); else timeline.clock(clock.take());
  }
  return timeline.finish();
}

/** The batches as they are, reporting the rows passed on so far. */
function* counted(batches: Generator<RecordBatch>, onRows?: (rows: number) => void): Generator<RecordBatch> {
  let rows = 0;
  for (const batch of batches) {
    yield batch;
    rows += batch.numRows;
    onRows?.(rows);
  }
}

class EventCursor {
  columns!: EventColumns;
  index = 0;
  valid = false;
  tsNs = Infinity;
  private rows = 0;

  constructor(private readonly batches: Generator<RecordBatch>) {
    this.load();
  }

  next(): void {
    this.index += 1;
    if (this.index < this.rows) this.tsNs = Number(this.columns.ts_ns[this.index]);
    else this.load();
  }

  private load(): void {
    for (;;) {
      const step = this.batches.next();
      if (step.done === true) {
        this.valid = false;
        this.tsNs = Infinity;
        return;
      }
      if (step.value.numRows === 0) continue;
      this.columns = eventColumns(step.value);
      this.rows = step.value.numRows;
      this.index = 0;
      this.valid = true;
      this.tsNs = Number(this.columns.ts_ns[0]);
      return;
    }
  }
}

function eventColumns(batch: RecordBatch): EventColumns {
  const col = <T>(name: string): T => {
    const data = batch.getChild(name)!.data[0]!;
    const values = data.values as unknown as { subarray(a: number, b: number): T };
    return values.subarray(data.offset, data.offset + data.length);
  };
  return {
    ts_ns: col('ts_ns'), seq: col('seq'), vm: col('vm'), vcpu: col('vcpu'), kind: col('kind'), dev: col('dev'),
    queue: col('queue'), id: col('id'), len: col('len'), val: col('val'),
  };
}

/**
 * The frames table read alongside the events: a frame's row has its link_tx or can_tx event's
 * ts_ns and seq, and both tables are in (ts_ns, seq) order, so the rows of one instant are
 * held until time moves on. Memory: one batch and one instant's rows.
 */
class FrameCursor {
  private batch: RecordBatch | null = null;
  private index = 0;
  private readonly heldRows: { seq: bigint; row: FrameRow }[] = [];
  private heldNs = -1;
  private done = false;

  constructor(private readonly batches: Generator<RecordBatch>) {}

  find(seq: bigint, tsNs: number): FrameRow | null {
    if (tsNs !== this.heldNs) {
      this.heldRows.length = 0;
      this.heldNs = tsNs;
    }
    const held = this.heldRows.find((r) => r.seq === seq);
    if (held !== undefined) return held.row;
    for (;;) {
      if (!this.ready()) return null;
      const ts = Number(this.batch!.getChild('ts_ns')!.get(this.index) as bigint);
      if (ts > tsNs) return null;
      const i = this.index++;
      if (ts < tsNs) continue;
      const rowSeq = this.batch!.getChild('seq')!.get(i) as bigint;
      const row = { dir: this.batch!.getChild('dir')!.get(i) as FrameRow['dir'], data: this.batch!.getChild('data')!.get(i) as Uint8Array };
      this.heldRows.push({ seq: rowSeq, row });
      if (rowSeq === seq) return row;
    }
  }

  private ready(): boolean {
    while (!this.done && (this.batch === null || this.index >= this.batch.numRows)) {
      const step = this.batches.next();
      if (step.done === true) this.done = true;
      else {
        this.batch = step.value;
        this.index = 0;
      }
    }
    return !this.done;
  }
}

/** Rows of a small table as objects, one batch at a time. */
class RowCursor<T extends { tsNs: number }> {
  tsNs = Infinity;
  private batch: RecordBatch | null = null;
  private index = 0;
  private row: T | null = null;

  constructor(
    private readonly batches: Generator<RecordBatch>,
    private readonly read: (batch: RecordBatch, i: number) => T,
  ) {
    this.advance();
  }

  take(): T {
    const row = this.row!;
    this.advance();
    return row;
  }

  private advance(): void {
    while (this.batch === null || this.index >= this.batch.numRows) {
      const step = this.batches.next();
      if (step.done === true) {
        this.row = null;
        this.tsNs = Infinity;
        return;
      }
      this.batch = step.value;
      this.index = 0;
    }
    this.row = this.read(this.batch, this.index++);
    this.tsNs = this.row.tsNs;
  }
}

function dltRow(batch: RecordBatch, i: number): DltRow {
  const get = (name: string): unknown => batch.getChild(name)!.get(i);
  return {
    tsNs: Number(get('ts_ns') as bigint),
    vm: get('vm') as number,
    ecu: get('ecu') as string,
    apid: (get('apid') as string | null) ?? null,
    ctid: (get('ctid') as string | null) ?? null,
    level: (get('level') as string | null) ?? null,
    payload: get('payload') as string,
  };
}

function clockRow(batch: RecordBatch, i: number): ClockRow {
  const get = (name: string): unknown => batch.getChild(name)!.get(i);
  return { tsNs: Number(get('ts_ns') as bigint), vm: get('vm') as number, offsetNs: Number(get('offset_ns') as bigint) };
}

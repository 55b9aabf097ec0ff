// A recorded batch's columns as the core holds them after the same run (fresh typed arrays), for
// tests that feed recorded batches back through replay's column comparisons.
import type { RecordBatch } from 'apache-arrow';
import type { FrameColumns, TraceColumns } from '../../src/core/api.js';
import { EVENTS_TABLE, FRAMES_TABLE } from '../../src/trace/schema.js';

/** An events batch's columns as fresh arrays. */
export function columnsOf(batch: RecordBatch): TraceColumns {
  const cols = {} as Record<string, unknown>;
  for (const c of EVENTS_TABLE.columns) cols[c.name] = (batch.getChild(c.name)!.data[0]!.values as Int16Array).slice(0, batch.numRows);
  return cols as unknown as TraceColumns;
}

/** A frames batch's columns as the core's ring holds them: typed columns, offsets from 0 and the bytes. */
export function frameColumnsOf(batch: RecordBatch): FrameColumns {
  const cols: Record<string, unknown> = {};
  for (const spec of FRAMES_TABLE.columns) {
    const data = batch.getChild(spec.name)!.data[0]!;
    if (spec.name !== 'data') {
      cols[spec.name] = (data.values as Int16Array).slice(0, batch.numRows);
      continue;
    }
    const offsets = (data.valueOffsets as Int32Array).slice(0, batch.numRows + 1);
    cols.offsets = offsets.map((o) => o - offsets[0]!);
    cols.data = (data.values as Uint8Array).slice(offsets[0], offsets[batch.numRows]);
  }
  return cols as unknown as FrameColumns;
}

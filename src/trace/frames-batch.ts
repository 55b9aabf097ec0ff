// The `frames` table (issue 12 §1) leaves the core as the frames ring's columns in WASM linear
// memory, laid out as Arrow's own buffers (the binary `data` column as i32 offsets + bytes).
// Each becomes an Arrow vector over a view of that memory, as events-batch.ts does for the
// events: no copy between the core and the file. The views are valid until the core reuses
// the ring, so the recorder writes the batch before returning.

import { makeData, RecordBatch, Struct, type Data } from 'apache-arrow';
import type { FrameColumns } from '../core/api.js';
import { arrowSchema, dictionaryVector, FRAMES_TABLE } from './schema.js';

const schema = arrowSchema('frames');
const structType = new Struct(schema.fields);
const dictionaries = new Map(
  FRAMES_TABLE.columns.filter((c) => c.kind === 'enum').map((c) => [c.name, dictionaryVector(c)]),
);
const makeAnyData = makeData as unknown as (props: Readonly<Record<string, unknown>>) => Data;

/** Wraps the first `count` rows of the ring's columns as one record batch, sharing their memory. */
export function framesBatch(cols: FrameColumns, count: number): RecordBatch {
  if (!Number.isInteger(count) || count < 0) throw new Error(`frames: bad row count ${count}`);
  if (cols.offsets.length < count + 1) throw new Error(`frames: ${cols.offsets.length} offsets for ${count} rows`);
  const children = FRAMES_TABLE.columns.map((spec, i) => {
    const type = schema.fields[i]!.type;
    if (spec.name === 'data') {
      const end = cols.offsets[count]!;
      const valueOffsets = cols.offsets.subarray(0, count + 1);
      return makeAnyData({ type, length: count, nullCount: 0, valueOffsets, data: cols.data.subarray(0, end) });
    }
    const column = (cols as unknown as Record<string, ArrayLike<unknown> & { subarray(a: number, b: number): unknown }>)[spec.name];
    if (column === undefined) throw new Error(`frames: column ${spec.name} missing`);
    if (column.length < count) throw new Error(`frames: column ${spec.name} holds ${column.length} rows, ${count} requested`);
    const data = column.subarray(0, count);
    const dictionary = dictionaries.get(spec.name);
    if (dictionary !== undefined) return makeAnyData({ type, length: count, nullCount: 0, data, dictionary });
    return makeAnyData({ type, length: count, nullCount: 0, data });
  });
  const data = makeData({ type: structType, length: count, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

/** A deep copy of the first `count` rows (a sink that keeps batches past the drain). */
export function copyFrameColumns(cols: FrameColumns, count: number): FrameColumns {
  const end = cols.offsets[count]!;
  const out = {} as Record<string, unknown>;
  for (const [name, column] of Object.entries(cols) as [string, Int32Array][]) {
    if (name === 'offsets') out[name] = column.slice(0, count + 1);
    else if (name === 'data') out[name] = column.slice(0, end);
    else out[name] = column.slice(0, count);
  }
  return out as unknown as FrameColumns;
}

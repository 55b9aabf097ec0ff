// The `events` table leaves the core as struct-of-arrays columns in WASM linear memory. Each
// column becomes an Arrow vector over a subarray *view* of that memory: no copy between the
// core and the file (principle 5). The views are only valid until the core reuses its columns,
// which is why the recorder writes the batch before returning.

import { makeData, RecordBatch, Struct, type Data } from 'apache-arrow';
import type { TraceColumns } from '../core/api.js';
import { arrowSchema, dictionaryVector, EVENTS_TABLE } from './schema.js';

const schema = arrowSchema('events');
const structType = new Struct(schema.fields);
const kindDictionary = dictionaryVector(EVENTS_TABLE.columns.find((c) => c.name === 'kind')!);
const columnNames = EVENTS_TABLE.columns.map((c) => c.name as keyof TraceColumns);
const makeAnyData = makeData as unknown as (props: Readonly<Record<string, unknown>>) => Data;

/** Wraps the first `count` rows of the columns as one record batch, sharing their memory. */
export function eventsBatch(cols: TraceColumns, count: number): RecordBatch {
  if (!Number.isInteger(count) || count < 0) throw new Error(`events: bad row count ${count}`);
  const children = columnNames.map((name, i) => {
    const column = cols[name];
    if (column === undefined) throw new Error(`events: column ${name} missing`);
    if (column.length < count) {
      throw new Error(`events: column ${name} holds ${column.length} rows, ${count} requested`);
    }
    const type = schema.fields[i]!.type;
    const data = column.subarray(0, count);
    if (name === 'kind') {
      return makeAnyData({ type, length: count, nullCount: 0, data, dictionary: kindDictionary });
    }
    return makeAnyData({ type, length: count, nullCount: 0, data });
  });
  const data = makeData({ type: structType, length: count, nullCount: 0, children });
  return new RecordBatch(schema, data);
}

// A table's record batch over column Data the caller has made whole (every child `rows` long):
// the trace's readers (validate.ts, each batch read back) and row buffers (row-buffer.ts, each
// batch of the small tables) build theirs here, without apache-arrow's RecordBatch constructor.

import { Data, RecordBatch, Struct, type Schema } from 'apache-arrow';
import { arrowSchema, type TableName } from './schema.js';

/** What makeData gives a column without a validity bitmap: an empty one (never written to). */
export const NO_BITMAP = new Uint8Array(0);

const structTypes = new Map<TableName, Struct>();

/** The Struct type of a table's batches' data, made once per table. */
function structOf(table: TableName, schema: Schema): Struct {
  let struct = structTypes.get(table);
  if (struct === undefined) {
    struct = new Struct(schema.fields);
    structTypes.set(table, struct);
  }
  return struct;
}

/**
 * The batch of `table` whose columns are `children`, each exactly `rows` long (the caller's
 * guarantee: validate.ts checks each field node's length and makes each child of `rows` values;
 * a RowBuffer makes each of its count). Made without RecordBatch's constructor, whose
 * ensureSameLengthData clones the schema and every field of it per batch (Schema.assign, with
 * new metadata Maps): a quarter of the time walking the small tables took (600 s cockpit: 2055
 * batches of dlt, clock and sync; ~60 µs a batch warm, more cold), and most of a row buffer's
 * ~220 µs per batch in a replay. What the constructor checks holds by that guarantee, so the
 * batch is the one it would make: the table's schema, this data (what makeData makes of a
 * struct without NULLs), no metadata.
 */
export function tableBatch(table: TableName, rows: number, children: Data[]): RecordBatch {
  const schema = arrowSchema(table);
  const data = new Data(structOf(table, schema), 0, rows, 0, [undefined, undefined, NO_BITMAP], children);
  const batch = Object.create(RecordBatch.prototype) as { schema: Schema; data: Data<Struct>; _metadata: Map<string, string> };
  batch.schema = schema;
  batch.data = data;
  batch._metadata = new Map();
  return batch as unknown as RecordBatch;
}

// The `inputs` rows of a recording as the run loop feeds them back (replay and time travel):
// every intact batch, in file order; recordedFeed (run-loop.ts) orders them by (ts_ns, seq).

import type { RecordBatch } from 'apache-arrow';
import type { InputRow } from '../trace/recorder.js';

export function inputRowsOf(batches: Iterable<RecordBatch>): InputRow[] {
  const rows: InputRow[] = [];
  for (const batch of batches) {
    for (const row of batch) rows.push(row!.toJSON() as unknown as InputRow);
  }
  return rows;
}

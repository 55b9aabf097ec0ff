// The last `seq` of every record batch of a recorded events or frames file, read without
// decoding any batch: the framing is walked (bodies skipped by their framed lengths) and only
// the 8 bytes of each batch's last seq value are read (Arrow columnar format: a fixed-width
// column without NULLs is its validity buffer, empty, and its values buffer). replay --from
// uses it to find the batch where a snapshot's moment falls without reading what comes before.

import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { FileCursor, nextFrame } from '../trace/framing.js';
import { TABLES, type TableName } from '../trace/tables.js';

const SEQ_BYTES = 8;

/** Index of the seq column's values buffer among a batch's buffers (binary columns have 3). */
function seqValuesBuffer(table: TableName): number {
  let buffers = 0;
  for (const column of TABLES[table].columns) {
    if (column.name === 'seq') return buffers + 1;
    buffers += column.kind === 'binary' || column.kind === 'utf8' ? 3 : 2;
  }
  throw new Error(`assert: ${table} has no seq column`);
}

/**
 * The last seq of each record batch in file order, or null when the file does not frame as
 * expected (the caller then reads the batches the slow way, which names the damage).
 */
export function lastSeqOfBatches(path: string, table: TableName): bigint[] | null {
  const cursor = new FileCursor(path, false);
  const header = new FbRecordBatch();
  const seqBuffer = seqValuesBuffer(table);
  const seqs: bigint[] = [];
  try {
    for (;;) {
      const frame = nextFrame(cursor);
      if (frame.kind === 'eos' || frame.kind === 'end') return seqs;
      if (frame.kind !== 'message') return null;
      const bodyStart = cursor.position;
      if (frame.message.headerType() === MessageHeader.RecordBatch) {
        const batch = frame.message.header(header) as FbRecordBatch | null;
        const rows = batch === null ? 0 : Number(batch.length());
        const values = batch?.buffers(seqBuffer);
        if (rows === 0 || values == null || batch!.nodes(0)?.nullCount() !== 0n) return null;
        const at = Number(values.offset()) + (rows - 1) * SEQ_BYTES;
        if (at + SEQ_BYTES > frame.bodyBytes) return null;
        cursor.skip(at);
        const bytes = cursor.read(SEQ_BYTES);
        if (bytes === null) return null;
        seqs.push(new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(0, true));
      }
      cursor.skip(bodyStart + frame.bodyBytes - cursor.position);
    }
  } catch {
    return null;
  } finally {
    cursor.close();
  }
}

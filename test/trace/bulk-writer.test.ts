// BulkTraceWriter (the import's trace writer: our own Arrow IPC encoder, writing on a second
// thread) against the Recorder (apache-arrow's writer): the same column buffers must give the
// same bytes in every table file and the same manifest entries. And the writer thread's
// failures and back-pressure.
import { createHash } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeData, RecordBatch, Struct, type Data } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import type { DltMessage } from '../../src/formats/dlt/index.js';
import { DltParser, encodeMessages } from '../../src/formats/dlt/index.js';
import { DltBatchBuilder } from '../../src/formats/dlt/import-batch.js';
import { BulkTraceWriter } from '../../src/trace/bulk-writer.js';
import type { ColumnBuffers } from '../../src/trace/ipc-encode.js';
import { Recorder, TABLE_NAMES, Trace } from '../../src/trace/index.js';
import { arrowSchema, dictionaryVector, TABLES } from '../../src/trace/schema.js';
import { ThreadedFileWriter } from '../../src/trace/threaded-writer.js';
import { META, tempDir } from './helpers.js';

const FIXTURE = join(import.meta.dirname, '..', 'dlt', 'fixtures', 'libdlt-all-types.dlt');

/** The same columns as an apache-arrow RecordBatch (what the import built before it had its own encoder). */
function toRecordBatch(length: number, columns: ColumnBuffers[]): RecordBatch {
  const schema = arrowSchema('dlt');
  const make = makeData as unknown as (props: Record<string, unknown>) => Data;
  const children = columns.map((c, k) => {
    const spec = TABLES.dlt.columns[k]!;
    const props: Record<string, unknown> = {
      type: schema.fields[k]!.type, length, nullCount: c.nullCount, nullBitmap: c.validity, data: c.values,
    };
    if (c.offsets !== undefined) props.valueOffsets = c.offsets;
    if (spec.kind === 'enum') props.dictionary = dictionaryVector(spec);
    return make(props);
  });
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
}

/** Messages with NULLs in every nullable column: no extended header, no session, a reserved type. */
function oddMessages(): DltMessage[] {
  const storage = { seconds: 1_700_000_000, microseconds: 5, ecu: 'STOR' };
  const base = { storage, ecu: 'ECUX', counter: 9, bigEndian: true, payload: Uint8Array.of(1, 2, 3, 4, 5) };
  return [
    { ...base },
    { ...base, sessionId: 77, timestamp: 1234 },
    { ...base, extended: { verbose: false, type: 5, subtype: 3, apid: 'AP', ctid: 'C\u00e9', noar: 0 } },
  ];
}

/**
 * Fills a builder batch by batch from the messages and hands each batch to `take`. With
 * `shared`, the builder's memory is SharedArrayBuffers (as in the import) and `take` returns
 * what to wait for before the builder is refilled.
 */
function batchesOf(
  bytes: Uint8Array, capacity: number, take: (length: number, columns: ColumnBuffers[]) => (() => void) | void,
  shared = false,
): number {
  const parser = DltParser.over(bytes, { framing: 'storage' });
  const builder = shared ? new DltBatchBuilder(capacity, (n) => new SharedArrayBuffer(n)) : new DltBatchBuilder(capacity);
  let batches = 0;
  for (let f = parser.next(); f !== null; f = parser.next()) {
    builder.add(f, batches);
    if (builder.full) {
      const wait = take(builder.length, builder.columns());
      if (wait) wait();
      builder.reset();
      batches++;
    }
  }
  if (builder.length > 0) {
    take(builder.length, builder.columns());
    batches++;
  }
  return batches;
}

function inputBytes(): Uint8Array {
  const fixture = readFileSync(FIXTURE);
  const odd = encodeMessages(oddMessages(), { storageHeader: true });
  const all = new Uint8Array(fixture.length * 2 + odd.length);
  all.set(fixture, 0);
  all.set(odd, fixture.length);
  all.set(fixture, fixture.length + odd.length);
  return all;
}

describe('BulkTraceWriter', () => {
  it.each([false, true])('writes the bytes apache-arrow writes through the Recorder, table by table (shared memory: %s)', (shared) => {
    const bytes = inputBytes();
    const ours = tempDir();
    const theirs = tempDir();
    const bulk = BulkTraceWriter.create(ours, 'dlt', META);
    const recorder = Recorder.create(theirs, META);
    const n1 = batchesOf(bytes, 7, (length, columns) => {
      const ticket = bulk.appendBatch(length, columns);
      return () => bulk.waitWritten(ticket);
    }, shared);
    const n2 = batchesOf(bytes, 7, (length, columns) => recorder.appendBatch('dlt', toRecordBatch(length, columns)));
    expect(n1).toBe(n2);
    expect(n1).toBeGreaterThan(3);
    const a = bulk.finish();
    const b = recorder.finish();
    for (const table of TABLE_NAMES) {
      expect(readFileSync(join(ours, `${table}.arrow`)), table).toEqual(readFileSync(join(theirs, `${table}.arrow`)));
    }
    expect(a.tables).toEqual(b.tables);
    expect(a.tables.dlt!.batches).toBe(n1);
    // and the reader takes it, NULLs included
    const rows = Trace.open(ours).read('dlt').batches.flatMap((batch) => batch.toArray());
    expect(rows.length).toBe(a.tables.dlt!.rows);
    expect(rows.some((r) => r.apid === null && r.type === null && r.session_id === null)).toBe(true);
  });

  it('an empty table is the Recorder\'s empty stream too', () => {
    const ours = tempDir();
    const theirs = tempDir();
    const a = BulkTraceWriter.create(ours, 'dlt', META).finish();
    const b = Recorder.create(theirs, META).finish();
    for (const table of TABLE_NAMES) {
      expect(readFileSync(join(ours, `${table}.arrow`))).toEqual(readFileSync(join(theirs, `${table}.arrow`)));
    }
    expect(a.tables).toEqual(b.tables);
  });

  it('a killed import leaves a complete:false manifest and a readable prefix', () => {
    const dir = tempDir();
    const bulk = BulkTraceWriter.create(dir, 'dlt', META);
    batchesOf(inputBytes(), 5, (length, columns) => {
      const ticket = bulk.appendBatch(length, columns);
      return () => bulk.waitWritten(ticket);
    }, true);
    bulk.abort();
    const trace = Trace.open(dir);
    expect(trace.manifest.complete).toBe(false);
    const { scan } = trace.read('dlt');
    expect(scan.eos).toBe(false);
    expect(scan.rowsRecovered).toBeGreaterThan(0);
  });
});

describe('ThreadedFileWriter', () => {
  it('keeps order and hashes every byte; shared parts are written from where they are', () => {
    const dir = tempDir();
    const path = join(dir, 'out.bin');
    const writer = new ThreadedFileWriter(path, openSync(path, 'w'));
    const hash = createHash('sha256');
    const expected: Uint8Array[] = [];
    const shared = [new Uint8Array(new SharedArrayBuffer(64 * 1024)), new Uint8Array(new SharedArrayBuffer(64 * 1024))];
    const tickets = [0, 0];
    for (let i = 0; i < 40; i++) {
      const k = i % 2;
      writer.waitWritten(tickets[k]!); // the buffer's previous job is out: refill it
      const size = 1000 + i * 977;
      const part = shared[k]!.subarray(0, size);
      for (let b = 0; b < size; b++) part[b] = (i * 31 + b) & 0xff;
      const copied = Uint8Array.of(i, 0xee); // an ordinary buffer: copied when posted
      tickets[k] = writer.write([part, copied]);
      copied[0] = 0xff; // must not reach the file
      expected.push(part.slice(), Uint8Array.of(i, 0xee));
    }
    for (const part of expected) hash.update(part);
    const summary = writer.finish();
    const file = readFileSync(path);
    expect(summary.bytes).toBe(file.length);
    expect(summary.sha256).toBe(hash.digest('hex'));
    expect(Buffer.compare(file, Buffer.concat(expected))).toBe(0);
  });

  it('a failing disk (ENOSPC on /dev/full) is thrown to the producer with its code', () => {
    const writer = new ThreadedFileWriter('/dev/full', openSync('/dev/full', 'w'));
    let caught: NodeJS.ErrnoException | null = null;
    try {
      for (let i = 0; i < 100; i++) writer.waitWritten(writer.writeBytes(new Uint8Array(1 << 20)));
      writer.finish();
    } catch (error) {
      caught = error as NodeJS.ErrnoException;
    }
    expect(caught?.code).toBe('ENOSPC');
    expect(caught?.syscall).toBe('write');
    writer.abandon(); // after a failure: nothing more to do, and no throw
  });
});

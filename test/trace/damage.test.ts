import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCheckedTrace, Recorder, Trace, verify } from '../../src/trace/index.js';
import { META, eventColumns, tempDir } from './helpers.js';

/** Records events in three batches of 5, 7 and 11 rows; returns dir and file sizes after each. */
function threeBatches(finish = true): { dir: string; sizes: number[] } {
  const dir = tempDir();
  const rec = Recorder.create(dir, META);
  const path = join(dir, 'events.arrow');
  const sizes = [statSync(path).size]; // schema only
  let ts = 0;
  for (const n of [5, 7, 11]) {
    const cols = eventColumns(
      Array.from({ length: n }, () => ({ ts: ts++, kind: 'vq_used' as const, val: ts })),
    );
    rec.appendEvents(cols, n);
    sizes.push(statSync(path).size); // bytes are on disk when append returns
  }
  if (finish) rec.finish();
  return { dir, sizes };
}

const tsOf = (dir: string): bigint[] =>
  Trace.open(dir)
    .read('events')
    .batches.flatMap((b) => [...b.getChild('ts_ns')!]) as bigint[];

describe('damaged and truncated tables', () => {
  it('a file cut mid-batch yields the intact batches and says so', () => {
    const { dir, sizes } = threeBatches();
    const path = join(dir, 'events.arrow');
    // Cut in the middle of the third batch's bytes.
    truncateSync(path, Math.floor((sizes[2]! + sizes[3]!) / 2));
    const { batches, scan } = Trace.open(dir).read('events');
    expect(batches.map((b) => b.numRows)).toEqual([5, 7]);
    expect(scan).toMatchObject({ truncated: true, eos: false, rowsRecovered: 12, batches: 2 });
    expect(scan.bytesValid).toBe(sizes[2]);
    expect(tsOf(dir)).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i)));
  });

  it('every cut point inside the file recovers exactly the batches before it', () => {
    const { dir, sizes } = threeBatches();
    const path = join(dir, 'events.arrow');
    const original = readFileSync(path);
    const rowsBefore = [0, 5, 12, 23];
    for (let cut = 0; cut < original.length; cut += 13) {
      writeFileSync(path, original.subarray(0, cut));
      const complete = sizes.filter((s) => s <= cut).length - 1; // batches fully inside
      const scan = Trace.open(dir).scan('events');
      const expectedRows = rowsBefore[Math.max(0, complete)]!;
      expect(scan.rowsRecovered, `cut at ${cut}`).toBe(expectedRows);
      const rows = Trace.open(dir).read('events').batches.reduce((n, b) => n + b.numRows, 0);
      expect(rows, `cut at ${cut}`).toBe(expectedRows);
    }
  });

  it('a recorder killed between batches leaves every batch readable, no end marker', () => {
    const { dir } = threeBatches(false); // never finished: like a kill after the last append
    const trace = Trace.open(dir);
    expect(trace.manifest.complete).toBe(false);
    const { batches, scan } = trace.read('events');
    expect(batches.map((b) => b.numRows)).toEqual([5, 7, 11]);
    expect(scan).toMatchObject({ truncated: true, eos: false, rowsRecovered: 23, damage: null });
  });

  it('an absurd message length is damage, without a hang or a huge allocation', () => {
    const { dir, sizes } = threeBatches();
    const path = join(dir, 'events.arrow');
    const bytes = readFileSync(path);
    // The second batch message starts at sizes[1]: 0xFFFFFFFF then its int32 metadata length.
    bytes.writeInt32LE(0x7ffffff0, sizes[1]! + 4);
    writeFileSync(path, bytes);
    const scan = Trace.open(dir).scan('events');
    expect(scan.damage).toMatch(/bad message length 2147483632 at byte \d+/);
    expect(scan).toMatchObject({ truncated: true, rowsRecovered: 5 });
    // Reading refuses (never a silent short answer); --salvage keeps the first batch.
    expect(() => Trace.open(dir).read('events')).toThrow(/bad message length 2147483632 at byte \d+; use --salvage$/);
    const salvaged = openCheckedTrace(dir, 'salvage');
    expect([...salvaged.batches('events')].map((b) => b.numRows)).toEqual([5]);
  });

  it('verify() accepts an intact trace and names a flipped byte and a truncation', () => {
    const { dir, sizes } = threeBatches();
    expect(verify(dir)).toMatchObject({ ok: true, complete: true, problems: [] });

    const path = join(dir, 'events.arrow');
    const bytes = readFileSync(path);
    bytes[sizes[3]! - 1] = bytes[sizes[3]! - 1]! ^ 0xff; // last body byte of the third batch
    writeFileSync(path, bytes);
    const flipped = verify(dir);
    expect(flipped.ok).toBe(false);
    expect(flipped.problems).toEqual(['events: content hash differs from the manifest']);

    truncateSync(path, sizes[2]! + 3);
    const cut = verify(dir);
    expect(cut.problems).toEqual([
      `events: file ends inside a message header at byte ${sizes[2]}`,
      'events: 12 rows usable in the file, manifest says 23',
      'events: content hash differs from the manifest',
    ]);
    expect(cut.tables.find((t) => t.table === 'dlt')!.ok).toBe(true);
  });

  it('verify() reports an unfinished recording', () => {
    const { dir } = threeBatches(false);
    const result = verify(dir);
    expect(result.ok).toBe(false);
    expect(result.complete).toBe(false);
    expect(result.problems[0]).toBe('the recording did not finish (manifest incomplete)');
  });
});

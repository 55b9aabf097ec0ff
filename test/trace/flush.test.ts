// The recorder's flush policy for the row-buffered tables: rows reach the file when an events
// batch is written, when they span 1 s of virtual time, or at rowsPerBatch — decided by the
// data alone, so the bytes stay a function of the run (the determinism tests compare them).
import { describe, expect, it } from 'vitest';
import { FLUSH_SPAN_NS, Recorder, scanTableFile } from '../../src/trace/index.js';
import { META, dltRow, eventColumns, tempDir } from './helpers.js';
import { tablePath } from './damage-helpers.js';

const clockRow = (ts: number) => ({ ts_ns: ts, vm: 0, local_ns: ts, offset_ns: 0, drift_ppb: 0, steal_ns: 0, uptime_ns: ts });
const onDisk = (dir: string, table: 'dlt' | 'clock') => scanTableFile(table, tablePath(dir, table)).rowsRecovered;

describe('flushing the buffered tables', () => {
  it('an events batch takes the buffered dlt and clock rows to the file with it', () => {
    const dir = tempDir();
    const rec = Recorder.create(dir, META);
    rec.appendDlt(dltRow({ ts_ns: 1, payload: 'a' }));
    rec.appendDlt(dltRow({ ts_ns: 2, payload: 'b' }));
    rec.appendClock(clockRow(1));
    expect([onDisk(dir, 'dlt'), onDisk(dir, 'clock')]).toEqual([0, 0]);
    rec.appendEvents(eventColumns([{ ts: 3, kind: 'vq_used' }]), 1);
    expect([onDisk(dir, 'dlt'), onDisk(dir, 'clock')]).toEqual([2, 1]);
    rec.abort();
  });

  it('rows spanning 1 s of virtual time are written without waiting for a full batch', () => {
    const dir = tempDir();
    const rec = Recorder.create(dir, META);
    rec.appendClock(clockRow(0));
    rec.appendClock(clockRow(FLUSH_SPAN_NS / 2));
    expect(onDisk(dir, 'clock')).toBe(0);
    rec.appendClock(clockRow(FLUSH_SPAN_NS)); // 1 s after the first buffered row
    expect(onDisk(dir, 'clock')).toBe(3);
    rec.appendClock(clockRow(FLUSH_SPAN_NS + 1));
    rec.appendClock(clockRow(2 * FLUSH_SPAN_NS)); // 1 s − 1 ns after the new first row
    expect(onDisk(dir, 'clock')).toBe(3);
    rec.appendClock(clockRow(2 * FLUSH_SPAN_NS + 1));
    expect(onDisk(dir, 'clock')).toBe(6);
    rec.abort();
  });

  it('a full batch is written at rowsPerBatch rows, as before', () => {
    const dir = tempDir();
    const rec = Recorder.create(dir, META, { rowsPerBatch: 3 });
    for (let i = 0; i < 7; i++) rec.appendDlt(dltRow({ ts_ns: i, payload: `${i}` }));
    expect(onDisk(dir, 'dlt')).toBe(6);
    const manifest = rec.finish();
    expect(manifest.tables.dlt).toMatchObject({ rows: 7, batches: 3 });
  });
});

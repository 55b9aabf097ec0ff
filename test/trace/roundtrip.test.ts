import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recorder, Trace, type TableName } from '../../src/trace/index.js';
import { META, dltRow, eventColumns, tempDir } from './helpers.js';

function rowsOf(dir: string, table: TableName): Record<string, unknown>[] {
  const { batches } = Trace.open(dir).read(table);
  return batches.flatMap((b) => b.toArray().map((r) => r.toJSON() as Record<string, unknown>));
}

describe('recorder → reader round trip', () => {
  it('events keep every column, type and kind name, and the caller may reuse its columns', () => {
    const dir = tempDir();
    const rec = Recorder.create(dir, META);
    const cols = eventColumns([
      { ts: 10, kind: 'vq_avail', vm: 0, dev: 1, queue: 0, id: 3, len: 1500, val: 7 },
      { ts: 20, kind: 'vq_used', vm: 1, dev: 2, queue: 1, id: 4, len: 64, val: -5n },
    ]);
    rec.appendEvents(cols, 2);
    // Reuse after return, as the core does: the first batch must already be on disk.
    cols.ts_ns[0] = 999n;
    cols.ts_ns[1] = 30n;
    cols.kind[1] = 9; // sched_run
    cols.vcpu[1] = 0;
    cols.val[1] = 2n ** 40n;
    rec.appendEvents(cols, 2);
    rec.appendEvents(cols, 0); // nothing, and no empty batch
    const manifest = rec.finish();
    expect(manifest.complete).toBe(true);
    expect(manifest.tables.events).toMatchObject({ rows: 4, batches: 2 });

    const { scan } = Trace.open(dir).read('events');
    expect(scan).toMatchObject({ rowsRecovered: 4, batches: 2, eos: true, truncated: false });
    const rows = rowsOf(dir, 'events');
    expect(rows.map((r) => r.ts_ns)).toEqual([10n, 20n, 999n, 30n]);
    expect(rows.map((r) => r.kind)).toEqual(['vq_avail', 'vq_used', 'vq_avail', 'sched_run']);
    expect(rows[0]).toEqual({
      ts_ns: 10n, seq: 0n, vm: 0, vcpu: -1, kind: 'vq_avail', dev: 1, queue: 0, id: 3n, len: 1500, val: 7n,
    });
    expect(rows[1]).toMatchObject({ vm: 1, vcpu: -1, dev: 2, queue: 1, id: 4n, len: 64, val: -5n });
    expect(rows[3]).toMatchObject({ vcpu: 0, val: 2n ** 40n });
  });

  it('dlt rows keep strings, nulls, enums, booleans, bytes and int64 edges', () => {
    const dir = tempDir();
    const rec = Recorder.create(dir, META);
    // every column set, at the edges: what goes in must come back as it was
    const full = {
      ts_ns: 5n,
      local_ts_ns: -3n,
      vm: -1,
      ecu: 'ECÜ',
      apid: null,
      ctid: 'C1',
      session_id: 77,
      type: 'log',
      subtype: 'error',
      level: 'error',
      msg_counter: 255,
      verbose: false,
      noar: 2,
      message_id: 2n ** 63n - 1n,
      payload: 'a,"b"\nc',
      payload_raw: new Uint8Array([0, 255, 7]),
      lifecycle: 3,
      storage_ts_ns: 1_700_000_000_000_000_000n,
      htyp: 0x3f,
      storage_ecu: 'RECV',
    } as const;
    rec.appendDlt(dltRow(full));
    rec.appendDlt(dltRow({ ts_ns: 6, type: 'control', level: null, subtype: null, ctid: null }));
    rec.finish();
    const rows = rowsOf(dir, 'dlt');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual(full);
    expect(rows[1]).toMatchObject({
      ts_ns: 6n, type: 'control', level: null, subtype: null, ctid: null, apid: 'APP',
      session_id: null, message_id: null, storage_ts_ns: null, verbose: true, htyp: null, storage_ecu: null,
    });
  });

  it('clock and inputs round trip', () => {
    const dir = tempDir();
    const rec = Recorder.create(dir, META);
    rec.appendClock({ ts_ns: 1000, vm: 2, local_ns: 1500, offset_ns: 500, drift_ppb: -20_000, steal_ns: 42n, uptime_ns: 1500 });
    rec.appendInput({ ts_ns: 7, seq: 0, source: 'stdin', kind: 'line', data: new Uint8Array([104, 105]) });
    rec.appendInput({ ts_ns: 9, seq: 1, source: 'sock', kind: 'frame', data: new Uint8Array(0) });
    const manifest = rec.finish();
    expect(manifest.tables.clock!.rows).toBe(1);
    expect(manifest.tables.inputs!.rows).toBe(2);
    expect(rowsOf(dir, 'clock')).toEqual([
      { ts_ns: 1000n, vm: 2, local_ns: 1500n, offset_ns: 500n, drift_ppb: -20000n, steal_ns: 42n, uptime_ns: 1500n },
    ]);
    expect(rowsOf(dir, 'inputs')).toEqual([
      { ts_ns: 7n, seq: 0n, source: 'stdin', kind: 'line', data: new Uint8Array([104, 105]) },
      { ts_ns: 9n, seq: 1n, source: 'sock', kind: 'frame', data: new Uint8Array(0) },
    ]);
  });

  it('row-buffered tables cut a batch every rowsPerBatch rows', () => {
    const dir = tempDir();
    const rec = Recorder.create(dir, META, { rowsPerBatch: 3 });
    for (let i = 0; i < 7; i++) {
      rec.appendClock({ ts_ns: i, vm: 0, local_ns: i, offset_ns: 0, drift_ppb: 0, steal_ns: 0, uptime_ns: i });
    }
    expect(rec.rowCounts().clock).toBe(7);
    const manifest = rec.finish();
    expect(manifest.tables.clock).toMatchObject({ rows: 7, batches: 3 });
    const { batches } = Trace.open(dir).read('clock');
    expect(batches.map((b) => b.numRows)).toEqual([3, 3, 1]);
    expect(rowsOf(dir, 'clock').map((r) => r.ts_ns)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n]);
  });

  it('strings longer than the initial byte buffer survive its growth', () => {
    const dir = tempDir();
    const rec = Recorder.create(dir, META);
    const long = 'x'.repeat(200_000) + 'é';
    rec.appendDlt(dltRow({ ts_ns: 1, payload: 'short' }));
    rec.appendDlt(dltRow({ ts_ns: 2, payload: long }));
    rec.finish();
    expect(rowsOf(dir, 'dlt').map((r) => r.payload)).toEqual(['short', long]);
  });

  it('a bad row is refused and leaves the buffered rows intact', () => {
    const dir = tempDir();
    const rec = Recorder.create(dir, META);
    rec.appendDlt(dltRow({ ts_ns: 1, payload: 'first' }));
    // payload is checked before anything is stored; msg_counter fails after payload passed.
    expect(() => rec.appendDlt(dltRow({ ts_ns: 2, payload: 'bad', msg_counter: 1e6 }))).toThrow(
      /msg_counter/,
    );
    expect(() => rec.appendDlt(dltRow({ ts_ns: 2, level: 'loud' as never }))).toThrow(/level/);
    expect(() => rec.appendDlt(dltRow({ ts_ns: 2, ecu: null as never }))).toThrow(/ecu/);
    expect(() => rec.appendClock({ ts_ns: 2 ** 60, vm: 0, local_ns: 0, offset_ns: 0, drift_ppb: 0, steal_ns: 0, uptime_ns: 0 })).toThrow(/safe integer/);
    rec.appendDlt(dltRow({ ts_ns: 3, payload: 'second' }));
    rec.finish();
    expect(rowsOf(dir, 'dlt').map((r) => r.payload)).toEqual(['first', 'second']);
  });

  it('every table file exists and reads as empty when nothing was recorded', () => {
    const dir = tempDir();
    const manifest = Recorder.create(dir, META).finish();
    const trace = Trace.open(dir);
    for (const table of ['events', 'dlt', 'clock', 'inputs'] as const) {
      expect(manifest.tables[table]).toMatchObject({ rows: 0, batches: 0 });
      const { batches, scan } = trace.read(table);
      expect(batches).toEqual([]);
      expect(scan).toMatchObject({ rowsRecovered: 0, eos: true, truncated: false });
      // Schema message then the 8-byte end-of-stream marker.
      const bytes = readFileSync(join(dir, `${table}.arrow`));
      expect([...bytes.subarray(bytes.length - 8)]).toEqual([255, 255, 255, 255, 0, 0, 0, 0]);
    }
  });

  it('the manifest says complete:false until finish()', () => {
    const dir = tempDir();
    const rec = Recorder.create(dir, META);
    rec.appendEvents(eventColumns([{ ts: 1, kind: 'fault' }]), 1);
    const before = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(before.complete).toBe(false);
    expect(before.format).toBe('tracevisor-trace');
    expect(before.formatVersion).toBe(1);
    expect(before.seed).toBe('42');
    expect(before.scenario).toEqual(META.scenario);
    rec.finish();
    const after = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(after.complete).toBe(true);
    expect(after.tables.events.rows).toBe(1);
    expect(() => rec.appendEvents(eventColumns([{ ts: 2, kind: 'fault' }]), 1)).toThrow(
      /already finished/,
    );
  });
});

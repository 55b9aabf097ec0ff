// The DLT named queries (queries/dlt/), each on a tiny hand-built trace with the expected rows
// worked out by hand.
import { afterEach, describe, expect, it } from 'vitest';
import { QuerySession } from '../../src/query/index.js';
import { Recorder, type DltRow } from '../../src/trace/index.js';
import { META, dltRow, tempDir } from '../trace/helpers.js';

let session: QuerySession | null = null;
afterEach(() => {
  session?.close();
  session = null;
});

async function open(rows: DltRow[]): Promise<QuerySession> {
  const dir = tempDir('tv-dltq-');
  const rec = Recorder.create(dir, META);
  for (const row of rows) rec.appendDlt(row);
  rec.finish();
  session = await QuerySession.open(dir);
  return session;
}

const S = 1_000_000_000; // 1 s in ns

describe('DLT named queries', () => {
  it('dlt/lifecycles summarises each ECU lifecycle', async () => {
    const s = await open([
      dltRow({ ts_ns: 100, local_ts_ns: 1000, ecu: 'ECU1', apid: 'A', level: 'info' }),
      dltRow({ ts_ns: 150, local_ts_ns: 9999, ecu: 'ECU2', apid: null, ctid: null, type: 'control', subtype: 'time', level: null }),
      dltRow({ ts_ns: 200, local_ts_ns: 3000, ecu: 'ECU1', apid: 'B', level: 'error' }),
      dltRow({ ts_ns: 300, local_ts_ns: 2000, ecu: 'ECU1', apid: 'A', level: 'warn' }),
      dltRow({ ts_ns: 400, local_ts_ns: 50, ecu: 'ECU1', apid: 'A', level: 'fatal', lifecycle: 2 }),
      // no timestamp in the header (htyp without WTMS 0x10): its local_ts_ns 0 is not a time
      dltRow({ ts_ns: 500, local_ts_ns: 0, ecu: 'ECU1', apid: 'A', level: 'info', lifecycle: 2, htyp: 0x2d }),
    ]);
    const result = await s.runNamed('dlt/lifecycles');
    expect(result.columns.map((c) => c.name)).toEqual([
      'ecu', 'lifecycle', 'messages', 'apps', 'first_ts_ns', 'last_ts_ns', 'local_ts_ns_min', 'local_ts_ns_max',
      'errors', 'warnings',
    ]);
    expect(result.rows).toEqual([
      ['ECU1', 1, 3n, 2n, 100n, 300n, 1000n, 3000n, 1n, 1n],
      ['ECU1', 2, 2n, 1n, 400n, 500n, 50n, 50n, 1n, 0n],
      ['ECU2', 1, 1n, 0n, 150n, 150n, 9999n, 9999n, 0n, 0n],
    ]);
  });

  it('dlt/rate counts messages and payload bytes per context and 1 s window', async () => {
    const raw = (n: number) => new Uint8Array(n);
    const s = await open([
      dltRow({ ts_ns: 0.2 * S, ctid: 'CTX', payload_raw: raw(3) }),
      dltRow({ ts_ns: 0.5 * S, ctid: 'CT2', payload_raw: raw(4) }),
      dltRow({ ts_ns: 0.9 * S, ctid: 'CTX', payload_raw: raw(5) }),
      dltRow({ ts_ns: 1 * S, ctid: 'CTX', payload_raw: raw(2) }), // the next window starts at 1 s sharp
      dltRow({ ts_ns: 1.5 * S, apid: null, ctid: null, type: null, subtype: null, level: null }),
      dltRow({ ts_ns: 2.5 * S, ctid: 'CTX', payload_raw: raw(1) }),
    ]);
    const result = await s.runNamed('dlt/rate');
    expect(result.columns.map((c) => c.name)).toEqual(['ecu', 'apid', 'ctid', 'window_start_ns', 'messages', 'payload_bytes']);
    expect(result.rows).toEqual([
      ['ECU1', null, null, 1_000_000_000n, 1n, 0n],
      ['ECU1', 'APP', 'CT2', 0n, 1n, 4n],
      ['ECU1', 'APP', 'CTX', 0n, 2n, 8n],
      ['ECU1', 'APP', 'CTX', 1_000_000_000n, 1n, 2n],
      ['ECU1', 'APP', 'CTX', 2_000_000_000n, 1n, 1n],
    ]);
  });

  it('dlt/id_collisions finds app and context ids used by several ECUs or VMs', async () => {
    const s = await open([
      dltRow({ ts_ns: 1, vm: 0, ecu: 'CLST', apid: 'NAV', ctid: 'MAIN' }),
      dltRow({ ts_ns: 2, vm: 1, ecu: 'IVI1', apid: 'NAV', ctid: 'MAIN' }),
      dltRow({ ts_ns: 3, vm: 1, ecu: 'IVI1', apid: 'NAV', ctid: 'GPS' }), // GPS: one sender only
      dltRow({ ts_ns: 4, vm: 2, ecu: 'GW01', apid: 'GW', ctid: 'MAIN' }),
      dltRow({ ts_ns: 5, vm: 2, ecu: 'GW01', apid: 'GW', ctid: 'MAIN' }), // same sender twice: no collision
      dltRow({ ts_ns: 6, vm: 0, ecu: 'CLST', apid: null, ctid: null, type: 'control', level: null }),
      dltRow({ ts_ns: 7, vm: 0, ecu: 'CLST', apid: 'HMI', ctid: 'X' }),
      dltRow({ ts_ns: 8, vm: 3, ecu: 'CLST', apid: 'HMI', ctid: 'X' }), // two VMs, one ECU id
      dltRow({ ts_ns: 9, vm: -1, ecu: 'ECUA', apid: 'IMP', ctid: 'CTX' }), // imported logs
      dltRow({ ts_ns: 10, vm: -1, ecu: 'ECUB', apid: 'IMP', ctid: 'CTX' }),
    ]);
    const result = await s.runNamed('dlt/id_collisions');
    expect(result.columns.map((c) => c.name)).toEqual(['scope', 'apid', 'ctid', 'senders', 'ecus', 'vms', 'messages']);
    expect(result.rows).toEqual([
      ['app', 'HMI', null, 2n, 'CLST', '0,3', 2n],
      ['context', 'HMI', 'X', 2n, 'CLST', '0,3', 2n],
      ['app', 'IMP', null, 2n, 'ECUA,ECUB', null, 2n],
      ['context', 'IMP', 'CTX', 2n, 'ECUA,ECUB', null, 2n],
      ['app', 'NAV', null, 2n, 'CLST,IVI1', '0,1', 3n],
      ['context', 'NAV', 'MAIN', 2n, 'CLST,IVI1', '0,1', 2n],
    ]);
  });

  it('dlt/counter_gaps counts missing messages per context, wrapping at 256', async () => {
    const m = (ts: number, counter: number, over: Partial<DltRow> = {}) =>
      dltRow({ ts_ns: ts, msg_counter: counter, session_id: 5, ctid: 'CTX', ...over });
    const s = await open([
      m(1, 254), m(2, 255),
      m(3, 0), // 255 → 0: the wrap, no gap
      m(4, 0, { ctid: 'CT2' }),
      m(5, 3), // 0 → 3: 2 lost
      m(6, 0, { type: 'control', level: null, apid: 'APP' }), // control: left out
      m(7, 3), // repeated counter: not a gap
      m(8, 2, { ctid: 'CT2' }), // 0 → 2: 1 lost
      m(9, 4),
      m(10, 0, { lifecycle: 2 }), // a new lifecycle starts its own sequence
      m(11, 10), // 4 → 10 in lifecycle 1: 5 lost
      m(12, 1, { lifecycle: 2 }),
      m(13, 9, { session_id: 6 }), // another process: its own sequence
    ]);
    const result = await s.runNamed('dlt/counter_gaps');
    expect(result.columns.map((c) => c.name)).toEqual([
      'ecu', 'vm', 'apid', 'ctid', 'session_id', 'lifecycle', 'messages', 'gaps', 'lost', 'first_gap_ts_ns',
    ]);
    expect(result.rows).toEqual([
      ['ECU1', 0, 'APP', 'CT2', 5, 1, 2n, 1n, 1n, 8n],
      ['ECU1', 0, 'APP', 'CTX', 5, 1, 7n, 2n, 7n, 5n],
    ]);
  });
});

// The clock-sync named queries on a tiny hand-built trace, the rows worked out by hand.
import { afterEach, describe, expect, it } from 'vitest';
import { QuerySession } from '../../src/query/index.js';
import { Recorder, type ClockRow } from '../../src/trace/index.js';
import type { SyncRow } from '../../src/trace/recorder.js';
import { META, tempDir } from '../trace/helpers.js';

let session: QuerySession | null = null;
afterEach(() => {
  session?.close();
  session = null;
});

async function open(sync: SyncRow[], clock: ClockRow[] = []): Promise<QuerySession> {
  const dir = tempDir('tv-sync-query-');
  const rec = Recorder.create(dir, META);
  for (const row of clock) rec.appendClock(row);
  for (const row of sync) rec.appendSync(row);
  rec.finish();
  session = await QuerySession.open(dir);
  return session;
}

const update = (ts: number, vm: number, state: SyncRow['state'], offset: number, error: number, adj: number): SyncRow => ({
  ts_ns: ts, vm, protocol: 'gptp', exchange: 'sync', seq: ts % 1000, t1_ns: ts - 10, t2_ns: ts - 5, t3_ns: null, t4_ns: null,
  correction_ns: 6800, offset_ns: offset, path_delay_ns: 2000, rate_ratio_ppb: 0, state, freq_adj_ppb: adj,
  true_offset_ns: error, error_ns: error, uptime_ns: ts - 5, master_vm: 0, ecu: null,
});
const pdelay = (ts: number, vm: number, rateRatioPpb: number): SyncRow => ({
  ...update(ts, vm, 'locked', 0, 0, 0), exchange: 'pdelay', offset_ns: null, t3_ns: ts - 3, t4_ns: ts - 1, rate_ratio_ppb: rateRatioPpb, uptime_ns: null,
});
const rows = [
  update(100_000_000, 1, 'unlocked', 5_000_000, 5_000_000, 0),
  update(200_000_000, 1, 'step', 5_000_000, 5_000_000, 39_000),
  pdelay(250_000_000, 1, -3_990),
  update(300_000_000, 1, 'locked', 8, 6, 39_010),
  update(1_300_000_000, 1, 'locked', -8, -8, 38_990),
  update(1_400_000_000, 1, 'unlocked', 3_000, 3_000, 38_990),
  update(500_000_000, 2, 'unlocked', 40, 40, 0),
];

describe('clock sync queries', () => {
  it('clock/sync: lock time, steps, RMS and max |error| from the lock on', async () => {
    const s = await open(rows);
    const result = await s.runNamed('clock/sync');
    expect(result.columns.map((c) => c.name)).toEqual([
      'vm', 'protocol', 'updates', 'steps', 'lock_ns', 'unlocks_after_lock', 'error_rms_ns', 'error_abs_max_ns',
      'path_delay_ns_last', 'freq_adj_ppb_last', 'ecu',
    ]);
    // vm 1 from its lock at 0.3 s: errors 6, −8, 3000 → rms sqrt((36 + 64 + 9e6) / 3)
    expect(result.rows).toEqual([
      [1, 'gptp', 5n, 1n, 300_000_000n, 1n, Math.sqrt((36 + 64 + 9e6) / 3), 3000n, 2000n, 38_990n, null],
      [2, 'gptp', 1n, 0n, null, 0n, null, null, 2000n, 0n, null],
    ]);
  });

  it('clock/sync_timeline bins the updates with nice_bin_ns over their span (the report\'s chart)', async () => {
    const s = await open(rows);
    const result = await s.runNamed('clock/sync_timeline');
    expect(result.columns.map((c) => c.name)).toEqual([
      'vm', 'vm_name', 'protocol', 'bin_start_ns', 'bin_ns', 'updates', 'error_ns_last', 'error_abs_ns_max', 'state_last',
    ]);
    // the updates span 0.1–1.4 s: 1.3e9 / 1000 bins → 1.3e6, rounded up to 2 ms; every update in a
    // bin of its own; the pdelay row is no update
    const bin = (vm: number, ts: bigint, error: bigint, state: string) => [vm, null, 'gptp', ts, 2_000_000n, 1n, error, error < 0n ? -error : error, state];
    expect(result.rows).toEqual([
      bin(1, 100_000_000n, 5_000_000n, 'unlocked'),
      bin(1, 200_000_000n, 5_000_000n, 'step'),
      bin(1, 300_000_000n, 6n, 'locked'),
      bin(1, 1_300_000_000n, -8n, 'locked'),
      bin(1, 1_400_000_000n, 3000n, 'unlocked'),
      bin(2, 500_000_000n, 40n, 'unlocked'),
    ]);
  });

  it('clock/servo bins the updates per second', async () => {
    const s = await open(rows);
    const result = await s.runNamed('clock/servo');
    expect(result.rows).toEqual([
      [1, 'gptp', 0n, 3n, (5e6 + 5e6 + 8) / 3, 5_000_000n, (5e6 + 5e6 + 6) / 3, 5_000_000n, 39_010n, 'locked', null],
      [1, 'gptp', 1_000_000_000n, 2n, (-8 + 3000) / 2, 3000n, (-8 + 3000) / 2, 3000n, 38_990n, 'unlocked', null],
      [2, 'gptp', 0n, 1n, 40, 40n, 40, 40n, 0n, 'unlocked', null],
    ]);
  });

  it('clock/drift: configured at boot, the servo on top, their sum, the last rate ratio', async () => {
    const clock = (ts: number, vm: number, drift: number): ClockRow => ({ ts_ns: ts, vm, local_ns: ts, offset_ns: 0, drift_ppb: drift, steal_ns: 0, uptime_ns: ts });
    const s = await open(rows, [clock(0, 0, 4000), clock(0, 1, -35_000), clock(100_000_000, 1, 4010), clock(0, 2, 12_000)]);
    const result = await s.runNamed('clock/drift');
    expect(result.rows).toEqual([
      [1, 'gptp', -35_000n, 38_990n, 3_990n, -3_990n, null],
      [2, 'gptp', 12_000n, 0n, 12_000n, null, null],
    ]);
  });

  // --- CanTSyn ECU slaves (issue 11): external ECUs share vm −1 and are told apart by name
  it('two ECU slaves (vm −1) stay apart by their names in clock/sync, servo, drift, sync_timeline and cantsyn', async () => {
    const ecu = (ts: number, name: string, state: SyncRow['state'], error: number, adj: number): SyncRow => ({
      ...update(ts, -1, state, 0, error, adj), protocol: 'cantsyn', ecu: name, correction_ns: 0, path_delay_ns: null, t3_ns: ts - 1,
    });
    const s = await open([
      ecu(1_000_000_000, 'abs', 'step', 700, 0), ecu(2_000_000_000, 'abs', 'locked', -222_000, -21_000),
      ecu(1_000_000_000, 'bcm', 'step', -50, 0), ecu(2_000_000_000, 'bcm', 'locked', -222_010, 9_000),
    ], [{ ts_ns: 0, vm: 0, local_ns: 0, offset_ns: 0, drift_ppb: 4000, steal_ns: 0, uptime_ns: 0 }]);
    const pick = async (name: string, cols: string[]) => {
      const r = await s.runNamed(name);
      return r.rows.map((row) => cols.map((c) => row[r.columns.findIndex((x) => x.name === c)]));
    };
    expect(await pick('clock/sync', ['vm', 'ecu', 'updates', 'lock_ns', 'error_abs_max_ns'])).toEqual([
      [-1, 'abs', 2n, 2_000_000_000n, 222_000n], [-1, 'bcm', 2n, 2_000_000_000n, 222_010n],
    ]);
    expect(await pick('clock/cantsyn', ['vm', 'ecu', 'updates', 'error_ns_min'])).toEqual([[-1, 'abs', 2n, -222_000n], [-1, 'bcm', 2n, -222_010n]]);
    expect(await pick('clock/servo', ['ecu', 'second_start_ns', 'updates'])).toEqual([
      ['abs', 1_000_000_000n, 1n], ['abs', 2_000_000_000n, 1n], ['bcm', 1_000_000_000n, 1n], ['bcm', 2_000_000_000n, 1n],
    ]);
    // an ECU has no clock samples (the clock table samples VMs): nothing configured to add to
    expect(await pick('clock/drift', ['ecu', 'drift_ppb_configured', 'freq_adj_ppb_last'])).toEqual([['abs', null, -21_000n], ['bcm', null, 9_000n]]);
    expect((await pick('clock/sync_timeline', ['vm_name'])).map((r) => r[0])).toEqual(['abs', 'abs', 'bcm', 'bcm']);
  });
});

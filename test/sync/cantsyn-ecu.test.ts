// External ECUs as CanTSyn Time Slaves (issue 11 §2: "slaves (other VMs on the bus; external
// ECUs that the scenario marks)"). The ECU runs the VM slave's stack on its own clock, fed by the
// core's receive path for external nodes, with t2 at the SYNC's end of frame; so the figures
// are the VM slave's (test/sync/cantsyn.test.ts), worked out the same way: after a correction
// the slave is behind its master by the SYNC's time on the bus, 47 + 8·8 = 111 bits of an
// 8-byte standard frame, 222 000 ns at 500 kbit/s.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordScenario } from '../../src/platform/record.js';
import { parseScenario } from '../../src/scenario/load.js';
import { QuerySession } from '../../src/query/index.js';
import type { SyncRow } from '../../src/trace/recorder.js';
import { requireCli, tv } from '../executable.js';
import { restoredSyncRuns, runSync, S } from './run.js';
import { BUS_BPS, master, tsynScenario } from './cantsyn-run.js';
import { syncLines } from '../../src/cli/info-sync.js';
import { readManifest } from '../../src/trace/manifest.js';

const num = (v: unknown) => Number(v);
const DATA_IDS = Array.from({ length: 16 }, (_, i) => 0x30 + i);

/** The cantsyn scenario with a master VM and an ECU `sensor` marked a slave with `cantsyn`. */
function withEcuSlave(cantsyn: Record<string, unknown>, gw: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    ...tsynScenario([{ name: 'gw', offsetNs: 5 * S, sync: master(gw) }], extra),
    // one signal frame, a low-priority id, so the bus carries more than the time sync
    ecus: [{ name: 'sensor', bus: 'body', frames: [{ canId: 0x700, periodNs: '100ms' }], cantsyn }],
  };
}
const ecuRows = (rows: SyncRow[]) => rows.filter((r) => r.ecu === 'sensor');

describe('an external ECU as a CanTSyn slave', () => {
  it('500 kbit/s, 11-bit id: error −222000 ns (111 bits) after the first SYNC / FUP pair', async () => {
    const byHand = Math.ceil((111 * 1e9) / BUS_BPS);
    expect(byHand).toBe(222_000);
    const run = await runSync(withEcuSlave({ correction: 'offset', clock: { offsetNs: 1_300_000_000 } }));
    const rows = ecuRows(run.rows);
    // SYNCs at 1 s .. 5 s of the master's period; the one at 6 s has its FUP after the run
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    for (const r of rows) {
      expect([r.vm, r.master_vm, r.protocol, r.exchange]).toEqual([-1, 0, 'cantsyn', 'sync']);
    }
    expect(rows[0]!.state).toBe('step');
    expect(num(rows[0]!.error_ns)).toBe(1_300_000_000 - 5 * S); // the clocks' offsets, before any correction
    for (const r of rows.slice(1)) {
      expect(r.state).toBe('locked');
      expect(num(r.error_ns)).toBe(-byHand);
      expect(num(r.offset_ns)).toBe(0);
    }
    // t2 is the SYNC's end of frame on the ECU's clock, its uptime the same reading (no steps before)
    expect(num(rows[0]!.uptime_ns)).toBe(num(rows[0]!.t2_ns));
    expect(run.platform.core.canTsynLost()).toBe(0);
  });

  it('with rate correction its drift estimate converges to the configured drift', async () => {
    const driftPpb = 50_000;
    const run = await runSync(withEcuSlave({ clock: { offsetNs: 0, driftPpb } }, {}, { durationNs: 8 * S }));
    const rows = ecuRows(run.rows);
    expect(rows.length).toBe(7); // SYNCs at 1 s .. 7 s
    // 1st pair: a step, no rate yet. 2nd: the offset built up over 1 s of true time, 50 µs,
    // over the local time between the pairs, (1 + 5e-5) s: 49997.5 ppb, rounded.
    expect(rows[0]!.state).toBe('step');
    expect(num(rows[1]!.rate_ratio_ppb)).toBeGreaterThanOrEqual(49_997);
    expect(num(rows[1]!.rate_ratio_ppb)).toBeLessThanOrEqual(49_998);
    // The step at the 2nd pair is taken when the FUP is handled (t3, the next main function),
    // not at t2: the drift in between, D · (t3 − t2), is left for the 3rd pair to see as a rate.
    const leftNs = (driftPpb * (num(rows[1]!.t3_ns) - num(rows[1]!.t2_ns))) / 1e9;
    expect(leftNs).toBeGreaterThan(50); // the FUP comes 1.2 ms after the SYNC, the poll adds < 1 ms
    expect(Math.abs(num(rows[2]!.rate_ratio_ppb) - leftNs)).toBeLessThanOrEqual(2);
    // each pair takes the rate it measured whole, so it settles on −drift within a few more pairs,
    // and the error on the frame time
    for (const r of rows.slice(-2)) {
      expect(Math.abs(num(r.rate_ratio_ppb))).toBeLessThanOrEqual(1);
      expect(Math.abs(num(r.freq_adj_ppb) + driftPpb)).toBeLessThanOrEqual(1);
      expect(Math.abs(num(r.error_ns) + 222_000)).toBeLessThanOrEqual(2);
    }
  });

  it('drops a SYNC / FUP with a bad CRC as the VM slave does (the same stack): wrong DataIDs', async () => {
    const other = DATA_IDS.map((id) => id ^ 0xff);
    const run = await runSync(withEcuSlave({ crc: true, dataIds: other }, { crc: true, dataIds: DATA_IDS }));
    expect(ecuRows(run.rows)).toEqual([]);
    const good = await runSync(withEcuSlave({ crc: true, dataIds: DATA_IDS }, { crc: true, dataIds: DATA_IDS }));
    expect(ecuRows(good.rows).length).toBe(5);
  });

  it('shows in clock/cantsyn and clock/sync with vm −1 and its name', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'tv-cantsyn-ecu-q-')), 't');
    await recordScenario(parseScenario(withEcuSlave({ correction: 'offset' }), 'ecu'), dir);
    const session = await QuerySession.open(dir);
    try {
      const named = async (name: string) => {
        const r = await session.runNamed(name);
        return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
      };
      const cantsyn = await named('clock/cantsyn');
      expect(cantsyn.map((r) => [r.vm, r.ecu, r.updates, r.error_ns_min, r.error_ns_max])).toEqual([[-1, 'sensor', 5n, -222_000n, -222_000n]]);
      const sync = await named('clock/sync');
      expect(sync.map((r) => [r.vm, r.ecu, r.protocol, r.updates, r.steps, r.error_abs_max_ns])).toEqual([[-1, 'sensor', 'cantsyn', 5n, 1n, 222_000n]]);
      // info lists the ECU with the VMs, its figures the ones clock/sync gives
      const [ecu] = sync;
      const locked = ecu!.lock_ns === null ? ', never locked'
        : `, locked at ${(Number(ecu!.lock_ns) / 1e9).toFixed(3)} s, error after lock RMS ${Number(ecu!.error_rms_ns).toFixed(0)} ns, max ${ecu!.error_abs_max_ns} ns`;
      const lines = syncLines(dir, readManifest(dir).scenario);
      expect(lines).toContain(`  ${'sensor'.padEnd(13)} cantsyn slave${locked}`);
      expect(lines).toContain(`  ${'gw'.padEnd(13)} cantsyn master`);
    } finally {
      session.close();
    }
  }, 60_000);
});

describe('an ECU slave as data', () => {
  const scenario = () => parseScenario(withEcuSlave(
    { crc: true, dataIds: DATA_IDS, clock: { offsetNs: 2 * S, driftPpb: -40_000 } },
    { crc: true, dataIds: DATA_IDS, syncPeriodNs: '300ms' }, { durationNs: '3s' },
  ), 'ecu');

  it('determinism: two recordings write the same tables', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tv-cantsyn-ecu-det-'));
    const a = await recordScenario(scenario(), join(root, 'a'));
    const b = await recordScenario(scenario(), join(root, 'b'));
    expect(a.manifest.tables.sync!.rows).toBe(9); // SYNCs at 0.3 .. 2.7 s
    for (const t of ['events', 'clock', 'sync', 'frames'] as const) expect(a.manifest.tables[t]!.sha256).toBe(b.manifest.tables[t]!.sha256);
    expect(readFileSync(join(root, 'a', 'sync.arrow'))).toEqual(readFileSync(join(root, 'b', 'sync.arrow')));
  }, 60_000);

  it('a snapshot restored mid-run (the ECU\'s clock and stack in its state) runs on to the same rows', async () => {
    const runs = await restoredSyncRuns(scenario, 3 * S, 'tv-cantsyn-ecu-snap-');
    expect(runs.length).toBe(2);
    for (const { rows, expected } of runs) {
      expect(expected.length).toBeGreaterThanOrEqual(3);
      expect(rows).toEqual(expected);
    }
  }, 120_000);
});

describe('ecus[].cantsyn field errors', () => {
  const parse = (json: unknown) => () => parseScenario(json, 'test');

  it('a time domain without a master names the field', () => {
    expect(parse(withEcuSlave({ timeDomain: 3 })))
      .toThrow(/ecus\[0\]\.cantsyn\.timeDomain: no master for time domain 3 on bus "body"/);
  });

  it('crc without DataIDs, another id than the bus\'s, a VM-only field', () => {
    expect(parse(withEcuSlave({ crc: true }))).toThrow(/ecus\[0\]\.cantsyn\.dataIds: crc is on: give the 16 DataIDs/);
    expect(parse(withEcuSlave({ canId: 0x0c1 }))).toThrow(/ecus\[0\]\.cantsyn\.canId: CanTSyn on bus "body" uses 0xC0 \(vms\[0\]\.clock\.sync\.canId\): the ECU listens on that id/);
    expect(parse(withEcuSlave({ role: 'master' }))).toThrow(/ecus\[0\]\.cantsyn/);
  });

  it('the CLI says it in one line, exit 2', () => {
    requireCli();
    const file = join(mkdtempSync(join(tmpdir(), 'tv-cantsyn-ecu-cli-')), 's.json');
    writeFileSync(file, JSON.stringify(withEcuSlave({ timeDomain: 3 })));
    const r = tv('record', file, '-o', join(file, '..', 'out'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^tracevisor: .*ecus\[0\]\.cantsyn\.timeDomain: no master for time domain 3/);
  });
});

// CanTSyn on the simulated CAN bus (issue 11 §2): real SYNC / FUP frames through the VMs' CAN
// devices and the core's arbitration. The slave computes the master's time as the SWS does
// (SYNC.sec + OVS + FUP.ns + (now − t2)) and nothing compensates the SYNC's own time on the bus,
// so after a correction the slave is behind the master by exactly that time: from the frame's
// first bit (where the master stamps t1) to its end (where the slave's controller stamps t2).
// The core models a classic data frame as 47 + 8·DLC bits (standard id) or 67 + 8·DLC bits
// (extended), without stuffing (assembly/bus/can.ts canFrameNs).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { GuestApi, GuestProgram } from '../../src/guests/guest-api.js';
import type { CanTsynStack } from '../../src/sync/cantsyn-stack.js';
import { encodeTsyn } from '../../src/sync/cantsyn-messages.js';
import type { SyncRow } from '../../src/trace/recorder.js';
import { runSync, S, MS } from './run.js';
import { BUS_BPS, master, slave, tsynScenario } from './cantsyn-run.js';

/** The SYNC's time on the bus: bits of an 8-byte classic frame over the bit rate (ns, rounded up). */
function frameNs(extended: boolean, bps: number): number {
  const bits = (extended ? 67 : 47) + 8 * 8;
  return Math.ceil((bits * 1e9) / bps);
}

const num = (v: unknown) => Number(v);
const stackOf = (run: Awaited<ReturnType<typeof runSync>>, vm: number) => run.platform.vms[vm]!.clockSync as CanTsynStack;

describe('CanTSyn: the slave error is the SYNC frame\'s time on the bus', () => {
  it.each([
    { what: 'standard id, 500 kbit/s', extended: false, bps: BUS_BPS, byHand: 111 * 2000 },
    { what: 'extended id, 500 kbit/s', extended: true, bps: BUS_BPS, byHand: 131 * 2000 },
    { what: 'standard id, 125 kbit/s', extended: false, bps: 125_000, byHand: 111 * 8000 },
  ])('$what: error −$byHand ns after the first correction', async ({ extended, bps, byHand }) => {
    expect(frameNs(extended, bps)).toBe(byHand);
    const run = await runSync(tsynScenario([
      { name: 'gw', offsetNs: 5 * S, sync: master({ extended, canId: extended ? 0x1800 : 0x0c0 }) },
      { name: 'cl', offsetNs: 1_300_000_000, sync: slave({ extended, canId: extended ? 0x1800 : 0x0c0, correction: 'offset' }) },
    ], { canBuses: [{ name: 'body', bitsPerSecond: bps }] }));
    const rows = run.updates(1);
    // SYNCs at 1 s .. 6 s of the master's period; the one at 6 s has its FUP after the run.
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(rows[0]!.state).toBe('step');
    expect(num(rows[0]!.error_ns)).toBe(1_300_000_000 - 5 * S); // the clocks' offsets, before any correction
    for (const r of rows.slice(1)) {
      expect(r.state).toBe('locked');
      expect(num(r.error_ns)).toBe(-byHand);
      expect(num(r.offset_ns)).toBe(0); // the latency is the same every time: nothing left to measure
    }
  });

  it('without correction the slave only measures: its clock keeps its offset', async () => {
    const run = await runSync(tsynScenario([
      { name: 'gw', offsetNs: 5 * S, sync: master() },
      { name: 'cl', offsetNs: 2 * S, sync: slave({ correction: 'none' }) },
    ]));
    const rows = run.updates(1);
    expect(rows.length).toBe(5);
    for (const r of rows) {
      expect(r.state).toBe('unlocked');
      expect(num(r.error_ns)).toBe(-3 * S);
      expect(num(r.offset_ns)).toBe(-3 * S + 222_000); // t2 is taken a frame time after t1
    }
  });
});

/** Sends an 8-byte frame with a higher-priority id at `atNs`: the next SYNC must wait for it. */
class BlockerProgram implements GuestProgram<null> {
  state = null;
  readonly stateSchema = z.null();
  constructor(private readonly atNs: number) {}
  vcpusUsed(): number {
    return 1;
  }
  start(api: GuestApi): void {
    api.timer(this.atNs, 0);
  }
  onTimer(api: GuestApi): void {
    api.cans[0]!.send([{ canId: 0x010, data: new Uint8Array(8) }]);
  }
}

describe('CanTSyn: arbitration before the SYNC is in the FUP, not in the error', () => {
  it('a frame that holds the bus delays the SYNC; its FUP overflows into OVS; the error stays one frame time', async () => {
    // The blocker starts 1 ns before the master's first SYNC request (at 1 s): the SYNC's first
    // bit is 1 s − 1 + 222000 ns. The master's clock reads 0.9999 s ahead, so its t0 (1.9999 s)
    // has 999_900_000 ns and t0.ns + (t1 − t0) = 1_000_121_999 ns: OVS 1, FUP ns 121_999.
    const masterOffsetNs = 999_900_000;
    const run = await runSync(tsynScenario([
      { name: 'gw', offsetNs: masterOffsetNs, sync: master() },
      { name: 'cl', offsetNs: 0, sync: slave({ correction: 'offset' }) },
      { name: 'noise', program: { type: 'idle' } },
    ]), { programs: { noise: () => new BlockerProgram(S - 1) } });
    const rows = run.updates(1);
    const syncFirstBitNs = S - 1 + 222_000;
    expect(num(rows[0]!.t1_ns)).toBe(masterOffsetNs + syncFirstBitNs); // SYNC sec + OVS + FUP ns
    expect(num(rows[0]!.t2_ns)).toBe(syncFirstBitNs + 222_000); // the slave's clock is true time
    for (const r of rows.slice(1)) expect(num(r.error_ns)).toBe(-222_000);
  });
});

describe('CanTSyn: CRC', () => {
  const DATA_IDS = Array.from({ length: 16 }, (_, i) => 0x40 + i);

  it('with CRC on both sides the slave syncs as without', async () => {
    const run = await runSync(tsynScenario([
      { name: 'gw', offsetNs: 5 * S, sync: master({ crc: true, dataIds: DATA_IDS }) },
      { name: 'cl', sync: slave({ crc: true, dataIds: DATA_IDS, correction: 'offset' }) },
    ]));
    const rows = run.updates(1);
    expect(rows.length).toBe(5);
    for (const r of rows.slice(1)) expect(num(r.error_ns)).toBe(-222_000);
    expect(stackOf(run, 1).state.drops).toEqual({ malformed: 0, crc: 0, sequence: 0, noSync: 0, timeout: 0, notSent: 0 });
  });

  it('another DataID list: every SYNC and FUP fails the CRC (counted), the clock is left alone', async () => {
    const run = await runSync(tsynScenario([
      { name: 'gw', offsetNs: 5 * S, sync: master({ crc: true, dataIds: DATA_IDS }) },
      { name: 'cl', offsetNs: 7, sync: slave({ crc: true, dataIds: DATA_IDS.map((d) => d + 1), correction: 'offset' }) },
    ]));
    expect(run.updates(1)).toEqual([]);
    // 5 SYNC + FUP pairs; the SYNC requested at 6 s is still on the bus when the run ends.
    expect(stackOf(run, 1).state.drops.crc).toBe(2 * 5);
    expect(run.platform.vms[1]!.clock.localNs(6 * S)).toBe(6 * S + 7);
  });

  it('a master without CRC and a slave that validates: the 0x10 / 0x18 types are refused', async () => {
    const run = await runSync(tsynScenario([
      { name: 'gw', sync: master() },
      { name: 'cl', sync: slave({ crc: true, dataIds: DATA_IDS }) },
    ]));
    expect(run.updates(1)).toEqual([]);
    expect(stackOf(run, 1).state.drops.malformed).toBe(2 * 5);
  });
});

/** Sends scripted CanTSyn frames (id 0x0C0) at given true times: a hostile or broken master. */
class ScriptProgram implements GuestProgram<{ next: number }> {
  state = { next: 0 };
  readonly stateSchema = z.strictObject({ next: z.int() });
  constructor(private readonly script: { atNs: number; data: Uint8Array }[]) {}
  vcpusUsed(): number {
    return 1;
  }
  start(api: GuestApi): void {
    for (const [i, s] of this.script.entries()) api.timer(s.atNs, 0, i);
  }
  onTimer(api: GuestApi, _tag: number, arg: number): void {
    api.cans[0]!.send([{ canId: 0x0c0, data: this.script[arg]!.data }]);
  }
}

describe('CanTSyn: malformed and out-of-order messages are dropped and counted', () => {
  const IDS = Array.from({ length: 16 }, (_, i) => 0x10 + i);
  const sync = (seq: number, seconds: number) => encodeTsyn({ message: { kind: 'sync', domain: 0, seq, seconds, userByte0: 0 }, dataIds: IDS });
  const fup = (seq: number, nanoseconds: number) => encodeTsyn({ message: { kind: 'fup', domain: 0, seq, nanoseconds, overflowSeconds: 0, sgw: 0 }, dataIds: IDS });
  const badCrc = (f: Uint8Array) => {
    f[1]! ^= 0x5a;
    return f;
  };

  it('each case in turn, then a good pair still synchronises', async () => {
    const script = [
      { atNs: 100 * MS, data: fup(0, 5) }, //               FUP with no SYNC          -> noSync
      { atNs: 200 * MS, data: badCrc(sync(1, 9)) }, //      bad CRC                   -> crc
      { atNs: 300 * MS, data: sync(2, 9) }, //              good SYNC ...
      { atNs: 500 * MS, data: fup(2, 0) }, //               ... its FUP 200 ms late   -> timeout
      { atNs: 600 * MS, data: sync(2, 9) }, //              the same counter again    -> sequence
      { atNs: 700 * MS, data: sync(3, 9) }, //              good SYNC ...
      { atNs: 710 * MS, data: fup(4, 0) }, //               ... a FUP of another one  -> noSync
      { atNs: 800 * MS, data: sync(5, 9).subarray(0, 7) }, // 7 bytes                 -> malformed
      { atNs: 900 * MS, data: Uint8Array.from([0x33, 0, 0, 0, 0, 0, 0, 0]) }, // type -> malformed
      { atNs: 1000 * MS, data: sync(6, 40) }, //            a good pair at last
      { atNs: 1010 * MS, data: fup(6, 250) },
    ];
    const run = await runSync(tsynScenario([
      // The scripted VM is the domain's master, with a period past the run: only the script sends.
      { name: 'gw', sync: master({ crc: true, dataIds: IDS, syncPeriodNs: '16s' }), program: { type: 'idle' } },
      { name: 'cl', sync: slave({ crc: true, dataIds: IDS, correction: 'offset' }) },
    ], { durationNs: 2 * S }), { programs: { gw: () => new ScriptProgram(script) } });
    expect(stackOf(run, 1).state.drops).toEqual({ malformed: 2, crc: 1, sequence: 1, noSync: 2, timeout: 1, notSent: 0 });
    const rows = run.updates(1);
    expect(rows.length).toBe(1);
    expect(num(rows[0]!.t1_ns)).toBe(40 * S + 250);
    // After the step (when the FUP is handled, ~10 ms later) the slave reads the script's time at
    // the SYNC's end of frame (t2) plus the time since.
    const t2True = 1000 * MS + 222_000;
    expect(run.platform.vms[1]!.clock.localNs(1500 * MS)).toBe(40 * S + 250 + (1500 * MS - t2True));
  });
});

describe('CanTSyn: rate correction from two consecutive syncs', () => {
  it('the slave takes the master\'s rate: the error settles at the frame time as the master counts it', async () => {
    const run = await runSync(tsynScenario([
      { name: 'gw', offsetNs: 5 * S, driftPpb: 20_000, sync: master() },
      { name: 'cl', offsetNs: S, driftPpb: -30_000, sync: slave() },
    ], { durationNs: 10 * S }));
    const rows = run.updates(1);
    expect(rows.length).toBe(9);
    // The relative rate error is +50 ppm (master faster): the first estimate corrects it.
    expect(num(rows[1]!.rate_ratio_ppb)).toBeGreaterThan(-50_100);
    expect(num(rows[1]!.rate_ratio_ppb)).toBeLessThan(-49_900);
    // 222 µs of the master's clock running 20 ppm fast is 222_004.44 ns; integer ppb and ns
    // rounding leave a few ns per second.
    for (const r of rows.slice(4)) {
      expect(Math.abs(num(r.error_ns) + 222_004)).toBeLessThanOrEqual(5);
      expect(Math.abs(num(r.freq_adj_ppb) - 50_000)).toBeLessThanOrEqual(5);
    }
  });

  it('offset correction alone: the error before each update adds the drift of a period', async () => {
    const run = await runSync(tsynScenario([
      { name: 'gw', offsetNs: 5 * S, driftPpb: 20_000, sync: master() },
      { name: 'cl', offsetNs: S, driftPpb: -30_000, sync: slave({ correction: 'offset' }) },
    ]));
    // −50 ppm over the ~1 s (and the FUP's ~1 ms) since the last step, on top of the frame time.
    for (const r of run.updates(1).slice(1)) {
      expect(num(r.error_ns)).toBeLessThanOrEqual(-222_004 - 50_000);
      expect(num(r.error_ns)).toBeGreaterThanOrEqual(-222_004 - 50_000 - 250);
    }
  });
});

describe('CanTSyn: determinism', () => {
  it('same scenario and seed: identical sync rows, twice', async () => {
    const json = () => tsynScenario([
      { name: 'gw', offsetNs: 5 * S, driftPpb: 20_000, sync: master() },
      { name: 'cl', offsetNs: S, driftPpb: -30_000, sync: slave() },
      { name: 'ivi', offsetNs: -S, driftPpb: 7_000, sync: slave({ correction: 'offset' }) },
    ]);
    const text = (rows: SyncRow[]) => JSON.stringify(rows, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const a = await runSync(json());
    const b = await runSync(json());
    expect(a.rows.length).toBe(10);
    expect(text(a.rows)).toBe(text(b.rows));
  });
});

/** Counts the CAN frames its program sees, by id. */
class CountingProgram implements GuestProgram<{ byId: [number, number][] }> {
  state = { byId: [] as [number, number][] };
  readonly stateSchema = z.strictObject({ byId: z.array(z.tuple([z.int(), z.int()])) });
  vcpusUsed(): number {
    return 1;
  }
  start(): void {}
  onCanFrame(_api: GuestApi, _port: number, frame: { canId: number }): void {
    const entry = this.state.byId.find(([id]) => id === frame.canId);
    if (entry === undefined) this.state.byId.push([frame.canId, 1]);
    else entry[1]++;
  }
}

describe('CanTSyn: frames with its id go to the stack, not the program', () => {
  it('the slave\'s program sees the other frames on the bus but no SYNC / FUP', async () => {
    const counter = new CountingProgram();
    const run = await runSync(tsynScenario([
      { name: 'gw', offsetNs: 5 * S, sync: master() },
      { name: 'cl', sync: slave(), program: { type: 'idle' } },
      { name: 'noise', program: { type: 'idle' } },
    ]), { programs: { cl: () => counter, noise: () => new BlockerProgram(S / 2) } });
    expect(run.updates(1).length).toBe(5); // the stack had them
    expect(counter.state.byId).toEqual([[0x010, 1]]); // the program only the blocker's frame
  });
});

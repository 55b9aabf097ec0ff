// Property: a scenario that loads is a scenario that runs (issue #8). Scenarios are generated
// from the schema's fields with a seeded PRNG — values biased to the edges (min, max, just over
// or under a limit), random VM / device / ECU / bus counts — and each one is either refused
// with every problem naming a field path, or it runs 1 s of virtual time to the end within a
// work budget (engine events and trace rows, counted by the sink: deterministic, unlike a timer).
// A failure prints its case seed; PROPERTY_CASES=500 PROPERTY_SEED=n explores further.
import { describe, expect, it } from 'vitest';
import { rng } from '../bytes.js';
import { parseScenario, ScenarioError } from '../../src/scenario/load.js';
import { Platform } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import { guestRamNeededBytes } from '../../src/scenario/guest-ram.js';
import { MIB } from '../../src/scenario/limits.js';
import type { TraceColumns } from '../../src/core/api.js';
import type { DltRow } from '../../src/trace/recorder.js';
import type { ClockRow } from '../../src/trace/recorder.js';

const CASES = Number(process.env.PROPERTY_CASES ?? 60);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261201);
const RUN_NS = 1_000_000_000;
/**
 * Work one accepted 1 s run may take: far above the worst accepted scenarios measured (about
 * 0.7 M trace rows and 0.1 M engine events for 1 s, README "Scenarios"), far below a run that
 * never ends.
 */
const ROWS_BUDGET = 5_000_000;
const EVENTS_BUDGET = 2_000_000;

class WorkBudgetExceeded extends Error {}

/** A counting sink that stops a run once it has done more work than any accepted scenario may. */
class BudgetSink extends CountingSink {
  engineEvents: () => number = () => 0;
  private check(): void {
    const rows = this.eventRows + this.dltRows + this.clockRows;
    if (rows > ROWS_BUDGET || this.engineEvents() > EVENTS_BUDGET) {
      throw new WorkBudgetExceeded(`work budget exceeded: ${rows} rows, ${this.engineEvents()} engine events`);
    }
  }
  override events(cols: TraceColumns, count: number): void {
    super.events(cols, count);
    this.check();
  }
  override dlt(row: DltRow, wire: Uint8Array): void {
    super.dlt(row, wire);
    this.check();
  }
  override clock(row: ClockRow): void {
    super.clock(row);
    this.check();
  }
}

type Rand = () => number;

/** Scenario generator: `bad` is the chance that a field is given a value just outside its range. */
class Gen {
  constructor(
    readonly r: Rand,
    readonly bad: number,
  ) {}

  below(n: number): number {
    return Math.floor(this.r() * n);
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
  /** An integer in [min, max] biased to the edges; with probability `bad`, just outside. */
  int(min: number, max: number): number {
    if (this.chance(this.bad)) return this.chance(0.5) ? min - 1 : max + 1;
    const roll = this.r();
    if (roll < 0.2) return min;
    if (roll < 0.4) return max;
    if (roll < 0.5) return Math.min(max, min + 1);
    if (roll < 0.6) return Math.max(min, max - 1);
    // log-uniform, so wide ranges (ns, bytes) do not always land near max
    const span = max - min;
    return min + Math.floor(Math.exp(this.r() * Math.log(span + 1)) - 1);
  }
  /** A duration in [minNs, maxNs]: integer ns or a string with a unit. */
  duration(minNs: number, maxNs: number): number | string {
    const ns = this.int(minNs, maxNs);
    if (ns < 0 || !this.chance(0.5)) return ns;
    for (const [unit, scale] of [['s', 1e9], ['ms', 1e6], ['us', 1e3]] as const) {
      if (ns % scale === 0 && ns > 0) return `${ns / scale}${unit}`;
    }
    return `${ns}ns`;
  }
  maybe<T>(value: () => T): T | undefined {
    return this.chance(0.5) ? value() : undefined;
  }
}

const US = 1e3;
const MS = 1e6;
const S = 1e9;

function mac(i: number): string {
  return `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
}

/** Drops undefined fields, so a default is exercised by leaving the field out. */
function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

function program(g: Gen, macs: string[]): Record<string, unknown> {
  const peer = () => (macs.length > 0 ? g.pick(macs) : undefined);
  switch (g.pick(['cluster', 'infotainment', 'gateway', 'hostile', 'idle'] as const)) {
    case 'cluster':
      return compact({
        type: 'cluster', framePeriodNs: g.maybe(() => g.duration(1 * MS, 100 * MS)),
        frameCostNs: g.maybe(() => g.duration(0, 1 * S)), frameCostJitterNs: g.maybe(() => g.duration(0, 1 * S)),
        framebufferBytes: g.maybe(() => g.int(0, 2 ** 40 - 1)), fullRedrawEvery: g.maybe(() => g.int(1, 1000)),
        fullRedrawFactor: g.maybe(() => g.int(1, 64)),
      });
    case 'infotainment':
      return compact({
        type: 'infotainment', burstEveryNs: g.maybe(() => g.duration(1 * MS, 2 ** 32 - 3)),
        burstFrames: g.maybe(() => g.int(1, 256)), frameBytes: g.maybe(() => g.int(64, 1514)),
        burstCostNs: g.maybe(() => g.duration(0, 1 * S)), memoryBurstBytes: g.maybe(() => g.int(0, 2 ** 38 - 1)),
        bigBurstOneIn: g.maybe(() => g.int(1, 2 ** 32 - 1)), peer: peer(),
      });
    case 'gateway':
      return compact({
        type: 'gateway', perFrameCostNs: g.maybe(() => g.duration(0, 1 * S)),
        forwardTo: g.maybe(() => Array.from({ length: g.below(4) }, () => peer()).filter((m) => m !== undefined)),
        statsEveryNs: g.maybe(() => g.duration(1 * MS, 10 * S)),
      });
    case 'hostile': {
      const kinds = ['desc_loop', 'desc_out_of_range', 'addr_outside_guest', 'readable_after_writable', 'nested_indirect'];
      const attacks = Array.from({ length: g.below(6) }, () => ({ atNs: g.duration(0, 2 * S), kind: g.pick(kinds) }));
      return compact({ type: 'hostile', attacks, logEveryNs: g.maybe(() => g.duration(1 * MS, 10 * S)) });
    }
    case 'idle':
      return { type: 'idle' };
  }
}

function vmDevices(g: Gen, buses: string[], nextMac: () => string): Record<string, unknown>[] {
  const devices: Record<string, unknown>[] = [];
  if (g.chance(0.8)) devices.push({ type: 'console' });
  for (let k = g.below(4); k > 0; k--) devices.push({ type: 'net', mac: nextMac() });
  if (buses.length > 0) for (let k = g.below(3); k > 0; k--) devices.push({ type: 'can', bus: g.pick(buses) });
  return devices.slice(0, 8);
}

function vm(g: Gen, i: number, devices: Record<string, unknown>[], macs: string[]): Record<string, unknown> {
  return compact({
    name: `vm${i}`, ecu: `E${i}`, vcpus: g.maybe(() => g.int(1, 8)), priority: g.maybe(() => g.int(0, 255)),
    // the smallest RAM its drivers fit in is an edge of its own (and one MiB less, just under it)
    ramMiB: g.maybe(() => g.pick([g.int(needMiB(devices), 16), g.int(needMiB(devices), 1024), g.int(1, 1024)])),
    clock: g.maybe(() => compact({
      offsetNs: g.maybe(() => g.duration(-1e15, 1e15)), driftPpb: g.maybe(() => g.int(-1e6, 1e6)),
      steps: g.maybe(() => Array.from({ length: g.below(3) }, () => ({ atNs: g.duration(0, 2 * S), byNs: g.duration(-1e12, 1e12) }))),
    })),
    busBudget: g.maybe(() => ({ bytesPerPeriod: g.chance(0.2) ? g.int(1, 2 ** 40) : g.int(1, 2 ** 32), periodNs: g.duration(1 * US, 1 * S) })),
    devices,
    program: program(g, macs),
  });
}

function ecu(g: Gen, i: number, buses: string[]): Record<string, unknown> {
  const frames = Array.from({ length: 1 + g.below(g.chance(0.2) ? 16 : 3) }, (_, j) => {
    const extended = g.chance(0.3);
    return compact({
      canId: extended ? g.int(0, 0x1fffffff) : g.int(0, 0x7ff), extended: extended ? true : undefined,
      dlc: g.maybe(() => g.int(0, 8)), periodNs: g.chance(0.2) ? g.duration(100 * US, 1 * S) : g.duration(5 * MS, 1 * S),
      jitterNs: g.maybe(() => g.duration(0, 50 * US)), signal: g.maybe(() => g.pick(['counter', 'speed', 'rpm', 'random'])),
      _j: j,
    });
  });
  return { name: `ecu${i}`, bus: g.pick(buses), frames: frames.map(({ _j, ...f }) => f) };
}

function scenario(g: Gen): Record<string, unknown> {
  const buses = Array.from({ length: g.below(4) }, (_, i) => `can${i}`);
  let macCount = 0;
  const nextMac = () => mac(++macCount);
  const vmCount = 1 + (g.chance(0.2) ? g.below(16) : g.below(4));
  // Devices first, so the programs name MACs the net devices have (a program naming another
  // MAC is refused at load, src/scenario/guest-references.ts: an edge of its own, not the point).
  const devices = Array.from({ length: vmCount }, () => vmDevices(g, buses, nextMac));
  const macs = devices.flat().filter((d) => d.type === 'net').map((d) => d.mac as string);
  const vms = devices.map((d, i) => vm(g, i, d, macs));
  const ecus = buses.length === 0 ? [] : Array.from({ length: g.below(g.chance(0.2) ? 47 : 5) }, (_, i) => ecu(g, i, buses));
  return compact({
    name: 'prop', seed: g.maybe(() => g.int(0, 2 ** 32 - 1)), durationNs: RUN_NS,
    pcpus: g.maybe(() => g.int(1, 16)), sliceNs: g.maybe(() => g.duration(100 * US, 1 * S)),
    clockSampleNs: g.maybe(() => g.duration(1 * MS, 10 * S)),
    network: g.maybe(() => ({ latencyNs: g.duration(0, 1 * S), bitsPerSecond: g.int(1_000, 100_000_000_000) })),
    // edges of the bit rate half the time, else the rates CAN buses run at (most load checks pass)
    canBuses: buses.map((name) => ({ name, bitsPerSecond: g.chance(0.5) ? g.int(10_000, 8_000_000) : g.pick([500_000, 1_000_000, 8_000_000]) })),
    ecus, vms,
  });
}

function needMiB(devices: Record<string, unknown>[]): number {
  return Math.ceil(guestRamNeededBytes(devices as { type: 'console' | 'net' | 'can' }[]) / MIB);
}

const FIELD_PATH = /^[a-zA-Z$][\w$]*(\[\d+\]|\.[\w$]+)*: \S/;

type Outcome = { kind: 'rejected'; problems: string[] } | { kind: 'ran'; rows: number };

async function runCase(input: Record<string, unknown>): Promise<Outcome> {
  let s;
  try {
    s = parseScenario(input, 'case');
  } catch (err) {
    if (err instanceof ScenarioError) return { kind: 'rejected', problems: err.problems };
    throw err;
  }
  const sink = new BudgetSink();
  const platform = await Platform.create(s, sink);
  sink.engineEvents = () => platform.engine.eventsRun;
  const summary = platform.run(RUN_NS);
  expect(summary.durationNs).toBe(RUN_NS);
  return { kind: 'ran', rows: sink.eventRows + sink.dltRows + sink.clockRows };
}

describe('property: every accepted scenario runs 1 s, every refused one names a field', () => {
  it(`${CASES} generated scenarios (seed ${SEED})`, async () => {
    const seeds = rng(SEED);
    let ran = 0;
    let rejected = 0;
    for (let c = 0; c < CASES; c++) {
      const caseSeed = Math.floor(seeds() * 2 ** 32);
      const g = new Gen(rng(caseSeed), rng(caseSeed ^ 0x5bd1e995)() < 0.5 ? 0 : 0.03);
      const input = scenario(g);
      const where = `case ${c} (seed ${caseSeed}): ${JSON.stringify(input).slice(0, 2000)}`;
      let outcome: Outcome;
      try {
        outcome = await runCase(input);
      } catch (err) {
        throw new Error(`${where}\n  -> ${(err as Error).message}`);
      }
      if (process.env.PROPERTY_VERBOSE) {
        console.log(c, outcome.kind, outcome.kind === 'ran' ? outcome.rows : outcome.problems.map((p) => p.slice(0, 90)).join(' | '));
      }
      if (outcome.kind === 'rejected') {
        rejected++;
        for (const line of outcome.problems) expect(line, where).toMatch(FIELD_PATH);
      } else {
        ran++;
      }
    }
    // Both halves of the property were exercised (a generator that only makes one kind proves nothing).
    expect(ran, 'accepted scenarios').toBeGreaterThanOrEqual(CASES / 6);
    expect(rejected, 'refused scenarios').toBeGreaterThanOrEqual(CASES / 6);
  }, 300_000);
});

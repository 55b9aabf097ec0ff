// Runs a scenario with faults through the real platform and core, keeping in memory every event
// row (with val) and clock row, for the fault tests to reason about.
import { FAULT_TYPE, KIND, type EventKind, type FaultType } from '../../src/core/codes.js';
import { Platform, type RunSummary } from '../../src/platform/platform.js';
import type { PlatformSink } from '../../src/platform/sink.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { ClockRow } from '../../src/trace/recorder.js';
import { copyEventRows, type EventRow } from '../event-rows.js';

/** An event row with its val and seq (test/event-rows.ts). */
export type Row = EventRow;

export interface FaultRun {
  summary: RunSummary;
  platform: Platform;
  events: Row[];
  clock: ClockRow[];
  of(kind: EventKind): Row[];
  /** fault_injected rows of one fault type */
  injected(type: FaultType): Row[];
}

export async function runFaults(json: unknown): Promise<FaultRun> {
  const scenario = parseScenario(json, 'test');
  const events: Row[] = [];
  const clock: ClockRow[] = [];
  const sink: PlatformSink = {
    events: (cols, count) => copyEventRows(cols, count, events),
    dlt: () => {},
    clock: (row) => clock.push({ ...row }),
    input: () => {},
  };
  const platform = await Platform.create(scenario, sink);
  const summary = platform.run();
  const of = (kind: EventKind) => events.filter((e) => e.kind === KIND[kind]);
  return {
    summary, platform, events, clock, of,
    injected: (type) => of('fault_injected').filter((e) => e.id === FAULT_TYPE[type]),
  };
}

export const MS = 1_000_000;
export const CLUSTER_MAC = '02:00:00:00:00:01';
export const GATEWAY_MAC = '02:00:00:00:00:03';
/** Links are numbered in net-device order: the cluster's is 0, the gateway's 1. */
export const CLUSTER_LINK = 0;
export const GATEWAY_LINK = 1;
/** The ECU's frame: a standard id, 8 data bytes, every millisecond, no jitter. */
export const ECU_CAN_ID = 0x100;
export const ECU_PERIOD_NS = 1 * MS;

/**
 * A 1 ms CAN frame from an ECU, bridged by the gateway to the cluster over Ethernet: one frame a
 * millisecond on the gateway's link (device -> switch) and on the cluster's (switch -> device).
 */
export function bridge(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'faults',
    seed: 7,
    durationNs: '1s',
    canBuses: [{ name: 'can0', bitsPerSecond: 500_000 }],
    ecus: [{ name: 'esc', bus: 'can0', frames: [{ canId: ECU_CAN_ID, dlc: 8, periodNs: ECU_PERIOD_NS, signal: 'speed' }] }],
    vms: [
      {
        name: 'cluster', ecu: 'CLST', priority: 90,
        busBudget: { bytesPerPeriod: 2_000_000, periodNs: '10ms' },
        devices: [{ type: 'console' }, { type: 'net', mac: CLUSTER_MAC }],
        program: { type: 'cluster' },
      },
      {
        name: 'gateway', ecu: 'GW01', priority: 20,
        devices: [{ type: 'console' }, { type: 'net', mac: GATEWAY_MAC }, { type: 'can', bus: 'can0' }],
        program: { type: 'gateway', forwardTo: [CLUSTER_MAC] },
      },
    ],
    ...extra,
  };
}

/** Every kind of fault at once, on the bridge above (determinism.test.ts, test/snapshot/dirty-pages.test.ts). */
export const ALL_FAULTS = [
  { type: 'link_loss', ppm: 200_000 },
  { type: 'link_corrupt', mac: '02:00:00:00:00:01', ppm: 50_000, at: '100ms' },
  { type: 'can_error', ppm: 100_000 },
  { type: 'can_bus_off', node: 'esc', at: '600ms', for: '50ms' },
  { type: 'desc_corrupt', vm: 'gateway', ppm: 5_000 },
  { type: 'clock_step', vm: 'gateway', at: '300ms', by: '-2ms' },
  { type: 'clock_drift', vm: 'gateway', at: '400ms', ppb: 30_000 },
  { type: 'vcpu_stall', vm: 'gateway', at: '200ms', for: '20ms' },
  { type: 'bus_cut', vm: 'cluster', bytesPerPeriod: 500_000, at: '500ms', for: '100ms' },
];


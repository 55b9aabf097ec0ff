// Platform state is data (issue 10 §1): captureState is a plain JSON record of the TypeScript
// run-time state, restoreState puts it into a fresh platform of the scenario through checks
// that name a bad field. The core's part is opaque here (Core.snapshot, issue 10 §3).
import { describe, expect, test } from 'vitest';
import { Platform } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import type { PlatformState } from '../../src/platform/state-capture.js';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { installInputHandlers } from '../../src/inputs/handlers.js';
import { encodeCanInput } from '../../src/inputs/encoding.js';
import type { ManifestInput } from '../../src/trace/manifest-file.js';
import { busyVm } from '../busy-vm.js';

const MS = 1_000_000;

const CAN_SOURCE: ManifestInput = { source: 'flood.log', flag: '--can-input', kind: 'file', bus: 'can0' };

async function fresh(scenario: Scenario, inputs: ManifestInput[] = []): Promise<Platform> {
  const platform = await Platform.create(scenario, new CountingSink());
  installInputHandlers(platform, inputs);
  return platform;
}

/** JSON text and back: what a snapshot file would hold. */
function viaJson(state: PlatformState): unknown {
  return JSON.parse(JSON.stringify(state));
}

/** Restores `state` into a fresh platform of `scenario` and captures it again. */
async function roundTrip(scenario: Scenario, state: PlatformState, inputs: ManifestInput[] = []): Promise<PlatformState> {
  const copy = await fresh(scenario, inputs);
  copy.restoreState(viaJson(state));
  return copy.captureState();
}

function target(state: PlatformState, name: string): unknown {
  const t = state.targets.find((x) => x.name === name);
  if (t === undefined) throw new Error(`no target ${name}`);
  return t.state;
}

describe('captureState / restoreState round trip', () => {
  test('cockpit: at boot and at 0.5 s, 1.7 s and 3 s the restored platform captures the same state', async () => {
    const scenario = loadScenario('cockpit');
    const platform = await fresh(scenario);
    platform.boot();
    for (const atNs of [0, 500 * MS, 1_700 * MS, 3_000 * MS]) {
      platform.advanceTo(atNs);
      const state = platform.captureState();
      // A JSON round trip loses nothing: no function, Map, bigint or typed array in the state.
      expect(viaJson(state)).toEqual(state);
      expect(await roundTrip(scenario, state)).toEqual(state);
      expect(state.engine.nowNs).toBe(atNs);
    }
  });

  test('the state is the run\'s, not the objects\': two platforms run to the same time capture equal states', async () => {
    const scenario = loadScenario('cockpit');
    const [a, b] = [await fresh(scenario), await fresh(scenario)];
    a.boot();
    b.boot();
    a.advanceTo(800 * MS);
    b.advanceTo(300 * MS); // reaching 800 ms in two steps changes nothing
    b.advanceTo(800 * MS);
    expect(b.captureState()).toEqual(a.captureState());
  });

  test('cockpit at 3 s holds what a mid-run platform holds: queued events, jobs, program fields, DLT counters', async () => {
    const scenario = loadScenario('cockpit');
    const platform = await fresh(scenario);
    platform.boot();
    platform.advanceTo(3_000 * MS);
    const state = platform.captureState();
    const names = state.targets.map((t) => t.name);
    expect(names.slice(0, 2)).toEqual(['platform', 'scheduler']);
    expect(names).toContain('vm cluster');
    expect(names).toContain('ecu esc');
    // Every event names a target by id, with its op: the clock sample is the platform's (id 0).
    expect(state.engine.events.some((e) => e.target === 0 && e.op === 0)).toBe(true);
    // The cluster has rendered ~180 frames of 60 Hz by 3 s and heard the vehicle speed.
    const cluster = target(state, 'vm cluster') as { program: { frames: number; speedLocalNs: number }; dltCounters: [string, number][] };
    expect(cluster.program.frames).toBeGreaterThanOrEqual(170);
    expect(cluster.program.frames).toBeLessThanOrEqual(181);
    expect(cluster.program.speedLocalNs).toBeGreaterThan(0);
    expect(cluster.dltCounters.map(([k]) => k)).toContain('CLU/MAIN');
    const scheduler = target(state, 'scheduler') as { vcpus: { runNs: number }[] };
    expect(scheduler.vcpus).toHaveLength(4);
    for (const v of scheduler.vcpus) expect(v.runNs).toBeGreaterThan(0);
  });

  test('a vCPU stalled by a fault, mid-window: the stall count and the pending end edge round-trip', async () => {
    const scenario = parseScenario(busyVm([{ type: 'vcpu_stall', vm: 'busy', vcpu: 0, at: '100ms', for: '50ms' }]), 'test');
    const platform = await fresh(scenario);
    platform.boot();
    platform.advanceTo(120 * MS);
    const state = platform.captureState();
    const scheduler = target(state, 'scheduler') as { vcpus: { stalled: number }[] };
    expect(scheduler.vcpus[0]!.stalled).toBe(1);
    const faults = state.targets.findIndex((t) => t.name === 'faults');
    expect(state.engine.events.filter((e) => e.target === faults).map((e) => e.timeNs)).toEqual([150 * MS]);
    expect(await roundTrip(scenario, state)).toEqual(state);
  });

  test('CAN inputs faster than the bus: the frames waiting in the input node round-trip', async () => {
    const scenario = loadScenario('cockpit');
    const platform = await fresh(scenario, [CAN_SOURCE]);
    platform.boot();
    platform.advanceTo(10 * MS);
    // 40 frames at once: the node's TX mailboxes take a few, the rest wait for the bus.
    for (let i = 0; i < 40; i++) {
      const data = Uint8Array.of(i, 0xaa);
      platform.applyInput(CAN_SOURCE.source, 'can_frame', encodeCanInput({ type: 'data', canId: 0x300 + i, data, len: 2, fdFlags: 0, len8Dlc: 0 }));
    }
    const state = platform.captureState();
    const node = target(state, 'can input can0') as { retryScheduled: boolean; waiting: [number, number[]][] };
    expect(node.retryScheduled).toBe(true);
    expect(node.waiting.length).toBeGreaterThan(0);
    const last = 39;
    expect(node.waiting.at(-1)).toEqual([0x300 + last, [last, 0xaa]]);
    expect((target(state, 'platform') as { inputSeq: number }).inputSeq).toBe(40);
    expect(await roundTrip(scenario, state, [CAN_SOURCE])).toEqual(state);
  });

  test('the core part is handed through: restoreCore gets it after wiring, before the TypeScript state', async () => {
    const scenario = loadScenario('cockpit');
    const platform = await fresh(scenario);
    platform.boot();
    platform.advanceTo(50 * MS);
    const state = platform.captureState({ opaque: 'core bytes' });
    const copy = await fresh(scenario);
    const seen: unknown[] = [];
    copy.restoreState(viaJson(state), { restoreCore: (core) => seen.push(core, copy.engine.pending) });
    // Called once with the core part, while the engine queue was still empty (nothing scheduled).
    expect(seen).toEqual([{ opaque: 'core bytes' }, 0]);
    expect(copy.engine.pending).toBe(state.engine.events.length);
  });
});

describe('the state dump shows guest programs', () => {
  test('replay --state\'s collectState carries each program\'s fields; an idle VM has none', async () => {
    const { collectState } = await import('../../src/replay/state.js');
    const { formatStateText } = await import('../../src/replay/state-format.js');
    const platform = await fresh(loadScenario('cockpit'));
    platform.boot();
    platform.advanceTo(1_000 * MS);
    const dump = collectState(platform);
    const captured = platform.captureState();
    for (const vm of dump.vms) {
      const own = target(captured, `vm ${vm.name}`) as { program: unknown };
      expect(vm.program).toEqual(own.program);
    }
    // Releases every 16666667 ns from t = 0: frames 0..59 by 1 s (frame 60 comes at 1000.00002 ms);
    // frame 59, released at 983.3 ms, renders in 4-5 ms of CPU on the cluster's top-priority vCPU.
    expect((dump.vms[0]!.program as { frames: number }).frames).toBe(60);
    expect(formatStateText(dump)).toMatch(/^guest programs .*\n.*\n  cluster +\{"speedKph":/m);
  });
});

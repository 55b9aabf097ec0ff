// A guest program written by a user (README "Writing a guest program"): Platform.create's
// `programs` option runs it in place of the scenario's; it is captured and restored like the
// built-in ones.
import { describe, expect, test } from 'vitest';
import { KIND } from '../../src/core/codes.js';
import { Platform } from '../../src/platform/platform.js';
import type { PlatformSink } from '../../src/platform/sink.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { DltRow } from '../../src/trace/recorder.js';
import { Heartbeat } from './heartbeat-program.js';

const MS = 1_000_000;
const scenario = parseScenario({
  name: 'heartbeat', seed: 3, durationNs: '1s',
  canBuses: [{ name: 'body', bitsPerSecond: 500_000 }],
  // One frame every 10 ms from 10 ms on, no jitter.
  ecus: [{ name: 'door', bus: 'body', frames: [{ canId: 0x2a0, periodNs: '10ms', jitterNs: 0, signal: 'counter' }] }],
  vms: [{ name: 'hb', ecu: 'HB01', devices: [{ type: 'console' }, { type: 'can', bus: 'body' }], program: { type: 'idle' } }],
}, 'test');

function sinkOf(dlt: DltRow[], canTx: number[]): PlatformSink {
  return {
    events(cols, count) {
      for (let i = 0; i < count; i++) if (cols.kind[i] === KIND.can_tx && cols.vm[i] === 0) canTx.push(Number(cols.ts_ns[i]));
    },
    dlt: (row) => dlt.push(row),
    clock: () => {},
    input: () => {},
  };
}

describe('a guest program of your own', () => {
  test('the heartbeat sends a frame every 100 ms, logs it with what it heard', async () => {
    const dlt: DltRow[] = [];
    const canTx: number[] = [];
    const program = new Heartbeat();
    const platform = await Platform.create(scenario, sinkOf(dlt, canTx), { programs: { hb: () => program } });
    platform.run();
    // Beats at 100, 200, ..., 900 ms (+50 µs of CPU); the one timed at 1 s finishes after the run.
    const beats = dlt.filter((r) => r.ctid === 'BEAT').map((r) => r.payload);
    expect(beats).toHaveLength(9);
    expect(beats[0]).toMatch(/^beat 1 heard \d+$/);
    expect(canTx).toHaveLength(9);
    // The door's 10 ms frames: 99 were sent by 990 ms; the ones the guest has seen lag by its
    // interrupt handling, never lead.
    expect(program.state.heard).toBeGreaterThanOrEqual(90);
    expect(program.state.heard).toBeLessThanOrEqual(99);
    expect(program.state.beats).toBe(9);
    expect(dlt.filter((r) => r.ctid === 'MAIN').map((r) => r.payload)).toEqual(['heartbeat up']);
  });

  test('its state is captured and restored with the platform', async () => {
    const platform = await Platform.create(scenario, sinkOf([], []), { programs: { hb: () => new Heartbeat() } });
    platform.boot();
    platform.advanceTo(450 * MS);
    const state = platform.captureState();
    const hb = state.targets.find((t) => t.name === 'vm hb')!.state as { program: { beats: number; heard: number } };
    expect(hb.program.beats).toBe(4);
    const copy = await Platform.create(scenario, sinkOf([], []), { programs: { hb: () => new Heartbeat() } });
    copy.restoreState(JSON.parse(JSON.stringify(state)));
    expect(copy.captureState()).toEqual(state);
  });
});

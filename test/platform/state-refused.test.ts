// A malformed or foreign platform state is refused before anything is assigned, with one error
// naming the field (STYLE.md: one door for untrusted state). Each case breaks one field of a
// real capture (cockpit at 400 ms) and expects that field's path in the message.
import { beforeAll, describe, expect, test } from 'vitest';
import { Platform } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import type { PlatformState } from '../../src/platform/state-capture.js';
import { StateError } from '../../src/engine/state-check.js';
import { loadScenario } from '../../src/scenario/load.js';

const MS = 1_000_000;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let captured: PlatformState;
beforeAll(async () => {
  const platform = await Platform.create(loadScenario('cockpit'), new CountingSink());
  platform.boot();
  platform.advanceTo(400 * MS);
  captured = platform.captureState();
});

function idOf(name: string): number {
  return captured.targets.findIndex((t) => t.name === name);
}

/** A deep copy of the capture with one change, restored into a fresh cockpit platform. */
async function restoreBroken(breakIt: (s: Json) => void): Promise<Platform> {
  const state = JSON.parse(JSON.stringify(captured)) as Json;
  breakIt(state);
  const platform = await Platform.create(loadScenario('cockpit'), new CountingSink());
  platform.restoreState(state);
  return platform;
}

async function refusal(breakIt: (s: Json) => void): Promise<string> {
  try {
    await restoreBroken(breakIt);
  } catch (err) {
    expect(err).toBeInstanceOf(StateError);
    return (err as Error).message;
  }
  throw new Error('the broken state was accepted');
}

describe('restoreState refuses a bad state, naming the field', () => {
  test('the unbroken capture is accepted (the cases below differ from it in one field)', async () => {
    const platform = await restoreBroken(() => {});
    expect(platform.captureState()).toEqual(captured);
  });

  test('not a state at all', async () => {
    expect(await refusal((s) => (s.format = 'something-else'))).toMatch(/^state\.format: /);
  });

  test('another scenario', async () => {
    expect(await refusal((s) => (s.scenario = 'hostile'))).toBe('state.scenario: "hostile", this platform runs "cockpit"');
  });

  test('a target list of another platform (a VM renamed)', async () => {
    const id = idOf('vm gateway');
    expect(await refusal((s) => (s.targets[id].name = 'vm gw'))).toBe(`state.targets[${id}].name: "vm gw", this platform's target ${id} is "vm gateway"`);
  });

  test('an event for a target that does not exist', async () => {
    const n = captured.targets.length;
    expect(await refusal((s) => (s.engine.events[2].target = n + 5))).toBe(`state.engine.events[2].target: ${n + 5} is not an event target (0..${n - 1})`);
  });

  test('an event in the past', async () => {
    expect(await refusal((s) => (s.engine.events[0].timeNs = 5))).toBe(`state.engine.events[0].timeNs: 5 is before the state's time ${400 * MS}`);
  });

  test('two events with one sequence number', async () => {
    expect(await refusal((s) => (s.engine.events[1].seq = s.engine.events[0].seq))).toMatch(/^state\.engine\.events\[1\]\.seq: \d+ is used twice$/);
  });

  test('a fractional time', async () => {
    expect(await refusal((s) => (s.engine.events[3].timeNs += 0.5))).toMatch(/^state\.engine\.events\[3\]\.timeNs: /);
  });

  test('a vCPU on a pCPU the platform lacks', async () => {
    const id = idOf('scheduler');
    const message = await refusal((s) => {
      const v = s.targets[id].state.vcpus.find((x: Json) => x.state === 'running') ?? s.targets[id].state.vcpus[0];
      v.state = 'running';
      v.pcpu = 7;
    });
    expect(message).toMatch(new RegExp(`^state\\.targets\\[${id}\\] \\(scheduler\\)\\.vcpus\\[\\d\\]\\.pcpu: 7 is not a pCPU \\(0\\.\\.1\\)$`));
  });

  test('a vCPU state that is no state', async () => {
    const id = idOf('scheduler');
    expect(await refusal((s) => (s.targets[id].state.vcpus[1].state = 'sleeping'))).toMatch(
      new RegExp(`^state\\.targets\\[${id}\\] \\(scheduler\\)\\.vcpus\\[1\\]\\.state: `),
    );
  });

  test('a job owned by no target', async () => {
    const id = idOf('scheduler');
    const message = await refusal((s) => {
      const v = s.targets[id].state.vcpus[3];
      if (v.jobs.length === 0) {
        v.state = v.state === 'idle' ? 'runnable' : v.state;
        v.jobs.push([1000, 0, 2, 0, 0]);
      }
      v.jobs[0][1] = 9999;
    });
    expect(message).toBe(`state.targets[${id}] (scheduler).vcpus[3].jobs[0][1]: owner 9999 is not an event target (0..${captured.targets.length - 1})`);
  });

  test('a guest program field of the wrong type', async () => {
    const id = idOf('vm cluster');
    expect(await refusal((s) => (s.targets[id].state.program.speedKph = 'fast'))).toMatch(
      new RegExp(`^state\\.targets\\[${id}\\] \\(vm cluster\\)\\.program\\.speedKph: `),
    );
  });

  test('a guest program field the program does not have', async () => {
    const id = idOf('vm gateway');
    expect(await refusal((s) => (s.targets[id].state.program.extra = 1))).toMatch(
      new RegExp(`^state\\.targets\\[${id}\\] \\(vm gateway\\)\\.program: `),
    );
  });

  test('a driver buffer both free and in flight', async () => {
    const id = idOf('console dev 0');
    const message = await refusal((s) => {
      const d = s.targets[id].state.driver;
      const inFlight = d.slotByHead.findIndex((x: number) => x >= 0);
      if (inFlight >= 0) d.freeSlots.push(d.slotByHead[inFlight]);
      else d.freeSlots.push(d.freeSlots[0]);
    });
    expect(message).toMatch(new RegExp(`^state\\.targets\\[${id}\\] \\(console dev 0\\)\\.driver\\.`));
    expect(message).toMatch(/both free and in flight, or twice/);
  });

  test('a DLT message counter past 255', async () => {
    const id = idOf('vm cluster');
    expect(await refusal((s) => (s.targets[id].state.dltCounters[0][1] = 256))).toMatch(
      new RegExp(`^state\\.targets\\[${id}\\] \\(vm cluster\\)\\.dltCounters\\[0\\]\\[1\\]: `),
    );
  });

  test('a platform whose restore was refused cannot be run, booted or captured (half a state is never used)', async () => {
    const state = JSON.parse(JSON.stringify(captured)) as Json;
    state.targets[idOf('vm gateway')].state.program.canRx = -1;
    const platform = await Platform.create(loadScenario('cockpit'), new CountingSink());
    expect(() => platform.restoreState(state)).toThrow(/\(vm gateway\)\.program\.canRx: /);
    expect(platform.engine.pending).toBe(0); // the queue is loaded last, after every check
    expect(() => platform.advanceTo(500 * MS)).toThrow(/before boot/);
    expect(() => platform.boot()).toThrow(/booted or restored twice/);
    expect(() => platform.captureState()).toThrow(/before boot or restore/);
  });
});

describe('restoreState checks clocks too', () => {
  test('clock steps out of time order', async () => {
    const id = idOf('vm infotainment');
    const message = await refusal((s) => {
      s.targets[id].state.clock.steps = [{ atNs: 9, byNs: 1 }, { atNs: 5, byNs: 1 }];
    });
    expect(message).toBe(`state.targets[${id}] (vm infotainment).clock.steps: not in time order`);
  });

  test('a clock without its first drift stretch', async () => {
    const id = idOf('vm cluster');
    expect(await refusal((s) => (s.targets[id].state.clock.segments = []))).toMatch(
      new RegExp(`^state\\.targets\\[${id}\\] \\(vm cluster\\)\\.clock\\.segments: `),
    );
  });
});

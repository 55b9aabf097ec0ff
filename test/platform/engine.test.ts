import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { fakeCore } from './fake-core.js';
import { RecordingTarget } from './recording-target.js';
import { GuestClock, driftTermNs } from '../../src/platform/clock.js';

function setup() {
  const { core } = fakeCore();
  const engine = new Engine({ core, onIrq: () => {} });
  return { engine, target: new RecordingTarget(engine) };
}

describe('engine', () => {
  test('events at the same time run in scheduling order, later ones after', () => {
    const { engine, target } = setup();
    engine.at(50, target.id, 3);
    engine.at(10, target.id, 1);
    engine.at(10, target.id, 2);
    target.react = (op) => {
      if (op === 1) engine.after(0, target.id, 9);
    };
    engine.runUntil(100);
    // op 9 is scheduled at 10 while op 1 runs: after op 2, which was queued at 10 earlier.
    expect(target.log).toEqual(['1:0@10', '2:0@10', '9:0@10', '3:0@50']);
    expect(engine.now).toBe(100);
  });

  test('an event hands its target its op and arguments', () => {
    const { engine, target } = setup();
    engine.at(7, target.id, 4, 123_456_789_012, -1);
    engine.runUntil(10);
    expect(target.fired).toEqual([{ atNs: 7, op: 4, a0: 123_456_789_012, a1: -1 }]);
  });

  test('events after the horizon stay queued for the next run', () => {
    const { engine, target } = setup();
    engine.at(150, target.id, 0, 150);
    engine.runUntil(100);
    expect(target.fired).toEqual([]);
    engine.runUntil(200);
    expect(target.log).toEqual(['0:150@150']);
  });

  test('scheduling in the past is a tracevisor bug, caught', () => {
    const { engine, target } = setup();
    engine.runUntil(100);
    expect(() => engine.at(99, target.id, 0)).toThrow(/before now/);
  });

  test('an event for a target nobody registered is a tracevisor bug, caught', () => {
    const { engine } = setup();
    expect(() => engine.at(10, 1, 0)).toThrow(/unregistered target 1/);
  });

  test('many events at scattered times come out in (time, seq) order, across queue growth', () => {
    const { engine, target } = setup();
    // 5000 events (the queue starts with 256 slots and doubles): times from a fixed MINSTD generator with
    // many ties; the expected order is a stable sort by time of the insertion order.
    let x = 12345;
    const times: number[] = [];
    for (let i = 0; i < 5000; i++) {
      x = (x * 48271) % 2_147_483_647; // MINSTD: products stay below 2^53
      times.push(x % 997);
      engine.at(times[i]!, target.id, 0, i);
    }
    engine.runUntil(1000);
    const expected = times.map((t, i) => ({ t, i })).sort((a, b) => a.t - b.t || a.i - b.i).map((e) => e.i);
    expect(target.fired.map((f) => f.a0)).toEqual(expected);
  });
});

describe('guest clock', () => {
  test('offset, drift and steps combine in integer ns', () => {
    const clock = new GuestClock({ offsetNs: 1_000, driftPpb: 12_000, steps: [{ atNs: 5_000_000_000, byNs: -3_000_000 }] });
    // 1 s at +12 ppm gains 12 µs.
    expect(clock.localNs(1_000_000_000)).toBe(1_000 + 1_000_000_000 + 12_000);
    // The step applies from its time on.
    expect(clock.localNs(4_999_999_999) - clock.localNs(4_999_999_998)).toBe(1);
    expect(clock.localNs(5_000_000_000)).toBe(1_000 + 5_000_000_000 + 60_000 - 3_000_000);
  });

  test('drift term stays exact for a long run and negative drift floors', () => {
    // 30 days at -35 ppm: -90.72 s exactly.
    const thirtyDays = 30 * 86_400 * 1_000_000_000;
    expect(driftTermNs(thirtyDays, -35_000)).toBe(-90_720_000_000);
    expect(driftTermNs(1, -1)).toBe(-1);
    expect(driftTermNs(999_999_999, 1)).toBe(0);
  });
});

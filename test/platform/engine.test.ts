import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { fakeCore } from './fake-core.js';
import { GuestClock, driftTermNs } from '../../src/platform/clock.js';

describe('engine', () => {
  test('events at the same time run in scheduling order, later ones after', () => {
    const { core } = fakeCore();
    const engine = new Engine({ core, onIrq: () => {} });
    const seen: string[] = [];
    engine.at(50, () => seen.push('c'));
    engine.at(10, () => {
      seen.push('a');
      engine.after(0, () => seen.push('a+0'));
    });
    engine.at(10, () => seen.push('b'));
    engine.runUntil(100);
    expect(seen).toEqual(['a', 'b', 'a+0', 'c']);
    expect(engine.now).toBe(100);
  });

  test('events after the horizon stay queued for the next run', () => {
    const { core } = fakeCore();
    const engine = new Engine({ core, onIrq: () => {} });
    const seen: number[] = [];
    engine.at(150, () => seen.push(150));
    engine.runUntil(100);
    expect(seen).toEqual([]);
    engine.runUntil(200);
    expect(seen).toEqual([150]);
  });

  test('scheduling in the past is a tracevisor bug, caught', () => {
    const { core } = fakeCore();
    const engine = new Engine({ core, onIrq: () => {} });
    engine.runUntil(100);
    expect(() => engine.at(99, () => {})).toThrow(/before now/);
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

// Real-time pacing (src/inputs/pacing.ts) against a fake wall clock: it waits exactly until the
// wall clock catches up with virtual time / factor, counted from the first slice end.
import { describe, expect, it } from 'vitest';
import { realtimePace } from '../../src/inputs/pacing.js';

function fakeClock(): { now: () => number; waits: number[]; wait: (ms: number) => Promise<void>; advance: (ms: number) => void } {
  let t = 1000;
  const waits: number[] = [];
  return {
    now: () => t,
    waits,
    wait: async (ms) => {
      waits.push(ms);
      t += ms;
    },
    advance: (ms) => (t += ms),
  };
}

describe('realtime pacing', () => {
  it('factor 1: after each 1 ms slice that took 0.25 ms of wall time it waits 0.75 ms', async () => {
    const clock = fakeClock();
    const pace = realtimePace(1, clock.now, clock.wait);
    await pace(1_000_000); // the anchor: no wait
    for (let k = 2; k <= 4; k++) {
      clock.advance(0.25);
      await pace(k * 1_000_000);
    }
    expect(clock.waits).toEqual([0.75, 0.75, 0.75]);
  });

  it('factor 2 runs twice as fast; a slice slower than its wall share is not waited for', async () => {
    const clock = fakeClock();
    const pace = realtimePace(2, clock.now, clock.wait);
    await pace(0);
    clock.advance(0.1);
    await pace(1_000_000); // due at 0.5 ms
    clock.advance(3); // a slow slice: now behind, no wait until virtual time is ahead again
    await pace(2_000_000);
    await pace(10_000_000); // due at 5 ms from the anchor; the wall is at 3.5 ms
    expect(clock.waits.map((w) => Math.round(w * 1000) / 1000)).toEqual([0.4, 1.5]);
  });

  it('refuses a factor that is not positive', () => {
    expect(() => realtimePace(0)).toThrow(/not positive/);
  });
});

// Real-time pacing (--realtime [factor]): virtual time runs against the wall clock, so live
// inputs land at moments a person (or a test client) can aim for. The wall clock decides only
// WHEN the run loop gets to take live inputs; it never enters the simulation (principle 1), so
// a paced run with the same input rows is the same run as an unpaced one.

import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A pace for drive(): waits until the wall time since the first call >= (virtualNs - the first
 * call's virtualNs) / factor. The first slice end anchors the clock, so the time the platform
 * took to load and boot is not "caught up" by running flat out.
 */
export function realtimePace(
  factor: number,
  wallMs: () => number = () => performance.now(),
  wait: (ms: number) => Promise<unknown> = sleep,
): (virtualNs: number) => Promise<void> {
  if (!(Number.isFinite(factor) && factor > 0)) throw new Error(`assert: realtime factor ${factor} is not positive`);
  let anchor: { wallMs: number; virtualNs: number } | null = null;
  return async (virtualNs) => {
    anchor ??= { wallMs: wallMs(), virtualNs };
    const aheadMs = anchor.wallMs + (virtualNs - anchor.virtualNs) / 1e6 / factor - wallMs();
    if (aheadMs > 0) await wait(aheadMs);
  };
}

// Real-time pacing (--realtime [factor]): virtual time runs against the wall clock, so live
// inputs land at moments a person (or a test client) can aim for. The wall clock decides only
// WHEN the run loop gets to take live inputs; it never enters the simulation (principle 1), so
// a paced run with the same input rows is the same run as an unpaced one.

import { setTimeout as sleep } from 'node:timers/promises';

/** A pace for drive(): waits until wall time since this call >= virtualNs / factor. */
export function realtimePace(factor: number, wallMs: () => number = () => performance.now()): (virtualNs: number) => Promise<void> {
  if (!(Number.isFinite(factor) && factor > 0)) throw new Error(`assert: realtime factor ${factor} is not positive`);
  const startMs = wallMs();
  return async (virtualNs) => {
    const aheadMs = startMs + virtualNs / 1e6 / factor - wallMs();
    if (aheadMs > 0) await sleep(aheadMs);
  };
}

// Seeded faults (issue 9 §5): what the core's fault hooks cost. The cockpit runs side by side
// without faults and with one fault armed on every core hook (link arrival, CAN frame start,
// used element) at ppm 0, so each hook scans and draws nothing: the same run, plus the checks.

import { loadScenario } from '../src/scenario/load.js';
import { parseScenario } from '../src/scenario/load.js';
import { Platform } from '../src/platform/platform.js';
import { CountingSink } from '../src/platform/sink.js';
import type { Scenario } from '../src/scenario/schema.js';
import { median } from './stats.js';

export interface FaultsBench {
  virtualSeconds: number;
  events: number;
  plainEventsPerSec: number;
  armedEventsPerSec: number;
  /** armed / plain wall time (1.00 = free) */
  hookCost: number;
}

const ARMED = [
  { type: 'link_loss', ppm: 0 },
  { type: 'link_corrupt', ppm: 0 },
  { type: 'can_error', ppm: 0 },
  { type: 'desc_corrupt', vm: 'cluster', ppm: 0 },
];

async function timeRun(scenario: Scenario): Promise<{ ms: number; events: number }> {
  const sink = new CountingSink();
  const platform = await Platform.create(scenario, sink);
  const t0 = performance.now();
  platform.run();
  return { ms: performance.now() - t0, events: sink.eventRows };
}


export async function benchFaults(opts: { durationNs?: number; rounds?: number } = {}): Promise<FaultsBench> {
  const durationNs = opts.durationNs ?? 10_000_000_000;
  const plain = loadScenario('cockpit', { durationNs });
  const armed = parseScenario({ ...plain, faults: ARMED }, 'bench');
  await timeRun(loadScenario('cockpit', { durationNs: 1_000_000_000 })); // warm up
  const a: number[] = [];
  const b: number[] = [];
  let events = 0;
  for (let r = 0; r < (opts.rounds ?? 3); r++) {
    const x = await timeRun(plain);
    const y = await timeRun(armed);
    a.push(x.ms);
    b.push(y.ms);
    events = x.events;
    // The armed run has the faults' own start rows, nothing else (test/faults/determinism.test.ts).
    if (y.events !== x.events + ARMED.length) throw new Error(`assert: armed faults changed the run (${x.events} vs ${y.events})`);
  }
  const plainMs = median(a);
  const armedMs = median(b);
  return {
    virtualSeconds: durationNs / 1e9,
    events,
    plainEventsPerSec: events / (plainMs / 1000),
    armedEventsPerSec: events / (armedMs / 1000),
    hookCost: armedMs / plainMs,
  };
}

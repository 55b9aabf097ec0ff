// Time travel's cost (issue 9 §4): seeking is re-execution, so reaching the end of a 60 s
// cockpit trace (and collecting --state there) is measured next to the same run with recording
// off, alternating in one process. Both include building the platform from the scenario.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../src/scenario/load.js';
import { Platform } from '../src/platform/platform.js';
import { CountingSink } from '../src/platform/sink.js';
import { recordScenario } from '../src/platform/record.js';
import { collectState } from '../src/replay/state.js';
import { travel } from '../src/replay/travel.js';

export interface TravelBench {
  virtualSeconds: number;
  rounds: number;
  travelSeconds: { min: number; median: number };
  offSeconds: { min: number; median: number };
  /** travel / recording off, medians of the same rounds */
  ratio: number;
}

async function timeOff(durationNs: number): Promise<number> {
  const t0 = performance.now();
  const platform = await Platform.create(loadScenario('cockpit', { durationNs }), new CountingSink());
  platform.run(durationNs);
  return (performance.now() - t0) / 1000;
}

async function timeTravel(trace: string, durationNs: number): Promise<number> {
  const t0 = performance.now();
  const { platform } = await travel(trace, { untilNs: durationNs });
  const state = collectState(platform);
  if (state.timeNs !== durationNs) throw new Error(`assert: travel stopped at ${state.timeNs}, not ${durationNs}`);
  return (performance.now() - t0) / 1000;
}

const stats = (xs: number[]): { min: number; median: number } => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]! };
};

export async function benchTravel(opts: { durationNs?: number; rounds?: number } = {}): Promise<TravelBench> {
  const durationNs = opts.durationNs ?? 60_000_000_000;
  const rounds = opts.rounds ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-travel-'));
  try {
    const trace = join(dir, 't');
    await recordScenario(loadScenario('cockpit', { durationNs }), trace);
    await timeOff(1_000_000_000); // warm up JIT and the WASM tiers
    const off: number[] = [];
    const seek: number[] = [];
    for (let r = 0; r < rounds; r++) {
      off.push(await timeOff(durationNs));
      seek.push(await timeTravel(trace, durationNs));
    }
    const offSeconds = stats(off);
    const travelSeconds = stats(seek);
    return { virtualSeconds: durationNs / 1e9, rounds, travelSeconds, offSeconds, ratio: travelSeconds.median / offSeconds.median };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatTravelBench(b: TravelBench): string {
  const s = (x: { min: number; median: number }): string => `min ${x.min.toFixed(2)} s, median ${x.median.toFixed(2)} s`;
  return [
    `time travel: reach the end of a ${b.virtualSeconds} s cockpit trace by re-execution (${b.rounds} rounds)`,
    `  --until end --state       ${s(b.travelSeconds)}`,
    `  recording off, same run   ${s(b.offSeconds)}`,
    `  ratio (medians)           ${b.ratio.toFixed(2)}×`,
  ].join('\n');
}

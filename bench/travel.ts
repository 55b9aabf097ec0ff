// Time travel's cost (issue 9 §4): seeking is re-execution, so reaching the end of a 60 s
// cockpit trace (and collecting --state there) is measured next to the same run with recording
// off, alternating in one process. Both include building the platform from the scenario. The
// host is shared: CPU seconds (user + sys of this process, which does nothing else meanwhile)
// are reported beside wall seconds because they move far less when other work competes.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenario } from '../src/scenario/load.js';
import { Platform } from '../src/platform/platform.js';
import { CountingSink } from '../src/platform/sink.js';
import { recordScenario } from '../src/platform/record.js';
import { collectState } from '../src/replay/state.js';
import { travel } from '../src/replay/travel.js';
import { minMedian, type MinMedian } from './stats.js';

type Stats = MinMedian;

export interface TravelBench {
  virtualSeconds: number;
  rounds: number;
  travel: { wall: Stats; cpu: Stats };
  off: { wall: Stats; cpu: Stats };
  /** travel / recording off, medians of the same rounds */
  ratioWall: number;
  ratioCpu: number;
}

interface Timing {
  wall: number;
  cpu: number;
}

async function timed(work: () => Promise<void>): Promise<Timing> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const cpu = process.cpuUsage(cpu0);
  return { wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

function timeOff(durationNs: number): Promise<Timing> {
  return timed(async () => {
    const platform = await Platform.create(loadScenario('cockpit', { durationNs }), new CountingSink());
    platform.run(durationNs);
  });
}

function timeTravel(trace: string, durationNs: number): Promise<Timing> {
  return timed(async () => {
    const { platform } = await travel(trace, { untilNs: durationNs });
    const state = collectState(platform);
    if (state.timeNs !== durationNs) throw new Error(`assert: travel stopped at ${state.timeNs}, not ${durationNs}`);
  });
}

const stats = minMedian;

export async function benchTravel(opts: { durationNs?: number; rounds?: number } = {}): Promise<TravelBench> {
  const durationNs = opts.durationNs ?? 60_000_000_000;
  const rounds = opts.rounds ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-travel-'));
  try {
    const trace = join(dir, 't');
    // no snapshots: this measures seeking by re-execution (bench/seek.ts measures it from snapshots)
    await recordScenario(loadScenario('cockpit', { durationNs }), trace, { snapshotEveryNs: 0 });
    await timeOff(1_000_000_000); // warm up JIT and the WASM tiers
    const off: Timing[] = [];
    const seek: Timing[] = [];
    for (let r = 0; r < rounds; r++) {
      off.push(await timeOff(durationNs));
      seek.push(await timeTravel(trace, durationNs));
    }
    const both = (xs: Timing[]) => ({ wall: stats(xs.map((x) => x.wall)), cpu: stats(xs.map((x) => x.cpu)) });
    const t = both(seek);
    const o = both(off);
    return {
      virtualSeconds: durationNs / 1e9, rounds, travel: t, off: o,
      ratioWall: t.wall.median / o.wall.median, ratioCpu: t.cpu.median / o.cpu.median,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatTravelBench(b: TravelBench): string {
  const s = (x: Stats): string => `${x.min.toFixed(2)}/${x.median.toFixed(2)} s`;
  const line = (x: { wall: Stats; cpu: Stats }): string => `wall min/median ${s(x.wall)}, cpu ${s(x.cpu)}`;
  return [
    `time travel: reach the end of a ${b.virtualSeconds} s cockpit trace by re-execution (${b.rounds} rounds)`,
    `  --until end --state       ${line(b.travel)}`,
    `  recording off, same run   ${line(b.off)}`,
    `  ratio (medians)           ${b.ratioWall.toFixed(2)}× wall, ${b.ratioCpu.toFixed(2)}× cpu`,
  ].join('\n');
}

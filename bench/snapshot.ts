// Snapshot cost (issue 10 §3 targets: storage <= 10 % of the trace at the default interval, cost
// <= 5 % of recording time). Measured side by side in one process, alternating round by round:
// recording the cockpit with snapshots at the default interval and without (recordScenario,
// recording on). Wall time is the target's measure; CPU time of the process (all threads: the
// snapshot writer runs on a worker, src/snapshot/background-store.ts) is beside it, since on a
// shared 2-core host the worker's CPU competes with the recording's. Also: the part left on the
// recording's thread per snapshot (Core.snapshot + Platform.captureState + pageJob, timed alone
// in a run with recording off), bytes of the snapshots next to the trace's tables, and
// readSnapshot + Core.fromSnapshotSync (what a seek pays before running on).

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core } from '../src/core/core.js';
import type { CoreSnapshot } from '../src/core/snapshot.js';
import { coreLimitsFor, Platform } from '../src/platform/platform.js';
import { recordScenario } from '../src/platform/record.js';
import { CountingSink } from '../src/platform/sink.js';
import { loadScenario } from '../src/scenario/load.js';
import { listSnapshots, readSnapshot } from '../src/snapshot/index.js';
import { SNAPSHOT_EVERY_NS_DEFAULT } from '../src/snapshot/platform-snapshot.js';
import { pageJob } from '../src/snapshot/writer.js';
import { minMedian, type MinMedian } from './stats.js';

const SECOND_NS = 1_000_000_000;

export interface SnapshotBench {
  virtualSeconds: number;
  everyNs: number;
  rounds: number;
  snapshots: number;
  /** Whole recordings, wall and CPU ms, with the default interval and without snapshots. */
  withWallMs: MinMedian;
  withoutWallMs: MinMedian;
  withCpuMs: MinMedian;
  withoutCpuMs: MinMedian;
  /**
   * The median over rounds of (with / without - 1), each round's two recordings side by side
   * (as bench/replay.ts does): a load change between rounds moves both of a pair. Medians of
   * the two series apart measured 2.6-37 % on the same build.
   */
  costWall: number;
  costCpu: number;
  /** The recording thread's part of one snapshot, ms, and its share of recording one interval. */
  threadMs: MinMedian;
  threadShare: number;
  /** Bytes on disk (index + new pages): the first snapshot, the median later one, all / tables. */
  firstBytes: number;
  laterBytes: number;
  traceBytes: number;
  storageShare: number;
  restoreMs: MinMedian;
}

function dirBytes(dir: string, keep: (name: string) => boolean): number {
  return readdirSync(dir).filter(keep).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

async function timeRecording(dir: string, durationNs: number, everyNs: number): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await recordScenario(loadScenario('cockpit', { durationNs }), dir, { overwrite: true, snapshotEveryNs: everyNs });
  const cpu = process.cpuUsage(cpu0);
  return { wall: performance.now() - t0, cpu: (cpu.user + cpu.system) / 1000 };
}

/** Recording off, stopped at every interval for the recording thread's part of a snapshot. */
async function timeThreadPart(durationNs: number, everyNs: number): Promise<number[]> {
  const platform = await Platform.create(loadScenario('cockpit', { durationNs }), new CountingSink());
  platform.boot();
  const core = platform.core as Core;
  const ms: number[] = [];
  let previous: CoreSnapshot | undefined;
  for (let t = everyNs; t <= durationNs; t += everyNs) {
    platform.advanceTo(t);
    const t0 = performance.now();
    const snap = core.snapshot(previous);
    pageJob('s000001', snap, platform.captureState(null), previous?.pages ?? []);
    ms.push(performance.now() - t0);
    previous = snap;
  }
  return ms;
}

function timeRestore(dir: string, id: string, limits: ReturnType<typeof coreLimitsFor>): number {
  const t0 = performance.now();
  Core.fromSnapshotSync(limits, readSnapshot(dir, id).core);
  return performance.now() - t0;
}

/** Median over rounds of with[r] / without[r] - 1. */
function pairedCost(withSnaps: number[], without: number[]): number {
  return minMedian(withSnaps.map((w, r) => w / without[r]! - 1)).median;
}

export async function benchSnapshot(opts: { durationNs?: number; rounds?: number } = {}): Promise<SnapshotBench> {
  const durationNs = opts.durationNs ?? 60 * SECOND_NS;
  const rounds = opts.rounds ?? 5;
  const everyNs = SNAPSHOT_EVERY_NS_DEFAULT;
  const limits = coreLimitsFor(loadScenario('cockpit', { durationNs }));
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-snap-'));
  const runs = { withWall: [] as number[], withoutWall: [] as number[], withCpu: [] as number[], withoutCpu: [] as number[] };
  const thread: number[] = [];
  const restore: number[] = [];
  try {
    let traceBytes = 0;
    for (let r = 0; r < rounds; r++) {
      const without = await timeRecording(dir, durationNs, 0);
      traceBytes = dirBytes(dir, (f) => f.endsWith('.arrow'));
      const withSnaps = await timeRecording(dir, durationNs, everyNs);
      runs.withoutWall.push(without.wall);
      runs.withoutCpu.push(without.cpu);
      runs.withWall.push(withSnaps.wall);
      runs.withCpu.push(withSnaps.cpu);
      restore.push(timeRestore(dir, listSnapshots(dir).at(-1)!.id, limits));
    }
    thread.push(...(await timeThreadPart(durationNs, everyNs)).slice(1)); // the first compares against nothing
    const entries = listSnapshots(dir);
    const bytes = entries.map((e) => e.bytes + e.pagesBytes);
    const m = (xs: number[]) => minMedian(xs);
    const threadMs = m(thread);
    const withoutWallMs = m(runs.withoutWall);
    return {
      virtualSeconds: durationNs / SECOND_NS, everyNs, rounds, snapshots: entries.length,
      withWallMs: m(runs.withWall), withoutWallMs, withCpuMs: m(runs.withCpu), withoutCpuMs: m(runs.withoutCpu),
      costWall: pairedCost(runs.withWall, runs.withoutWall), costCpu: pairedCost(runs.withCpu, runs.withoutCpu),
      threadMs, threadShare: threadMs.median / (withoutWallMs.median * (everyNs / durationNs)),
      firstBytes: bytes[0]!, laterBytes: m(bytes.slice(1)).median, traceBytes,
      storageShare: bytes.reduce((a, b) => a + b, 0) / traceBytes, restoreMs: m(restore),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (s: MinMedian): string => `min ${s.min.toFixed(1)} / median ${s.median.toFixed(1)} ms`;
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

export function formatSnapshotBench(b: SnapshotBench): string {
  return [
    `snapshots: cockpit, ${b.virtualSeconds} s virtual, one every ${b.everyNs / SECOND_NS} s (the default, ${b.snapshots} per run), ` +
      `${b.rounds} rounds alternating with and without`,
    `  recording, with           wall ${ms(b.withWallMs)}, CPU ${ms(b.withCpuMs)}`,
    `  recording, without        wall ${ms(b.withoutWallMs)}, CPU ${ms(b.withoutCpuMs)}`,
    `  snapshot cost             ${pct(b.costWall)} of recording time, median of paired rounds by wall (target <= 5 %), CPU ${pct(b.costCpu)} (all threads)`,
    `  on the recording thread   ${ms(b.threadMs)} per snapshot (Core.snapshot + captureState + pageJob), ` +
      `${pct(b.threadShare)} of recording ${b.everyNs / SECOND_NS} s`,
    `  bytes per snapshot        first ${kb(b.firstBytes)}, later ${kb(b.laterBytes)} (median)`,
    `  snapshot storage          ${pct(b.storageShare)} of the trace's ${kb(b.traceBytes)} of tables (target <= 10 %)`,
    `  read + restore one        ${ms(b.restoreMs)} (readSnapshot + Core.fromSnapshotSync)`,
  ].join('\n');
}

// Snapshot cost (issue 10 §3 targets: storage <= 10 % of the trace at the default interval, cost
// <= 5 % of recording time). Measured side by side in one process, alternating round by round:
// recording the cockpit with snapshots at the default interval and without (recordScenario,
// recording on). Wall time is the target's measure; CPU time of the process (all threads: the
// snapshot writer runs on a worker, src/snapshot/background-store.ts) is beside it, since on a
// shared 2-core host the worker's CPU competes with the recording's. Also: the part left on the
// recording's thread per snapshot (Core.snapshot + Platform.captureState + pageJob, timed alone
// in a run with recording off), bytes of the snapshots next to the trace's tables, and
// readSnapshot + Core.fromSnapshotSync (what a seek pays before running on).

import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
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
import { BackgroundSnapshotStore } from '../src/snapshot/background-store.js';
import { snapshotId } from '../src/snapshot/format.js';
import { freshSnapshotFolder, pageJob, pageStoreHere } from '../src/snapshot/writer.js';
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
  /** The same on a CPU, mean per snapshot (Linux schedstat; null elsewhere): the load around left out. */
  threadOnCpuMs: number | null;
  /** The first snapshot's part (median over rounds), ms. */
  firstThreadMs: number;
  /** The writer's part of one later snapshot (deflate, sha256, files), ms: wall, and on a CPU (mean). */
  writerMs: MinMedian;
  writerOnCpuMs: number | null;
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

/** This thread's time on a CPU so far, ms (Linux schedstat: not the time it waited for one), or null. */
function threadOnCpuMs(): number | null {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

interface ThreadPart {
  /** Per snapshot after the first: wall ms; the first's. */
  wall: number[];
  firstWall: number;
  /** On a CPU, ms, summed over the snapshots after the first (null: not on Linux). */
  onCpu: number | null;
  /** The writer's work for the same snapshots timed in this thread (PAGE_STORE_CODE), per snapshot after the first. */
  writerWall: number[];
  writerOnCpu: number | null;
}

/**
 * Recording off, stopped at every interval for the recording thread's part of a snapshot, as a
 * recording takes it (take, Core.snapshot, captureState, the store's write: pageJob and the
 * hand-over to the writer thread). Then the writer's part for the same snapshots, run in this
 * thread (the same code the writer thread runs) so that it can be timed on a CPU.
 * schedstat's clock advances at the scheduler's ticks and switches: on-CPU figures are sums
 * over a run's snapshots (a mean per snapshot), never one snapshot's.
 */
async function timeThreadPart(durationNs: number, everyNs: number): Promise<ThreadPart> {
  const platform = await Platform.create(loadScenario('cockpit', { durationNs }), new CountingSink());
  platform.boot();
  const core = platform.core as Core;
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-snap-part-'));
  const store = new BackgroundSnapshotStore(dir);
  const out: ThreadPart = { wall: [], firstWall: 0, onCpu: 0, writerWall: [], writerOnCpu: 0 };
  const taken: { snapshot: CoreSnapshot; state: unknown }[] = [];
  try {
    for (let t = everyNs; t <= durationNs; t += everyNs) {
      platform.advanceTo(t);
      const c0 = threadOnCpuMs();
      const t0 = performance.now();
      store.take();
      const snapshot = core.snapshot(taken.at(-1)?.snapshot);
      const state = platform.captureState(null);
      store.write(snapshot, state);
      const wall = performance.now() - t0;
      const c1 = threadOnCpuMs();
      if (taken.length === 0) out.firstWall = wall;
      else {
        out.wall.push(wall);
        out.onCpu = c0 === null || c1 === null || out.onCpu === null ? null : out.onCpu + c1 - c0;
      }
      taken.push({ snapshot, state });
    }
    store.flush();
    store.close();
    const here = pageStoreHere(freshSnapshotFolder(dir));
    let previous: readonly Uint8Array[] = [];
    taken.forEach(({ snapshot, state }, k) => {
      const c0 = threadOnCpuMs();
      const t0 = performance.now();
      here.write(pageJob(snapshotId(k + 1), snapshot, state, previous));
      const wall = performance.now() - t0;
      const c1 = threadOnCpuMs();
      previous = snapshot.pages;
      if (k === 0) return;
      out.writerWall.push(wall);
      out.writerOnCpu = c0 === null || c1 === null || out.writerOnCpu === null ? null : out.writerOnCpu + c1 - c0;
    });
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
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
  const parts: ThreadPart[] = [];
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
    for (let r = 0; r < Math.min(rounds, 3); r++) parts.push(await timeThreadPart(durationNs, everyNs));
    thread.push(...parts.flatMap((p) => p.wall)); // the first (against nothing) apart
    const perSnapshot = (sum: (p: ThreadPart) => number | null): number | null =>
      parts.some((p) => sum(p) === null) ? null : parts.reduce((n, p) => n + sum(p)!, 0) / thread.length;
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
      threadOnCpuMs: perSnapshot((p) => p.onCpu), firstThreadMs: m(parts.map((p) => p.firstWall)).median,
      writerMs: m(parts.flatMap((p) => p.writerWall)), writerOnCpuMs: perSnapshot((p) => p.writerOnCpu),
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
    `  on the recording thread   ${ms(b.threadMs)} per snapshot (take + Core.snapshot + captureState + store write), ` +
      `${pct(b.threadShare)} of recording ${b.everyNs / SECOND_NS} s` +
      (b.threadOnCpuMs !== null ? `; on a CPU ${b.threadOnCpuMs.toFixed(2)} ms (mean)` : '') + `; the first ${b.firstThreadMs.toFixed(1)} ms`,
    `  the writer's part         ${ms(b.writerMs)} per snapshot (brotli, sha256, index, files; timed in this thread)` +
      (b.writerOnCpuMs !== null ? `; on a CPU ${b.writerOnCpuMs.toFixed(2)} ms (mean)` : ''),
    `  bytes per snapshot        first ${kb(b.firstBytes)}, later ${kb(b.laterBytes)} (median)`,
    `  snapshot storage          ${pct(b.storageShare)} of the trace's ${kb(b.traceBytes)} of tables (target <= 10 %)`,
    `  read + restore one        ${ms(b.restoreMs)} (readSnapshot + Core.fromSnapshotSync)`,
  ].join('\n');
}

// Snapshot cost (issue 10 §3 targets: storage <= 10 % of the trace at the default interval, cost
// <= 5 % of recording time). Until `record --snapshot-every` exists, the two are measured side by
// side in one process, alternating: (a) recording the cockpit (recordScenario, recording on) for
// the duration, and (b) the same run with recording off, stopped every second of virtual time for
// core.snapshot(previous) + writeSnapshot into the recorded trace's directory. Reported: snapshot
// ms next to recording ms per virtual second, bytes of the first and later snapshots next to the
// trace's table bytes, and readSnapshot + Core.fromSnapshot (what a seek pays before running on).

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core } from '../src/core/core.js';
import type { CoreSnapshot } from '../src/core/snapshot.js';
import { coreLimitsFor, Platform } from '../src/platform/platform.js';
import { recordScenario } from '../src/platform/record.js';
import { CountingSink } from '../src/platform/sink.js';
import { loadScenario } from '../src/scenario/load.js';
import { closeSnapshots, listInManifest, readSnapshot, writeSnapshot } from '../src/snapshot/index.js';
import type { ManifestSnapshot } from '../src/trace/manifest.js';
import { minMedian, type MinMedian } from './stats.js';

const SECOND_NS = 1_000_000_000;

export interface SnapshotBench {
  virtualSeconds: number;
  rounds: number;
  /** Wall ms to record one virtual second (recording on, whole run / seconds). */
  recordMsPerSecond: MinMedian;
  /** Wall ms of one snapshot (core.snapshot + writeSnapshot), the later ones (the first alone below). */
  snapshotMs: MinMedian;
  firstSnapshotMs: MinMedian;
  /** Median snapshot ms / median recording ms per virtual second. */
  costShare: number;
  /** Bytes on disk (index + new pages) of the first snapshot, and the median of the later ones. */
  firstBytes: number;
  laterBytes: number;
  traceBytes: number;
  /** All snapshots' bytes / the trace's table bytes. */
  storageShare: number;
  /** readSnapshot + Core.fromSnapshotSync of the last snapshot. */
  restoreMs: MinMedian;
  pages: number;
}

function dirBytes(dir: string, keep: (name: string) => boolean): number {
  return readdirSync(dir).filter(keep).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

async function timeRecording(dir: string, durationNs: number): Promise<number> {
  const t0 = performance.now();
  await recordScenario(loadScenario('cockpit', { durationNs }), dir, { overwrite: true });
  return performance.now() - t0;
}

/** Run with recording off, a snapshot every second; returns each snapshot's ms and entry. */
async function timeSnapshots(dir: string, durationNs: number): Promise<{ ms: number[]; entries: ManifestSnapshot[]; pages: number }> {
  const platform = await Platform.create(loadScenario('cockpit', { durationNs }), new CountingSink());
  platform.boot();
  const core = platform.core as Core;
  const ms: number[] = [];
  const entries: ManifestSnapshot[] = [];
  let previous: CoreSnapshot | undefined;
  for (let t = SECOND_NS; t <= durationNs; t += SECOND_NS) {
    platform.advanceTo(t);
    const t0 = performance.now();
    previous = core.snapshot(previous);
    entries.push(writeSnapshot(dir, previous));
    ms.push(performance.now() - t0);
  }
  closeSnapshots(dir);
  listInManifest(dir, entries);
  return { ms, entries, pages: previous?.pages.length ?? 0 };
}

function timeRestore(dir: string, id: string, limits: ReturnType<typeof coreLimitsFor>): number {
  const t0 = performance.now();
  Core.fromSnapshotSync(limits, readSnapshot(dir, id).core);
  return performance.now() - t0;
}

export async function benchSnapshot(opts: { durationNs?: number; rounds?: number } = {}): Promise<SnapshotBench> {
  const durationNs = opts.durationNs ?? 10 * SECOND_NS;
  const rounds = opts.rounds ?? 5;
  const seconds = durationNs / SECOND_NS;
  const limits = coreLimitsFor(loadScenario('cockpit', { durationNs }));
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-snap-'));
  const record: number[] = [];
  const first: number[] = [];
  const later: number[] = [];
  const restore: number[] = [];
  let last: { entries: ManifestSnapshot[]; pages: number } = { entries: [], pages: 0 };
  try {
    for (let r = 0; r < rounds; r++) {
      record.push((await timeRecording(dir, durationNs)) / seconds);
      const run = await timeSnapshots(dir, durationNs);
      first.push(run.ms[0]!);
      later.push(...run.ms.slice(1));
      restore.push(timeRestore(dir, run.entries.at(-1)!.id, limits));
      last = run;
    }
    const entryBytes = (e: ManifestSnapshot): number => e.bytes + e.pagesBytes;
    const traceBytes = dirBytes(dir, (f) => f.endsWith('.arrow'));
    const all = last.entries.reduce((n, e) => n + entryBytes(e), 0);
    const recordMs = minMedian(record);
    const snapshotMs = minMedian(later);
    return {
      virtualSeconds: seconds, rounds, recordMsPerSecond: recordMs, snapshotMs, firstSnapshotMs: minMedian(first),
      costShare: snapshotMs.median / recordMs.median,
      firstBytes: entryBytes(last.entries[0]!), laterBytes: minMedian(last.entries.slice(1).map(entryBytes)).median,
      traceBytes, storageShare: all / traceBytes, restoreMs: minMedian(restore), pages: last.pages,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ms = (s: MinMedian): string => `min ${s.min.toFixed(1)} / median ${s.median.toFixed(1)} ms`;
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

export function formatSnapshotBench(b: SnapshotBench): string {
  return [
    `snapshots: cockpit, ${b.virtualSeconds} s virtual, one per second, ${b.rounds} rounds alternating (${b.pages} pages of 4 KiB)`,
    `  recording, per virtual s  ${ms(b.recordMsPerSecond)}`,
    `  snapshot (later ones)     ${ms(b.snapshotMs)} (core.snapshot + writeSnapshot)`,
    `  snapshot (first)          ${ms(b.firstSnapshotMs)}`,
    `  snapshot cost             ${(100 * b.costShare).toFixed(1)} % of recording time (medians)`,
    `  bytes per snapshot        first ${kb(b.firstBytes)}, later ${kb(b.laterBytes)} (median)`,
    `  snapshot storage          ${(100 * b.storageShare).toFixed(1)} % of the trace's ${kb(b.traceBytes)} of tables`,
    `  read + restore one        ${ms(b.restoreMs)} (readSnapshot + Core.fromSnapshotSync)`,
  ].join('\n');
}

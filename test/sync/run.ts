// Runs a clock-sync scenario through the real platform and core, keeping the sync rows in memory.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordScenario } from '../../src/platform/record.js';
import { listSnapshots } from '../../src/snapshot/index.js';
import { Platform, type PlatformOptions, type RunSummary } from '../../src/platform/platform.js';
import type { PlatformSink } from '../../src/platform/sink.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { SyncRow } from '../../src/trace/recorder.js';
import { Trace } from '../../src/trace/reader.js';
import { drive, recordedFeed } from '../../src/platform/run-loop.js';
import { restorePlatform } from '../../src/snapshot/platform-snapshot.js';
import type { Scenario } from '../../src/scenario/schema.js';

export interface SyncRun {
  summary: RunSummary;
  platform: Platform;
  rows: SyncRow[];
  /** servo updates (exchange sync) of one VM, by index */
  updates(vm: number): SyncRow[];
}

export async function runSync(json: unknown, options: PlatformOptions = {}): Promise<SyncRun> {
  const scenario = parseScenario(json, 'test');
  const rows: SyncRow[] = [];
  const sink: PlatformSink = {
    events: () => {},
    dlt: () => {},
    clock: () => {},
    input: () => {},
    sync: (row) => rows.push({ ...row }),
  };
  const platform = await Platform.create(scenario, sink, options);
  const summary = platform.run();
  return { summary, platform, rows, updates: (vm) => rows.filter((r) => r.vm === vm && r.exchange === 'sync') };
}

export const MS = 1_000_000;
export const S = 1_000_000_000;

export interface SyncVm {
  name: string;
  role?: 'grandmaster' | 'client';
  offsetNs?: number;
  driftPpb?: number;
  sync?: Record<string, unknown>;
  net?: Record<string, unknown>;
  program?: Record<string, unknown>;
  vcpus?: number;
  priority?: number;
  steps?: { atNs: number; byNs: number }[];
}

/**
 * A grandmaster VM and clients on the switch, idle programs unless given: every frame on the
 * network is PTP, so the error figures come from timestamping and the servo alone.
 */
export function syncScenario(vms: SyncVm[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'sync',
    seed: 3,
    durationNs: '20s',
    network: { latencyNs: '2us', bitsPerSecond: 100_000_000 },
    ...extra,
    vms: vms.map((vm, i) => ({
      name: vm.name,
      ecu: `E${i}`,
      vcpus: vm.vcpus ?? 1,
      priority: vm.priority ?? 50,
      clock: {
        offsetNs: vm.offsetNs ?? 0,
        driftPpb: vm.driftPpb ?? 0,
        steps: vm.steps ?? [],
        ...(vm.role === undefined ? {} : { sync: { protocol: 'gptp', role: vm.role, ...vm.sync } }),
      },
      devices: [{ type: 'console' }, { type: 'net', mac: `02:00:00:00:01:0${i}`, ...vm.net }],
      program: vm.program ?? { type: 'idle' },
    })),
  };
}

/** Rows after the servo first locked (and `settleNs` more), for error figures after lock. */
export function afterLock(rows: SyncRow[], settleNs = 0): SyncRow[] {
  const first = rows.find((r) => r.state === 'locked');
  if (first === undefined) return [];
  return rows.filter((r) => Number(r.ts_ns) >= Number(first.ts_ns) + settleNs);
}

export const maxAbs = (xs: number[]) => xs.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A row as text, 64-bit values as numbers (Arrow gives BigInt, the sink numbers). */
export const rowText = (row: object) => JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));

/** A recorded trace's sync rows as text, in file order. */
export function syncRowsOf(dir: string): string[] {
  const rows: string[] = [];
  for (const batch of Trace.open(dir).batches('sync')) {
    for (let i = 0; i < batch.numRows; i++) rows.push(rowText(batch.get(i)!.toJSON()));
  }
  return rows;
}

/** The sync rows (as text) of a run restored from snapshot `id` of the trace in `dir` and run on to `untilNs`. */
export async function syncRowsRestored(dir: string, id: string, scenario: Scenario, untilNs: number): Promise<string[]> {
  const rows: SyncRow[] = [];
  const sink = { events: () => {}, dlt: () => {}, clock: () => {}, input: () => {}, sync: (r: SyncRow) => rows.push(r) };
  const { platform } = await restorePlatform(dir, id, scenario, sink, []);
  await drive(platform, untilNs, { feed: recordedFeed([]) });
  platform.finish();
  return rows.map(rowText);
}

/**
 * Records `scenario` with a snapshot every second, then restores each snapshot taken inside
 * (0, untilNs) and runs it on to untilNs: per snapshot, the restored run's sync rows and the
 * full run's rows after the snapshot's time, which a test expects to be equal.
 */
export async function restoredSyncRuns(scenario: () => Scenario, untilNs: number, prefix: string): Promise<{ rows: string[]; expected: string[] }[]> {
  const dir = join(mkdtempSync(join(tmpdir(), prefix)), 't');
  await recordScenario(scenario(), dir, { snapshotEveryNs: 1 * S });
  const recorded = syncRowsOf(dir);
  const tsOf = (row: string) => Number(JSON.parse(row).ts_ns);
  const runs: { rows: string[]; expected: string[] }[] = [];
  for (const entry of listSnapshots(dir).filter((e) => e.timeNs > 0 && e.timeNs < untilNs)) {
    const rows = await syncRowsRestored(dir, entry.id, scenario(), untilNs);
    runs.push({ rows, expected: recorded.filter((r) => tsOf(r) > entry.timeNs) });
  }
  return runs;
}

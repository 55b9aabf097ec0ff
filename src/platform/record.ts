// Record a scenario into a trace directory: the platform runs with the recorder as its sink.
// On any error the recorder is aborted, which leaves what a crash would: the batches written so
// far, readable, and a manifest that says complete: false.

import type { Scenario } from '../scenario/schema.js';
import { Recorder, type RecorderOptions } from '../trace/recorder.js';
import type { Manifest, ManifestInput } from '../trace/manifest.js';
import { installInputHandlers } from '../inputs/handlers.js';
import type { InputFeed } from './run-loop.js';
import { Platform, type RunSummary } from './platform.js';
import type { PlatformSink } from './sink.js';
import { CORE_COMPONENTS, type ColumnsDigester } from '../core/api.js';
import { driveEpochs, EPOCH_NS_DEFAULT } from '../replay/digest-epochs.js';
import { RunSnapshots, SNAPSHOT_EVERY_NS_DEFAULT } from '../snapshot/platform-snapshot.js';

export interface RecordOptions extends RecorderOptions {
  /** Extra sink fed alongside the recorder (live endpoints, tests). */
  tee?: PlatformSink;
  /**
   * Give the Node event loop a turn every this many ns of virtual time (so a live endpoint's
   * sockets flush while the run goes). The simulation is the same with or without it.
   */
  yieldEveryNs?: number;
  // --- inputs (issue 9): outside inputs and real-time pacing (src/inputs/)
  /** The input sources (the manifest's `inputs`); their nodes and hosts are attached. */
  inputs?: ManifestInput[];
  /** What feeds the inputs (src/inputs/sources.ts, or recordedFeed for a replay). */
  feed?: InputFeed;
  /** Slice the run (virtual ns) so live sources deliver; with yieldEveryNs the smaller wins. */
  sliceNs?: number;
  /** Real-time pacing at each slice end (src/inputs/pacing.ts). */
  pace?: (virtualNs: number) => Promise<void>;
  /** Virtual time between two state-digest epochs (replay, issue 9 §2); default 100 ms. */
  epochNs?: number;
  /**
   * --- snapshots (issue 10 §3): virtual time between two snapshots under snapshots/ (a
   * multiple of epochNs); 0 takes none. Default SNAPSHOT_EVERY_NS_DEFAULT.
   */
  snapshotEveryNs?: number;
  /** Called at each epoch's end with the virtual time reached (the CLI's progress bar). */
  onProgress?: (virtualNs: number) => void;
  /** --- frames table (issue 12 §1): record the frames table (default true; --no-frames). */
  frames?: boolean;
}

export interface RecordResult {
  manifest: Manifest;
  summary: RunSummary;
}

export async function recordScenario(scenario: Scenario, dir: string, options: RecordOptions = {}): Promise<RecordResult> {
  const { tee, yieldEveryNs, inputs = [], feed, sliceNs, pace, epochNs = EPOCH_NS_DEFAULT, ...rest } = options;
  const { snapshotEveryNs = SNAPSHOT_EVERY_NS_DEFAULT, onProgress, frames = true, ...recorderOptions } = rest;
  if (snapshotEveryNs % epochNs !== 0) {
    throw new Error(`assert: snapshot interval ${snapshotEveryNs} ns is not a multiple of the epoch (${epochNs} ns)`);
  }
  // The platform is built first (the core's version goes into the manifest); building it emits
  // events into the core's columns, which reach the sink only once the recorder exists.
  let recorder: Recorder | null = null;
  const open = (): Recorder => {
    if (recorder === null) throw new Error('assert: platform output before the recorder was created');
    return recorder;
  };
  const sink: PlatformSink = {
    events: (cols, count) => {
      open().appendEvents(cols, count);
      tee?.events(cols, count);
    },
    dlt: (row, wire) => {
      open().appendDlt(row);
      tee?.dlt(row, wire);
    },
    clock: (row) => {
      open().appendClock(row);
      tee?.clock(row);
    },
    input: (row) => {
      open().appendInput(row);
      tee?.input(row);
    },
    sync: (row) => { // --- clock sync (issue 11)
      open().appendSync(row);
      tee?.sync?.(row);
    },
    frames: (cols, count) => { // --- frames table (issue 12 §1)
      open().appendFrames(cols, count);
      tee?.frames?.(cols, count);
    },
  };
  const platform = await Platform.create(scenario, sink, { frames });
  installInputHandlers(platform, inputs);
  const meta = { scenario, seed: scenario.seed, coreVersion: platform.core.version, inputs, frames: frames ? 'on' as const : 'off' as const };
  const digests = { epochNs, vms: scenario.vms.map((vm) => vm.name), core: [...CORE_COMPONENTS] };
  // --- pipeline (issue 10): the record path writes events and frames on a writer thread
  const columnsDigest = columnsDigesterOf(platform);
  const active = Recorder.create(dir, meta, {
    digests, writerThread: 'auto', ...(columnsDigest !== null ? { columnsDigest } : {}), ...recorderOptions,
  });
  recorder = active;
  const snapshots = snapshotEveryNs > 0 ? new RunSnapshots(dir, snapshotEveryNs, (e) => active.addSnapshot(e)) : null;
  try {
    // Slicing and pacing only split runUntil calls (run-loop.ts): the run is the same as run()'s;
    // the run goes in epochs so the state digests are taken on the way (replay, issue 9 §2).
    const slices = [yieldEveryNs, sliceNs].filter((n): n is number => n !== undefined);
    platform.boot();
    await driveEpochs(platform, scenario.durationNs, {
      epochNs,
      onEpoch: (epoch) => {
        active.appendEpoch(epoch);
        snapshots?.atEpochEnd(platform);
        onProgress?.(platform.engine.now);
      },
      ...(feed !== undefined ? { feed } : {}),
      ...(slices.length > 0 ? { sliceNs: Math.min(...slices) } : {}),
      ...(pace !== undefined ? { pace } : {}),
    });
    const summary = platform.finish();
    await snapshots?.flush(); // --- snapshots (issue 10 §3): written on a worker thread; listed before the manifest
    return { manifest: active.finish(), summary };
  } catch (err) {
    active.abort();
    throw err;
  } finally {
    snapshots?.close();
  }
}

/** The platform's core as a ColumnsDigester (Core is one; a test stand-in may not be): null without. */
export function columnsDigesterOf(platform: Platform): ColumnsDigester['columnsDigest'] | null {
  const digester = platform.core as unknown as Partial<ColumnsDigester>;
  return typeof digester.columnsDigest === 'function' ? digester.columnsDigest.bind(digester) : null;
}

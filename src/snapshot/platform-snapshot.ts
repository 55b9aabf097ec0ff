// A whole platform's snapshot (issue 10 §3): the core's memory and globals (Core.snapshot) and
// the TypeScript side's state as plain data (Platform.captureState), taken together between
// engine events, and put back together into a freshly built platform of the same scenario.
//
// When: at epoch ends (src/replay/digest-epochs.ts), after every event and input at or before
// that virtual time T ran. A restored platform therefore continues with the first event after
// T and takes only the recorded inputs stamped after T (the run-loop rule, README "Inputs").
//
// Taking one never changes the run: Core.snapshot drains nothing (the pending trace rows stay
// the live core's to drain; a snapshot holds none, so a restored platform emits exactly the rows
// after its moment) and test/snapshot/platform-snapshot.test.ts checks a trace with snapshots
// against one without, byte for byte.

import { Core } from '../core/core.js';
import type { CoreSnapshot } from '../core/snapshot.js';
import { SnapshotError } from '../core/snapshot-error.js';
import { StateError } from '../engine/state-check.js';
import { installInputHandlers } from '../inputs/handlers.js';
import { Platform } from '../platform/platform.js';
import type { PlatformSink } from '../platform/sink.js';
import type { Scenario } from '../scenario/schema.js';
import type { ManifestInput } from '../trace/manifest-file.js';
import type { ManifestSnapshot } from '../trace/manifest-file.js';
import { BackgroundSnapshotStore } from './background-store.js';
import { readSnapshot, type ReadSnapshot } from './index.js';

/**
 * Default virtual time between two snapshots of a recording. A snapshot's cost is per snapshot
 * (the memory scan and the deflate of the ~340 changed pages, about the same after 2 s as after
 * 4 s), so the spacing divides it; a seek re-executes up to the spacing. At 2 s the cost was over
 * its 5 % target; at 4 s the worst seeks of a 600 s cockpit trace measured 1.6-1.9 s median in
 * one run and 3.1-3.2 s in another (host load 9-11, where 2 s gave 2.2-2.4 s): 3 s is between.
 * README "Snapshots", npm run bench snapshot / seek.
 */
export const SNAPSHOT_EVERY_NS_DEFAULT = 3_000_000_000;

function coreOf(platform: Platform): Core {
  if (!(platform.core instanceof Core)) throw new Error('assert: a snapshot needs the WASM core');
  return platform.core;
}

/**
 * Takes a recording's snapshots at every multiple of everyNs (called at epoch ends). The files
 * are written on a worker thread (background-store.ts); each entry reaches onWritten, in order,
 * at a later epoch end or at flush(), which the recorder calls before it writes its manifest.
 */
export class RunSnapshots {
  private previous: CoreSnapshot | undefined;
  private readonly store: BackgroundSnapshotStore;

  constructor(
    dir: string,
    private readonly everyNs: number,
    private readonly onWritten: (entry: ManifestSnapshot) => void,
  ) {
    if (!(Number.isSafeInteger(everyNs) && everyNs > 0)) throw new Error(`assert: snapshot interval ${everyNs} ns`);
    this.store = new BackgroundSnapshotStore(dir); // a new recording into dir: its old files go
  }

  /** At an epoch end: a snapshot when the platform's time is a multiple of the interval. */
  atEpochEnd(platform: Platform): void {
    for (const entry of this.store.take()) this.onWritten(entry);
    const nowNs = platform.engine.now;
    if (nowNs === 0 || nowNs % this.everyNs !== 0) return;
    const core = coreOf(platform).snapshot(this.previous);
    this.previous = core;
    this.store.write(core, platform.captureState(null));
  }

  /**
   * Waits for every snapshot taken to be written, and hands over their entries (the event loop
   * runs meanwhile: a writer thread that dies is noticed at once, and its snapshots written here).
   */
  async flush(): Promise<void> {
    for (const entry of await this.store.flushAsync()) this.onWritten(entry);
  }

  close(): void {
    this.store.close();
  }
}

/**
 * The latest snapshot at or before `untilNs` that comes before the event `beforeSeq` (when
 * given: a break must still be ahead of the snapshot), or null.
 */
export function pickSnapshot(
  entries: readonly ManifestSnapshot[],
  untilNs: number,
  beforeSeq?: number,
): ManifestSnapshot | null {
  let best: ManifestSnapshot | null = null;
  for (const e of entries) {
    if (e.timeNs > untilNs) continue;
    if (beforeSeq !== undefined && e.seq > beforeSeq) continue;
    if (best === null || e.timeNs > best.timeNs) best = e;
  }
  return best;
}

/**
 * A platform of `scenario` in the state of the trace's snapshot `id`: built fresh (the same
 * checks every build runs), its recorded input nodes attached, then the core and the TypeScript
 * state put back through their doors. Throws SnapshotError or StateError when the snapshot is
 * damaged or foreign; the caller falls back to re-execution from the start.
 */
export async function restorePlatform(
  traceDir: string,
  id: string,
  scenario: Scenario,
  sink: PlatformSink,
  inputs: ManifestInput[],
): Promise<{ platform: Platform; snapshot: ReadSnapshot }> {
  const snapshot = readSnapshot(traceDir, id);
  if (snapshot.platform === null) {
    throw new SnapshotError('snapshot_damaged', `${traceDir}: snapshot ${id} holds no platform state`);
  }
  // The fresh build writes rows of its own (ring set-up); they belong to the run the snapshot
  // replaces, so `sink` sees only what the restored platform emits.
  let restored = false;
  const gated: PlatformSink = {
    events: (cols, count) => {
      if (restored) sink.events(cols, count);
    },
    dlt: (row, wire) => {
      if (restored) sink.dlt(row, wire);
    },
    clock: (row) => {
      if (restored) sink.clock(row);
    },
    input: (row) => {
      if (restored) sink.input(row);
    },
    sync: (row) => { // --- clock sync (issue 11)
      if (restored) sink.sync?.(row);
    },
    // --- replay --from (issue 10 §3): frames too, for a sink that takes them (a replay
    // verifying them); a sink without frames keeps the ring off, as before
    ...(sink.frames !== undefined
      ? {
          frames: (cols, count) => {
            if (restored) sink.frames!(cols, count);
          },
        }
      : {}),
  };
  const platform = await Platform.create(scenario, gated);
  installInputHandlers(platform, inputs);
  const core = coreOf(platform);
  platform.restoreState(snapshot.platform, { restoreCore: () => core.restore(snapshot.core) });
  restored = true;
  return { platform, snapshot };
}

/** Whether an error means "this snapshot cannot be used" (fall back), not a bug. */
export function isSnapshotRefusal(error: unknown): error is SnapshotError | StateError {
  return error instanceof SnapshotError || error instanceof StateError;
}

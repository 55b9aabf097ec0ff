// Runs a booted platform in epochs of virtual time and takes the state digests at each epoch's
// end (issue 9 §2). The stops are Platform.advanceTo stop points (run-loop.ts drive), which
// never change a run: Engine.runUntil runs every event at or before the epoch's time and
// continues exactly there, and the core drains its trace columns by row count, not by time.

import { drive, type DriveOptions } from '../platform/run-loop.js';
import type { Platform } from '../platform/platform.js';
import { epochDigest, type EpochDigest } from './digest-state.js';

/** Virtual time between two state epochs (measured in bench/replay.ts: the digests cost). */
export const EPOCH_NS_DEFAULT = 100_000_000;

export interface EpochRunOptions extends DriveOptions {
  epochNs: number;
  /** Told of each epoch's digests, at the epoch's end (virtual time k x epochNs, k >= 1). */
  onEpoch: (epoch: EpochDigest) => void;
}

/**
 * Advances the platform to untilNs with an epoch at every multiple of epochNs up to it.
 * 'stopped' when options.stop ended it (the platform is then at the stopping event).
 */
export async function driveEpochs(platform: Platform, untilNs: number, options: EpochRunOptions): Promise<'done' | 'stopped'> {
  const { epochNs, onEpoch, ...driveOptions } = options;
  if (!(Number.isSafeInteger(epochNs) && epochNs > 0)) throw new Error(`assert: epoch ${epochNs} ns is not a positive integer`);
  let epoch = Math.floor(platform.engine.now / epochNs);
  for (;;) {
    const epochEndNs = (epoch + 1) * epochNs;
    if (epochEndNs > untilNs) return drive(platform, untilNs, driveOptions);
    if ((await drive(platform, epochEndNs, driveOptions)) === 'stopped') return 'stopped';
    epoch++;
    onEpoch(epochDigest(platform, epoch));
  }
}

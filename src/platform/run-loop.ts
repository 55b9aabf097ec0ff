// The run loop: virtual time advanced in steps, with outside inputs applied between them.
//
// When an input is applied (the rule replay depends on, README "Inputs"): an input stamped with
// virtual time T is applied after every engine and core event at or before T has run and before
// anything later, in the order of its seq. A file source knows T in advance (the loop stops at
// T); a live source's input is stamped with the virtual time the loop has reached when it takes
// it (the end of a slice). Either way the `inputs` row holds T, and replay applies the rows at
// exactly their T in seq order, so a trace with live inputs replays like one without.

import type { InputRow } from '../trace/recorder.js';
import type { Platform } from './platform.js';

/** One input waiting to enter the platform. */
export interface PendingInput {
  source: string;
  kind: string;
  data: Uint8Array;
}

export interface InputFeed {
  /**
   * Virtual time of the next input this feed already knows (a file's next line, a recorded
   * row), or Infinity. Live feeds know nothing in advance and answer Infinity.
   */
  nextNs(): number;
  /** Every input due at or before nowNs, in the order they must be applied; removes them. */
  take(nowNs: number): PendingInput[];
}

/** No inputs at all. */
export const NO_INPUTS: InputFeed = { nextNs: () => Infinity, take: () => [] };

/** The rows of a recorded `inputs` table, fed back at their ts_ns in seq order (replay). */
export function recordedFeed(rows: readonly InputRow[]): InputFeed {
  const sorted = [...rows].sort((a, b) => Number(a.ts_ns) - Number(b.ts_ns) || Number(a.seq) - Number(b.seq));
  let next = 0;
  return {
    nextNs: () => (next < sorted.length ? Number(sorted[next]!.ts_ns) : Infinity),
    take: (nowNs) => {
      const due: PendingInput[] = [];
      while (next < sorted.length && Number(sorted[next]!.ts_ns) <= nowNs) {
        const row = sorted[next++]!;
        due.push({ source: row.source, kind: row.kind, data: row.data });
      }
      return due;
    },
  };
}

/** Several feeds as one; at equal times the first feed's inputs go first. */
export function mergeFeeds(feeds: readonly InputFeed[]): InputFeed {
  if (feeds.length === 1) return feeds[0]!;
  return {
    nextNs: () => Math.min(Infinity, ...feeds.map((f) => f.nextNs())),
    take: (nowNs) => feeds.flatMap((f) => f.take(nowNs)),
  };
}

export interface DriveOptions {
  feed?: InputFeed;
  /**
   * Give the Node event loop a turn (and let live feeds deliver) at least every this many ns of
   * virtual time. Unset: run without yielding (no live source, no pacing).
   */
  sliceNs?: number;
  /** Called at each slice end before yielding; may wait (real-time pacing). */
  pace?: (virtualNs: number) => Promise<void>;
  /** Stop as soon as this answers true (checked after every event; see Engine.runUntil). */
  stop?: () => boolean;
}

/**
 * Advances a booted platform to untilNs, applying the feed's inputs at their times. Returns
 * 'stopped' when `stop` ended it early (the platform is then at the stopping event's time).
 */
export async function drive(platform: Platform, untilNs: number, options: DriveOptions = {}): Promise<'done' | 'stopped'> {
  const feed = options.feed ?? NO_INPUTS;
  const sliceNs = options.sliceNs;
  if (sliceNs !== undefined && !(Number.isSafeInteger(sliceNs) && sliceNs > 0)) {
    throw new Error(`assert: slice ${sliceNs} ns is not a positive integer`);
  }
  let nowNs = platform.engine.now;
  for (;;) {
    const sliceEndNs = sliceNs === undefined ? Infinity : nowNs + sliceNs;
    const targetNs = Math.min(untilNs, Math.max(nowNs, feed.nextNs()), sliceEndNs);
    if (platform.advanceTo(targetNs, options.stop)) return 'stopped';
    nowNs = targetNs;
    for (const input of feed.take(nowNs)) platform.applyInput(input.source, input.kind, input.data);
    if (nowNs >= untilNs) return 'done';
    if (sliceNs !== undefined && nowNs === sliceEndNs) {
      await options.pace?.(nowNs);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

// Skipping ahead (issue 10 §3), side by side in one process: `diff` of two cockpit traces that
// part late (one with a vCPU stall near the end), skipping the identical prefixes by their batch
// digests against reading and verifying both whole (--no-skip); and `replay --from` a late
// time (restore the snapshot there, verify from it) against `replay` from the start. Rounds
// alternate the two ways and swap their order every round; min and median of each.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordScenario } from '../src/platform/record.js';
import { diffTraces } from '../src/replay/diff.js';
import { replayFrom } from '../src/replay/verify-resume.js';
import { replayTrace } from '../src/replay/verify-run.js';
import { loadScenario } from '../src/scenario/load.js';
import { parseFaultSpec } from '../src/faults/cli-spec.js';
import { minMedian, type MinMedian } from './stats.js';

export interface SkipAheadBench {
  virtualSeconds: number;
  partNs: number;
  rounds: number;
  diffSkipMs: MinMedian;
  diffWholeMs: MinMedian;
  batchesSkipped: number;
  fromNs: number;
  fromSnapshot: string;
  replayFromMs: MinMedian;
  replayWholeMs: MinMedian;
}

async function timed(run: () => unknown): Promise<number> {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

/** Runs `a` and `b` `rounds` times, alternating and swapping the order each round. */
async function sideBySide(rounds: number, a: () => unknown, b: () => unknown): Promise<[number[], number[]]> {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      ta.push(await timed(a));
      tb.push(await timed(b));
    } else {
      tb.push(await timed(b));
      ta.push(await timed(a));
    }
  }
  return [ta, tb];
}

export async function benchSkipAhead(opts: { durationNs?: number; rounds?: number } = {}): Promise<SkipAheadBench> {
  const durationNs = opts.durationNs ?? 60_000_000_000;
  const rounds = opts.rounds ?? 5;
  const partNs = Math.round(durationNs * 5 / 6); // 50 s of 60
  const fromNs = partNs;
  const root = mkdtempSync(join(tmpdir(), 'tv-bench-skip-'));
  try {
    const plain = join(root, 'plain');
    const stalled = join(root, 'stalled');
    await recordScenario(loadScenario('cockpit', { durationNs }), plain);
    const fault = parseFaultSpec(`vcpu_stall:vm=cluster,at=${partNs / 1e6}ms,for=12ms`);
    await recordScenario(loadScenario('cockpit', { durationNs, faults: [fault] }), stalled);
    let batchesSkipped = 0;
    const [skip, whole] = await sideBySide(
      rounds,
      () => (batchesSkipped = diffTraces(plain, stalled).batchesSkipped),
      () => diffTraces(plain, stalled, () => {}, { skip: false }),
    );
    let fromSnapshot = '';
    const [from, all] = await sideBySide(
      rounds,
      async () => {
        const o = await replayFrom(plain, fromNs);
        if (!o.verifier.identical || o.resumedFrom == null) throw new Error('assert: replay --from did not resume identical');
        fromSnapshot = `${o.resumedFrom.id} at ${o.resumedFrom.timeNs / 1e9} s`;
      },
      async () => {
        if (!(await replayTrace(plain)).verifier.identical) throw new Error('assert: replay not identical');
      },
    );
    return {
      virtualSeconds: durationNs / 1e9,
      partNs,
      rounds,
      diffSkipMs: minMedian(skip),
      diffWholeMs: minMedian(whole),
      batchesSkipped,
      fromNs,
      fromSnapshot,
      replayFromMs: minMedian(from),
      replayWholeMs: minMedian(all),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export function formatSkipAheadBench(b: SkipAheadBench): string {
  const ms = (s: MinMedian) => `min ${s.min.toFixed(0)} / median ${s.median.toFixed(0)} ms`;
  const ratio = (x: MinMedian, y: MinMedian) => `${(x.median / y.median).toFixed(2)}× median, ${(x.min / y.min).toFixed(2)}× min`;
  return [
    `skip ahead: cockpit ${b.virtualSeconds} s, ${b.rounds} rounds alternating (in process)`,
    `  diff, parting at ${b.partNs / 1e9} s (a vCPU stall), skipping by digests  ${ms(b.diffSkipMs)} (${b.batchesSkipped} batches unread)`,
    `  diff --no-skip (both read and verified whole)        ${ms(b.diffWholeMs)}`,
    `  diff skipping / whole                                ${ratio(b.diffSkipMs, b.diffWholeMs)}`,
    `  replay --from ${b.fromNs / 1e9} s (from ${b.fromSnapshot})            ${ms(b.replayFromMs)}`,
    `  replay from the start                               ${ms(b.replayWholeMs)}`,
    `  replay --from / from the start                      ${ratio(b.replayFromMs, b.replayWholeMs)}`,
  ].join('\n');
}

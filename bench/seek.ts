// Seek (issue 10 §3 target: `replay --until <t> --state` anywhere in a 600 s trace in <= 2 s).
// A 600 s cockpit trace is recorded once with the default snapshot interval (a minute or two),
// then the CLI itself is run as a user runs it, one process per seek (start-up included): at
// targets just before a snapshot (the worst case: a whole interval re-executed), early, in the
// middle and at the end, the targets alternating round by round. Reported per target: wall
// seconds min/median, and the snapshot the seek started from (stderr).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordScenario } from '../src/platform/record.js';
import { loadScenario } from '../src/scenario/load.js';
import { SNAPSHOT_EVERY_NS_DEFAULT } from '../src/snapshot/platform-snapshot.js';
import { packageRoot } from '../src/util/package-root.js';
import { minMedian, type MinMedian } from './stats.js';

const SECOND_NS = 1_000_000_000;

export interface SeekBench {
  virtualSeconds: number;
  everyNs: number;
  rounds: number;
  recordSeconds: number;
  seeks: { untilNs: number; from: string; wallSeconds: MinMedian }[];
}

function seekOnce(dir: string, untilNs: number): { wall: number; from: string } {
  const cli = join(packageRoot(), 'dist', 'cli', 'main.js');
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [cli, 'replay', dir, '--until', String(untilNs), '--state'], { encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`seek to ${untilNs} ns failed (${run.status}): ${run.stderr}`);
  const from = /started from snapshot (s\d+)/.exec(run.stderr)?.[1] ?? 'start';
  return { wall, from };
}

export async function benchSeek(opts: { virtualSeconds?: number; rounds?: number } = {}): Promise<SeekBench> {
  const virtualSeconds = opts.virtualSeconds ?? 600;
  const rounds = opts.rounds ?? 5;
  const everyNs = SNAPSHOT_EVERY_NS_DEFAULT;
  const durationNs = virtualSeconds * SECOND_NS;
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-seek-'));
  try {
    const t0 = performance.now();
    await recordScenario(loadScenario('cockpit', { durationNs }), dir, { overwrite: true });
    const recordSeconds = (performance.now() - t0) / 1000;
    const half = Math.floor(durationNs / 2 / everyNs) * everyNs;
    // just before a snapshot re-executes a whole interval: the worst case
    const targets = [everyNs + everyNs / 2, half - 1_000_000, half + everyNs / 2, durationNs - 1_000_000, durationNs];
    const walls = targets.map(() => [] as number[]);
    const froms = targets.map(() => '');
    for (let r = 0; r < rounds; r++) {
      targets.forEach((t, i) => {
        const { wall, from } = seekOnce(dir, t);
        walls[i]!.push(wall);
        froms[i] = from;
      });
    }
    const seeks = targets.map((untilNs, i) => ({ untilNs, from: froms[i]!, wallSeconds: minMedian(walls[i]!) }));
    return { virtualSeconds, everyNs, rounds, recordSeconds, seeks };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatSeekBench(b: SeekBench): string {
  const lines = [
    `seek: replay --until <t> --state on a ${b.virtualSeconds} s cockpit trace (snapshots every ` +
      `${b.everyNs / SECOND_NS} s, recorded in ${b.recordSeconds.toFixed(1)} s), one CLI process per seek, ${b.rounds} rounds alternating`,
  ];
  for (const s of b.seeks) {
    const at = `${(s.untilNs / SECOND_NS).toFixed(3)} s`.padStart(10);
    lines.push(`  until ${at} from ${s.from.padEnd(8)} wall min ${s.wallSeconds.min.toFixed(2)} / median ${s.wallSeconds.median.toFixed(2)} s (target <= 2 s)`);
  }
  return lines.join('\n');
}

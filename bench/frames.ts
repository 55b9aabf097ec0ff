// The cost of recording the frames table and the speed of exporting it (issue 12 Benchmark).
// Recording: the 60 s default scenario (cockpit) with frames and with --no-frames, alternating
// round by round in one process (snapshots off in both, so the comparison is frames alone);
// min and median of wall time, and the ratio of the medians. Export: the frames table of the
// last recording with frames as pcapng and as a candump log, repeated: frames/s and MB/s of
// output, for the export pass alone (the trace opened and verified once before) and for the
// verified open itself (hashing every table file, as `export` does first).

import { mkdtempSync, rmSync, statSync, closeSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordScenario } from '../src/platform/record.js';
import { loadScenario } from '../src/scenario/load.js';
import { openCheckedTrace } from '../src/trace/open.js';
import { frameInterfaces, type FrameSelection } from '../src/trace/frames-read.js';
import { exportPcapng } from '../src/formats/pcapng/export.js';
import { exportCandump } from '../src/formats/candump-export.js';
import { minMedian, type MinMedian } from './stats.js';

const SECOND_NS = 1_000_000_000;

export interface FramesBench {
  virtualSeconds: number;
  rounds: number;
  frameRows: number;
  frameBytes: number;
  withMs: MinMedian;
  withoutMs: MinMedian;
  /** median with / median without */
  ratio: number;
  openMs: MinMedian;
  pcap: ExportSpeed;
  candump: ExportSpeed;
}

interface ExportSpeed {
  frames: number;
  bytes: number;
  ms: MinMedian;
}

async function timeRecording(dir: string, durationNs: number, frames: boolean): Promise<number> {
  const t0 = performance.now();
  await recordScenario(loadScenario('cockpit', { durationNs }), dir, { overwrite: true, snapshotEveryNs: 0, frames });
  return performance.now() - t0;
}

function timeExport(dir: string, file: string, format: 'pcap' | 'candump', rounds: number): ExportSpeed {
  const checked = openCheckedTrace(dir, 'verify');
  const all = frameInterfaces(checked.trace.manifest).filter((f) => format === 'pcap' || f.kind === 'can');
  const selection: FrameSelection = { interfaces: all, fromNs: 0n, toNs: 1n << 62n };
  const ms: number[] = [];
  let frames = 0;
  for (let r = 0; r < rounds; r++) {
    const fd = openSync(file, 'w');
    const t0 = performance.now();
    const batches = checked.batches('frames');
    frames = format === 'pcap'
      ? exportPcapng(batches, selection, 'bench', (chunk) => void writeSync(fd, chunk)).frames
      : exportCandump(batches, selection, (text) => void writeSync(fd, text)).frames;
    closeSync(fd);
    ms.push(performance.now() - t0);
  }
  return { frames, bytes: statSync(file).size, ms: minMedian(ms) };
}

export async function benchFrames(virtualSeconds = 60, rounds = Number(process.env.BENCH_FRAMES_ROUNDS ?? 5)): Promise<FramesBench> {
  const root = mkdtempSync(join(tmpdir(), 'tv-bench-frames-'));
  try {
    const durationNs = virtualSeconds * SECOND_NS;
    const withMs: number[] = [];
    const withoutMs: number[] = [];
    const on = join(root, 'on');
    const off = join(root, 'off');
    for (let r = 0; r < rounds; r++) {
      // alternate which goes first, so a drift in the machine's load hits both alike
      if (r % 2 === 0) {
        withMs.push(await timeRecording(on, durationNs, true));
        withoutMs.push(await timeRecording(off, durationNs, false));
      } else {
        withoutMs.push(await timeRecording(off, durationNs, false));
        withMs.push(await timeRecording(on, durationNs, true));
      }
    }
    const openMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      openCheckedTrace(on, 'verify');
      openMs.push(performance.now() - t0);
    }
    const checked = openCheckedTrace(on, 'verify');
    const frameRows = checked.tables.frames.rowsUsable;
    const frameBytes = statSync(join(on, 'frames.arrow')).size;
    const a = minMedian(withMs);
    const b = minMedian(withoutMs);
    return {
      virtualSeconds, rounds, frameRows, frameBytes, withMs: a, withoutMs: b, ratio: a.median / b.median,
      openMs: minMedian(openMs),
      pcap: timeExport(on, join(root, 'run.pcapng'), 'pcap', rounds),
      candump: timeExport(on, join(root, 'can.log'), 'candump', rounds),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const fmtMs = (m: MinMedian): string => `min ${(m.min / 1000).toFixed(2)} s, median ${(m.median / 1000).toFixed(2)} s`;

function speed(label: string, s: ExportSpeed): string {
  const perS = (n: number) => n / (s.ms.median / 1000);
  return `  ${label.padEnd(26)}${(perS(s.frames) / 1e6).toFixed(2)} M frames/s, ${(perS(s.bytes) / 1e6).toFixed(0)} MB/s ` +
    `(min ${s.ms.min.toFixed(0)} ms, median ${s.ms.median.toFixed(0)} ms; ${s.frames} frames, ${(s.bytes / 1e6).toFixed(1)} MB)`;
}

export function formatFramesBench(f: FramesBench): string {
  return [
    `frames table: cockpit, ${f.virtualSeconds} s virtual, ${f.rounds} rounds alternating, snapshots off`,
    `  recording with frames     ${fmtMs(f.withMs)} (${f.frameRows} frame rows, frames.arrow ${(f.frameBytes / 1e6).toFixed(0)} MB)`,
    `  recording --no-frames     ${fmtMs(f.withoutMs)}`,
    `  cost of recording frames  ${f.ratio.toFixed(2)}× wall time (median / median)`,
    `  verified open of the trace min ${f.openMs.min.toFixed(0)} ms, median ${f.openMs.median.toFixed(0)} ms (hashes every table, before any export)`,
    speed('export pcap', f.pcap),
    speed('export candump', f.candump),
  ].join('\n');
}

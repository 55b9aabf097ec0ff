// `tracevisor export perfetto` speed (issue 12 Benchmark): the 60 s default trace (cockpit,
// recorded once here) exported in process as Perfetto protobuf and as Chrome JSON, alternating,
// >= 3 rounds each; min and median of wall time, as events/s (rows of the events table) and MB/s
// (bytes written). The trace is read in verify mode, as the command does (hash and validate
// every table file first), so the figure is what a user waits for, minus Node's start-up.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { exportPerfettoFile, type PerfettoFormat } from '../src/formats/perfetto/export.js';
import { packageRoot } from '../src/util/package-root.js';
import { minMedian, type MinMedian } from './stats.js';

const CLI = join(packageRoot(), 'dist', 'cli', 'main.js');

export interface PerfettoFormatBench {
  format: PerfettoFormat;
  bytes: number;
  seconds: MinMedian;
}

export interface PerfettoBenchResult {
  virtualSeconds: number;
  events: number;
  rounds: number;
  formats: PerfettoFormatBench[];
}

export function benchPerfetto(virtualSeconds = 60, rounds = 5): PerfettoBenchResult {
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-perfetto-'));
  try {
    const trace = join(dir, 'trace');
    const r = spawnSync(process.execPath, [CLI, 'record', '-o', trace, '--duration', `${virtualSeconds}s`, '-f'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench perfetto: record failed: ${r.stderr}`);
    const formats: PerfettoFormat[] = ['proto', 'json'];
    const times = new Map<PerfettoFormat, number[]>(formats.map((f) => [f, []]));
    const bytes = new Map<PerfettoFormat, number>();
    let events = 0;
    for (let round = 0; round < rounds; round++) {
      for (const format of formats) {
        const out = join(dir, `out.${format}`);
        const t0 = performance.now();
        const result = exportPerfettoFile(trace, out, { format, mode: 'verify', warn: () => {} });
        times.get(format)!.push((performance.now() - t0) / 1000);
        bytes.set(format, result.bytes);
        events = result.events;
        rmSync(out);
      }
    }
    return {
      virtualSeconds, events, rounds,
      formats: formats.map((format) => ({ format, bytes: bytes.get(format)!, seconds: minMedian(times.get(format)!) })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatPerfettoBench(b: PerfettoBenchResult): string {
  const lines = [`export perfetto: cockpit ${b.virtualSeconds} s, ${b.events} events, ${b.rounds} rounds (min / median wall)`];
  for (const f of b.formats) {
    const rate = (s: number) => `${(b.events / s / 1e6).toFixed(2)} M events/s, ${(f.bytes / s / 1e6).toFixed(1)} MB/s`;
    const label = f.format === 'proto' ? 'protobuf (TrackEvent)' : 'Chrome JSON';
    lines.push(`  ${label.padEnd(24)}  ${f.seconds.min.toFixed(2)} / ${f.seconds.median.toFixed(2)} s  ` +
      `best ${rate(f.seconds.min)}, median ${rate(f.seconds.median)}  (${(f.bytes / 1e6).toFixed(1)} MB)`);
  }
  return lines.join('\n');
}

// Export speed of `export parquet` (issue 12 Benchmark): the 60 s default trace (verified and
// indexed first, so the figure is the export itself), whole CLI processes, repeated.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../src/util/package-root.js';
import { minMedian, type MinMedian } from './stats.js';

const CLI = join(packageRoot(), 'dist', 'cli', 'main.js');
const SECONDS = 60;
const ROUNDS = 5;

export interface ParquetExportBench {
  rows: number;
  outputMB: number;
  seconds: MinMedian;
}

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench: tracevisor ${args.join(' ')} failed: ${r.stderr.slice(0, 400)}`);
  return r.stdout;
}

export function benchParquetExport(): ParquetExportBench {
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-parquet-'));
  try {
    const trace = join(dir, 'trace');
    cli(['record', '-o', trace, '--duration', `${SECONDS}s`, '--snapshot-every', '0']);
    cli(['index', trace]);
    const times: number[] = [];
    let summary = '';
    for (let i = 0; i < ROUNDS; i++) {
      const start = process.hrtime.bigint();
      summary = cli(['export', 'parquet', trace, '-o', join(dir, 'pq'), '--force', '--json']);
      times.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    const tables = (JSON.parse(summary) as { tables: { rows: number; bytes: number }[] }[])[0]!.tables;
    return {
      rows: tables.reduce((s, t) => s + t.rows, 0),
      outputMB: tables.reduce((s, t) => s + t.bytes, 0) / 1e6,
      seconds: minMedian(times),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatParquetExportBench(b: ParquetExportBench): string {
  const rate = (s: number): string => `${(b.rows / s / 1e6).toFixed(2)} M rows/s`;
  return [
    `export parquet: the ${SECONDS} s default trace, ${b.rows} rows, ${b.outputMB.toFixed(1)} MB of zstd Parquet, ${ROUNDS} runs`,
    `  whole command             ${b.seconds.min.toFixed(2)} / ${b.seconds.median.toFixed(2)} s (min / median)`,
    `  rate                      ${rate(b.seconds.median)} median (best ${rate(b.seconds.min)}), ${(b.outputMB / b.seconds.median).toFixed(1)} MB/s written`,
  ].join('\n');
}

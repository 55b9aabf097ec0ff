// Query store bench (issue #7.2): store build rate, then each query as the whole `tracevisor
// query` command — the trace's first query (which verifies the trace and builds the store) and
// the later ones (read-only store) — with the old load-every-session path (bench/query-ref.ts)
// side by side as the reference, in one run. Wall time and peak RSS come from /usr/bin/time
// per process.
//
// Sizes (environment): TRACEVISOR_BENCH_QUERY_SECONDS  virtual seconds of the cockpit trace (600)
//                      TRACEVISOR_BENCH_QUERY_EVENTS   rows of the synthetic events table
//                                                      (10000000; 100000000 writes ~4.5 GB)
//                      TRACEVISOR_BENCH_QUERY_REPEATS  runs of each later query (5)
//                      TRACEVISOR_BENCH_QUERY_REF      reference runs per query (1; 0 skips it)
//                      TRACEVISOR_BENCH_QUERY_BUILDS   store builds of each kind, alternating (5)
//                      TRACEVISOR_BENCH_QUERY_BUILD_REF 0 skips the previous build (DuckDB
//                                                      tables: ~150 s a build at 100 M events)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { STORE_FILES } from '../src/query/store.js';
import { VQ_LATENCY_QUANTILE_SQL } from '../src/query/summaries.js';
import { Recorder } from '../src/trace/recorder.js';
import { packageRoot } from '../src/util/package-root.js';
import { syntheticColumns } from './trace.js';

const CLI = join(packageRoot(), 'dist', 'cli', 'main.js');
const REF = join(packageRoot(), 'dist', 'bench', 'query-ref.js');
const STORE_REF = join(packageRoot(), 'dist', 'bench', 'store-ref.js');
const TIME = '/usr/bin/time';

export interface CommandRun {
  seconds: number;
  /** user + system CPU time: on a shared machine the wall time includes waiting for a core. */
  cpuSeconds: number;
  rssMB: number;
}

export interface QueryFigures {
  name: string;
  /** Second and later runs: the store is there. */
  later: CommandRun[];
  reference: CommandRun[];
}

/** One store build: the rate the command reports and the whole process under /usr/bin/time. */
export interface BuildRun {
  rowsPerSec: number;
  seconds: number;
  run: CommandRun;
}

export interface TraceFigures {
  label: string;
  events: number;
  /** `index --force` (the Parquet store) and the previous DuckDB-table build, alternating. */
  builds: BuildRun[];
  referenceBuilds: BuildRun[];
  storeMB: number;
  /** The trace's first query (GROUP BY kind): verification, store build, answer. */
  first: CommandRun;
  queries: QueryFigures[];
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name}: expected a whole number, got "${raw}"`);
  return value;
}

/** Runs node with args under /usr/bin/time; throws on a non-zero exit. */
function timed(args: string[]): CommandRun & { stdout: string } {
  const r = spawnSync(TIME, ['-f', '%e %M %U %S', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  const [seconds, kb, user, sys] = last.split(' ').map(Number);
  if (r.status !== 0 || [seconds, kb, user, sys].some((n) => n === undefined || Number.isNaN(n))) {
    throw new Error(`bench: ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(0, 400)}`);
  }
  return { seconds: seconds!, cpuSeconds: user! + sys!, rssMB: kb! / 1024, stdout: r.stdout };
}

interface Query {
  name: string;
  /** CLI arguments after the trace directory. */
  args: string[];
  /** The same query as SQL, for the reference. */
  sql: string;
}

function queriesFor(windowStartNs: bigint): Query[] {
  const window = `SELECT count(*), sum(val) FROM events WHERE ts_ns BETWEEN ${windowStartNs} AND ${windowStartNs + 1_000_000_000n}`;
  const kinds = 'SELECT kind, count(*) FROM events GROUP BY kind';
  // The old path had no summary table: its virtio/latency computed the quantiles over events
  // in every query: the definition of the table the store computes once (summaries.ts).
  const latency = VQ_LATENCY_QUANTILE_SQL;
  return [
    { name: 'GROUP BY kind', args: [kinds], sql: kinds },
    { name: '1 s time window', args: [window], sql: window },
    { name: 'virtio/latency', args: ['--named', 'virtio/latency'], sql: latency },
  ];
}

async function measureTrace(label: string, dir: string, events: number, windowStartNs: bigint): Promise<TraceFigures> {
  const repeats = Math.max(1, envNumber('TRACEVISOR_BENCH_QUERY_REPEATS', 5));
  const refRuns = envNumber('TRACEVISOR_BENCH_QUERY_REF', 1);
  const queries = queriesFor(windowStartNs);
  for (const f of STORE_FILES) rmSync(join(dir, f), { force: true });
  const first = timed([CLI, 'query', dir, ...queries[0]!.args]);
  const figures: QueryFigures[] = [];
  for (const q of queries) {
    const later = Array.from({ length: repeats }, () => timed([CLI, 'query', dir, ...q.args]));
    const reference = Array.from({ length: refRuns }, () => timed([REF, dir, q.sql]));
    figures.push({ name: q.name, later, reference });
  }
  const builds: BuildRun[] = [];
  const referenceBuilds: BuildRun[] = [];
  let storeMB = 0;
  // Alternating, so that both kinds see the same moments of the shared machine.
  for (let i = 0; i < Math.max(1, envNumber('TRACEVISOR_BENCH_QUERY_BUILDS', 5)); i++) {
    // A fresh build each time, as a trace's first query makes it: freeing the previous store's
    // pages (~0.8 s for the 600 s trace's 775 MB here) is the cost of replacing, not building.
    for (const f of STORE_FILES) rmSync(join(dir, f), { force: true });
    const index = timed([CLI, 'index', dir, '--force']);
    const m = /: (\d+) rows, ([\d.]+) MB in ([\d.]+) s/.exec(index.stdout);
    if (m === null) throw new Error(`bench: unexpected index output: ${index.stdout}`);
    builds.push({ rowsPerSec: Number(m[1]) / Number(m[3]), seconds: Number(m[3]), run: index });
    storeMB = Number(m[2]);
    if (envNumber('TRACEVISOR_BENCH_QUERY_BUILD_REF', 1) === 0) continue;
    const ref = timed([STORE_REF, dir, join(dir, 'store-ref.duckdb')]);
    rmSync(join(dir, 'store-ref.duckdb'), { force: true });
    const r = /^(\d+) rows ([\d.]+) s/.exec(ref.stdout);
    if (r === null) throw new Error(`bench: unexpected store-ref output: ${ref.stdout}`);
    referenceBuilds.push({ rowsPerSec: Number(r[1]) / Number(r[2]), seconds: Number(r[2]), run: ref });
  }
  return { label, events, builds, referenceBuilds, storeMB, first, queries: figures };
}

function recordCockpit(dir: string, seconds: number): number {
  const r = spawnSync(process.execPath, [CLI, 'record', '-o', dir, '--duration', `${seconds}s`, '-f'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench: record failed: ${r.stderr}`);
  return Number(/events\s+(\d+) rows/.exec(r.stdout)![1]);
}

const BATCH_ROWS = 65536;
/** Synthetic spacing: 100 M events span 600 s, like the cockpit trace's density ×5. */
const SYNTHETIC_STEP_NS = 6000n;

/** An events table only (the other tables empty): `events` rows, every kind, latencies in val. */
function recordSynthetic(dir: string, events: number): void {
  // the cockpit's shape: 3 VMs, 6 devices
  const cols = syntheticColumns(BATCH_ROWS, { vms: 3, devs: 6 });
  const recorder = Recorder.create(dir, { scenario: { bench: 'query' }, seed: '1', coreVersion: 0 });
  for (let written = 0; written < events; written += BATCH_ROWS) {
    const count = Math.min(BATCH_ROWS, events - written);
    for (let i = 0; i < count; i++) {
      cols.ts_ns[i] = BigInt(written + i) * SYNTHETIC_STEP_NS;
      cols.seq[i] = BigInt(written + i);
    }
    recorder.appendEvents(cols, count);
  }
  recorder.finish();
}

export async function benchQuery(): Promise<TraceFigures[]> {
  if (!existsSync(TIME)) throw new Error(`bench: ${TIME} is needed for whole-command RSS (apt-get install time)`);
  const seconds = envNumber('TRACEVISOR_BENCH_QUERY_SECONDS', 600);
  const synthetic = envNumber('TRACEVISOR_BENCH_QUERY_EVENTS', 10_000_000);
  const root = mkdtempSync(join(tmpdir(), 'tv-bench-query-'));
  const results: TraceFigures[] = [];
  try {
    if (seconds > 0) {
      const dir = join(root, 'cockpit');
      const events = recordCockpit(dir, seconds);
      const middle = BigInt(Math.floor(seconds / 2)) * 1_000_000_000n;
      results.push(await measureTrace(`cockpit ${seconds} s`, dir, events, middle));
      rmSync(dir, { recursive: true, force: true });
    }
    if (synthetic > 0) {
      const dir = join(root, 'synthetic');
      recordSynthetic(dir, synthetic);
      const middle = (BigInt(synthetic) * SYNTHETIC_STEP_NS) / 2n;
      results.push(await measureTrace('synthetic events', dir, synthetic, middle));
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return results;
}

const fmtRows = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);

function minMedian(runs: CommandRun[]): { s: string; rss: number } {
  const pair = (values: number[]): string => {
    const sorted = [...values].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    return sorted.length > 1 ? `${sorted[0]!.toFixed(2)}/${median.toFixed(2)}` : sorted[0]!.toFixed(2);
  };
  const rss = Math.max(...runs.map((r) => r.rssMB));
  const s = `${pair(runs.map((r) => r.seconds))} s (cpu ${pair(runs.map((r) => r.cpuSeconds))})`;
  return { s, rss };
}

/** Build rates min/median/max, whole-process wall and CPU min/median. */
function buildLines(t: TraceFigures): string[] {
  const line = (name: string, runs: BuildRun[]): string => {
    const rates = runs.map((b) => b.rowsPerSec).sort((a, b) => a - b);
    const median = rates[Math.floor((rates.length - 1) / 2)]!;
    const process = minMedian(runs.map((b) => b.run));
    const span = `${fmtRows(rates[0]!)}/${fmtRows(median)}/${fmtRows(rates.at(-1)!)}`;
    return `    ${name} ${span} rows/s, process ${process.s} ${process.rss.toFixed(0)} MB`;
  };
  const median = (runs: BuildRun[]): number => {
    const rates = runs.map((b) => b.rowsPerSec).sort((a, b) => a - b);
    return rates[Math.floor((rates.length - 1) / 2)]!;
  };
  const lines = [
    `    store builds, ${t.builds.length} of each kind alternating: rows/s min/median/max`,
    line('store build (index --force)', t.builds) + ` (${t.storeMB.toFixed(0)} MB store)`,
  ];
  if (t.referenceBuilds.length === 0) return lines;
  const ratio = median(t.builds) / median(t.referenceBuilds);
  return [...lines, line('previous build (DuckDB tables)', t.referenceBuilds) + `  (${ratio.toFixed(1)}× median)`];
}

export function formatQueryBench(results: TraceFigures[]): string {
  const lines = ['query store (each query as the whole command: wall min/median s, cpu user+sys, peak RSS)'];
  for (const t of results) {
    lines.push(`  ${t.label}, ${fmtRows(t.events)} events`);
    lines.push(...buildLines(t));
    const first = t.first;
    lines.push(`    first query (verify + build) ${first.seconds.toFixed(2)} s (cpu ${first.cpuSeconds.toFixed(2)}), ${first.rssMB.toFixed(0)} MB`);
    for (const q of t.queries) {
      const later = minMedian(q.later);
      const head = `    ${q.name.padEnd(16)} later ${later.s} ${later.rss.toFixed(0)} MB`;
      if (q.reference.length === 0) {
        lines.push(head);
        continue;
      }
      const ref = minMedian(q.reference);
      const best = Math.min(...q.later.map((r) => r.seconds));
      const refBest = Math.min(...q.reference.map((r) => r.seconds));
      lines.push(`${head}  | reload ${ref.s} ${ref.rss.toFixed(0)} MB  (${(refBest / best).toFixed(1)}×)`);
    }
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(formatQueryBench(await benchQuery()));
}

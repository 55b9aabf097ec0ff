// DLT import speed, side by side with COVESA's `dlt-convert -a` in one run:
//   1. the whole import path (read in chunks, parse, render payload text, lifecycles, build the
//      dlt columns, write the Arrow stream with its SHA-256, fsync, manifest) on a file of ≥ 1 M
//      messages, against `dlt-convert -a file > /dev/null` on the same file;
//   2. the `tracevisor import dlt` command as a process (Node start-up included) against the
//      same dlt-convert command on a 100 k-message file.
// Also: the import path without the trace write (parse, render, columns), to show the split.
// Each round first removes the previous round's trace, as a user re-importing does: the kernel
// then reuses that trace's page-cache pages. On a freshly booted VM, writing into memory the
// guest has never touched costs a hypervisor fault per page (~350 MB/s here instead of ~4 GB/s);
// the first import after boot pays that, later ones do not.
// The input is bench/dlt.ts's deterministic mix (log messages with strings and numbers at
// several levels, some non-verbose and network-trace messages).

import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DltParser } from '../src/formats/dlt/index.js';
import { DltBatchBuilder } from '../src/formats/dlt/import-batch.js';
import { importDltFiles, IMPORT_CHUNK_BYTES_DEFAULT, type DltImportKernel } from '../src/formats/dlt/import.js';
import { DltKernel } from '../src/formats/dlt/kernel.js';
import { PUSH_HEADROOM } from '../src/formats/dlt/parser.js';
import { encodeRecordBatch } from '../src/trace/ipc-encode.js';
import { ROWS_PER_BATCH_DEFAULT } from '../src/trace/tables.js';
import { hasDltConvert, timeShell, writeSyntheticFile } from './dlt.js';

export interface DltImportBenchOptions {
  /** messages in the large file (default 1 000 000) */
  messages?: number;
  /** messages in the small file for the command comparison (default 100 000) */
  smallMessages?: number;
  /** rounds per in-process figure; the best is reported (default 3; 5 for the commands) */
  rounds?: number;
  /** time dlt-convert when installed (default true) */
  dltConvert?: boolean;
}

export interface DltImportBenchResult {
  messages: number;
  mb: number;
  /** whole import path, in process */
  importMsgsPerSec: number;
  importMBPerSec: number;
  /** the same with the JavaScript column builder (kernel 'js') instead of the WASM kernel */
  importJsMsgsPerSec: number;
  /** parse + render + columns, no trace written (WASM kernel) */
  buildMsgsPerSec: number;
  /** the same with the JavaScript column builder */
  buildJsMsgsPerSec: number;
  dltConvertMsgsPerSec?: number;
  /** importMsgsPerSec / dltConvertMsgsPerSec */
  ratio?: number;
  smallMessages: number;
  /** `node dist/cli/main.js import dlt small.dlt -o dir` (the bin), wall seconds */
  commandSeconds: number;
  /** the same command with --kernel js */
  commandJsSeconds: number;
  /** `dlt-convert -a small.dlt > /dev/null`, wall seconds */
  dltConvertSmallSeconds?: number;
}

/** The import's parse + render + column work over the file, without writing a trace. */
export function buildOnly(path: string, kernel: DltImportKernel = 'js'): number {
  return kernel === 'wasm' ? buildOnlyWasm(path) : buildOnlyJs(path);
}

function buildOnlyJs(path: string): number {
  const parser = new DltParser({ framing: 'storage' });
  const builder = new DltBatchBuilder(ROWS_PER_BATCH_DEFAULT);
  const fd = openSync(path, 'r');
  let rows = 0;
  try {
    for (let ended = false; ;) {
      for (let f = parser.next(); f !== null; f = parser.next()) {
        builder.add(f, 1);
        if (builder.full) {
          encodeRecordBatch('dlt', builder.length, builder.columns());
          builder.reset();
          rows += ROWS_PER_BATCH_DEFAULT;
        }
      }
      if (ended) break;
      ended = parser.fill((into, at, max) => readSync(fd, into, at, max, null), IMPORT_CHUNK_BYTES_DEFAULT) === 0;
    }
  } finally {
    closeSync(fd);
  }
  return rows + builder.length;
}

function buildOnlyWasm(path: string): number {
  let rows = 0;
  const kernel = DltKernel.create({
    batchRows: ROWS_PER_BATCH_DEFAULT, regions: 3, inputs: 1,
    inputBytes: Math.ceil((IMPORT_CHUNK_BYTES_DEFAULT + PUSH_HEADROOM) / 8) * 8,
  }, {
    batch: (length, columns) => {
      encodeRecordBatch('dlt', length, columns);
      rows += length;
    },
    reuse: () => {},
  });
  const parser = new DltParser({ framing: 'storage', buffer: kernel.input(0) });
  const base = kernel.inputBase(0);
  const fd = openSync(path, 'r');
  try {
    for (let ended = false; ;) {
      for (let f = parser.next(); f !== null; f = parser.next()) kernel.add(base + f.offset, 1);
      if (ended) break;
      kernel.drain();
      ended = parser.fill((into, at, max) => readSync(fd, into, at, max, null), IMPORT_CHUNK_BYTES_DEFAULT) === 0;
    }
    kernel.finish();
  } finally {
    closeSync(fd);
  }
  return rows;
}

/** The best of `rounds` timed runs; `before` runs untimed before each round. */
async function best(rounds: number, run: (round: number) => void | Promise<void>, before?: (round: number) => void): Promise<number> {
  let seconds = Infinity;
  for (let r = 0; r < rounds; r++) {
    before?.(r);
    const started = performance.now();
    await run(r);
    seconds = Math.min(seconds, (performance.now() - started) / 1000);
  }
  return seconds;
}

export async function benchDltImport(opts: DltImportBenchOptions = {}): Promise<DltImportBenchResult> {
  const count = opts.messages ?? 1_000_000;
  const smallCount = opts.smallMessages ?? 100_000;
  const rounds = opts.rounds ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'tracevisor-dlt-import-bench-'));
  try {
    const large = join(dir, 'large.dlt');
    const small = join(dir, 'small.dlt');
    const size = writeSyntheticFile(large, count);
    writeSyntheticFile(small, smallCount);
    const removePrevious = (name: string) => (r: number) => rmSync(join(dir, `${name}-${r - 1}`), { recursive: true, force: true });
    const importSeconds = await best(rounds, (r) => {
      const result = importDltFiles([large], join(dir, `trace-${r}`));
      if (result.messages !== count) throw new Error(`bench: imported ${result.messages} of ${count}`);
    }, removePrevious('trace'));
    removePrevious('trace')(rounds);
    const importJsSeconds = await best(rounds, (r) => {
      const result = importDltFiles([large], join(dir, `trace-js-${r}`), { kernel: 'js' });
      if (result.messages !== count) throw new Error(`bench: imported ${result.messages} of ${count}`);
    }, removePrevious('trace-js'));
    removePrevious('trace-js')(rounds);
    const buildSeconds = await best(rounds, () => {
      if (buildOnly(large, 'wasm') !== count) throw new Error('bench: build-only pass lost messages');
    });
    const buildJsSeconds = await best(rounds, () => {
      if (buildOnly(large, 'js') !== count) throw new Error('bench: build-only pass lost messages');
    });
    const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url)); // dist/bench → dist/cli (the bin)
    const commandSeconds = await best(Math.max(rounds, 5), (r) =>
      timeShell('exec node "$1" import dlt "$2" -o "$3" > /dev/null', [cli, small, join(dir, `small-${r}`)]).then(() => {}),
    removePrevious('small'));
    removePrevious('small')(Math.max(rounds, 5));
    const commandJsSeconds = await best(Math.max(rounds, 5), (r) =>
      timeShell('exec node "$1" import dlt "$2" -o "$3" --kernel js > /dev/null', [cli, small, join(dir, `small-js-${r}`)])
        .then(() => {}),
    removePrevious('small-js'));
    const result: DltImportBenchResult = {
      messages: count,
      mb: size / 1e6,
      importMsgsPerSec: count / importSeconds,
      importMBPerSec: size / 1e6 / importSeconds,
      importJsMsgsPerSec: count / importJsSeconds,
      buildMsgsPerSec: count / buildSeconds,
      buildJsMsgsPerSec: count / buildJsSeconds,
      smallMessages: smallCount,
      commandSeconds,
      commandJsSeconds,
    };
    if ((opts.dltConvert ?? true) && (await hasDltConvert())) {
      // best of as many rounds as ours: both sides get the same luck on a shared machine
      const convertSeconds = await best(rounds, () => timeShell('exec dlt-convert -a "$1" > /dev/null', [large]).then(() => {}));
      result.dltConvertMsgsPerSec = count / convertSeconds;
      result.ratio = result.importMsgsPerSec / result.dltConvertMsgsPerSec;
      result.dltConvertSmallSeconds = await best(Math.max(rounds, 5), () =>
        timeShell('exec dlt-convert -a "$1" > /dev/null', [small]).then(() => {}));
    }
    if (statSync(large).size !== size) throw new Error('bench: input changed');
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figures as the bench runner prints them. */
export function formatDltImportBench(d: DltImportBenchResult): string {
  const rate = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);
  const lines = [
    `DLT import into a trace (${rate(d.messages)} messages, ${d.mb.toFixed(1)} MB; parse, render, Arrow, hash)`,
    `  tracevisor import         ${rate(d.importMsgsPerSec)} msg/s, ${d.importMBPerSec.toFixed(1)} MB/s (WASM kernel)`,
    `    JS column builder       ${rate(d.importJsMsgsPerSec)} msg/s`,
    `    no trace write          ${rate(d.buildMsgsPerSec)} msg/s WASM kernel, ${rate(d.buildJsMsgsPerSec)} msg/s JS`,
  ];
  if (d.dltConvertMsgsPerSec !== undefined && d.ratio !== undefined) {
    lines.push(`  dlt-convert -a            ${rate(d.dltConvertMsgsPerSec)} msg/s`);
    lines.push(`  ratio                     ${d.ratio.toFixed(1)}× (target ≥ 10×)`);
  } else {
    lines.push('  dlt-convert -a            not installed (apt-get install dlt-tools)');
  }
  const small = `${rate(d.smallMessages)}-message file`;
  lines.push(`  import command, ${small}  ${d.commandSeconds.toFixed(3)} s (--kernel js ${d.commandJsSeconds.toFixed(3)} s)`);
  if (d.dltConvertSmallSeconds !== undefined) {
    lines.push(`  dlt-convert -a, same file  ${d.dltConvertSmallSeconds.toFixed(3)} s` +
      ` (the command takes ${(d.commandSeconds / d.dltConvertSmallSeconds).toFixed(2)}× its time; target < 1)`);
  }
  return lines.join('\n');
}

// `node dist/bench/dlt-import.js`: run this bench alone
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchDltImport().then((d) => console.log(formatDltImportBench(d))).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

// `tracevisor import dlt <file.dlt…> -o <dir>`: DLT storage files → a trace directory.
// Damaged input is not an error: intact messages are kept and a one-line warning per damaged
// file says what was skipped (exit 0). Unreadable files and occupied directories are (exit 2),
// and so is a raw DLT stream given without --raw (it would import nothing). `-` is stdin.

import type { Command } from 'commander';
import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isatty } from 'node:tty';
import type { DltImportKernel, DltImportResult } from '../formats/dlt/import.js';
import { sniffDltInput, SNIFF_BYTES } from '../formats/dlt/sniff.js';
import { RAW_START_US_MAX } from '../formats/dlt/raw-stream.js';
import { prestartWriterThread } from '../trace/threaded-writer.js';
import { fileError, UsageError } from './errors.js';
import { startProgress } from './progress.js';

interface ImportFlags {
  output: string;
  quiet?: boolean;
  force?: boolean;
  kernel?: string;
  raw?: boolean;
  start?: string;
  json?: boolean;
  index?: boolean;
}

const STDIN = '-';

const KERNELS: readonly DltImportKernel[] = ['wasm', 'js'];

export function registerImport(program: Command): void {
  const command = program
    .command('import')
    .description('import logs from another format into a trace directory (formats: dlt)');
  command
    .command('dlt')
    .description('import DLT storage files (e.g. from dlt-receive -o or dlt-viewer), or raw DLT streams with --raw; several files merge by storage time')
    .argument('<files...>', 'DLT files (with storage headers; raw streams with --raw); - reads stdin')
    .requiredOption('-o, --output <dir>', 'trace directory to write')
    .option('-f, --force', 'replace an existing trace in the output directory')
    .option('--kernel <kernel>', 'what fills the columns: wasm (default) or js (the reference; same trace bytes)')
    .option('--raw', 'the files are raw DLT streams (no storage headers: the TCP output of dlt-daemon or record --dlt-port); receive times come from the file order')
    .option('--start <time>', 'with --raw: the receive time of the first message, Unix seconds or an ISO date (default 0); each next message 1 µs later')
    .option('--json', 'print the summary as one JSON object')
    .option('--index', 'build the query store at the end (as `tracevisor index` does)')
    .option('-q, --quiet', 'no progress bar (it shows only when stdout and stderr are terminals)')
    .action(async (files: string[], flags: ImportFlags) => {
      const { summary, warnings, json } = await runImportDlt(files, flags);
      for (const line of warnings) process.stderr.write(`tracevisor: warning: ${line}\n`);
      process.stdout.write(flags.json === true ? `${JSON.stringify(json)}\n` : summary);
      if (flags.index === true) {
        // Loaded only with --index: a plain import must not pay for loading DuckDB. With --json
        // stdout holds the one JSON object, so the store's report goes to stderr.
        const { runIndex } = await import('./index-store.js');
        const report = await runIndex(flags.output, true);
        (flags.json === true ? process.stderr : process.stdout).write(report);
      }
    });
}

export interface ImportReport {
  summary: string;
  warnings: string[];
  /** what --json prints */
  json: Record<string, unknown>;
}

export async function runImportDlt(files: string[], flags: ImportFlags): Promise<ImportReport> {
  const startUs = rawStart(flags);
  checkInputs(files, flags.raw === true);
  if (flags.force !== true && existsSync(join(flags.output, 'manifest.json'))) {
    throw new UsageError(`${flags.output} already holds a trace; use --force to replace it, or -o another directory`);
  }
  const kernel = flags.kernel ?? 'wasm';
  if (!(KERNELS as readonly string[]).includes(kernel)) {
    throw new UsageError(`--kernel ${kernel}: expected ${KERNELS.join(' or ')}`);
  }
  // The trace's writer thread takes ~30 ms to start: let it start while the import's ~30
  // modules load (this module loads them only now), instead of after.
  prestartWriterThread();
  const { importDltFiles } = await import('../formats/dlt/import.js');
  const started = performance.now();
  let result: DltImportResult;
  const progress = startProgress({ label: 'importing', total: inputBytes(files), unit: 'MB', quiet: flags.quiet });
  try {
    result = importDltFiles(files, flags.output, {
      overwrite: flags.force === true, kernel: kernel as DltImportKernel,
      onBytes: (bytes) => progress.update(bytes),
      ...(startUs !== null ? { raw: { startUs } } : {}),
    });
  } catch (error) {
    throw fileError(error);
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const warnings = [...nothingFoundWarnings(result, flags.raw === true), ...damageWarnings(result)];
  return { summary: describeImport(flags.output, result, seconds), warnings, json: importJson(flags.output, result, seconds, warnings) };
}

/** The bytes the import will read (0 when one is stdin: no bar then). */
function inputBytes(files: readonly string[]): number {
  let bytes = 0;
  for (const f of files) {
    if (f === '-') return 0;
    try {
      bytes += statSync(f).size;
    } catch {
      return 0;
    }
  }
  return bytes;
}

/** --start as µs since the epoch; null without --raw. */
function rawStart(flags: ImportFlags): number | null {
  if (flags.raw !== true) {
    if (flags.start !== undefined) throw new UsageError('--start needs --raw (storage files carry their own receive times)');
    return null;
  }
  if (flags.start === undefined) return 0;
  const us = parseStartUs(flags.start);
  if (us === null) {
    throw new UsageError(`--start: expected Unix seconds (e.g. 1764579600 or 1764579600.25) or an ISO date (e.g. 2025-12-01T09:00:00Z) from 1970 to 2106, got "${flags.start}"`);
  }
  return us;
}

const UNIX_SECONDS = /^(\d{1,10})(?:\.(\d{1,6}))?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** Unix seconds (up to µs) or an ISO date (UTC unless it names an offset), in µs; null if neither. */
export function parseStartUs(text: string): number | null {
  const unix = UNIX_SECONDS.exec(text);
  let us: number;
  if (unix !== null) {
    us = Number(unix[1]) * 1e6 + Number((unix[2] ?? '').padEnd(6, '0'));
  } else {
    const iso = ISO_DATE.exec(text);
    if (iso === null) return null;
    // a date and time without an offset is UTC here, not the machine's zone (Date.parse's
    // rule): the same command imports the same trace on any host
    const ms = Date.parse(iso[1] === undefined && text.length > 10 ? `${text.replace(' ', 'T')}Z` : text.replace(' ', 'T'));
    if (Number.isNaN(ms)) return null;
    us = ms * 1000;
  }
  return us >= 0 && us <= RAW_START_US_MAX ? us : null;
}

function checkInputs(files: string[], raw: boolean): void {
  if (files.filter((f) => f === STDIN).length > 1) throw new UsageError('-: stdin can be read once; name it once');
  for (const file of files) {
    if (file === STDIN) {
      if (isatty(0)) throw new UsageError('-: stdin is a terminal; pipe DLT data into it (e.g. cat log.dlt | tracevisor import dlt - -o <dir>)');
      continue;
    }
    checkReadable(file);
    checkFraming(file, raw);
  }
}

/** A raw stream without --raw imported 0 messages (issue #8); a storage file with --raw, garbage. */
function checkFraming(file: string, raw: boolean): void {
  const kind = sniffDltInput(readHead(file));
  if (!raw && kind === 'stream') {
    throw new UsageError(`${file}: no DLT storage headers; it starts like a raw DLT stream (dlt-daemon's TCP output, record --dlt-port): import it with --raw`);
  }
  if (raw && kind === 'storage') {
    throw new UsageError(`${file}: a DLT storage file (it starts with "DLT\\x01"); import it without --raw`);
  }
}

function readHead(file: string): Uint8Array {
  const head = new Uint8Array(SNIFF_BYTES);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw fileError(error);
  }
  try {
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * An input without a single message (stdin is not sniffed first): say what it may be (this
 * replaces the damage line, which would call every byte skipped).
 */
function nothingFoundWarnings(result: DltImportResult, raw: boolean): string[] {
  return result.files.filter((f) => f.messages === 0).map((f) => {
    if (f.bytes === 0) return `${f.path}: empty (0 bytes), no DLT messages`;
    if (raw) return `${f.path}: no DLT message found in ${f.bytes} bytes (is it a DLT file at all?)`;
    return `${f.path}: no DLT storage-framed message found in ${f.bytes} bytes; ` +
      "if it is a raw DLT stream (dlt-daemon's TCP output), import it with --raw";
  });
}

function importJson(dir: string, result: DltImportResult, seconds: number, warnings: string[]): Record<string, unknown> {
  return {
    output: dir,
    messages: result.messages,
    skippedBytes: result.skippedBytes,
    damagedMessages: result.damagedMessages,
    lifecycles: result.lifecycles,
    files: result.files.map((f) => ({
      path: f.path, bytes: f.bytes, messages: f.messages, skippedBytes: f.skippedBytes, damagedMessages: f.damagedMessages,
    })),
    seconds,
    warnings,
  };
}

function checkReadable(file: string): void {
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new UsageError(`${file}: cannot read it (no such file or no permission)`);
  }
  if (statSync(file).isDirectory()) throw new UsageError(`${file}: is a directory, expected a DLT file`);
}

/** One line per damaged file: what was skipped, and that the rest was kept. */
export function damageWarnings(result: DltImportResult): string[] {
  return result.files
    .filter((f) => (f.skippedBytes > 0 || f.damagedMessages > 0) && f.messages > 0)
    .map((f) => `${f.path}: ${f.damagedMessages} damaged message${f.damagedMessages === 1 ? '' : 's'}, ` +
      `${f.skippedBytes} byte${f.skippedBytes === 1 ? '' : 's'} skipped; kept the ${f.messages} intact messages`);
}

function describeImport(dir: string, result: DltImportResult, seconds: number): string {
  const bytes = result.files.reduce((n, f) => n + f.bytes, 0);
  const lines = [
    `imported ${result.messages} DLT messages from ${result.files.length} file${result.files.length === 1 ? '' : 's'} ` +
      `(${(bytes / 1e6).toFixed(1)} MB) in ${seconds.toFixed(2)} s -> ${dir}`,
  ];
  const ecus = Object.entries(result.lifecycles);
  if (ecus.length > 0) {
    lines.push(`  lifecycles per ECU: ${ecus.map(([ecu, n]) => `${ecu} ${n}`).join(', ')}`);
  }
  return lines.join('\n') + '\n';
}

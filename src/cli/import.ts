// `tracevisor import dlt <file.dlt…> -o <dir>`: DLT storage files → a trace directory.
// Damaged input is not an error: intact messages are kept and a one-line warning per damaged
// file says what was skipped (exit 0). Unreadable files and occupied directories are (exit 2).

import type { Command } from 'commander';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DltImportKernel, DltImportResult } from '../formats/dlt/import.js';
import { prestartWriterThread } from '../trace/threaded-writer.js';
import { fileError, UsageError } from './errors.js';

interface ImportFlags {
  output: string;
  force?: boolean;
  kernel?: string;
  index?: boolean;
}

const KERNELS: readonly DltImportKernel[] = ['wasm', 'js'];

export function registerImport(program: Command): void {
  const command = program
    .command('import')
    .description('import logs from another format into a trace directory (formats: dlt)');
  command
    .command('dlt')
    .description('import DLT storage files (e.g. from dlt-receive -o or dlt-viewer); several files merge by storage time')
    .argument('<files...>', 'DLT files (with storage headers)')
    .requiredOption('-o, --output <dir>', 'trace directory to write')
    .option('-f, --force', 'replace an existing trace in the output directory')
    .option('--kernel <kernel>', 'what fills the columns: wasm (default) or js (the reference; same trace bytes)')
    .option('--index', 'build the query store at the end (as `tracevisor index` does)')
    .action(async (files: string[], flags: ImportFlags) => {
      const { summary, warnings } = await runImportDlt(files, flags);
      for (const line of warnings) process.stderr.write(`tracevisor: warning: ${line}\n`);
      process.stdout.write(summary);
      if (flags.index === true) {
        // Loaded only with --index: a plain import must not pay for loading DuckDB.
        const { runIndex } = await import('./index-store.js');
        process.stdout.write(await runIndex(flags.output, true));
      }
    });
}

export async function runImportDlt(files: string[], flags: ImportFlags): Promise<{ summary: string; warnings: string[] }> {
  for (const file of files) checkReadable(file);
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
  try {
    result = importDltFiles(files, flags.output, { overwrite: flags.force === true, kernel: kernel as DltImportKernel });
  } catch (error) {
    throw fileError(error);
  }
  const seconds = (performance.now() - started) / 1000;
  return { summary: describeImport(flags.output, result, seconds), warnings: damageWarnings(result) };
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
    .filter((f) => f.skippedBytes > 0 || f.damagedMessages > 0)
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

// `tracevisor export dlt <trace-dir> -o out.dlt`: the trace's `dlt` table as a DLT storage file
// that COVESA's dlt-convert and dlt-viewer read (src/formats/dlt/export.ts says what goes where).
// `-o -` writes the file to stdout (the summary line then goes to stderr).

import type { Command } from 'commander';
import { createReadStream, existsSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DltExportError, exportDltFile, type DltExportResult } from '../formats/dlt/export.js';
import { fileError, UsageError } from './errors.js';
import { registerExportParquet } from './export-parquet.js';
import { manifestRows, startProgress } from './progress.js';
import { registerExportPerfetto } from './export-perfetto.js'; // perfetto (issue 12 §3)
import { registerFrameExports } from './export-pcap.js'; // export pcap / candump (issue 12 §2)

interface ExportFlags {
  output: string;
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
}

const STDOUT = '-';

export function registerExport(program: Command): void {
  const command = program
    .command('export')
    .description('export a trace to another format (formats: dlt, parquet, perfetto, pcap, candump)');
  registerExportParquet(command);
  registerFrameExports(command); // export pcap / candump (issue 12 §2)
  command
    .command('dlt')
    .description('write the dlt table as a DLT storage file (dlt-convert -a, dlt-viewer)')
    .argument('<trace-dir>', 'trace directory')
    .requiredOption('-o, --output <file>', 'DLT file to write; - writes to stdout')
    .option('-f, --force', 'replace an existing file')
    .option('--json', 'print the summary as one JSON object')
    .option('-q, --quiet', 'no progress bar (it shows only when stdout and stderr are terminals)')
    .action(async (dir: string, flags: ExportFlags) => {
      if (flags.output === STDOUT) {
        if (flags.json === true) throw new UsageError('--json and -o - both write to stdout; -o a file to get the JSON summary');
        const result = await exportDltToStdout(dir);
        process.stderr.write(summaryLine(result, 'stdout'));
        return;
      }
      const result = runExportDlt(dir, flags);
      process.stdout.write(flags.json === true ? `${JSON.stringify({ output: flags.output, ...result })}\n` : summaryLine(result, flags.output));
    });
  registerExportPerfetto(command); // perfetto (issue 12 §3)
}

function summaryLine(result: DltExportResult, where: string): string {
  return `exported ${result.messages} DLT messages (${result.bytes} bytes) -> ${where}\n`;
}

/**
 * The export goes to a temporary file first (exportDltFile writes files, synchronously), then
 * streams to stdout, so a slow reader (a pipe into dlt-convert) gets back-pressure, not a stall.
 */
async function exportDltToStdout(dir: string): Promise<DltExportResult> {
  const temp = mkdtempSync(join(tmpdir(), 'tracevisor-export-'));
  let fd: number;
  let result: DltExportResult;
  try {
    result = exportTo(dir, join(temp, 'out.dlt'));
    fd = openSync(join(temp, 'out.dlt'), 'r');
  } finally {
    // removed while still open: nothing is left behind even when a reader that stops early
    // (| head) ends the process (main.ts exits on EPIPE)
    rmSync(temp, { recursive: true, force: true });
  }
  await pipeline(createReadStream('', { fd }), process.stdout, { end: false });
  return result;
}

export function runExportDlt(dir: string, flags: ExportFlags): DltExportResult {
  if (existsSync(flags.output)) {
    if (statSync(flags.output).isDirectory()) throw new UsageError(`${flags.output}: is a directory; -o takes a file name`);
    if (flags.force !== true) throw new UsageError(`${flags.output} exists; use --force to replace it, or -o another file`);
  }
  return exportTo(dir, flags.output, flags.quiet);
}

function exportTo(dir: string, path: string, quiet?: boolean): DltExportResult {
  const progress = startProgress({ label: 'exporting', total: manifestRows(dir, 'dlt'), unit: 'rows', quiet });
  try {
    return exportDltFile(dir, path, (messages) => progress.update(messages));
  } catch (error) {
    if (error instanceof DltExportError) throw new UsageError(`${dir}: ${error.message}`);
    throw fileError(error);
  } finally {
    progress.stop();
  }
}

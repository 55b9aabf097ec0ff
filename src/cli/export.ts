// `tracevisor export dlt <trace-dir> -o out.dlt`: the trace's `dlt` table as a DLT storage file
// that COVESA's dlt-convert and dlt-viewer read (src/formats/dlt/export.ts says what goes where).

import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { DltExportError, exportDltFile } from '../formats/dlt/export.js';
import { fileError, UsageError } from './errors.js';

interface ExportFlags {
  output: string;
  force?: boolean;
}

export function registerExport(program: Command): void {
  const command = program
    .command('export')
    .description('export a trace to another format (formats: dlt)');
  command
    .command('dlt')
    .description('write the dlt table as a DLT storage file (dlt-convert -a, dlt-viewer)')
    .argument('<trace-dir>', 'trace directory')
    .requiredOption('-o, --output <file>', 'DLT file to write')
    .option('-f, --force', 'replace an existing file')
    .action((dir: string, flags: ExportFlags) => {
      process.stdout.write(runExportDlt(dir, flags));
    });
}

export function runExportDlt(dir: string, flags: ExportFlags): string {
  if (existsSync(flags.output)) {
    if (statSync(flags.output).isDirectory()) throw new UsageError(`${flags.output}: is a directory; -o takes a file name`);
    if (flags.force !== true) throw new UsageError(`${flags.output} exists; use --force to replace it, or -o another file`);
  }
  try {
    const result = exportDltFile(dir, flags.output);
    return `exported ${result.messages} DLT messages (${result.bytes} bytes) -> ${flags.output}\n`;
  } catch (error) {
    if (error instanceof DltExportError) throw new UsageError(`${dir}: ${error.message}`);
    throw fileError(error);
  }
}

// `tracevisor export perfetto <trace-dir> -o run.pftrace [--format proto|json]`: the trace as a
// Perfetto timeline (src/formats/perfetto/export.ts says what goes where) for ui.perfetto.dev,
// or as Chrome Trace Event JSON for older tools. Registered by export.ts.

import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import type { PerfettoExportResult, PerfettoFormat } from '../formats/perfetto/export.js';
import { fileError, UsageError } from './errors.js';
import { manifestRows, startProgress } from './progress.js';

interface PerfettoFlags {
  output: string;
  format: string;
  force?: boolean;
  json?: boolean;
  trust?: boolean;
  salvage?: boolean;
  quiet?: boolean;
}

const FORMATS: readonly PerfettoFormat[] = ['proto', 'json'];

export function registerExportPerfetto(exportCommand: Command): void {
  exportCommand
    .command('perfetto')
    .description('write a Perfetto timeline (TrackEvent protobuf for ui.perfetto.dev; --format json: Chrome trace JSON)')
    .argument('<trace-dir>', 'trace directory')
    .requiredOption('-o, --output <file>', 'file to write (e.g. run.pftrace, or run.json with --format json)')
    .option('--format <format>', 'proto (Perfetto TrackEvent) or json (Chrome Trace Event JSON)', 'proto')
    .option('-f, --force', 'replace an existing file')
    .option('--json', 'print the summary as one JSON object')
    .option('--trust', 'skip checking the trace files against the manifest')
    .option('--salvage', 'export the intact part of a damaged trace')
    .option('-q, --quiet', 'no progress bar (it shows only when stdout and stderr are terminals)')
    .action(async (dir: string, flags: PerfettoFlags) => {
      const result = await runExportPerfetto(dir, flags);
      process.stdout.write(flags.json === true ? `${JSON.stringify({ output: flags.output, ...result })}\n` : summaryLine(result, flags.output));
    });
}

/** The writer (protobufjs, the scenario schema) is loaded only for this command, not for `export dlt`. */
export async function runExportPerfetto(dir: string, flags: PerfettoFlags): Promise<PerfettoExportResult> {
  const format = flags.format as PerfettoFormat;
  if (!FORMATS.includes(format)) throw new UsageError(`--format ${flags.format}: not a format; use proto or json`);
  if (flags.trust === true && flags.salvage === true) throw new UsageError('give --trust or --salvage, not both');
  if (existsSync(flags.output)) {
    if (statSync(flags.output).isDirectory()) throw new UsageError(`${flags.output}: is a directory; -o takes a file name`);
    if (flags.force !== true) throw new UsageError(`${flags.output} exists; use --force to replace it, or -o another file`);
  }
  const mode = flags.salvage === true ? 'salvage' : flags.trust === true ? 'trust' : 'verify';
  const warn = (message: string): void => void process.stderr.write(`tracevisor: warning: ${message}\n`);
  const { exportPerfettoFile } = await import('../formats/perfetto/export.js');
  const progress = startProgress({ label: 'exporting', total: manifestRows(dir, 'events'), unit: 'rows', quiet: flags.quiet });
  try {
    return exportPerfettoFile(dir, flags.output, { format, mode, warn, onRows: (rows) => progress.update(rows) });
  } catch (error) {
    if (error instanceof Error && error.name === 'PerfettoExportError') throw new UsageError(`${dir}: ${error.message}`);
    if (error instanceof Error && error.name === 'TraceError') throw error;
    throw fileError(error);
  } finally {
    progress.stop();
  }
}


function summaryLine(r: PerfettoExportResult, where: string): string {
  const mb = (r.bytes / 1e6).toFixed(1);
  return `exported ${r.events} events, ${r.dltInstants} DLT messages, ${r.clockSamples} clock samples as ` +
    `${r.runSlices} run, ${r.stealSlices} steal and ${r.requestSlices} virtqueue slices, ${r.flows} flows on ` +
    `${r.tracks} tracks (${r.format}, ${mb} MB) -> ${where}\n`;
}

// `tracevisor report <trace-dir> -o report.html`: the trace's self-contained HTML report
// (src/report): per-VM verdicts, the vCPU timeline, clock offsets, virtqueue latency, bus and
// link load, DLT rates and the incidents, each drawn from a named query.

import type { Command } from 'commander';
import { existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { reportHtml } from '../report/html.js';
import { gatherReport, REPORT_STEPS } from '../report/report-data.js';
import { startProgress } from './progress.js';
import { UsageError, fileError } from './errors.js';
import { openQuerySession } from './query.js';

interface ReportFlags {
  output: string;
  force?: boolean;
  trust?: boolean;
  salvage?: boolean;
  quiet?: boolean;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML report of a trace (charts and verdicts; opens offline)')
    .argument('<trace-dir>', 'trace directory')
    .requiredOption('-o, --output <file>', 'HTML file to write')
    .option('-f, --force', 'replace an existing file')
    .option('--trust', 'skip checking the trace files against the manifest')
    .option('--salvage', 'report on the intact part of a damaged trace')
    .option('-q, --quiet', 'no progress bar (it shows only when stdout and stderr are terminals)')
    .action(async (dir: string, flags: ReportFlags) => {
      const result = await writeReport(dir, flags);
      process.stdout.write(`wrote the report (${(result.bytes / 1e6).toFixed(2)} MB) -> ${flags.output}\n`);
    });
}

export async function writeReport(dir: string, flags: ReportFlags): Promise<{ bytes: number }> {
  if (existsSync(flags.output)) {
    if (statSync(flags.output).isDirectory()) throw new UsageError(`${flags.output}: is a directory; -o takes a file name`);
    if (flags.force !== true) throw new UsageError(`${flags.output} exists; use --force to replace it, or -o another file`);
  }
  const session = await openQuerySession(dir, { format: 'table', queries: [], trust: flags.trust, salvage: flags.salvage });
  let html: string;
  const progress = startProgress({ label: 'reporting', total: REPORT_STEPS, unit: 'steps', quiet: flags.quiet });
  try {
    html = reportHtml(await gatherReport(session, (done) => progress.update(done)));
  } finally {
    progress.stop();
    session.close();
  }
  const partial = `${flags.output}.partial`;
  try {
    writeFileSync(partial, html);
    renameSync(partial, flags.output);
  } catch (error) {
    rmSync(partial, { force: true });
    throw fileError(error);
  }
  return { bytes: Buffer.byteLength(html) };
}

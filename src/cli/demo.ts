import type { Command } from 'commander';
import { DEFAULT_SCENARIO } from '../scenario/load.js';
import { runRecord } from './record.js';
import { describeTrace } from './info.js';
import { runQuery } from './query.js';
import { writeReport } from './report.js';
import { join, resolve } from 'node:path';

const DEMO_QUERIES = ['dlt/summary', 'dlt/errors', 'virtio/latency', 'sched/steal', 'bus/throttle'];

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(`record the built-in "${DEFAULT_SCENARIO}" platform, then show its manifest and run the main named queries`)
    .option('-o, --output <dir>', 'trace directory to write', 'traces/demo')
    .action(async (flags: { output: string }) => {
      const out = (text: string) => process.stdout.write(text);
      out(`$ tracevisor record ${DEFAULT_SCENARIO} -o ${flags.output} --force\n`);
      out(await runRecord(DEFAULT_SCENARIO, { output: flags.output, force: true }));
      out(`\n$ tracevisor info ${flags.output}\n`);
      out(describeTrace(flags.output, false));
      for (const name of DEMO_QUERIES) {
        out(`\n$ tracevisor query ${flags.output} --named ${name}\n`);
        const text = await runQuery(flags.output, undefined, { named: name, format: 'table' });
        out(limitLines(text, 25));
      }
      const sql = 'SELECT vm, kind, count(*) AS n FROM events GROUP BY ALL ORDER BY vm, n DESC';
      out(`\n$ tracevisor query ${flags.output} "${sql}"\n`);
      out(limitLines(await runQuery(flags.output, sql, { format: 'table' }), 40));
      // the picture (issue 12 §4): the same trace as a self-contained HTML report
      const report = join(flags.output, 'report.html');
      out(`\n$ tracevisor report ${flags.output} -o ${report} --force\n`);
      const written = await writeReport(flags.output, { output: report, force: true });
      out(`wrote the report (${(written.bytes / 1e6).toFixed(2)} MB) -> ${report}\nopen it in a browser: file://${resolve(report)}\n`);
    });
}

function limitLines(text: string, max: number): string {
  const lines = text.trimEnd().split('\n');
  if (lines.length <= max) return lines.join('\n') + '\n';
  return [...lines.slice(0, max), `… (${lines.length - max} more lines)`].join('\n') + '\n';
}

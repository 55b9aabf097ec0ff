// `tracevisor index <trace> [--force]`: build the trace's query store now (src/query/store.ts)
// so that the first query does not pay for it.

import type { Command } from 'commander';
import type { IndexResult } from '../query/index-trace.js';

export function registerIndex(program: Command): void {
  program
    .command('index')
    .description('verify a trace and build its query store (store.duckdb beside it) so queries start fast')
    .argument('<trace-dir>', 'trace directory')
    .option('-f, --force', 'rebuild the store even if it matches the trace')
    .action(async (dir: string, flags: { force?: boolean }) => {
      process.stdout.write(await runIndex(dir, flags.force === true));
    });
}

export async function runIndex(dir: string, force: boolean): Promise<string> {
  const { indexTrace } = await import('../query/index-trace.js');
  return describeIndex(await indexTrace(dir, { force }));
}

export function describeIndex(result: IndexResult): string {
  const what = result.built ? 'built' : 'up to date:';
  const rate = result.built && result.seconds > 0 ? `, ${(result.rows / result.seconds / 1e6).toFixed(2)} M rows/s` : '';
  const later = result.deferred.map((d) => `; ${d.table} (${d.rows} rows) verified and stored when a query first reads it`);
  return (
    `query store ${what} ${result.path}: ${result.rows} rows, ` +
    `${(result.bytes / 1e6).toFixed(1)} MB in ${result.seconds.toFixed(2)} s${rate}${later.join('')}\n`
  );
}

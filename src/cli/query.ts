import type { Command } from 'commander';
import { QuerySession } from '../query/session.js';
import { listNamedQueries } from '../query/named.js';
import { formatResult } from '../query/format.js';
import { UsageError } from './errors.js';
import { parseFormatOption } from './options.js';

interface QueryFlags {
  named?: string;
  format: string;
}

export function registerQuery(program: Command): void {
  program
    .command('query')
    .description('run SQL (or a named query) over a trace with DuckDB; tables: events, dlt, clock, inputs')
    .argument('<trace-dir>', 'trace directory')
    .argument('[sql]', 'SQL to run (omit with --named)')
    .option('-n, --named <name>', 'run a named query from queries/ (see `tracevisor queries`)')
    .option('--format <format>', 'output format: table, csv or json', 'table')
    .action(async (dir: string, sql: string | undefined, flags: QueryFlags) => {
      process.stdout.write(await runQuery(dir, sql, flags));
    });
  program
    .command('queries')
    .description('list the named queries with their descriptions')
    .option('-v, --verbose', 'also list each query\'s columns')
    .action((flags: { verbose?: boolean }) => {
      for (const q of listNamedQueries()) {
        process.stdout.write(`${q.name.padEnd(18)} ${q.description.split('\n')[0]}\n`);
        if (flags.verbose) for (const c of q.columns) process.stdout.write(`${''.padEnd(20)}${c.name}: ${c.description}\n`);
      }
    });
}

export async function runQuery(dir: string, sql: string | undefined, flags: QueryFlags): Promise<string> {
  const format = parseFormatOption(flags.format);
  if ((sql === undefined) === (flags.named === undefined)) {
    throw new UsageError('query: give either SQL or --named <name>, not both and not neither');
  }
  const session = await QuerySession.open(dir);
  try {
    const result = flags.named !== undefined ? await session.runNamed(flags.named) : await session.run(sql!);
    return formatResult(result, format);
  } finally {
    session.close();
  }
}

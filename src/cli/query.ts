import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { QuerySession, type SessionOptions } from '../query/session.js';
import { listAllNamedQueries, resolveNamedQuery } from '../query/named.js';
import { StringSink, streamSink, type OutputFormat, type Sink } from '../query/format.js';
import { describeMacrosText, MACROS } from '../query/macros.js';
import { QueryCancelled, StatementRunner } from '../query/statements.js';
import { UsageError, fileError } from './errors.js';
import { collect, parseFormatOption, parseLimitOption, parseTimeoutOption } from './options.js';

/** Flags shared by `query` and `shell`: how the trace is opened and how results print. */
export interface SessionFlags {
  format: string;
  limit?: string;
  timeout?: string;
  queries: string[];
  trust?: boolean;
  salvage?: boolean;
  allowFiles?: boolean;
  /** The path given is a dataset root (export parquet --dataset), not a trace. */
  dataset?: string;
}

interface QueryFlags extends SessionFlags {
  named?: string;
  file?: string;
}



/** Adds the session and output flags to a command (query and shell share them). */
export function addSessionOptions(command: Command): Command {
  return command
    .option('--format <format>', 'output format: table, csv, json or jsonl', 'table')
    .option('--limit <rows>', 'table rows shown per result (default 1000; 0 = all)')
    .option('--timeout <duration>', 'cancel a query running longer than this (e.g. 30s)')
    .option('--queries <dir>', 'also look up named queries in this directory (repeatable)', collect, [])
    .option('--trust', 'skip checking the trace files against the manifest')
    .option('--salvage', 'answer from the intact part of a damaged trace')
    .option('--allow-files', 'let SQL read and write host files (COPY … TO, read_csv …)');
}

export function registerQuery(program: Command): void {
  const query = program
    .command('query')
    .description('run SQL (or a named query) over a trace with DuckDB; tables: events, dlt, clock, inputs, sync')
    .argument('[trace-dir]', 'trace directory (none with --dataset)')
    .argument('[sql]', 'SQL to run, several statements allowed; "-" reads stdin; put -- before SQL that starts with "-"')
    .option('-n, --named <name>', 'run a named query (see `tracevisor queries`) or a .sql file path')
    .option('-f, --file <path>', 'read the SQL from a file ("-" for stdin)')
    .option('--dataset <root>', 'query a Parquet dataset of many traces (export parquet --dataset) instead of one trace');
  addSessionOptions(query).action(async (dir: string | undefined, sql: string | undefined, flags: QueryFlags) => {
    if (flags.dataset === undefined) {
      if (dir === undefined) throw new UsageError('query: give a trace directory (or --dataset <root>)');
      await queryCommand(dir, sql, flags);
      return;
    }
    // `query --dataset <root> <sql>`: the one positional argument is the SQL
    if (sql !== undefined) throw new UsageError('query --dataset: give the SQL alone, not a trace directory too');
    await queryCommand(flags.dataset, dir, flags);
  });
  refuseDashSql(query);
  program
    .command('queries')
    .description('list the named queries with their descriptions')
    .option('-v, --verbose', 'also list each query\'s columns and the SQL helpers')
    .option('--json', 'print the list as JSON')
    .option('--queries <dir>', 'also list the named queries in this directory (repeatable)', collect, [])
    .action((flags: { verbose?: boolean; json?: boolean; queries: string[] }) => {
      process.stdout.write(describeQueries(flags));
    });
}

/** SQL that starts with "-" is taken for an option unless it follows "--": say so. */
function refuseDashSql(command: Command): void {
  (command as unknown as { unknownOption: (flag: string) => never }).unknownOption = (flag: string) => {
    const shown = flag.split('\n', 1)[0]!.slice(0, 40);
    throw new UsageError(
      `${command.name()}: unknown option "${shown}"; SQL that starts with "-" goes after "--": ` +
        `tracevisor ${command.name()} <trace-dir> -- "<sql>"`,
    );
  };
}

function describeQueries(flags: { verbose?: boolean; json?: boolean; queries: string[] }): string {
  const queries = listAllNamedQueries(flags.queries);
  if (flags.json) {
    const list = queries.map((q) => ({ name: q.name, description: q.description, columns: q.columns, path: q.path }));
    const helpers = MACROS.map((m) => ({ signature: m.signature, description: m.description, example: m.example }));
    return JSON.stringify({ queries: list, helpers }, null, 2) + '\n';
  }
  let out = '';
  for (const q of queries) {
    out += `${q.name.padEnd(18)} ${q.description.split('\n')[0]}\n`;
    if (flags.verbose) for (const c of q.columns) out += `${''.padEnd(20)}${c.name}: ${c.description}\n`;
  }
  if (flags.verbose) out += `\n${describeMacrosText()}`;
  return out;
}

/** Opens the trace with the flags' mode, prints its warnings and installs the SQL helpers. */
export async function openQuerySession(dir: string, flags: SessionFlags): Promise<QuerySession> {
  if (flags.trust && flags.salvage) throw new UsageError('give --trust or --salvage, not both');
  if (flags.dataset !== undefined) {
    if (flags.trust || flags.salvage) throw new UsageError('--trust and --salvage are for a trace, not a --dataset');
    return QuerySession.openDataset(dir, { allowFiles: flags.allowFiles === true });
  }
  const options: SessionOptions = {
    mode: flags.salvage ? 'salvage' : flags.trust ? 'trust' : 'verify',
    allowFiles: flags.allowFiles === true,
  };
  const session = await QuerySession.open(dir, options);
  for (const warning of session.warnings) process.stderr.write(`tracevisor: warning: ${warning}\n`);
  return session;
}

export interface OutputSettings {
  format: OutputFormat;
  rowsMax: number | undefined;
  timeoutMs: number | undefined;
}

export function outputSettings(flags: SessionFlags): OutputSettings {
  return {
    format: parseFormatOption(flags.format),
    rowsMax: flags.limit === undefined ? undefined : parseLimitOption(flags.limit),
    timeoutMs: flags.timeout === undefined ? undefined : parseTimeoutOption(flags.timeout),
  };
}

interface SqlSource {
  sql: string;
  label?: string;
}

async function sqlSource(sql: string | undefined, flags: QueryFlags): Promise<SqlSource> {
  const given = [sql, flags.named, flags.file].filter((s) => s !== undefined).length;
  if (given !== 1) throw new UsageError('query: give exactly one of SQL, --named <name> or --file <path>');
  if (flags.named !== undefined) {
    const query = resolveNamedQuery(flags.named, flags.queries);
    return { sql: query.sql, label: query.name };
  }
  const path = flags.file ?? (sql === '-' ? '-' : undefined);
  if (path === undefined) return { sql: sql! };
  if (path === '-') return { sql: await readStdin() };
  try {
    return { sql: readFileSync(path, 'utf8') };
  } catch (error) {
    throw fileError(error);
  }
}

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of process.stdin) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** `tracevisor query`: streams each result to stdout; Ctrl-C cancels the running statement. */
async function queryCommand(dir: string, sql: string | undefined, flags: QueryFlags): Promise<void> {
  const settings = outputSettings(flags);
  const source = await sqlSource(sql, flags);
  let runner: StatementRunner | null = null;
  const onSigint = (): void => {
    if (runner?.busy) runner.cancel('interrupt');
    else exitCancelled();
  };
  process.on('SIGINT', onSigint);
  try {
    const session = await openQuerySession(dir, flags);
    try {
      runner = session.statementRunner();
      await runStatements(runner, source, streamSink(process.stdout), settings);
    } catch (error) {
      if (error instanceof QueryCancelled && error.reason === 'interrupt') {
        session.close();
        exitCancelled();
      }
      throw error;
    } finally {
      session.close();
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Ctrl-C: one line and the shell's usual 128 + SIGINT exit code, no stack. */
function exitCancelled(): never {
  process.stderr.write('tracevisor: query cancelled\n');
  process.exit(130);
}

/** Runs SQL through a runner; a timeout becomes a one-line usage error (exit 2). */
export async function runStatements(
  runner: StatementRunner,
  source: SqlSource,
  sink: Sink,
  settings: OutputSettings,
): Promise<void> {
  try {
    await runner.run(source.sql, sink, { ...settings, label: source.label });
  } catch (error) {
    if (error instanceof QueryCancelled && error.reason === 'timeout') {
      throw new UsageError(`query cancelled after ${durationText(settings.timeoutMs!)} (--timeout)`);
    }
    throw error;
  }
}

function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** The whole output of one query as a string (`demo` prints a few short results). */
export async function runQuery(
  dir: string,
  sql: string | undefined,
  flags: { named?: string; format: string },
): Promise<string> {
  const full: QueryFlags = { ...flags, queries: [] };
  const source = await sqlSource(sql, full);
  const session = await openQuerySession(dir, full);
  try {
    const sink = new StringSink();
    await runStatements(session.statementRunner(), source, sink, outputSettings(full));
    return sink.text();
  } finally {
    session.close();
  }
}

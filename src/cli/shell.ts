// `tracevisor shell <trace>`: an interactive SQL prompt on one open session, so a user exploring a
// trace pays the start-up (verification, store) once. Statements end with ';' and may span lines;
// dot commands (.tables, .schema, .named, .run, .help, .quit) stand alone on a line. Ctrl-C
// cancels the running statement (or clears the unfinished one), Ctrl-D leaves. With stdin not a
// terminal it reads statements from the pipe, prints no prompt and exits 2 if any failed.

import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Command } from 'commander';
import { listAllNamedQueries, resolveNamedQuery } from '../query/named.js';
import { streamSink, type Sink } from '../query/format.js';
import { describeMacrosText } from '../query/macros.js';
import { endsStatement, splitStatements } from '../query/split.js';
import { QueryCancelled, StatementRunner } from '../query/statements.js';
import type { QuerySession } from '../query/session.js';
import { UsageError, reportError } from './errors.js';
import { parseFormatOption, parseLimitOption } from './options.js';
import {
  addSessionOptions,
  openQuerySession,
  outputSettings,
  runStatements,
  type OutputSettings,
  type SessionFlags,
} from './query.js';

const PROMPT = 'tracevisor> ';
const CONTINUE = '       ...> ';
const HISTORY_FILE = '.tracevisor_history';
const HISTORY_LINES_MAX = 1000;

const HELP = [
  'Statements end with ";" and may span lines. Commands:',
  '  .tables            list the tables and views',
  '  .schema [table]    columns and types (of one table, or of all)',
  '  .named             list the named queries',
  '  .run <name>        run a named query (or a .sql file path)',
  '  .format <format>   table, csv, json or jsonl from now on',
  '  .limit <rows>      table rows shown per result (0 = all)',
  '  .helpers           the SQL helpers (ns_to_s, fault_name, level_num, …)',
  '  .help              this text',
  '  .quit              leave (Ctrl-D too); Ctrl-C cancels a running query',
].join('\n');

export function registerShell(program: Command): void {
  const shell = program
    .command('shell')
    .description('interactive SQL prompt on one open trace (.help lists its commands)')
    .argument('<trace-dir>', 'trace directory');
  addSessionOptions(shell).action(async (dir: string, flags: SessionFlags) => {
    const settings = outputSettings(flags);
    const session = await openQuerySession(dir, flags);
    let failures = 0;
    try {
      failures = await new Shell(session, { ...settings }, flags.queries).run();
    } finally {
      session.close();
    }
    // a script piped in fails as a whole when any statement failed (each already said why)
    if (failures > 0 && !process.stdin.isTTY) throw new UsageError(`shell: ${failures} of the piped commands failed`);
  });
}

class Shell {
  private readonly runner: StatementRunner;
  private readonly sink: Sink = streamSink(process.stdout);
  private readonly interactive = process.stdin.isTTY === true;
  private buffer = '';
  private failures = 0;
  private rl!: Interface;

  constructor(
    session: QuerySession,
    private readonly settings: OutputSettings,
    private readonly queryDirs: string[],
  ) {
    this.runner = session.statementRunner();
  }

  /** Reads until .quit or end of input; returns how many commands failed. */
  async run(): Promise<number> {
    this.rl = createInterface({
      input: process.stdin,
      output: this.interactive ? process.stdout : undefined,
      terminal: this.interactive,
      history: this.interactive ? loadHistory() : [],
      historySize: HISTORY_LINES_MAX,
    });
    const onSigint = (): void => this.interrupt();
    this.rl.on('SIGINT', onSigint); // Ctrl-C on a terminal reaches readline, not the process
    process.on('SIGINT', onSigint);
    try {
      if (this.interactive) process.stdout.write('tracevisor shell: .help for commands, .quit or Ctrl-D to leave\n');
      this.prompt();
      for await (const line of this.rl) {
        if (!(await this.line(line))) break;
        this.prompt();
      }
      const last = splitStatements(this.buffer); // a last statement without ';'
      if (last.statements.length > 0 || last.rest !== '') await this.execute(this.buffer);
    } finally {
      process.off('SIGINT', onSigint);
      this.rl.close();
    }
    return this.failures;
  }

  private prompt(): void {
    if (this.interactive) {
      this.rl.setPrompt(this.buffer === '' ? PROMPT : CONTINUE);
      this.rl.prompt();
    }
  }

  private interrupt(): void {
    if (this.runner.busy) {
      this.runner.cancel('interrupt');
      return;
    }
    if (!this.interactive) process.exit(130);
    this.buffer = '';
    process.stdout.write('^C\n');
    this.prompt();
  }

  /** Handles one input line; false ends the shell. */
  private async line(line: string): Promise<boolean> {
    if (this.buffer === '' && line.trim().startsWith('.')) {
      saveHistory(this.interactive, line);
      return this.command(line.trim());
    }
    this.buffer += (this.buffer === '' ? '' : '\n') + line;
    if (!endsStatement(this.buffer)) return true;
    const sql = this.buffer;
    this.buffer = '';
    saveHistory(this.interactive, sql.replace(/\s*\n\s*/g, ' '));
    await this.execute(sql);
    return true;
  }

  private async command(line: string): Promise<boolean> {
    const [name, ...args] = line.split(/\s+/);
    const argument = args.join(' ');
    switch (name) {
      case '.quit':
      case '.exit':
        return false;
      case '.help':
        process.stdout.write(`${HELP}\n`);
        return true;
      case '.format':
        this.guardedSync(() => (this.settings.format = parseFormatOption(argument)));
        return true;
      case '.limit':
        this.guardedSync(() => (this.settings.rowsMax = parseLimitOption(argument)));
        return true;
      case '.helpers':
        process.stdout.write(describeMacrosText());
        return true;
      case '.tables':
        await this.execute(TABLES_SQL);
        return true;
      case '.schema':
        await this.execute(schemaSql(argument));
        return true;
      case '.named':
        await this.guarded(async () => {
          for (const q of listAllNamedQueries(this.queryDirs)) {
            process.stdout.write(`${q.name.padEnd(18)} ${q.description}\n`);
          }
        });
        return true;
      case '.run':
        await this.guarded(async () => {
          const query = resolveNamedQuery(argument, this.queryDirs);
          await runStatements(this.runner, { sql: query.sql, label: query.name }, this.sink, this.settings);
        });
        return true;
      default:
        this.fail(`unknown command ${name} (.help lists them)`);
        return true;
    }
  }

  private async execute(sql: string): Promise<void> {
    await this.guarded(() => runStatements(this.runner, { sql }, this.sink, this.settings));
  }

  /** Errors print as one line and the shell goes on; internal errors too, with their usual text. */
  private async guarded(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      if (error instanceof QueryCancelled) this.fail('query cancelled');
      else {
        this.failures += 1;
        reportError(error);
      }
    }
  }

  private guardedSync(step: () => unknown): void {
    try {
      step();
    } catch (error) {
      this.failures += 1;
      reportError(error);
    }
  }

  private fail(message: string): void {
    this.failures += 1;
    process.stderr.write(`tracevisor: ${message}\n`);
  }
}

const TABLES_SQL =
  "SELECT table_name AS name, 'table' AS type FROM duckdb_tables() WHERE NOT internal " +
  "UNION ALL SELECT view_name, 'view' FROM duckdb_views() WHERE NOT internal ORDER BY name";

function schemaSql(table: string): string {
  const columns =
    'SELECT table_name AS "table", column_name AS "column", data_type AS type FROM information_schema.columns';
  if (table === '') return `${columns} ORDER BY table_name, ordinal_position`;
  return `${columns} WHERE table_name = '${table.replaceAll("'", "''")}' ORDER BY ordinal_position`;
}

function historyPath(): string {
  return join(homedir(), HISTORY_FILE);
}

/** readline wants the newest line first. */
function loadHistory(): string[] {
  try {
    if (!existsSync(historyPath())) return [];
    return readFileSync(historyPath(), 'utf8').split('\n').filter((l) => l !== '').slice(-HISTORY_LINES_MAX).reverse();
  } catch {
    return [];
  }
}

/** Only a terminal session is remembered (piped scripts are not history). */
function saveHistory(interactive: boolean, line: string): void {
  if (!interactive) return;
  try {
    appendFileSync(historyPath(), `${line}\n`);
  } catch {
    // a read-only home directory only costs the history
  }
}

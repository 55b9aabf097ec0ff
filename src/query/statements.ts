// Runs SQL text that may hold several statements, each streamed through the output writers
// (headed by its own text when there are several), with a timeout and a cancel door that use
// DuckDB's connection.interrupt(). DuckDB's extractStatements() decides what runs; the local
// splitter only provides the headings.

import {
  ResultReturnType,
  type DuckDBConnection,
  type DuckDBExtractedStatements,
  type DuckDBPreparedStatement,
  type DuckDBResult,
} from '@duckdb/node-api';
import { firstLine } from '../trace/errors.js';
import { checkEnumLiterals } from './enum-literals.js';
import { refuseUnsafeCalls } from './refused-calls.js';
import { fileAccessOff, refuseFileStatement } from './refused-statements.js';
import { QueryError } from './errors.js';
import { writeResult, type OutputFormat, type Sink } from './format.js';
import { splitStatements } from './split.js';
import { missingTable } from './deferred-tables.js';

const NO_STATEMENT = 'no SQL statement to run (the text is empty or only comments)';

export type CancelReason = 'timeout' | 'interrupt';

/** The running query was interrupted (Ctrl-C or --timeout); the CLI maps it to its exit code. */
export class QueryCancelled extends Error {
  override readonly name = 'QueryCancelled';
  constructor(readonly reason: CancelReason) {
    super('query cancelled');
  }
}

export interface RunOptions {
  format: OutputFormat;
  /** Table rows shown per result; 0 = all. */
  rowsMax?: number;
  /** Cancel the whole text after this many ms (0 or undefined: no limit). */
  timeoutMs?: number;
  /** Prefix for SQL errors, e.g. the named query's name. */
  label?: string;
}

export class StatementRunner {
  private cancelled: CancelReason | null = null;
  private running = false;
  /** The session's file access, read from DuckDB once (refused-statements.ts). */
  private accessOff: boolean | null = null;

  constructor(
    private readonly connection: DuckDBConnection,
    /** Makes the tables written on first use that a text may read (QuerySession.prepareFor). */
    private readonly tablesFor: (sql: string) => Promise<boolean> = async () => false,
  ) {}

  /** Whether a statement is executing now (the shell's Ctrl-C cancels it, or clears the line). */
  get busy(): boolean {
    return this.running;
  }

  /** Interrupts the running statement; run() then throws QueryCancelled. */
  cancel(reason: CancelReason): void {
    if (!this.running) return;
    this.cancelled ??= reason;
    this.connection.interrupt();
  }

  /** Runs every statement of `sql`, writing each result to `sink`. */
  async run(sql: string, sink: Sink, options: RunOptions): Promise<void> {
    this.cancelled = null;
    this.running = true;
    const timer = options.timeoutMs ? setTimeout(() => this.cancel('timeout'), options.timeoutMs) : null;
    try {
      await this.runAll(sql, sink, options);
    } finally {
      if (timer) clearTimeout(timer);
      this.running = false;
    }
  }

  private async runAll(sql: string, sink: Sink, options: RunOptions): Promise<void> {
    const texts = splitStatements(sql);
    const pieces = texts.rest === '' ? texts.statements : texts.statements.concat([texts.rest]);
    // DuckDB's extractStatements fails with "Error in native callback" on a text without any
    if (pieces.length === 0 && !texts.open) throw new QueryError('sql', NO_STATEMENT);
    refuseUnsafeCalls(sql);
    await this.tablesFor(sql);
    await this.guard(options, () => checkEnumLiterals(this.connection, pieces.length > 0 ? pieces : [sql]));
    const extracted = await this.guard(options, () => this.extract(sql, pieces));
    if (extracted.count === 0) throw new QueryError('sql', NO_STATEMENT);
    const headings = pieces.length === extracted.count ? pieces : null;
    let resultsWritten = 0;
    for (let i = 0; i < extracted.count; i++) {
      this.throwIfCancelled();
      const where = extracted.count > 1 ? `statement ${i + 1} of ${extracted.count}` : '';
      this.accessOff ??= await fileAccessOff(this.connection);
      const accessOff = this.accessOff;
      const result = await this.guard(options, async () => {
        const prepared = await prepareMaking(this.connection, sql, extracted, i, this.tablesFor);
        refuseFileStatement(prepared, accessOff);
        return prepared.stream();
      }, where);
      if (extracted.count > 1 && options.format === 'table') {
        const heading = headings ? oneLine(headings[i]!) : `statement ${i + 1}`;
        await sink.write(`${resultsWritten > 0 ? '\n' : ''}-- ${heading}\n`);
      } else if (resultsWritten > 0 && result.returnType === ResultReturnType.QUERY_RESULT) {
        await sink.write(options.format === 'jsonl' ? '' : '\n');
      }
      if (await this.guard(options, () => this.writeOne(result, sink, options), where)) resultsWritten += 1;
      this.throwIfCancelled(); // an interrupted stream can end early without an error
    }
  }

  /**
   * DuckDB parses the whole text before anything runs, so a syntax error stops every statement;
   * the error then names the first piece that does not parse on its own.
   */
  private async extract(sql: string, pieces: string[]): Promise<DuckDBExtractedStatements> {
    try {
      return await this.connection.extractStatements(sql);
    } catch (error) {
      if (pieces.length < 2) throw error;
      for (let i = 0; i < pieces.length; i++) {
        try {
          await this.connection.extractStatements(pieces[i]!);
        } catch (pieceError) {
          throw queryError(pieceError, `statement ${i + 1} of ${pieces.length}`);
        }
      }
      throw error;
    }
  }

  /** Writes a result; statements without rows print a short line in tables and nothing otherwise. */
  private async writeOne(result: DuckDBResult, sink: Sink, options: RunOptions): Promise<boolean> {
    if (result.returnType === ResultReturnType.QUERY_RESULT) {
      await writeResult(result, sink, { format: options.format, rowsMax: options.rowsMax });
      return true;
    }
    if (options.format !== 'table') return false;
    const changed = result.returnType === ResultReturnType.CHANGED_ROWS;
    const rows = result.rowsChanged;
    await sink.write(changed ? `(${rows} ${rows === 1 ? 'row' : 'rows'} changed)\n` : 'OK\n');
    return true;
  }

  private throwIfCancelled(): void {
    if (this.cancelled) throw new QueryCancelled(this.cancelled);
  }

  /** Runs a DuckDB step, turning its errors into one-line QueryErrors (or QueryCancelled). */
  private async guard<T>(options: RunOptions, step: () => Promise<T>, where = ''): Promise<T> {
    try {
      return await step();
    } catch (error) {
      this.throwIfCancelled();
      throw queryError(error, [options.label, where].filter((s) => s).join(', '));
    }
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** JavaScript's string limit (V8: 2^29 − 24 characters) is the one a big value can hit. */
function queryError(error: unknown, where: string): unknown {
  if (error instanceof QueryError || error instanceof QueryCancelled) return error;
  const prefix = where ? `${where}: ` : '';
  const text = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError || /Cannot create a string longer|Invalid string length/.test(text)) {
    return new QueryError(
      'sql',
      `${prefix}a value in the result is too large to print (JavaScript strings hold at most 512 MiB); ` +
        'select part of it, e.g. substr(payload, 1, 1000000), or write it with COPY … TO (--allow-files)',
    );
  }
  if (!(error instanceof Error) || !/Error:/.test(text)) return error; // not DuckDB's: an internal error
  const line = firstLine(error).replace(/^Failed to extract statements: /, '');
  return new QueryError('sql', `${prefix}SQL error: ${line}`, text);
}

/**
 * Prepares statement `i` of `sql`; when DuckDB says a table does not exist and that table is
 * one written on first use (a name mayRead did not see, e.g. built in a string for
 * query_table), makes it and prepares the statement once more, from a new extraction (DuckDB
 * prepares an extracted statement once). Preparing runs nothing, so the retry repeats no effect.
 */
export async function prepareMaking(
  connection: DuckDBConnection,
  sql: string,
  extracted: DuckDBExtractedStatements,
  i: number,
  tablesFor: (sql: string) => Promise<boolean>,
): Promise<DuckDBPreparedStatement> {
  try {
    return await extracted.prepare(i);
  } catch (error) {
    const table = missingTable(error);
    if (table === null || !(await tablesFor(`"${table}"`))) throw error;
    return (await connection.extractStatements(sql)).prepare(i);
  }
}

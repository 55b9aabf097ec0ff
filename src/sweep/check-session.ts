// The DuckDB a sweep's check runs in: an in-memory database holding one run's tables, built by
// the same steps a query session's store is (store.ts populateFrom: the trace tables through
// the chunk loader, the ENUM types, vms/devices, vq_latency) with the same SQL helpers
// (macros.ts) and the same locked-down settings (settings.ts), so a check sees exactly what
// `tracevisor query` sees on the recorded trace. test/sweep/memory-sink.test.ts compares the
// catalogs of the two.
//
// Why in memory rather than recording to a temp directory and opening a QuerySession: the
// session would verify the files (read and hash them again) and build a store file on disk;
// bench/sweep.ts measures both ways side by side (README "Seed sweeps").

import { DuckDBInstance, ResultReturnType, type DuckDBConnection } from '@duckdb/node-api';
import { firstLine } from '../trace/errors.js';
import { checkEnumLiterals } from '../query/enum-literals.js';
import { QueryError } from '../query/errors.js';
import type { BatchSource } from '../query/load.js';
import { installMacros } from '../query/macros.js';
import { refuseUnsafeCalls } from '../query/refused-calls.js';
import { sessionConfig } from '../query/settings.js';
import { splitStatements } from '../query/split.js';
import { populateFrom } from '../query/store.js';
import type { TableName } from '../trace/schema.js';

export class CheckSession {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  /** One run's tables (or none: `EMPTY`) and the scenario that made them. */
  static async open(source: BatchSource, scenario: unknown): Promise<CheckSession> {
    // One thread: a sweep runs one session per worker, and the workers are the parallelism.
    const config = { ...sessionConfig({ allowFiles: false, readOnly: false }), threads: '1' };
    const instance = await DuckDBInstance.create(':memory:', config);
    try {
      const connection = await instance.connect();
      await populateFrom(connection, source, scenario);
      await installMacros(connection);
      return new CheckSession(instance, connection);
    } catch (error) {
      instance.closeSync();
      throw error;
    }
  }

  /** Runs the check's statements in order; returns the row count of the last one's result. */
  async countRows(sql: string): Promise<number> {
    refuseUnsafeCalls(sql);
    const extracted = await sqlStep(() => this.connection.extractStatements(sql));
    if (extracted.count === 0) throw new QueryError('sql', '--check: no SQL statement to run');
    let rows = 0;
    for (let i = 0; i < extracted.count; i++) {
      const result = await sqlStep(async () => (await extracted.prepare(i)).stream());
      rows = 0;
      if (result.returnType !== ResultReturnType.QUERY_RESULT) continue;
      for (let chunk = await sqlStep(() => result.fetchChunk()); chunk !== null && chunk.rowCount > 0;
        chunk = await sqlStep(() => result.fetchChunk())) {
        rows += chunk.rowCount;
      }
    }
    return rows;
  }

  /**
   * What `tracevisor query` refuses before running (refused calls, ENUM literal mistakes),
   * then the check itself: on an empty session this proves the SQL before any seed runs.
   */
  async validate(sql: string): Promise<void> {
    refuseUnsafeCalls(sql);
    const texts = splitStatements(sql);
    const pieces = texts.rest === '' ? texts.statements : texts.statements.concat([texts.rest]);
    if (pieces.length === 0 && !texts.open) throw new QueryError('sql', '--check: no SQL statement to run');
    await checkEnumLiterals(this.connection, pieces.length > 0 ? pieces : [sql]);
    await this.countRows(sql);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** A source with no rows: the tables exist, empty (validation of a check). */
export const EMPTY: BatchSource = {
  batches: (_table: TableName) => [],
};

/** DuckDB's errors as one-line QueryErrors; anything else (ours) stays an internal error. */
async function sqlStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof QueryError) throw error;
    const text = error instanceof Error ? error.message : String(error);
    if (!(error instanceof Error) || !/Error:/.test(text)) throw error;
    const line = firstLine(error).replace(/^Failed to extract statements: /, '');
    throw new QueryError('sql', `SQL error: ${line}`, text);
  }
}

// A query session: DuckDB over one trace — its persistent store (store.ts) or, for trust and
// salvage reads, an in-memory load — with tables named after the trace tables (events, dlt,
// clock, inputs), the lookup tables vms/devices, ENUM types for the closed string sets, and
// the safe settings of settings.ts.

import {
  DuckDBTypeId,
  type DuckDBConnection,
  type DuckDBInstance,
  type DuckDBEnumType,
  type DuckDBResultReader,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { TraceError, firstLine } from '../trace/errors.js';
import { Trace } from '../trace/reader.js';
import { sqlEnumTypes } from '../trace/tables.js';
import { QueryError } from './errors.js';
import { installMacros } from './macros.js';
import { refuseUnsafeCalls } from './refused-calls.js';
import { refuseFileStatement } from './refused-statements.js';
import type { TableLoad } from './load.js';
import { loadNamedQuery } from './named.js';
import { openDatasetDatabase } from './dataset.js';
import { openSessionDatabase, type SessionDatabase } from './open-store.js';
import { prepareMaking, StatementRunner } from './statements.js';
import { DEVICE_TYPES } from './topology.js';
import type { ReadMode } from '../trace/open.js';

export interface ResultColumn {
  name: string;
  /** DuckDB type name; ENUM columns show their type name (event_kind, dlt_level, …). */
  type: string;
}

export interface QueryResult {
  columns: ResultColumn[];
  /** Values as JS: BIGINT/HUGEINT → bigint, INTEGER/DOUBLE → number, BLOB → Uint8Array. */
  rows: unknown[][];
}

export type QueryParams = Record<string, DuckDBValue> | DuckDBValue[];

export interface SessionOptions {
  /** How the trace's files are checked (default 'verify'); see src/trace/open.ts. */
  mode?: ReadMode;
  /** Leave DuckDB's file access on (the CLI's --allow-files); default off, see settings.ts. */
  allowFiles?: boolean;
}

export class QuerySession {
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    /** Public: the SQL layer runs and streams statements on it directly. */
    readonly connection: DuckDBConnection,
    /** The trace answering; null for a dataset of many traces (openDataset). */
    readonly trace: Trace | null,
    /** Lines for the user's stderr: salvage reports, a store rebuilt or not writable. */
    readonly warnings: string[],
    /** The store file answering (null: in memory), whether this session built it, its loads. */
    readonly store: { path: string | null; built: boolean; loads: readonly TableLoad[] },
    /** File access off (no --allow-files): file-writing statements are refused (refused-statements.ts). */
    private readonly fileAccessOff: boolean,
    /** Makes the tables built on first use that a SQL text may read (deferred-tables.ts). */
    private readonly tablesFor: (connection: DuckDBConnection, sql: string) => Promise<boolean> = async () => false,
  ) {}

  /**
   * Makes the tables written on first use (the frames table, deferred-tables.ts) that `sql` may
   * read, before it runs: run() and statementRunner() call it; a caller running SQL on
   * `connection` itself calls it first. A damaged table file is a QueryError ('load'). True
   * when it made a table.
   */
  async prepareFor(sql: string): Promise<boolean> {
    try {
      return await this.tablesFor(this.connection, sql);
    } catch (error) {
      if (error instanceof QueryError) throw error;
      if (error instanceof TraceError) throw new QueryError('load', error.message);
      throw new QueryError('load', `cannot make a table for this query: ${firstLine(error)}`);
    }
  }

  /** A statement runner over this session (streaming, several statements, timeout). */
  statementRunner(): StatementRunner {
    return new StatementRunner(this.connection, (sql) => this.prepareFor(sql));
  }

  /**
   * Opens a trace for queries: from its store when one matches, else after verifying it
   * (building the store) or, in trust/salvage mode, loaded into memory. A problem is a
   * QueryError with one line.
   */
  static async open(traceDir: string, options: SessionOptions = {}): Promise<QuerySession> {
    let trace: Trace;
    try {
      trace = Trace.open(traceDir);
    } catch (error) {
      if (error instanceof TraceError) throw new QueryError('not_a_trace', error.message);
      throw error;
    }
    let db: SessionDatabase;
    try {
      db = await openSessionDatabase(traceDir, trace, options.mode ?? 'verify', options.allowFiles ?? false);
    } catch (error) {
      if (error instanceof QueryError) throw error;
      if (error instanceof TraceError) throw new QueryError('load', error.message);
      throw new QueryError('load', `${traceDir}: cannot load trace: ${firstLine(error)}`);
    }
    const connection = await QuerySession.connect(db, traceDir);
    const store = { path: db.storePath, built: db.built, loads: db.loads };
    const tablesFor = db.prepareFor;
    return new QuerySession(db.instance, connection, trace, db.warnings, store, options.allowFiles !== true, tablesFor);
  }

  /**
   * Opens a Parquet dataset of many traces (`export parquet --dataset`, dataset.ts): a view per
   * table with the `scenario` and `seed` partition columns, the same SQL helpers and the same
   * file-access rules as a trace's session.
   */
  static async openDataset(root: string, options: { allowFiles?: boolean } = {}): Promise<QuerySession> {
    const allowFiles = options.allowFiles === true;
    const db = await openDatasetDatabase(root, allowFiles);
    const connection = await QuerySession.connect(db, root);
    const store = { path: null, built: false, loads: [] };
    return new QuerySession(db.instance, connection, null, [], store, !allowFiles);
  }

  /** A connection with the database's views (a store's, a dataset's) and the SQL helpers. */
  private static async connect(
    db: { instance: DuckDBInstance; prepare(connection: DuckDBConnection): Promise<void> },
    where: string,
  ): Promise<DuckDBConnection> {
    const connection = await db.instance.connect();
    try {
      await db.prepare(connection); // a store's views (query-store part, issue 7)
      // The SQL helpers (ns_to_s, fault_name, level_num …) in every session, the CLI's and a
      // library user's alike: TEMP macros, which a read-only store takes too.
      await installMacros(connection);
    } catch (error) {
      connection.closeSync();
      db.instance.closeSync();
      throw new QueryError('load', `${where}: cannot set up the tables and SQL helpers: ${firstLine(error)}`);
    }
    return connection;
  }

  async run(sql: string, params?: QueryParams): Promise<QueryResult> {
    if (this.closed) throw new QueryError('closed', 'query session is closed');
    refuseUnsafeCalls(sql);
    await this.prepareFor(sql);
    try {
      const reader = await this.runChecked(sql, params);
      const names = reader.columnNames();
      const types = reader.columnTypes();
      const columns = names.map((name, i) => ({ name, type: typeName(types[i]!) }));
      return { columns, rows: reader.getRowsJS() as unknown[][] };
    } catch (error) {
      if (error instanceof QueryError) throw error;
      // runChecked extracts the statements first; DuckDB's wording of a parse error then starts
      // with this prefix, which says nothing to the user (statements.ts drops it too)
      const extractPrefix = /^Failed to extract statements: /;
      const text = (error instanceof Error ? error.message : String(error)).replace(extractPrefix, '');
      throw new QueryError('sql', `SQL error: ${firstLine(error).replace(extractPrefix, '')}`, text);
    }
  }

  /** runAndReadAll's steps (every statement run, the last one read), each statement checked first. */
  private async runChecked(sql: string, params?: QueryParams): Promise<DuckDBResultReader> {
    const extracted = await this.connection.extractStatements(sql);
    if (extracted.count === 0) return this.connection.runAndReadAll(sql, params);
    for (let i = 0; ; i++) {
      const prepared = await prepareMaking(this.connection, sql, extracted, i, (text) => this.prepareFor(text));
      try {
        refuseFileStatement(prepared, this.fileAccessOff);
        if (i < extracted.count - 1) {
          await prepared.run();
          continue;
        }
        if (params !== undefined) prepared.bind(params);
        return await prepared.runAndReadAll();
      } finally {
        prepared.destroySync();
      }
    }
  }

  /** Runs `queries/<name>.sql` (e.g. `dlt/errors`). */
  async runNamed(name: string, params?: QueryParams): Promise<QueryResult> {
    const query = loadNamedQuery(name);
    try {
      return await this.run(query.sql, params);
    } catch (error) {
      if (error instanceof QueryError && error.code === 'sql') {
        throw new QueryError('sql', `${name}: ${error.message}`, error.detail);
      }
      throw error;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** ENUM columns are named after the schema's enum type (event_kind …), not their values. */
function typeName(type: DuckDBType): string {
  if (type.alias) return type.alias;
  if (type.typeId === DuckDBTypeId.ENUM) {
    const values = (type as DuckDBEnumType).values;
    const known = enumTypeNames.find(
      (e) => e.values.length === values.length && e.values.every((v, i) => v === values[i]),
    );
    return known ? known.name : `ENUM(${values.length} values)`;
  }
  return type.toString();
}

const enumTypeNames = [...sqlEnumTypes(), { name: 'device_type', values: DEVICE_TYPES }];

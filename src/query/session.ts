// A query session: an in-memory DuckDB with one trace loaded as tables named after the trace
// tables (events, dlt, clock, inputs), ENUM types for the closed string sets.

import {
  DuckDBInstance,
  DuckDBTypeId,
  type DuckDBConnection,
  type DuckDBEnumType,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { TraceError, firstLine } from '../trace/errors.js';
import { Trace } from '../trace/reader.js';
import { TABLE_NAMES, TABLES } from '../trace/schema.js';
import { QueryError } from './errors.js';
import { createTraceTables, loadTable, type TableLoad } from './load.js';
import { loadNamedQuery } from './named.js';
import { createTopologyTables } from './topology.js';

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

export class QuerySession {
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    readonly trace: Trace,
    readonly loads: readonly TableLoad[],
  ) {}

  /** Opens a trace and loads every table; a problem is a QueryError with one line. */
  static async open(traceDir: string): Promise<QuerySession> {
    let trace: Trace;
    try {
      trace = Trace.open(traceDir);
    } catch (error) {
      if (error instanceof TraceError) throw new QueryError('not_a_trace', error.message);
      throw error;
    }
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await createTraceTables(connection);
      const loads: TableLoad[] = [];
      for (const table of TABLE_NAMES) loads.push(await loadTable(connection, trace, table));
      await createTopologyTables(connection, trace.manifest.scenario);
      return new QuerySession(instance, connection, trace, loads);
    } catch (error) {
      connection.closeSync();
      instance.closeSync();
      if (error instanceof QueryError) throw error;
      if (error instanceof TraceError) throw new QueryError('load', error.message);
      throw new QueryError('load', `${traceDir}: cannot load trace: ${firstLine(error)}`);
    }
  }

  async run(sql: string, params?: QueryParams): Promise<QueryResult> {
    if (this.closed) throw new QueryError('closed', 'query session is closed');
    try {
      const reader = await this.connection.runAndReadAll(sql, params);
      const names = reader.columnNames();
      const types = reader.columnTypes();
      const columns = names.map((name, i) => ({ name, type: typeName(types[i]!) }));
      return { columns, rows: reader.getRowsJS() as unknown[][] };
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      throw new QueryError('sql', `SQL error: ${firstLine(error)}`, text);
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

const enumTypeNames = TABLE_NAMES.flatMap((t) => TABLES[t].columns)
  .filter((c) => c.kind === 'enum')
  .map((c) => ({ name: c.enumTypeName!, values: c.dictionary! }));

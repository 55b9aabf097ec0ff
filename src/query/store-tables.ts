// How a trace table looks in the query store's Parquet files and in SQL: the file holds each
// column under its SQL name (dlt.verbose is `mode`), ENUM columns as dictionary-encoded
// strings; a session sees a view per table that gives those columns their ENUM type.
//
// Why map_extract_value and not a cast: measured on DuckDB 1.5 with the 600 s cockpit trace
// (18.9 M events), `SELECT kind, count(*) … GROUP BY kind` took 0.18–0.26 s on the VARCHAR
// column, 0.24 s through map_extract_value(MAP {'vq_used': 'vq_used'::event_kind, …}, kind),
// and 0.40–1.8 s through `kind::event_kind`: DuckDB evaluates a scalar function that cannot
// fail once per dictionary entry of the Parquet reader's dictionary vectors, while a cast runs
// per row. A value outside the map would be NULL, but the writer only writes the dictionary's
// own strings.

import { sqlColumnName, TABLES, type ColumnSpec, type TableName } from '../trace/tables.js';
import type { ParquetColumn } from './parquet/writer.js';

/** Columns with min/max statistics in the files: the ones time windows filter. */
const STATISTICS_COLUMNS = new Set(['ts_ns']);

export function parquetColumns(table: TableName): ParquetColumn[] {
  return TABLES[table].columns.map(parquetColumn);
}

function parquetColumn(spec: ColumnSpec): ParquetColumn {
  const name = sqlColumnName(spec);
  if (spec.sql) return { name, kind: 'enum', nullable: spec.nullable, dictionary: spec.sql.dictionary, fromBool: true };
  if (spec.kind === 'enum') return { name, kind: 'enum', nullable: spec.nullable, dictionary: spec.dictionary! };
  return { name, kind: spec.kind, nullable: spec.nullable, statistics: STATISTICS_COLUMNS.has(spec.name) };
}

function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function enumTypeOf(spec: ColumnSpec): { type: string; values: readonly string[] } | null {
  if (spec.sql) return { type: spec.sql.enumTypeName, values: spec.sql.dictionary };
  if (spec.kind === 'enum') return { type: spec.enumTypeName!, values: spec.dictionary! };
  return null;
}

/** The SELECT list of a table's view: plain columns as they are, ENUM columns mapped. */
function selectList(table: TableName): string {
  return TABLES[table].columns.map((spec) => enumMapped(spec) ?? `"${sqlColumnName(spec)}"`).join(', ');
}

/** `map_extract_value(MAP {…}, "kind") AS "kind"` for an ENUM column, null for the others. */
function enumMapped(spec: ColumnSpec): string | null {
  const enumType = enumTypeOf(spec);
  if (enumType === null) return null;
  const name = `"${sqlColumnName(spec)}"`;
  return enumMapping(name, enumType.type, enumType.values);
}

/** A VARCHAR column's values as the named ENUM type (the header says why a map, not a cast). */
export function enumMapping(quotedName: string, type: string, values: readonly string[]): string {
  const entries = values.map((v) => `${quote(v)}: ${quote(v)}::${type}`);
  return `map_extract_value(MAP {${entries.join(', ')}}, ${quotedName}) AS ${quotedName}`;
}

/** The ENUM columns' mapped expressions, for a `SELECT * REPLACE (…)` over exported Parquet. */
export function enumColumnExpressions(table: TableName): string[] {
  return TABLES[table].columns.map(enumMapped).filter((e): e is string => e !== null);
}

/** The table's rows as SQL sees them, from its Parquet file (in file order). */
export function storeSelectSql(table: TableName, parquetPath: string): string {
  return `SELECT ${selectList(table)} FROM read_parquet(${quote(parquetPath)})`;
}

/** CREATE VIEW for a table over its Parquet file (TEMP: a session's own, over today's path). */
export function storeViewSql(table: TableName, parquetPath: string, temporary: boolean): string {
  const kind = temporary ? 'TEMP VIEW' : 'VIEW';
  return `CREATE OR REPLACE ${kind} ${table} AS ${storeSelectSql(table, parquetPath)}`;
}

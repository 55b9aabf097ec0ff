// Many traces as one Parquet dataset (issue 12 §5): `export parquet --dataset <root>` writes each
// table of a trace under `<root>/<table>/scenario=<name>/seed=<n>/data.parquet` (Hive
// partitioning, which DuckDB, Spark, Trino, pandas and polars read), so the traces of a seed
// sweep form one dataset; `query --dataset <root>` answers SQL over it with a view per table
// that adds the `scenario` and `seed` partition columns.
//
// A partition value is percent-encoded (encodeURIComponent): a scenario's name may hold spaces
// or slashes ("dlt import"), and DuckDB's Hive reader decodes percent-encoding (checked on
// DuckDB 1.5: `scenario=dlt%20import` reads as 'dlt import').

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckdbEnumTypesSql, TABLE_NAMES, type TableName } from '../trace/tables.js';
import type { Manifest } from '../trace/manifest.js';
import { QueryError } from './errors.js';
import { quoteIdent, quoteLiteral } from './parquet-export.js';
import { sessionConfig } from './settings.js';
import { enumColumnExpressions, enumMapping } from './store-tables.js';
import { DEVICE_TYPES } from './topology.js';

export const DATASET_FILE = 'data.parquet';
/** What a trace without a scenario name (none so far) is filed under. */
const UNNAMED_SCENARIO = 'unnamed';

export interface DatasetPartition {
  scenario: string;
  seed: string;
}

/** The trace's partition: its scenario's name and its seed, from the manifest. */
export function partitionOf(manifest: Manifest): DatasetPartition {
  const scenario = manifest.scenario as { name?: unknown } | null;
  const name = typeof scenario?.name === 'string' && scenario.name !== '' ? scenario.name : UNNAMED_SCENARIO;
  return { scenario: name, seed: manifest.seed };
}

export function partitionDir(root: string, table: string, partition: DatasetPartition): string {
  return join(root, table, `scenario=${encodeURIComponent(partition.scenario)}`, `seed=${encodeURIComponent(partition.seed)}`);
}

/** A table directory's name: what the exporter writes (plain lower-case SQL identifiers). */
const TABLE_DIR = /^[a-z_][a-z0-9_]*$/;

/** The tables of a dataset: the directories under its root that hold a partition file. */
export function datasetTables(root: string): string[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new QueryError('not_a_trace', `${root}: no such dataset directory (write one with \`tracevisor export parquet <trace> --dataset ${root}\`)`);
  }
  const tables = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && TABLE_DIR.test(e.name) && hasPartitionFile(join(root, e.name)))
    .map((e) => e.name)
    .sort();
  if (tables.length === 0) {
    throw new QueryError('not_a_trace', `${root}: not a tracevisor dataset (no <table>/scenario=…/seed=…/${DATASET_FILE} under it)`);
  }
  return tables;
}

function hasPartitionFile(tableDir: string): boolean {
  for (const scenario of safeList(tableDir)) {
    if (!scenario.startsWith('scenario=')) continue;
    for (const seed of safeList(join(tableDir, scenario))) {
      if (seed.startsWith('seed=') && existsSync(join(tableDir, scenario, seed, DATASET_FILE))) return true;
    }
  }
  return false;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The view over one table's partition files; ENUM columns get their types back (store-tables.ts). */
export function datasetViewSql(root: string, table: string): string {
  const glob = join(root, table, 'scenario=*', 'seed=*', DATASET_FILE);
  const source =
    `read_parquet(${quoteLiteral(glob)}, hive_partitioning = true, union_by_name = true, ` +
    `hive_types = {'scenario': VARCHAR, 'seed': UBIGINT})`;
  const mapped = enumExpressions(table);
  const list = mapped.length === 0 ? '*' : `* REPLACE (${mapped.join(', ')})`;
  return `CREATE OR REPLACE TEMP VIEW ${quoteIdent(table)} AS SELECT ${list} FROM ${source}`;
}

function enumExpressions(table: string): string[] {
  if ((TABLE_NAMES as readonly string[]).includes(table)) return enumColumnExpressions(table as TableName);
  if (table === 'devices') return [enumMapping('"type"', 'device_type', DEVICE_TYPES)];
  return [];
}

export interface DatasetDatabase {
  instance: DuckDBInstance;
  tables: string[];
  prepare(connection: DuckDBConnection): Promise<void>;
}

/**
 * An in-memory DuckDB whose file access is the dataset's directory and nothing else (DuckDB's
 * allowed_directories, set before external access goes off and the configuration is locked,
 * as settings.ts does for a store's files). Writing statements are refused by type in the
 * session (refused-statements.ts), since allowed_directories would allow writes there too.
 */
export async function openDatasetDatabase(rootGiven: string, allowFiles: boolean): Promise<DatasetDatabase> {
  const root = resolve(rootGiven);
  const tables = datasetTables(root);
  const config = sessionConfig({ allowFiles: true, readOnly: false });
  delete config.lock_configuration;
  delete config.enable_external_access;
  const instance = await DuckDBInstance.create(':memory:', config);
  try {
    const setup = await instance.connect();
    try {
      for (const sql of duckdbEnumTypesSql()) await setup.run(sql);
      await setup.run(`CREATE TYPE device_type AS ENUM (${DEVICE_TYPES.map(quoteLiteral).join(', ')})`);
      await setup.run(`SET allowed_directories = [${quoteLiteral(`${root}/`)}]`);
      if (!allowFiles) await setup.run('SET enable_external_access = false');
      await setup.run('SET lock_configuration = true');
    } finally {
      setup.closeSync();
    }
  } catch (error) {
    instance.closeSync();
    throw error;
  }
  const prepare = async (connection: DuckDBConnection): Promise<void> => {
    for (const table of tables) await connection.run(datasetViewSql(root, table));
  };
  return { instance, tables, prepare };
}

// The sweep's summary table, one row per seed: CSV and/or Parquet, both written by DuckDB's
// COPY from one table, so the two files hold the same rows and types. This is tracevisor's own
// connection, not a user's SQL session: it may write the files it was told to write (a query
// session has external access off, settings.ts). Shards' summaries concatenate into the sweep's
// (`cat` after the first header, or read_parquet('shard-*.parquet')).

import { renameSync, rmSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from '../cli/errors.js';
import { firstLine } from '../trace/errors.js';
import type { SeedRecord } from './sweep.js';

export type SummaryFormat = 'csv' | 'parquet';

export interface SummaryTarget {
  path: string;
  format: SummaryFormat;
}

/** The columns, documented in the README ("Seed sweeps"). */
export const SUMMARY_COLUMNS = [
  ['seed', 'BIGINT'],
  ['status', 'VARCHAR'],
  ['check_rows', 'BIGINT'],
  ['events', 'BIGINT'],
  ['dlt_rows', 'BIGINT'],
  ['clock_rows', 'BIGINT'],
  ['inputs_rows', 'BIGINT'],
  ['wall_ms', 'DOUBLE'],
  ['digest', 'VARCHAR'],
  ['rechecked', 'BOOLEAN'],
  ['error', 'VARCHAR'],
] as const;

/** `--summary <file>`: the format from the extension. */
export function summaryTarget(path: string): SummaryTarget {
  if (path.endsWith('.csv')) return { path, format: 'csv' };
  if (path.endsWith('.parquet')) return { path, format: 'parquet' };
  throw new UsageError(`--summary ${path}: name a .csv or .parquet file (or give -o <prefix> for both)`);
}

export async function writeSummaries(records: readonly SeedRecord[], targets: readonly SummaryTarget[]): Promise<void> {
  if (targets.length === 0) return;
  const instance = await DuckDBInstance.create(':memory:', {
    threads: '1',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  try {
    const connection = await instance.connect();
    await fillTable(connection, records);
    for (const target of targets) await copyTo(connection, target);
    connection.closeSync();
  } finally {
    instance.closeSync();
  }
}

async function fillTable(connection: DuckDBConnection, records: readonly SeedRecord[]): Promise<void> {
  await connection.run(`CREATE TABLE summary (${SUMMARY_COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')})`);
  const appender = await connection.createAppender('summary');
  for (const record of records) {
    const run = record.first;
    const error = record.status === 'nondeterministic' ? nondeterminismText(record)
      : run.error ?? record.second?.error ?? null;
    appender.appendBigInt(BigInt(record.seed));
    appender.appendVarchar(record.status);
    for (const n of [run.checkRows, run.events, run.dltRows, run.clockRows, run.inputRows]) appender.appendBigInt(BigInt(n));
    appender.appendDouble(Math.round(run.wallMs * 1000) / 1000);
    if (run.digest === '') appender.appendNull();
    else appender.appendVarchar(run.digest);
    appender.appendBoolean(record.second !== undefined);
    if (error === null) appender.appendNull();
    else appender.appendVarchar(error);
    appender.endRow();
  }
  appender.flushSync();
  appender.closeSync();
}

/** Written under a temporary name and renamed: a reader never sees half a summary. */
async function copyTo(connection: DuckDBConnection, target: SummaryTarget): Promise<void> {
  const temporary = `${target.path}.tmp-${process.pid}`;
  const options = target.format === 'csv' ? 'FORMAT csv, HEADER' : 'FORMAT parquet';
  try {
    await connection.run(`COPY (SELECT * FROM summary) TO ${sqlString(temporary)} (${options})`);
    renameSync(temporary, target.path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new UsageError(`--summary ${target.path}: cannot write it (${firstLine(error)})`);
  }
}

export function nondeterminismText(record: SeedRecord): string {
  const a = record.first;
  const b = record.second!;
  return `two runs differ: digest ${a.digest.slice(0, 16)} vs ${b.digest.slice(0, 16)}, ` +
    `check rows ${a.checkRows} vs ${b.checkRows}, events ${a.events} vs ${b.events}`;
}

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

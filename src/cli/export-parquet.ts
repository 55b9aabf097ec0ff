// `tracevisor export parquet <trace-dir> -o <dir>`: each table as `<dir>/<table>.parquet`
// (DuckDB's writer, zstd, sorted by time: src/query/parquet-export.ts); `--dataset <root>` files
// the trace into a Hive-partitioned dataset of many traces (src/query/dataset.ts), which
// `tracevisor query --dataset <root>` answers.

import type { Command } from 'commander';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_FILE, partitionDir, partitionOf, type DatasetPartition } from '../query/dataset.js';
import { exportedTables, exportTablesToParquet, type ParquetTableExport } from '../query/parquet-export.js';
import type { QuerySession } from '../query/session.js';
import { UsageError, fileError } from './errors.js';
import { startProgress } from './progress.js';
import { openQuerySession } from './query.js';

interface ParquetFlags {
  output?: string;
  dataset?: string;
  force?: boolean;
  json?: boolean;
  trust?: boolean;
  salvage?: boolean;
  quiet?: boolean;
}

export function registerExportParquet(exportCommand: Command): void {
  exportCommand
    .command('parquet')
    .description('write every table as Parquet (zstd, sorted by time); --dataset files it into a dataset of many traces')
    .argument('<trace-dir>', 'trace directory')
    .option('-o, --output <dir>', 'directory for <table>.parquet files (created if missing)')
    .option('--dataset <root>', 'add the trace to a Hive-partitioned dataset: <root>/<table>/scenario=…/seed=…/data.parquet')
    .option('-f, --force', 'replace existing files (the same scenario and seed in a dataset)')
    .option('--json', 'print the summary as one JSON object')
    .option('--trust', 'skip checking the trace files against the manifest')
    .option('--salvage', 'export the intact part of a damaged trace')
    .option('-q, --quiet', 'no progress bar (it shows only when stdout and stderr are terminals)')
    .action(async (dir: string, flags: ParquetFlags) => {
      if (flags.output === undefined && flags.dataset === undefined) {
        throw new UsageError('export parquet: give -o <dir>, --dataset <root>, or both');
      }
      const session = await openQuerySession(dir, { format: 'table', queries: [], trust: flags.trust, salvage: flags.salvage, allowFiles: true });
      try {
        const results: { where: string; tables: ParquetTableExport[] }[] = [];
        if (flags.output !== undefined) results.push({ where: flags.output, tables: await toDirectory(session, flags.output, flags) });
        if (flags.dataset !== undefined) results.push({ where: flags.dataset, tables: await toDataset(session, flags.dataset, flags) });
        process.stdout.write(flags.json === true ? `${JSON.stringify(results)}\n` : results.map(summaryLine).join(''));
      } finally {
        session.close();
      }
    });
}

async function toDirectory(session: QuerySession, dir: string, flags: ParquetFlags): Promise<ParquetTableExport[]> {
  makeDirectory(dir);
  const pathOf = (table: string): string => join(dir, `${table}.parquet`);
  if (flags.force !== true) {
    const existing = exportedTables(session).map(pathOf).filter((p) => existsSync(p));
    if (existing.length > 0) throw new UsageError(`${existing[0]} exists; use --force to replace it, or -o another directory`);
  }
  return withProgress(session, flags, (onTable) => exportTablesToParquet(session, pathOf, onTable));
}

/** A bar over the tables written (one step a table: DuckDB writes each in one statement). */
async function withProgress<T>(session: QuerySession, flags: ParquetFlags, run: (onTable: (done: number) => void) => Promise<T>): Promise<T> {
  const progress = startProgress({ label: 'exporting', total: exportedTables(session).length, unit: 'steps', quiet: flags.quiet });
  try {
    return await run((done) => progress.update(done));
  } finally {
    progress.stop();
  }
}

async function toDataset(session: QuerySession, root: string, flags: ParquetFlags): Promise<ParquetTableExport[]> {
  const partition = partitionOf(session.trace!.manifest);
  const pathOf = (table: string): string => join(partitionDir(root, table, partition), DATASET_FILE);
  const tables = exportedTables(session);
  if (flags.force !== true && tables.some((t) => existsSync(pathOf(t)))) {
    throw new UsageError(`${root} already holds ${describe(partition)}; use --force to replace it`);
  }
  for (const table of tables) makeDirectory(partitionDir(root, table, partition));
  return withProgress(session, flags, (onTable) => exportTablesToParquet(session, pathOf, onTable));
}

function describe(partition: DatasetPartition): string {
  return `scenario "${partition.scenario}" seed ${partition.seed}`;
}

function makeDirectory(dir: string): void {
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`${dir}: not a directory`);
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw fileError(error);
  }
}

function summaryLine(result: { where: string; tables: ParquetTableExport[] }): string {
  const bytes = result.tables.reduce((sum, t) => sum + t.bytes, 0);
  const rows = result.tables.map((t) => `${t.table} ${t.rows}`).join(', ');
  return `exported ${result.tables.length} tables as Parquet (${rows} rows; ${(bytes / 1e6).toFixed(1)} MB) -> ${result.where}\n`;
}

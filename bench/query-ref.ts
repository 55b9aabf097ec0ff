// The reference for bench/query.ts: a query as every `tracevisor query` ran it before the store
// (ARCHITECTURE principle 7's measurement): open the trace, load every table into an in-memory
// DuckDB, run one statement, print the row count. Run as its own process so that its time and
// peak RSS are the whole command's, as the store path's are.
//
//   node dist/bench/query-ref.js <trace-dir> <sql>

import { DuckDBInstance } from '@duckdb/node-api';
import { createTraceTables, loadTable } from '../src/query/load.js';
import { createTopologyTables } from '../src/query/topology.js';
import { Trace } from '../src/trace/reader.js';
import { TABLE_NAMES } from '../src/trace/tables.js';

async function main(dir: string, sql: string): Promise<void> {
  const trace = Trace.open(dir);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await createTraceTables(connection);
  for (const table of TABLE_NAMES) await loadTable(connection, trace, table);
  await createTopologyTables(connection, trace.manifest.scenario);
  const reader = await connection.runAndReadAll(sql);
  process.stdout.write(`${reader.currentRowCount} rows\n`);
  connection.closeSync();
  instance.closeSync();
}

const [dir, sql] = process.argv.slice(2);
if (dir === undefined || sql === undefined) {
  process.stderr.write('usage: query-ref <trace-dir> <sql>\n');
  process.exitCode = 2;
} else {
  await main(dir, sql);
}

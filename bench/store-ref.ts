// The reference for the store build in bench/query.ts: the previous store (store format 1), every
// trace table appended to a DuckDB database file through the data-chunk appender (load.ts)
// after the verification pass, then the lookup tables, the summaries and a checkpoint, as
// `tracevisor index --force` built it before the Parquet store (src/query/store.ts). Run as its
// own process beside the index command, so that the two build rates are measured side by side.
//
//   node dist/bench/store-ref.js <trace-dir> <database-file>   prints "<rows> rows <seconds> s"

import { rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildConfig } from '../src/query/settings.js';
import { populate } from '../src/query/store.js';
import { openCheckedTrace } from '../src/trace/open.js';

async function main(dir: string, path: string): Promise<void> {
  const started = performance.now();
  rmSync(path, { force: true });
  const checked = openCheckedTrace(dir, 'verify');
  const instance = await DuckDBInstance.create(path, buildConfig());
  const connection = await instance.connect();
  const loads = await populate(connection, checked);
  await connection.run('CHECKPOINT');
  connection.closeSync();
  instance.closeSync();
  const rows = loads.reduce((n, l) => n + l.rows, 0);
  process.stdout.write(`${rows} rows ${((performance.now() - started) / 1000).toFixed(3)} s\n`);
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
}

const [dir, path] = process.argv.slice(2);
if (dir === undefined || path === undefined) {
  process.stderr.write('usage: store-ref <trace-dir> <database-file>\n');
  process.exitCode = 2;
} else {
  await main(dir, path);
}

// Trace throughput: Recorder (events, zero-copy IPC batches), bytes per event on disk, and
// DuckDB loading through the data-chunk path next to the row-by-row appender (principle 7
// says ≈12 M vs ≈1 M rows/s; measured side by side here because the machines are shared).

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { TraceColumns } from '../src/core/api.js';
import { EVENT_KINDS } from '../src/core/codes.js';
import { createTraceTables, loadTable } from '../src/query/load.js';
import { Recorder } from '../src/trace/recorder.js';
import { Trace } from '../src/trace/reader.js';

export interface TraceBench {
  rows: number;
  recordRowsPerSec: number;
  bytesPerEvent: number;
  duckdbLoadRowsPerSec: number;
  /** The same rows appended one value at a time through the appender API (a sample). */
  duckdbRowAppendRowsPerSec: number;
}

const BATCH_ROWS = 16384; // a plausible core trace capacity

/**
 * A synthetic events batch of `rows` rows, every kind in turn, plausible sizes and latencies;
 * ts_ns and seq are left 0 for the caller. Shared by the trace-store and query benches.
 */
export function syntheticColumns(rows = BATCH_ROWS, shape = { vms: 4, devs: 8 }): TraceColumns {
  const cols: TraceColumns = {
    ts_ns: new BigInt64Array(rows),
    seq: new BigInt64Array(rows),
    vm: new Int16Array(rows),
    vcpu: new Int16Array(rows),
    kind: new Uint8Array(rows),
    dev: new Int16Array(rows),
    queue: new Int16Array(rows),
    id: new BigInt64Array(rows),
    len: new Int32Array(rows),
    val: new BigInt64Array(rows),
  };
  for (let i = 0; i < rows; i++) {
    cols.vm[i] = i % shape.vms;
    cols.vcpu[i] = i % 2;
    cols.kind[i] = 1 + (i % (EVENT_KINDS.length - 1));
    cols.dev[i] = i % shape.devs;
    cols.queue[i] = i % 2;
    cols.id[i] = BigInt(i % 256);
    cols.len[i] = 64 + (i % 1400);
    cols.val[i] = BigInt((i * 7919) % 100_000);
  }
  return cols;
}

export async function benchTrace(totalRows = 2_000_000): Promise<TraceBench> {
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-trace-'));
  try {
    const cols = syntheticColumns();
    const recorder = Recorder.create(dir, { scenario: { bench: 'trace' }, seed: '1', coreVersion: 0 });
    let written = 0;
    let recordNs = 0n; // recorder time only: filling the columns is the core's work, not ours
    while (written < totalRows) {
      const count = Math.min(BATCH_ROWS, totalRows - written);
      for (let i = 0; i < count; i++) {
        cols.ts_ns[i] = BigInt(written + i) * 100n;
        cols.seq[i] = BigInt(written + i);
      }
      const start = process.hrtime.bigint();
      recorder.appendEvents(cols, count);
      recordNs += process.hrtime.bigint() - start;
      written += count;
    }
    const finishStart = process.hrtime.bigint();
    recorder.finish(); // flush, EOS, fsync, manifest
    recordNs += process.hrtime.bigint() - finishStart;
    const recordSeconds = Number(recordNs) / 1e9;
    const bytes = statSync(join(dir, 'events.arrow')).size;

    const trace = Trace.open(dir);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await createTraceTables(connection);
    const loadStart = process.hrtime.bigint();
    const load = await loadTable(connection, trace, 'events');
    const loadSeconds = Number(process.hrtime.bigint() - loadStart) / 1e9;
    if (load.rows !== totalRows) throw new Error(`bench: loaded ${load.rows} of ${totalRows} rows`);

    const rowAppendRowsPerSec = await rowByRow(connection, cols, Math.min(totalRows, 200_000));
    connection.closeSync();
    instance.closeSync();
    return {
      rows: totalRows,
      recordRowsPerSec: totalRows / recordSeconds,
      bytesPerEvent: bytes / totalRows,
      duckdbLoadRowsPerSec: totalRows / loadSeconds,
      duckdbRowAppendRowsPerSec: rowAppendRowsPerSec,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The slow path principle 7 rules out, for the ratio: one append call per value. */
async function rowByRow(
  connection: Awaited<ReturnType<DuckDBInstance['connect']>>,
  cols: TraceColumns,
  rows: number,
): Promise<number> {
  await connection.run('CREATE TABLE events_rows AS SELECT * FROM events LIMIT 0');
  const appender = await connection.createAppender('events_rows');
  const start = process.hrtime.bigint();
  for (let r = 0; r < rows; r++) {
    const i = r % BATCH_ROWS;
    appender.appendBigInt(cols.ts_ns[i]!);
    appender.appendBigInt(cols.seq[i]!);
    appender.appendSmallInt(cols.vm[i]!);
    appender.appendSmallInt(cols.vcpu[i]!);
    appender.appendVarchar(EVENT_KINDS[cols.kind[i]!]!);
    appender.appendSmallInt(cols.dev[i]!);
    appender.appendSmallInt(cols.queue[i]!);
    appender.appendBigInt(cols.id[i]!);
    appender.appendInteger(cols.len[i]!);
    appender.appendBigInt(cols.val[i]!);
    appender.endRow();
  }
  appender.flushSync();
  appender.closeSync();
  return rows / (Number(process.hrtime.bigint() - start) / 1e9);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchTrace();
  const m = (x: number): string => `${(x / 1e6).toFixed(1)} M rows/s`;
  console.log(`trace record        ${m(result.recordRowsPerSec)}  (${result.rows} events)`);
  console.log(`trace bytes/event   ${result.bytesPerEvent.toFixed(2)}`);
  console.log(`duckdb chunk load   ${m(result.duckdbLoadRowsPerSec)}`);
  console.log(
    `duckdb row append   ${m(result.duckdbRowAppendRowsPerSec)}  ` +
      `(chunk path ${(result.duckdbLoadRowsPerSec / result.duckdbRowAppendRowsPerSec).toFixed(1)}×)`,
  );
}

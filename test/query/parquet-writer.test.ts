// The query store's Parquet writer (src/query/parquet/): files it writes from a trace's Arrow
// batches read back by DuckDB with the values the appender path loads from the same batches
// (an independent path: data chunks into DuckDB tables), NULLs and empty strings included;
// one row group per batch with ts_ns statistics; the int16 dictionary and its PLAIN fallback;
// the Thrift compact bytes worked out by hand from the protocol spec.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { DLT_LEVELS, EVENT_KINDS } from '../../src/core/codes.js';
import { QueryError, indexTrace } from '../../src/query/index.js';
import { createTraceTables, loadTable } from '../../src/query/load.js';
import { ParquetWriter } from '../../src/query/parquet/writer.js';
import { Int16Dictionary } from '../../src/query/parquet/encode.js';
import { Int16, makeData } from 'apache-arrow';
import { encodeStruct } from '../../src/query/parquet/thrift-compact.js';
import { parquetColumns, storeViewSql } from '../../src/query/store-tables.js';
import { Recorder, Trace } from '../../src/trace/index.js';
import { duckdbEnumTypesSql, TABLE_NAMES, type TableName } from '../../src/trace/tables.js';
import { newWalk, walkTable } from '../../src/trace/reader.js';
import { META, dltRow, eventColumns, tempDir, type EventSpec } from '../trace/helpers.js';

const instances: DuckDBInstance[] = [];
afterEach(() => {
  for (const i of instances.splice(0)) i.closeSync();
});

async function connect(): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(':memory:');
  instances.push(instance);
  return instance.connect();
}

// Batches of 3 events each, times out of order inside a batch so that min/max is not first/last.
const EVENT_BATCHES: EventSpec[][] = [
  [
    { ts: 50, kind: 'vq_used', vm: -1, val: -5 },
    { ts: 10, kind: 'fault', vm: 2, len: 7, id: 2 ** 40 },
    { ts: 30, kind: EVENT_KINDS.at(-1)!, vm: 2, dev: -1, queue: 3 },
  ],
  [
    { ts: 70, kind: 'sched_run', vm: 1, vcpu: 1, val: 2n ** 62n },
    { ts: 60, kind: 'none', vm: 0 },
    { ts: 90, kind: 'vq_avail', vm: 1 },
  ],
];
/** More distinct vm values than a one-byte dictionary holds: this batch is PLAIN. */
const WIDE = Array.from({ length: 300 }, (_, i): EventSpec => ({ ts: 100 + i, kind: 'link_tx', vm: i - 150 }));
/** Few values far apart (a span over 256): a dictionary of the values met. */
const SPARSE = [-32768, 1000, -1000, 1000, 32767].map((vm, i): EventSpec => ({ ts: 1000 + i, kind: 'can_rx', vm }));
/** Values outside int8 that span exactly 256 integers: the span dictionary (index = value − min). */
const SPAN = [200, 455, 201, -1].map((vm, i): EventSpec => ({ ts: 2000 + i, kind: 'can_tx', vm: vm === -1 ? 300 : vm }));
const ALL_BATCHES = [...EVENT_BATCHES, WIDE, SPARSE, SPAN];

function sampleTrace(): string {
  const dir = tempDir('tv-parquet-');
  const rec = Recorder.create(dir, META, { rowsPerBatch: 4 });
  for (const batch of ALL_BATCHES) rec.appendEvents(eventColumns(batch), batch.length);
  for (let i = 0; i < 10; i++) {
    rec.appendDlt(
      dltRow({
        ts_ns: 1000 + i,
        apid: i % 3 === 0 ? null : i % 3 === 1 ? '' : `A${i}`, // NULL, empty, text
        ctid: i === 4 ? 'ÄÖ€😀' : 'CTX',
        level: i % 4 === 0 ? null : DLT_LEVELS[i % DLT_LEVELS.length]!,
        type: i === 9 ? null : 'log',
        verbose: i % 2 === 0,
        session_id: i % 5 === 0 ? null : -i,
        message_id: i % 2 === 0 ? null : BigInt(i) * -(10n ** 15n),
        payload: i === 7 ? '' : `payload ${i}`,
        payload_raw: new Uint8Array(i % 3 === 0 ? 0 : [i, 0, 255]),
        htyp: i % 2 === 0 ? null : 0x3d,
        storage_ecu: i === 3 ? '' : null,
      }),
    );
  }
  rec.appendClock({ ts_ns: 5, vm: 1, local_ns: 6, offset_ns: 1, drift_ppb: -3, steal_ns: 0, uptime_ns: 6 });
  rec.finish();
  return dir;
}

function writeParquet(dir: string, table: TableName): string {
  const path = join(dir, `${table}.test.parquet`);
  const writer = new ParquetWriter(path, parquetColumns(table));
  for (const batch of walkTable(newWalk(table, join(dir, `${table}.arrow`)), { hashing: false, reuseBodies: true })) {
    writer.writeBatch(batch);
  }
  writer.finish();
  return path;
}

/** Every table through both paths: the appender into DuckDB tables, our Parquet files + views. */
async function bothWays(dir: string): Promise<{ tables: DuckDBConnection; parquet: DuckDBConnection; files: Record<TableName, string> }> {
  const tables = await connect();
  await createTraceTables(tables);
  const trace = Trace.open(dir);
  for (const t of TABLE_NAMES) await loadTable(tables, trace, t);
  const parquet = await connect();
  for (const statement of duckdbEnumTypesSql()) await parquet.run(statement);
  const files = {} as Record<TableName, string>;
  for (const t of TABLE_NAMES) {
    files[t] = writeParquet(dir, t);
    await parquet.run(storeViewSql(t, files[t], true));
  }
  return { tables, parquet, files };
}

async function rows(connection: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await connection.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

describe('the Parquet writer', () => {
  it('writes files DuckDB reads back with the values and types the appender loads', async () => {
    const { tables, parquet } = await bothWays(sampleTrace());
    for (const t of TABLE_NAMES) {
      const all = `SELECT * FROM ${t}`; // file order on both sides
      expect(await rows(parquet, all), t).toEqual(await rows(tables, all));
      const types = `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${t}' ORDER BY ordinal_position`;
      expect(await rows(parquet, types), t).toEqual(await rows(tables, types));
    }
    // The cases that matter, spelled out: NULL and '' stay apart, non-ASCII text survives.
    const apid = await rows(parquet, 'SELECT apid IS NULL, apid FROM dlt ORDER BY ts_ns LIMIT 3');
    expect(apid).toEqual([[true, null], [false, ''], [false, 'A2']]);
    expect(await rows(parquet, 'SELECT ctid FROM dlt WHERE ts_ns = 1004')).toEqual([['ÄÖ€😀']]);
    expect(await rows(parquet, "SELECT count(*) FROM dlt WHERE level IS NULL AND mode = 'verbose'")).toEqual([[3n]]);
  });

  it('writes one row group per batch with the ts_ns min/max of each', async () => {
    const { parquet, files } = await bothWays(sampleTrace());
    const groups = await rows(
      parquet,
      `SELECT row_group_id, row_group_num_rows, stats_min_value, stats_max_value FROM parquet_metadata('${files.events}') ` +
        "WHERE path_in_schema = 'ts_ns' ORDER BY row_group_id",
    );
    const expected = ALL_BATCHES.map((batch, i) => {
      const times = batch.map((e) => e.ts);
      return [BigInt(i), BigInt(batch.length), String(Math.min(...times)), String(Math.max(...times))];
    });
    expect(groups).toEqual(expected);
    // An empty table (inputs) is a valid file with no row group.
    expect(await rows(parquet, `SELECT count(*) FROM read_parquet('${files.inputs}')`)).toEqual([[0n]]);
    // dlt at 4 rows per batch: 10 rows are 3 row groups.
    const dltGroups = await rows(parquet, `SELECT count(DISTINCT row_group_id) FROM parquet_metadata('${files.dlt}')`);
    expect(dltGroups).toEqual([[3n]]);
  });

  it('dictionary-encodes an int16 chunk of ≤ 256 values (a span or the values met), writes a wider one PLAIN', async () => {
    const { parquet, files } = await bothWays(sampleTrace());
    const encodings = await rows(
      parquet,
      `SELECT encodings FROM parquet_metadata('${files.events}') WHERE path_in_schema = 'vm' ORDER BY row_group_id`,
    );
    // int8 values (the byte dictionary), int8 again, > 256 values, the values met, a span
    expect(encodings.map((r) => String(r[0]).includes('RLE_DICTIONARY'))).toEqual([true, true, false, true, true]);
    const wide = await rows(parquet, 'SELECT min(vm), max(vm), count(DISTINCT vm) FROM events WHERE ts_ns BETWEEN 100 AND 999');
    expect(wide).toEqual([[-150, 149, 300n]]);
    const sparse = await rows(parquet, 'SELECT vm FROM events WHERE ts_ns BETWEEN 1000 AND 1999');
    expect(sparse).toEqual(SPARSE.map((e) => [e.vm]));
    const span = await rows(parquet, 'SELECT vm FROM events WHERE ts_ns >= 2000');
    expect(span).toEqual([[200], [455], [201], [300]]);
    const bytes = await rows(parquet, 'SELECT vm, dev, queue FROM events WHERE ts_ns <= 90 ORDER BY ts_ns');
    expect(bytes.map((r) => r[0])).toEqual(EVENT_BATCHES.flat().sort((a, b) => a.ts - b.ts).map((e) => e.vm ?? 0));
  });

  it('refuses a trace whose dlt text is not UTF-8 and leaves no store file behind', async () => {
    const dir = tempDir('tv-parquet-');
    const rec = Recorder.create(dir, META);
    rec.appendDlt(dltRow({ ts_ns: 1, payload: 'MARKER-text' }));
    rec.finish();
    const path = join(dir, 'dlt.arrow');
    const bytes = readFileSync(path);
    bytes[bytes.indexOf('MARKER-text')] = 0xff; // a byte that never starts a UTF-8 character
    writeFileSync(path, bytes);
    const error = await indexTrace(dir, { force: true }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toMatch(/dlt: .*UTF-8/);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).filter((f) => f.startsWith('store.')).sort()).toEqual([]);
  });
});

describe('the Thrift compact protocol writer', () => {
  it('encodes fields, a long field-id delta, a bool, a list and the stop byte as the spec says', () => {
    const bytes = encodeStruct([
      { id: 1, i32: 5 }, // (delta 1 << 4) | i32 (5), zigzag(5) = 10
      { id: 2, binary: 'ab' }, // 0x18, length 2, 'a' 'b'
      { id: 20, i64: -1n }, // delta 18 > 15: type byte 6, zigzag varint id 40, zigzag(-1) = 1
      { id: 21, bool: true }, // 0x11: the value is the type code
      { id: 22, list: { i32: [1, -1, 300] } }, // 0x19, (3 << 4) | 5, 2, 1, zigzag(300) = 600 = 0xd8 0x04
    ]);
    expect([...bytes]).toEqual([
      0x15, 0x0a, 0x18, 0x02, 0x61, 0x62, 0x06, 0x28, 0x01, 0x11, 0x19, 0x35, 0x02, 0x01, 0xd8, 0x04, 0x00,
    ]);
  });
});

describe('Int16Dictionary: a chunk of int16 values as one-byte codes', () => {
  const encode = (values: number[]) => {
    const data = makeData({ type: new Int16(), data: Int16Array.from(values) });
    return new Int16Dictionary().encode(data, values.length);
  };
  const decoded = (e: ReturnType<typeof encode>) => Array.from(e!.codes, (c) => e!.dictionary[c]);

  it('takes every int8 chunk as its own bytes (the 256-value dictionary), at both ends of int8', () => {
    for (const values of [[-128, 127, -1, 0], [5, 5, 5], [-1, -1, 3, 127, -128]]) {
      const e = encode(values);
      expect(e!.dictionary).toHaveLength(256);
      expect(decoded(e)).toEqual(values);
    }
  });

  it('gives a chunk with one value just outside int8 its span or the values met, never wrapped bytes', () => {
    // 128 and -129 have the low bytes of -128 and 127: taken as bytes they would read back wrong
    for (const values of [[128, -1], [-129, 0], [0, 1, 2, 200], [-32768, 32767]]) {
      const e = encode(values);
      expect(e!.dictionary.length).toBeLessThan(256);
      expect(decoded(e)).toEqual(values);
    }
  });
});

import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DLT_LEVELS, EVENT_KINDS } from '../../src/core/codes.js';
import { QueryError, QuerySession } from '../../src/query/index.js';
import { DLT_TYPES, Recorder, Trace } from '../../src/trace/index.js';
import { META, dltRow, eventColumns, tempDir, type EventSpec } from '../trace/helpers.js';

let session: QuerySession | null = null;
afterEach(() => {
  session?.close();
  session = null;
});

const DLT_ROWS = 5000; // one 4096-row batch (two DuckDB chunks) and one of 904

function bigTrace(): string {
  const dir = tempDir('tv-load-');
  const rec = Recorder.create(dir, META, { rowsPerBatch: 4096 });
  const events: EventSpec[] = Array.from({ length: 5000 }, (_, i) => ({
    ts: i,
    kind: EVENT_KINDS[1 + (i % (EVENT_KINDS.length - 1))]!,
    vm: i % 3,
    val: i * 1_000_000_007,
  }));
  rec.appendEvents(eventColumns(events), events.length);
  for (let i = 0; i < DLT_ROWS; i++) {
    rec.appendDlt(
      dltRow({
        ts_ns: i,
        apid: i % 3 === 0 ? null : `A${i}`,
        level: i % 5 === 0 ? null : DLT_LEVELS[i % 6]!,
        verbose: i % 2 === 0,
        message_id: i % 7 === 0 ? null : BigInt(i) * 1_000_000_000_000n,
        session_id: i < 100 ? null : i, // nulls only in the first chunk of the first batch
        payload: `p${i}`,
        payload_raw: new Uint8Array([i & 255, i >> 8]),
      }),
    );
  }
  rec.appendClock({ ts_ns: 1, vm: 0, local_ns: 2, offset_ns: 1, drift_ppb: 3, steal_ns: 4, uptime_ns: 2 });
  rec.appendInput({ ts_ns: 1, seq: 0, source: 'stdin', kind: 'line', data: new Uint8Array([9]) });
  rec.finish();
  return dir;
}

describe('loading a trace into DuckDB', () => {
  it('creates every table with the schema types, ENUMs for the closed sets', async () => {
    session = await QuerySession.open(bigTrace());
    const types = await session.run(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
       WHERE table_name IN ('events', 'dlt', 'clock', 'inputs')
       ORDER BY table_name, ordinal_position`,
    );
    const byTable = (t: string): string[] =>
      types.rows.filter((r) => r[0] === t).map((r) => `${r[1]}:${r[2]}`);
    const kindEnum = `ENUM(${EVENT_KINDS.map((k) => `'${k}'`).join(', ')})`;
    expect(byTable('events')).toEqual([
      'ts_ns:BIGINT', 'seq:BIGINT', 'vm:SMALLINT', 'vcpu:SMALLINT', `kind:${kindEnum}`,
      'dev:SMALLINT', 'queue:SMALLINT', 'id:BIGINT', 'len:INTEGER', 'val:BIGINT',
    ]);
    expect(byTable('dlt')).toEqual([
      'ts_ns:BIGINT', 'local_ts_ns:BIGINT', 'vm:SMALLINT', 'ecu:VARCHAR', 'apid:VARCHAR',
      'ctid:VARCHAR', 'session_id:INTEGER',
      `type:ENUM(${DLT_TYPES.map((t) => `'${t}'`).join(', ')})`,
      'subtype:VARCHAR', `level:ENUM(${DLT_LEVELS.map((l) => `'${l}'`).join(', ')})`,
      'msg_counter:SMALLINT', "mode:ENUM('non-verbose', 'verbose')", 'noar:SMALLINT', 'message_id:BIGINT',
      'payload:VARCHAR', 'payload_raw:BLOB', 'lifecycle:INTEGER', 'storage_ts_ns:BIGINT',
      'htyp:SMALLINT', 'storage_ecu:VARCHAR',
    ]);
    expect(byTable('clock')).toEqual([
      'ts_ns:BIGINT', 'vm:SMALLINT', 'local_ns:BIGINT', 'offset_ns:BIGINT', 'drift_ppb:BIGINT',
      'steal_ns:BIGINT', 'uptime_ns:BIGINT',
    ]);
    expect(byTable('inputs')).toEqual([
      'ts_ns:BIGINT', 'seq:BIGINT', 'source:VARCHAR', 'kind:VARCHAR', 'data:BLOB',
    ]);
    // Result columns name the enum type rather than spelling out its values.
    const kinds = await session.run('SELECT kind, level FROM events, dlt LIMIT 1');
    expect(kinds.columns).toEqual([
      { name: 'kind', type: 'event_kind' },
      { name: 'level', type: 'dlt_level' },
    ]);
  });

  it('loads as many rows as the manifest says, with values, nulls and enums intact', async () => {
    const dir = bigTrace();
    session = await QuerySession.open(dir);
    const manifest = Trace.open(dir).manifest;
    for (const table of ['events', 'dlt', 'clock', 'inputs']) {
      const { rows } = await session.run(`SELECT count(*) FROM ${table}`);
      expect(rows[0]![0], table).toBe(BigInt(manifest.tables[table]!.rows));
    }
    expect(manifest.tables.events!.rows).toBe(5000);
    expect(manifest.tables.dlt).toMatchObject({ rows: DLT_ROWS, batches: 2 });

    // Null counts worked out from the generator: i%3==0 → 1667, i%5==0 → 1000,
    // i%7==0 → 715 (0, 7, …, 4998), i<100 → 100; verbose on even i → 2500.
    const nulls = await session.run(
      `SELECT count(*) FILTER (WHERE apid IS NULL), count(*) FILTER (WHERE level IS NULL),
              count(*) FILTER (WHERE message_id IS NULL), count(*) FILTER (WHERE session_id IS NULL),
              count(*) FILTER (WHERE mode = 'verbose') FROM dlt`,
    );
    expect(nulls.rows).toEqual([[1667n, 1000n, 715n, 100n, 2500n]]);

    // Rows at the DuckDB chunk boundaries (2048) and the Arrow batch boundary (4096).
    const edges = await session.run(
      `SELECT ts_ns, apid, level, mode, message_id, session_id, payload, payload_raw
       FROM dlt WHERE ts_ns IN (2047, 2048, 4095, 4096, 4999) ORDER BY ts_ns`,
    );
    const raw = (i: number): Uint8Array => new Uint8Array([i & 255, i >> 8]);
    expect(edges.rows.map((r) => [...r.slice(0, 7), new Uint8Array(r[7] as Uint8Array)])).toEqual([
      [2047n, 'A2047', DLT_LEVELS[2047 % 6], 'non-verbose', 2047n * 10n ** 12n, 2047, 'p2047', raw(2047)],
      [2048n, 'A2048', DLT_LEVELS[2048 % 6], 'verbose', 2048n * 10n ** 12n, 2048, 'p2048', raw(2048)],
      // 4095 = 3·3·5·7·13: apid, level and message_id are all NULL.
      [4095n, null, null, 'non-verbose', null, 4095, 'p4095', raw(4095)],
      [4096n, 'A4096', DLT_LEVELS[4096 % 6], 'verbose', 4096n * 10n ** 12n, 4096, 'p4096', raw(4096)],
      [4999n, 'A4999', DLT_LEVELS[4999 % 6], 'non-verbose', 4999n * 10n ** 12n, 4999, 'p4999', raw(4999)],
    ]);

    // Every kind code 1..n appears (n = 24 with fault_injected): 5000 rows over 24 kinds,
    // 5000 = 24·208 + 8, so kinds 1..8 appear 209 times and 9..24 appear 208 times.
    const kinds = await session.run(
      `SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind`,
    );
    const kindCount = EVENT_KINDS.length - 1;
    const [each, extra] = [Math.floor(5000 / kindCount), 5000 % kindCount];
    expect(kinds.rows).toEqual(
      EVENT_KINDS.slice(1).map((k, i) => [k, BigInt(i < extra ? each + 1 : each)]),
    );
    const sum = await session.run('SELECT sum(val), max(val), sum(vm) FROM events');
    // val = i·1000000007 → sum = 1000000007·(4999·5000/2); vm = i%3 → 1666·(0+1+2) + (0+1) = 4999.
    expect(sum.rows).toEqual([[1_000_000_007n * 12_497_500n, 4999n * 1_000_000_007n, 4999n]]);
  });

  it('keeps text, bytes and NULLs of many small batches sharing a chunk, every length across the 12-byte inline limit', async () => {
    // DuckDB stores values of <= 12 bytes inside the string_t and longer ones on a heap: the
    // loader writes the short ones itself, so lengths 0..14, multi-byte characters at the limit,
    // NULLs and bytes that differ row to row are read back, compared and grouped exactly (a
    // limit of 13 crashes DuckDB here, reading the 13th byte as a heap pointer). Batches of 13
    // rows: rows of several batches share a DuckDB chunk (load.ts ChunkLoader), at offsets that
    // are not whole bytes of the validity mask.
    const texts = ['', 'a', 'ECU1', 'abcdefghijk', 'abcdefghijkl', 'abcdefghijklm', 'abcdefghijklmn',
      'éééééé', 'ééééééé', 'aé€𝄞', 'x€€€€', 'x€€€€y'];
    const dir = tempDir('tv-load-');
    const rec = Recorder.create(dir, META, { rowsPerBatch: 13 });
    const rows = 3000; // two DuckDB chunks, the first ends inside a batch
    for (let i = 0; i < rows; i++) {
      const text = texts[i % texts.length]!;
      rec.appendDlt(dltRow({
        ts_ns: i,
        ecu: text,
        apid: i % 5 === 0 ? null : text,
        payload: text,
        // lengths 0..14 of bytes that differ row to row: what a reused slot would keep past a value
        payload_raw: new Uint8Array(i % 15).fill(0x80 + (i % 7)),
      }));
    }
    rec.finish();
    session = await QuerySession.open(dir);
    const { rows: got } = await session.run('SELECT ts_ns, ecu, apid, payload, payload_raw FROM dlt ORDER BY ts_ns');
    expect(got.length).toBe(rows);
    for (const [ts, ecu, apid, payload, raw] of got) {
      const i = Number(ts);
      const text = texts[i % texts.length]!;
      expect([ecu, apid, payload], `row ${i}`).toEqual([text, i % 5 === 0 ? null : text, text]);
      expect(new Uint8Array(raw as Uint8Array), `row ${i}`).toEqual(new Uint8Array(i % 15).fill(0x80 + (i % 7)));
    }
    // Equality and grouping compare the inlined bytes, padding included.
    const groups = await session.run(
      "SELECT ecu, count(*), count(*) FILTER (WHERE ecu = apid) FROM dlt GROUP BY ecu ORDER BY ecu",
    );
    const expected = [...texts].sort().map((t) => {
      const at = texts.indexOf(t);
      const n = Array.from({ length: rows }, (_, i) => i).filter((i) => i % texts.length === at);
      return [t, BigInt(n.length), BigInt(n.filter((i) => i % 5 !== 0).length)];
    });
    expect(groups.rows.map((r) => [...r])).toEqual(expected);
    // ecu 'abcdefghijkl' is i % 12 = 4, a 1-byte payload_raw i % 15 = 1: i % 60 = 16, 50 rows
    const equal = await session.run("SELECT count(*) FROM dlt WHERE ecu = 'abcdefghijkl' AND octet_length(payload_raw) = 1");
    expect(equal.rows).toEqual([[50n]]);
  });

  it('salvage mode loads the intact batches of a truncated trace and reports the cut', async () => {
    const dir = tempDir('tv-load-');
    const rec = Recorder.create(dir, META);
    const path = join(dir, 'events.arrow');
    rec.appendEvents(eventColumns([{ ts: 1, kind: 'vq_used' }, { ts: 2, kind: 'vq_used' }]), 2);
    const afterFirst = statSync(path).size;
    rec.appendEvents(eventColumns([{ ts: 3, kind: 'fault' }]), 1);
    rec.finish();
    truncateSync(path, afterFirst + 20);
    session = await QuerySession.open(dir, { mode: 'salvage' });
    const { rows } = await session.run('SELECT ts_ns, kind FROM events ORDER BY ts_ns');
    expect(rows).toEqual([[1n, 'vq_used'], [2n, 'vq_used']]);
    expect(session.store.loads.find((l) => l.table === 'events')).toMatchObject({ rows: 2, batches: 1 });
    expect(session.store.path).toBeNull(); // a salvaged load is never kept as a store
    expect(session.warnings).toEqual([
      // The cut is inside the second batch's message, which starts where the first one ended.
      `events: salvaged 2 of 3 rows (file ends inside the message at byte ${afterFirst}; 2 rows usable in the file, ` +
        'manifest says 3; content hash differs from the manifest)',
    ]);
  });

  it('refuses an enum code outside the dictionary with one line', async () => {
    const dir = tempDir('tv-load-');
    const rec = Recorder.create(dir, META);
    const cols = eventColumns([{ ts: 1, kind: 'vq_used' }, { ts: 2, kind: 'vq_used' }]);
    cols.kind[1] = 200;
    rec.appendEvents(cols, 2);
    rec.finish();
    const error = await QuerySession.open(dir).catch((e: unknown) => e);
    // The trace reader validates every batch before DuckDB sees it (src/trace/validate.ts).
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toMatch(
      /events: batch 1 at byte \d+: column kind: code 200 at row 1 is outside its \d+-value dictionary .*; use --salvage/,
    );
  });

  it('refuses a trace whose dictionary is not this build\'s', async () => {
    const dir = tempDir('tv-load-');
    const rec = Recorder.create(dir, META);
    rec.appendEvents(eventColumns([{ ts: 1, kind: 'vq_used' }]), 1);
    rec.finish();
    // Rename one dictionary entry in place ('fault' → 'FAULT': same length, same framing).
    const path = join(dir, 'events.arrow');
    const bytes = readFileSync(path);
    const at = bytes.indexOf('tlb_miss');
    expect(at).toBeGreaterThan(0);
    bytes.write('TLB_MISS', at);
    writeFileSync(path, bytes);
    // Verify mode refuses the changed file on its hash; trust mode still reaches the reader's check
    // of the dictionary message against this build's bytes (src/trace/reader.ts).
    const error = await QuerySession.open(dir, { mode: 'trust' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toMatch(/events: dictionary 1 at byte \d+ differs from the events table's/);
  });
});

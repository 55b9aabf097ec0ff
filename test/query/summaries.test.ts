// The store's summary tables (src/query/summaries.ts) must hold exactly what their defining
// aggregate computes: vq_latency is built from a histogram (bounded memory) but must equal
// quantile_disc over the events, whatever a group's size and however many latencies tie.

import { describe, expect, it } from 'vitest';
import type { RecordBatch } from 'apache-arrow';
import type { DuckDBConnection } from '@duckdb/node-api';
import { QuerySession } from '../../src/query/index.js';
import { createTraceTables, TableAppender } from '../../src/query/load.js';
import { VQ_LATENCY_QUANTILE_SQL, createSummaries } from '../../src/query/summaries.js';
import { selectRank, VqLatencyWalk, writeVqLatency } from '../../src/query/vq-latency-walk.js';
import { eventsBatch } from '../../src/trace/events-batch.js';
import { Recorder } from '../../src/trace/index.js';
import { META, eventColumns, tempDir } from '../trace/helpers.js';
import { memoryConnection } from './duckdb.js';

/** Events of one (vm, dev, queue) group per size 1…maxSize; val repeats with period `distinct`. */
function groupsSql(maxSize: number, kind: string, distinct: (size: string) => string): string {
  return `INSERT INTO events
SELECT row_number() OVER () AS ts_ns, row_number() OVER () AS seq,
  (size % 7)::SMALLINT AS vm, 0::SMALLINT AS vcpu, '${kind}' AS kind,
  (size // 7)::SMALLINT AS dev, (size % 2)::SMALLINT AS queue, 0 AS id, 0 AS len,
  ((i * 7919) % ${distinct('size')}) AS val
FROM range(1, ${maxSize + 1}) s(size), LATERAL (SELECT range AS i FROM range(size))`;
}

/** vq_latency as stored, and as VQ_LATENCY_QUANTILE_SQL defines it; the column types must match too. */
async function storedAndDefined(connection: DuckDBConnection): Promise<{ stored: unknown[][]; defined: unknown[][] }> {
  const stored = (await connection.runAndReadAll('SELECT * FROM vq_latency ORDER BY ALL')).getRows();
  const defined = (await connection.runAndReadAll(`${VQ_LATENCY_QUANTILE_SQL} ORDER BY ALL`)).getRows();
  const types = await connection.runAndReadAll(
    `SELECT (SELECT list(data_type ORDER BY column_index) FROM duckdb_columns() WHERE table_name = 'vq_latency')
       = (SELECT list(column_type) FROM (DESCRIBE ${VQ_LATENCY_QUANTILE_SQL}))`,
  );
  expect(types.getRows()[0]![0]).toBe(true);
  return { stored, defined };
}

async function bothWays(fill: string[]): Promise<{ stored: unknown[][]; defined: unknown[][] }> {
  const connection = await memoryConnection();
  await createTraceTables(connection);
  for (const sql of fill) await connection.run(sql);
  await createSummaries(connection);
  return storedAndDefined(connection);
}

describe('vq_latency from a histogram', () => {
  it('equals quantile_disc for every group size from 1 to 300, all latencies distinct', async () => {
    const { stored, defined } = await bothWays([groupsSql(300, 'vq_used', (size) => `(${size} * 7919 + 1)`)]);
    expect(stored.length).toBe(300);
    expect(stored).toEqual(defined);
  });

  it('equals quantile_disc when latencies tie (a few distinct values per group)', async () => {
    const { stored, defined } = await bothWays([groupsSql(300, 'vq_used', (size) => `(${size} // 9 + 1)`)]);
    expect(stored).toEqual(defined);
  });

  it('counts only vq_used events, and is empty without them', async () => {
    const onlyOthers = await bothWays([groupsSql(20, 'vq_avail', () => '5')]);
    expect(onlyOthers.stored).toEqual([]);
    expect(onlyOthers.defined).toEqual([]);
    const mixed = await bothWays([groupsSql(40, 'vq_avail', () => '5'), groupsSql(40, 'vq_used', () => '11')]);
    expect(mixed.stored).toEqual(mixed.defined);
  });
});

// --- the store build's walk computes vq_latency itself (src/query/vq-latency-walk.ts): the same
// table as quantile_disc, from the events batches as the walk sees them, in any order and split
// anywhere; past its cap, or for a latency that is no exact double, it gives up (the build then
// runs VQ_LATENCY_SQL, checked below through a real store).

interface Row {
  vm: number;
  dev: number;
  queue: number;
  kind: 'vq_used' | 'vq_avail';
  val: bigint;
}

/** groupsSql's rows in JS: one (vm, dev, queue) group per size 1…maxSize. */
function groupRows(maxSize: number, kind: Row['kind'], val: (i: number, size: number) => bigint): Row[] {
  const rows: Row[] = [];
  for (let size = 1; size <= maxSize; size++) {
    for (let i = 0; i < size; i++) {
      rows.push({ vm: size % 7, dev: Math.floor(size / 7), queue: size % 2, kind, val: val(i, size) });
    }
  }
  return rows;
}

/** A deterministic shuffle (the walk must not depend on the order of the rows). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function batchesOf(rows: readonly Row[], perBatch: number): RecordBatch[] {
  const batches: RecordBatch[] = [];
  for (let at = 0; at < rows.length; at += perBatch) {
    const part = rows.slice(at, at + perBatch);
    const cols = eventColumns(part.map((r, i) => ({ ts: at + i, kind: r.kind, vm: r.vm, dev: r.dev, queue: r.queue })), part.length);
    part.forEach((r, i) => (cols.val[i] = r.val));
    batches.push(eventsBatch(cols, part.length));
  }
  return batches;
}

/** The walk's table and quantile_disc's over the same batches, and whether their types agree. */
async function walkAndDefined(batches: readonly RecordBatch[]): Promise<{ stored: unknown[][]; defined: unknown[][] }> {
  const connection = await memoryConnection();
  await createTraceTables(connection);
  const walk = new VqLatencyWalk();
  const appender = await TableAppender.open(connection, 'events');
  for (const batch of batches) {
    walk.add(batch);
    appender.append(batch);
  }
  appender.close(true);
  expect(walk.fallback).toBeNull();
  await writeVqLatency(connection, walk.rows()!);
  return storedAndDefined(connection);
}

describe('vq_latency from the store build walk', () => {
  it('equals quantile_disc for every group size from 1 to 300, all latencies distinct, rows shuffled', async () => {
    const rows = shuffled(groupRows(300, 'vq_used', (i, size) => BigInt((i * 7919) % (size * 7919 + 1))), 1);
    const { stored, defined } = await walkAndDefined(batchesOf(rows, 997));
    expect(stored.length).toBe(300);
    expect(stored).toEqual(defined);
  });

  it('equals quantile_disc when latencies tie (a few distinct values per group)', async () => {
    const rows = shuffled(groupRows(300, 'vq_used', (i, size) => BigInt((i * 7919) % (Math.floor(size / 9) + 1))), 2);
    const { stored, defined } = await walkAndDefined(batchesOf(rows, 4096));
    expect(stored).toEqual(defined);
  });

  it('equals quantile_disc for negative latencies and ones near 2^53 (both int32 halves used)', async () => {
    const big = 2n ** 53n - 1n;
    const rows = shuffled(
      groupRows(60, 'vq_used', (i, size) => (i % 3 === 0 ? -BigInt(i * 4294967297) : big - BigInt((i * 131) % (size + 5)))),
      3,
    );
    const { stored, defined } = await walkAndDefined(batchesOf(rows, 100));
    expect(stored).toEqual(defined);
  });

  it('equals quantile_disc for groups with a -1 (not applicable) or an index past 63', async () => {
    const rows = groupRows(120, 'vq_used', (i, size) => BigInt((i * 31) % (size + 2))).map((r) => ({ ...r, vm: r.vm - 1, dev: r.dev + 60 }));
    const { stored, defined } = await walkAndDefined(batchesOf(shuffled(rows, 5), 500));
    expect(stored.length).toBe(120);
    expect(stored.some((r) => Number(r[0]) === -1) && stored.some((r) => Number(r[1]) > 63)).toBe(true);
    expect(stored).toEqual(defined);
  });

  it('counts only vq_used events, and is empty without them', async () => {
    const onlyOthers = await walkAndDefined(batchesOf(groupRows(20, 'vq_avail', () => 5n), 50));
    expect(onlyOthers.stored).toEqual([]);
    expect(onlyOthers.defined).toEqual([]);
    const rows = shuffled([...groupRows(40, 'vq_avail', () => 5n), ...groupRows(40, 'vq_used', (i) => BigInt(i % 11))], 4);
    const mixed = await walkAndDefined(batchesOf(rows, 333));
    expect(mixed.stored).toEqual(mixed.defined);
    expect(mixed.stored.length).toBe(40);
  });

  it('gives up past its cap or for a latency that is no exact double', () => {
    const rows = groupRows(10, 'vq_used', (i) => BigInt(i));
    const capped = new VqLatencyWalk(rows.length - 1);
    for (const batch of batchesOf(rows, 7)) capped.add(batch);
    expect(capped.fallback).toMatch(/more than 54 vq_used rows/);
    expect(capped.rows()).toBeNull();
    const exactlyAtCap = new VqLatencyWalk(rows.length);
    for (const batch of batchesOf(rows, 7)) exactlyAtCap.add(batch);
    expect(exactlyAtCap.fallback).toBeNull();
    for (const val of [2n ** 53n, -(2n ** 53n) - 1n, 2n ** 62n]) {
      const walk = new VqLatencyWalk();
      walk.add(batchesOf([...rows, { vm: 1, dev: 1, queue: 1, kind: 'vq_used', val }], 1000)[0]!);
      expect(walk.fallback).toMatch(/is not an exact double/);
      expect(walk.rows()).toBeNull();
    }
    // the limits themselves are exact doubles
    const edges = new VqLatencyWalk();
    edges.add(batchesOf([2n ** 53n - 1n, -(2n ** 53n)].map((val) => ({ vm: 0, dev: 0, queue: 0, kind: 'vq_used' as const, val })), 10)[0]!);
    expect(edges.rows()).toEqual([
      { vm: 0, dev: 0, queue: 0, completions: 2, p50: -(2 ** 53), p90: 2 ** 53 - 1, p99: 2 ** 53 - 1, max: 2 ** 53 - 1 },
    ]);
  });

  it('selectRank picks the rank a sort would, on ties, runs and adversarial orders', () => {
    const cases: number[][] = [
      [5],
      [2, 1],
      Array.from({ length: 1000 }, () => 7),
      Array.from({ length: 1000 }, (_, i) => i),
      Array.from({ length: 1000 }, (_, i) => 1000 - i),
      Array.from({ length: 999 }, (_, i) => (i * 7919) % 13),
      Array.from({ length: 2048 }, (_, i) => (i % 2 === 0 ? i : -i)),
    ];
    for (const values of cases) {
      const sorted = [...values].sort((a, b) => a - b);
      for (const k of [0, values.length >> 1, values.length - 1, Math.floor(values.length * 0.9)]) {
        expect(selectRank(Float64Array.from(values), k)).toBe(sorted[k]);
      }
    }
    expect(() => selectRank(new Float64Array(3), 3)).toThrow(/rank 3 outside/);
  });
});

describe('a store built from a trace', () => {
  it("holds the walk's vq_latency, and the SQL's when the walk gave up (a latency of 2^60 ns)", async () => {
    for (const huge of [false, true]) {
      const dir = tempDir('tv-vq-walk-');
      const rec = Recorder.create(dir, META);
      const events = groupRows(50, 'vq_used', (i, size) => BigInt((i * 7919) % (size + 3))).map((r, i) => ({
        ts: i,
        kind: r.kind,
        vm: r.vm,
        dev: r.dev,
        queue: r.queue,
        val: Number(r.val),
      }));
      if (huge) events.push({ ts: events.length, kind: 'vq_used', vm: 6, dev: 20, queue: 0, val: 2 ** 60 });
      rec.appendEvents(eventColumns(events), events.length);
      rec.finish();
      const session = await QuerySession.open(dir);
      try {
        const stored = (await session.run('SELECT * FROM vq_latency ORDER BY ALL')).rows;
        const defined = (await session.run(`${VQ_LATENCY_QUANTILE_SQL} ORDER BY ALL`)).rows;
        expect(stored.length).toBe(huge ? 51 : 50);
        expect(stored).toEqual(defined);
        if (huge) expect(stored.some((r) => String(r[4]) === String(2n ** 60n))).toBe(true);
      } finally {
        session.close();
      }
    }
  });
});

// vq_latency (summaries.ts) computed in the store build's walk instead of by DuckDB afterwards
// (issue 7: the store built at >= 5 M rows/s under load). The walk already sees every events
// batch once it has validated it; per (vm, dev, queue) it keeps the `val` of each 'vq_used' row
// (a copy: the batch's buffers are reused), and at the end picks the ranks quantile_disc picks
// (VQ_LATENCY_QUANTILE_SQL: the value of rank max(1, ceil(n·q)) in val order) with a selection,
// not a sort. Measured on the 600 s cockpit (19.2 M events, 1.93 M completions in 10 groups):
// DuckDB's VQ_LATENCY_SQL over the events file cost ~0.85 s of CPU on its threads beside the
// walk; here the per-batch scan and the selection cost the walk's thread a few tens of ms.
//
// Bounded memory: at most `capValues` latencies are kept (8 bytes each); past that, or for a
// latency that is no exact double (|val| >= 2^53), the walk gives up (`fallback` says why) and
// the build runs VQ_LATENCY_SQL over the events file as before. The table it writes has the SQL's
// columns and types (test/query/summaries.test.ts checks both, and the values, against it).

import type { DuckDBConnection } from '@duckdb/node-api';
import type { Data, RecordBatch } from 'apache-arrow';
import { EVENT_KINDS } from '../core/codes.js';
import { TABLES } from '../trace/tables.js';

/** 64 Mi latencies (512 MB) would be a 600 s cockpit ~33 times over; 16 Mi is 128 MB. */
export const VQ_LATENCY_CAP_VALUES = 16 * 1024 * 1024;

const VQ_USED = EVENT_KINDS.indexOf('vq_used');
const COLUMN = Object.fromEntries(TABLES.events.columns.map((c, i) => [c.name, i])) as Record<string, number>;
const KIND = COLUMN.kind!;
const VM = COLUMN.vm!;
const DEV = COLUMN.dev!;
const QUEUE = COLUMN.queue!;
const VAL = COLUMN.val!;
/** The high int32 half of a val whose int64 is an exact double: -2^53 < val < 2^53. */
const HI_MIN = -0x200000;
const HI_LIMIT = 0x200000;
const TWO_32 = 4294967296;

/** quantile_disc's fractions as exact ratios (DuckDB multiplies DECIMALs: no rounding). */
const QUANTILES: readonly (readonly [number, number])[] = [
  [1, 2],
  [9, 10],
  [99, 100],
];

export interface VqLatencyRow {
  vm: number;
  dev: number;
  queue: number;
  completions: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

class Group {
  values = new Float64Array(1024);
  n = 0;
  max = -Infinity;
  constructor(
    readonly vm: number,
    readonly dev: number,
    readonly queue: number,
  ) {}

  grow(): void {
    const larger = new Float64Array(this.values.length * 2);
    larger.set(this.values);
    this.values = larger;
  }
}

export class VqLatencyWalk {
  /** Why the walk's table cannot be used (the build falls back to VQ_LATENCY_SQL), or null. */
  fallback: string | null = null;
  /** Every group, in order of first sight. */
  private readonly groups: Group[] = [];
  /** Groups whose vm, dev and queue are all in 0..63, by (vm << 12) | (dev << 6) | queue. */
  private readonly small: (Group | undefined)[] = new Array<Group | undefined>(1 << 18).fill(undefined);
  /** The others (a -1 of 'not applicable', a large index), by vm:dev:queue. */
  private readonly others = new Map<string, Group>();
  private kept = 0;

  constructor(private readonly capValues = VQ_LATENCY_CAP_VALUES) {}

  /** One validated events batch (any order: the quantiles do not depend on it). */
  add(batch: RecordBatch): void {
    if (this.fallback !== null) return;
    const rows = batch.numRows;
    if (rows === 0) return;
    const columns = batch.data.children;
    const kindData = columns[KIND]!;
    const kinds = (kindData.values as Uint8Array).subarray(kindData.offset, kindData.offset + rows);
    const first = kinds.indexOf(VQ_USED);
    if (first < 0) return;
    const vms = int16s(columns[VM]!, rows);
    const devs = int16s(columns[DEV]!, rows);
    const queues = int16s(columns[QUEUE]!, rows);
    const valData = columns[VAL]!;
    const valInts = valData.values as BigInt64Array;
    const vals = new Int32Array(valInts.buffer, valInts.byteOffset + valData.offset * 8, rows * 2);
    let lastKey = -1;
    let group: Group | null = null;
    for (let i = first; i < rows; i++) {
      if (kinds[i] !== VQ_USED) continue;
      const hi = vals[2 * i + 1]!;
      if (hi < HI_MIN || hi >= HI_LIMIT) {
        this.giveUp(`a vq_used latency of ${valInts[i]} ns is not an exact double`);
        return;
      }
      const vm = vms[i]!;
      const dev = devs[i]!;
      const queue = queues[i]!;
      // a small int key (no heap number per row) when all three are in 0..63, the usual case
      const key = (vm | dev | queue) >>> 6 === 0 ? (vm << 12) | (dev << 6) | queue : -1;
      if (key !== lastKey || key === -1 || group === null) {
        group = key !== -1 ? (this.small[key] ?? null) : this.otherGroup(vm, dev, queue);
        if (group === null) {
          group = new Group(vm, dev, queue);
          this.small[key] = group;
          this.groups.push(group);
        }
        lastKey = key;
      }
      if (this.kept === this.capValues) {
        this.giveUp(`more than ${this.capValues} vq_used rows`);
        return;
      }
      if (group.n === group.values.length) group.grow();
      const value = hi * TWO_32 + (vals[2 * i]! >>> 0);
      group.values[group.n++] = value;
      if (value > group.max) group.max = value;
      this.kept += 1;
    }
  }

  /** The table's rows, ordered by (vm, dev, queue); null after a fallback. Reorders the kept values. */
  rows(): VqLatencyRow[] | null {
    if (this.fallback !== null) return null;
    const rows: VqLatencyRow[] = [];
    for (const g of this.groups) {
      const values = g.values.subarray(0, g.n);
      const [p50, p90, p99] = QUANTILES.map(([num, den]) => {
        const rank = Math.max(1, Math.ceil((g.n * num) / den)); // exact: g.n * 99 < 2^53
        return selectRank(values, rank - 1);
      }) as [number, number, number];
      rows.push({ vm: g.vm, dev: g.dev, queue: g.queue, completions: g.n, p50, p90, p99, max: g.max });
    }
    return rows.sort((a, b) => a.vm - b.vm || a.dev - b.dev || a.queue - b.queue);
  }

  private otherGroup(vm: number, dev: number, queue: number): Group {
    const name = `${vm}:${dev}:${queue}`;
    let group = this.others.get(name);
    if (group === undefined) {
      group = new Group(vm, dev, queue);
      this.others.set(name, group);
      this.groups.push(group);
    }
    return group;
  }

  private giveUp(reason: string): void {
    this.fallback = reason;
    this.groups.length = 0; // the memory goes back at once
    this.small.fill(undefined);
    this.others.clear();
  }
}

function int16s(data: Data, rows: number): Int16Array {
  const values = data.values as unknown as Int16Array;
  return values.subarray(data.offset, data.offset + rows);
}

/** CREATE TABLE vq_latency with VQ_LATENCY_SQL's columns and types, holding `rows`. */
export async function writeVqLatency(connection: DuckDBConnection, rows: readonly VqLatencyRow[]): Promise<void> {
  await connection.run(`CREATE TABLE vq_latency (vm SMALLINT, dev SMALLINT, queue SMALLINT, completions BIGINT,
  latency_ns_p50 BIGINT, latency_ns_p90 BIGINT, latency_ns_p99 BIGINT, latency_ns_max BIGINT)`);
  if (rows.length === 0) return;
  // integers only (exact doubles, checked as they were kept): literal text is exact
  const values = rows.map((r) => {
    const fields = [r.vm, r.dev, r.queue, r.completions, r.p50, r.p90, r.p99, r.max];
    for (const f of fields) if (!Number.isSafeInteger(f)) throw new Error(`assert: vq_latency value ${f} is not an integer`);
    return `(${fields.join(', ')})`;
  });
  await connection.run(`INSERT INTO vq_latency VALUES ${values.join(', ')}`);
}

/**
 * The value of 0-based rank `k` in ascending order (Hoare's selection; moves values within
 * `values`): expected O(n), and ties split evenly between the sides. A run of bad pivots falls
 * back to sorting what is left, so the worst case is O(n log n).
 */
export function selectRank(values: Float64Array, k: number): number {
  if (!(k >= 0 && k < values.length)) throw new Error(`assert: rank ${k} outside 0..${values.length - 1}`);
  let lo = 0;
  let hi = values.length - 1;
  let budget = 2 * (32 - Math.clz32(values.length)) + 8;
  while (hi > lo) {
    if (budget-- === 0) {
      values.subarray(lo, hi + 1).sort();
      return values[k]!;
    }
    // median of three as the pivot
    const mid = lo + ((hi - lo) >> 1);
    const a = values[lo]!;
    const b = values[mid]!;
    const c = values[hi]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    // [lo, j] <= pivot, [i, hi] >= pivot, and (j, i) == pivot
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}

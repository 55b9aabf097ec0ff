// OrderCheck (src/query/load.ts) decides whether the store must sort events: it compares
// (ts_ns, seq) as int32 halves, row against row and across batches. Checked here against a
// BigInt comparison of the same rows, on values chosen around the halves' edges (2^32
// carries, negative times, equal ts decided by seq) and cut into batches of many sizes.

import { Int64, makeData, RecordBatch } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { OrderCheck } from '../../src/query/load.js';

function batchOf(ts: bigint[], seq: bigint[]): RecordBatch {
  const column = (values: bigint[]) => makeData({ type: new Int64(), data: BigInt64Array.from(values) });
  return new RecordBatch({ ts_ns: column(ts), seq: column(seq) });
}

/** The rows in order by BigInt comparison of (ts, seq). */
function sortedByBigInt(ts: bigint[], seq: bigint[]): boolean {
  for (let i = 1; i < ts.length; i++) {
    if (ts[i]! < ts[i - 1]! || (ts[i] === ts[i - 1] && seq[i]! < seq[i - 1]!)) return false;
  }
  return true;
}

function checkInBatches(ts: bigint[], seq: bigint[], cuts: number[]): boolean {
  const order = new OrderCheck();
  let start = 0;
  for (const end of [...cuts, ts.length]) {
    if (end > start) order.check(batchOf(ts.slice(start, end), seq.slice(start, end)));
    start = Math.max(start, end);
  }
  return order.sorted;
}

// Values whose high or low 32-bit halves sit at their edges.
const EDGES = [-(2n ** 40n), -(2n ** 32n) - 1n, -1n, 0n, 1n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, 2n ** 62n];

describe('OrderCheck: events in (ts_ns, seq) order', () => {
  it('agrees with a BigInt comparison on every pair of edge values, in one batch and split', () => {
    for (const a of EDGES) {
      for (const b of EDGES) {
        for (const [sa, sb] of [[0n, 1n], [1n, 0n], [2n ** 32n, 2n ** 32n - 1n], [5n, 5n]] as const) {
          const ts = [a, b];
          const seq = [sa, sb];
          const expected = sortedByBigInt(ts, seq);
          expect(checkInBatches(ts, seq, [])).toBe(expected);
          expect(checkInBatches(ts, seq, [1])).toBe(expected); // across the batch boundary
        }
      }
    }
  });

  it('agrees on long runs with one row out of place anywhere, whatever the batch sizes', () => {
    // xorshift32 with a fixed seed: the same rows every run
    let state = 0x9e3779b9;
    const next = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    };
    for (let round = 0; round < 60; round++) {
      const rows = 1 + (next() % 400);
      const ts: bigint[] = [];
      const seq: bigint[] = [];
      let t = BigInt(next()) * 3000n - 2n ** 40n; // crosses 2^32 boundaries as it grows
      for (let i = 0; i < rows; i++) {
        t += BigInt(next() % 4 === 0 ? 0 : next() % 5_000_000_000);
        ts.push(t);
        seq.push(BigInt(i));
      }
      if (round % 2 === 1) {
        const i = next() % rows;
        if (round % 4 === 1) ts[i] = ts[i]! - 1n - BigInt(next() % 3);
        else seq[i] = -1n;
      }
      const cuts = Array.from({ length: next() % 6 }, () => next() % rows).sort((x, y) => x - y);
      expect(checkInBatches(ts, seq, cuts)).toBe(sortedByBigInt(ts, seq));
    }
  });
});

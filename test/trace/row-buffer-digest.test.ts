// RowBuffer.digest() is the digest of the batch its buffers hold, taken without building it
// (a replay matches the small tables' batches by it: recorder.ts matchRows). It must equal
// batchDigest(toBatch()) — and the encoding digest.ts documents, computed here independently
// with one sha256 update per part as digest.ts did before it gathered the parts in one buffer
// (recorded digests.ndjson files carry that encoding) — for every column kind, with and
// without NULLs, non-ASCII text, empty values, batch lengths around whole bytes of bits, and
// a batch after a longer one (stale bits and bytes past the rows in the reused buffers).
import { createHash, type Hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { batchDigest, digestWriter } from '../../src/replay/digest.js';
import { RowBuffer } from '../../src/trace/row-buffer.js';
import { TABLES, type ColumnSpec, type TableName } from '../../src/trace/tables.js';

const ROW_TABLES: TableName[] = ['dlt', 'clock', 'inputs', 'sync'];
const TEXTS = ['', 'a', 'frame 12 processed', 'grüße 日本語 €', 'car 🚗', 'x'.repeat(70)];

/** A small deterministic PRNG (xorshift32), so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function value(spec: ColumnSpec, random: () => number, nullShare: number): unknown {
  if (spec.nullable && random() < nullShare) return null;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  switch (spec.kind) {
    case 'i16':
      return Math.floor(random() * 65536) - 32768;
    case 'i32':
      return Math.floor(random() * 2 ** 32) - 2 ** 31;
    case 'i64':
      return random() < 0.5 ? Math.floor(random() * 2 ** 53) - 2 ** 52 : BigInt.asIntN(64, BigInt(Math.floor(random() * 2 ** 32)) << 31n);
    case 'bool':
      return random() < 0.5;
    case 'utf8':
      return pick(TEXTS);
    case 'binary':
      return Uint8Array.from({ length: Math.floor(random() * 20) }, () => Math.floor(random() * 256));
    case 'enum':
      return pick(spec.dictionary!);
  }
  throw new Error(`no values for ${spec.kind}`);
}

function fill(buffer: RowBuffer, table: TableName, rows: number, random: () => number, nullShare: number): void {
  for (let i = 0; i < rows; i++) {
    const row: Record<string, unknown> = {};
    for (const spec of TABLES[table].columns) row[spec.name] = value(spec, random, nullShare);
    buffer.append(row);
  }
}

/** digest.ts's encoding, one update per part (its code before DigestWriter). */
function referenceDigest(buffer: RowBuffer): string {
  const batch = buffer.toBatch();
  const hash = createHash('sha256');
  batch.data.children.forEach((data, c) => {
    const rows = data.length;
    hash.update(new Uint32Array([c, rows]));
    if (data.nullCount > 0) {
      hash.update(new Uint8Array([1]));
      hash.update(bits(data.nullBitmap!, rows));
    } else {
      hash.update(new Uint8Array([0]));
    }
    const spec = TABLES[buffer.table].columns[c]!;
    if (spec.kind === 'bool') hash.update(bits(data.values as Uint8Array, rows));
    else if (spec.kind === 'utf8' || spec.kind === 'binary') variable(hash, data.valueOffsets as Int32Array, data.values as Uint8Array, rows);
    else hash.update((data.values as Uint8Array).subarray(0, rows));
  });
  return hash.digest('hex').slice(0, 32);
}

function bits(bitmap: Uint8Array, rows: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(rows / 8));
  for (let r = 0; r < rows; r++) if ((bitmap[r >> 3]! >> (r & 7)) & 1) out[r >> 3]! |= 1 << (r & 7);
  return out;
}

function variable(hash: Hash, offsets: Int32Array, values: Uint8Array, rows: number): void {
  hash.update(offsets.subarray(0, rows + 1));
  hash.update(values.subarray(offsets[0], offsets[rows]));
}

describe('RowBuffer.digest', () => {
  for (const table of ROW_TABLES) {
    it(`${table}: equals batchDigest of its batch and the documented encoding, batch after batch`, () => {
      const random = prng(table.length * 7919);
      const buffer = new RowBuffer(table, 300);
      // long, short, around a byte of bits, one row, full: each after the one before in the same buffers
      for (const [rows, nullShare] of [[300, 0.5], [7, 0], [8, 0.3], [9, 0.9], [1, 0], [1, 1], [100, 0.1], [17, 0], [300, 0]] as const) {
        fill(buffer, table, rows, random, nullShare);
        const digest = buffer.digest();
        expect(digest, `${table} ${rows} rows`).toBe(batchDigest(buffer.toBatch()));
        expect(digest, `${table} ${rows} rows`).toBe(referenceDigest(buffer));
        buffer.reset();
      }
    });
  }

  it('a digest cut short (a column that threw) leaves nothing in the next one', () => {
    const buffer = new RowBuffer('clock', 16);
    buffer.append({ ts_ns: 5, vm: 1, local_ns: 7, offset_ns: -2, drift_ppb: 0, steal_ns: 0, uptime_ns: 9 });
    const clean = referenceDigest(buffer);
    const cut = digestWriter();
    cut.column(0, 1, 0, null);
    cut.bytes(new Uint8Array([1, 2, 3]));
    expect(() => cut.column(1, 1, 1, null)).toThrow(/NULLs has no validity bitmap/);
    expect(buffer.digest()).toBe(clean);
    cut.column(0, 1, 0, null);
    expect(batchDigest(buffer.toBatch())).toBe(clean);
  });

  it('tells batches apart that differ in one value, one NULL or one row', () => {
    const digestOf = (rows: Record<string, unknown>[]): string => {
      const buffer = new RowBuffer('clock', 16);
      for (const row of rows) buffer.append(row);
      return buffer.digest();
    };
    const row = { ts_ns: 5, vm: 1, local_ns: 7, offset_ns: -2, drift_ppb: 0, steal_ns: 0, uptime_ns: 9 };
    const base = digestOf([row, row]);
    expect(digestOf([row, { ...row, local_ns: 8 }])).not.toBe(base);
    expect(digestOf([row])).not.toBe(base);
    expect(digestOf([row, row, row])).not.toBe(base);
  });
});

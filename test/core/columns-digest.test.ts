// The core's digest of its trace columns (assembly/trace/columns-digest.ts, issue 9's 1.2x
// target): XXH64 as published (values from the reference implementation, libxxhash 0.8.1:
// python3 ctypes XXH64), and a digest of the columns that every row, field and the row count
// move.
import { describe, expect, it } from 'vitest';
import { KIND } from '../../src/core/codes.js';
import type { FrameColumns, TraceRow } from '../../src/core/api.js';
import { Platform } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import { loadScenario } from '../../src/scenario/load.js';
import { makeCore } from './helpers.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const range = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

describe('XXH64 in the core', () => {
  it('gives the reference implementation values (short input, one stripe and more, seeds)', async () => {
    const core = await makeCore();
    expect(core.scratchXxh64(new Uint8Array(0), 0n)).toBe(0xef46db3751d8e999n);
    expect(core.scratchXxh64(text('abc'), 0n)).toBe(0x44bc2cf5ad770999n);
    expect(core.scratchXxh64(text('The quick brown fox jumps over the lazy dog'), 0n)).toBe(0x0b242d361fda71bcn);
    expect(core.scratchXxh64(range(100), 7n)).toBe(0x80653e7e9b887cddn);
    expect(core.scratchXxh64(range(37), 2n ** 64n - 1n)).toBe(0xc8ced3dbe3bff419n);
  });
});

describe('columnsDigest (events)', () => {
  const row = (i: number): TraceRow => ({ vm: i % 2, vcpu: 1, kind: KIND.sched_run, dev: -1, queue: -1, id: i, len: 3, val: i * 7 });

  /** The digest of `rows` emitted into a fresh core's columns (read before any drain). */
  async function digestOf(rows: TraceRow[]): Promise<{ digest: string; count: number }> {
    const core = await makeCore();
    let seen: { digest: string; count: number } | null = null;
    core.setTraceSink((_cols, count) => void (seen ??= { digest: core.columnsDigest('events', count), count }));
    for (const r of rows) core.traceEmit(r);
    core.traceFlush();
    return seen!;
  }

  it('is the same for the same rows and differs when one field of one row does', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => row(i));
    const a = await digestOf(rows);
    expect(a.count).toBe(300);
    expect(a.digest).toMatch(/^[0-9a-f]{16}$/);
    expect((await digestOf(rows)).digest).toBe(a.digest);
    const fields: (keyof TraceRow)[] = ['vm', 'vcpu', 'kind', 'dev', 'queue', 'id', 'len', 'val'];
    const seen = new Set([a.digest]);
    for (const f of fields) {
      const changed = rows.map((r, i) => (i === 123 ? { ...r, [f]: f === 'kind' ? KIND.sched_preempt : (r[f] as number) + 1 } : r));
      const d = (await digestOf(changed)).digest;
      expect(seen.has(d), `changing ${f} of row 123`).toBe(false);
      seen.add(d);
    }
  });

  it('covers the row count: a prefix of the same rows digests otherwise', async () => {
    const core = await makeCore();
    for (let i = 0; i < 10; i++) core.traceEmit(row(i));
    const digests = new Set([core.columnsDigest('events', 10), core.columnsDigest('events', 9), core.columnsDigest('events', 0)]);
    expect(digests.size).toBe(3);
    expect(() => core.columnsDigest('events', 1 << 20)).toThrow(/more rows than the trace columns hold/);
  });
});

describe('columnsDigest (frames, coreDigest 2)', () => {
  const WIDTHS = [8, 8, 8, 4, 4, 2, 2, 2, 2, 2, 2, 2, 1, 1]; // frameRingColumn 0..13
  const COLUMNS = ['ts_ns', 'arrival_ns', 'seq', 'can_id', 'len', 'link', 'bus', 'port', 'vm', 'dev', 'can_flags', 'dlc', 'kind', 'dir'] as const;

  /** Every frames batch of 3 s of the cockpit: the core's digest, and the batch's bytes (keepBytes: copied). */
  async function frameBatches(keepBytes: boolean): Promise<{ digest: string; rows: number; cols: Record<string, Uint8Array>; payloads: Uint8Array[] }[]> {
    const batches: { digest: string; rows: number; cols: Record<string, Uint8Array>; payloads: Uint8Array[] }[] = [];
    let platform: Platform | null = null;
    const sink = Object.assign(new CountingSink(), {
      frames: (cols: FrameColumns, count: number) => {
        const byName = cols as unknown as Record<string, ArrayBufferView>;
        const copied: Record<string, Uint8Array> = {};
        COLUMNS.forEach((name, c) => {
          const v = byName[name]!;
          copied[name] = new Uint8Array(v.buffer, v.byteOffset, count * WIDTHS[c]!).slice();
        });
        copied.offsets = new Uint8Array(cols.offsets.buffer, cols.offsets.byteOffset, (count + 1) * 4).slice();
        const payloads = keepBytes ? Array.from({ length: count }, (_, i) => cols.data.slice(cols.offsets[i], cols.offsets[i + 1])) : [];
        batches.push({ digest: platform!.core.columnsDigest('frames', count), rows: count, cols: copied, payloads });
      },
    });
    platform = await Platform.create(loadScenario('cockpit', { durationNs: 3_000_000_000 }), sink);
    platform.core.framesKeepBytes(keepBytes);
    platform.run(3_000_000_000);
    return batches;
  }

  it('is the same whether the ring keeps the frames\' bytes or only their hashes, and is the definition columns-digest.ts gives', async () => {
    const kept = await frameBatches(true);
    const hashed = await frameBatches(false);
    expect(kept.length).toBeGreaterThan(1);
    expect(hashed.map((b) => [b.rows, b.digest])).toEqual(kept.map((b) => [b.rows, b.digest]));
    // the definition, from the batch's bytes, with the core's XXH64 (checked above against libxxhash)
    const core = await makeCore({ scratchBytes: 1 << 20 });
    for (const b of kept) {
      let h = core.scratchXxh64(new Uint8Array(0), (1n << 32n) | BigInt(b.rows));
      for (const name of COLUMNS) h = core.scratchXxh64(b.cols[name]!, h);
      h = core.scratchXxh64(b.cols.offsets!, h);
      const rowHashes = new BigUint64Array(b.rows);
      b.payloads.forEach((p, i) => (rowHashes[i] = core.scratchXxh64(p, 0n)));
      h = core.scratchXxh64(new Uint8Array(rowHashes.buffer), h);
      expect(h.toString(16).padStart(16, '0')).toBe(b.digest);
    }
  });
});

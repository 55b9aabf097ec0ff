// The C reference of the virtqueue cycle (bench/c/virtqueue.c, issue 10 §4) does the core's work
// row for row: compiled with the system's cc, run on the bench's chains, compared with the core
// column by column, TLB count by TLB count and ring byte by ring byte. Skipped (saying why) where
// no C compiler exists; CI has one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIND } from '../../src/core/codes.js';
import {
  buildCRef, columnsDiffer, cRefUnavailable, runCRefVerify, type CRef,
} from '../../bench/virtqueue-c.js';
import { verifyVirtqueueC } from '../../bench/virtqueue.js';

const unavailable = cRefUnavailable();
if (unavailable !== null) console.warn(`virtqueue-c-ref tests skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)('C reference of the virtqueue cycle', () => {
  let ref: CRef;
  beforeAll(() => {
    ref = buildCRef();
  });
  afterAll(() => ref?.dispose());

  // 70,001 chains: the 16-bit ring indices wrap during the check (more than 65,536).
  it.each([1, 85, 86, 70_001])('matches the core row for row on %i chains', (chains) => {
    expect(verifyVirtqueueC(ref, chains)).toEqual({ chains, rows: expectedRows(chains) });
  });

  it('writes the rows worked out by hand for the bench chain', () => {
    const nowNs = 1_234_567;
    const out = runCRefVerify(ref, 2, nowNs);
    // Set-up: vqCreate zeroes the avail and used headers through stage-2: pages 3 and 4 miss.
    const kinds = Array.from(out.columns.kind);
    expect(kinds).toEqual([
      KIND.tlb_miss, KIND.tlb_miss, // set-up: avail page 0x3000, used page 0x4000 (stage-2)
      KIND.tlb_miss, KIND.vq_avail, KIND.vq_avail, // desc page 0x1000 on the first descriptor
      // device: avail page, desc page, the three buffer pages, then used page; all IOMMU misses
      KIND.tlb_miss, KIND.tlb_miss, KIND.tlb_miss, KIND.tlb_miss, KIND.tlb_miss, KIND.tlb_miss,
      KIND.vq_used, KIND.vq_used,
    ]);
    const page = (i: number) => Number(out.columns.id[i]!);
    expect([0, 1, 2, 5, 6, 7, 8, 9, 10].map(page)).toEqual(
      [0x3000, 0x4000, 0x1000, 0x3000, 0x1000, 0x10000, 0x11000, 0x12000, 0x4000]);
    // vq_avail: heads 0 and 3 (three descriptors each), 192 bytes, avail idx 1 and 2.
    expect([3, 4].map((i) => [page(i), out.columns.len[i], Number(out.columns.val[i])]))
      .toEqual([[0, 192, 1], [3, 192, 2]]);
    // vq_used: same heads, 128 writable bytes, latency 0 (virtual time does not move).
    expect([11, 12].map((i) => [page(i), out.columns.len[i], Number(out.columns.val[i])]))
      .toEqual([[0, 128, 0], [3, 128, 0]]);
    expect(Array.from(out.columns.ts_ns, Number)).toEqual(Array(13).fill(nowNs));
    expect(Array.from(out.columns.seq, Number)).toEqual([...Array(13).keys()]);
    expect([out.s2Misses, out.iommuMisses]).toEqual([3, 6]);
  });

  it('the row comparison reports a single changed value', () => {
    const out = runCRefVerify(ref, 3, 0);
    const copy = runCRefVerify(ref, 3, 0);
    expect(columnsDiffer(out.columns, copy.columns)).toBeNull();
    copy.columns.len[4] = copy.columns.len[4]! + 1;
    expect(columnsDiffer(out.columns, copy.columns)).toBe('row 4 column len: core 192, C reference 193');
  });
});

/** vq_avail + vq_used per chain, plus the 9 TLB misses of the 3 stage-2 and 6 IOMMU pages. */
function expectedRows(chains: number): number {
  return 2 * chains + 9;
}

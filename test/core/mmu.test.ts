// Stage-2 translation (3 levels x 9 bits over 39 bits), permissions, TLB statistics and
// invalidation, and the IOMMU domains devices use for DMA.
import { describe, expect, it } from 'vitest';
import { FAULT } from '../../src/core/codes.js';
import { makeCore, vmWithDevice, queueAt, TraceLog, PAGE } from './helpers.js';

const GiB = 2 ** 30;

describe('stage-2 translation', () => {
  it('walks sparse multi-level tables and leaves the gaps unmapped', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    core.vmCreate(1, 64 * 1024);
    const hpa = core.hostAlloc(3);
    const far = 2 ** 38 + 5 * PAGE; // needs its own level-0 and level-1 tables
    core.s2Map(1, GiB + 2 * 2 ** 20, hpa, 1, 3);
    core.s2Map(1, far, hpa + PAGE, 2, 3);
    const base = core.s2Translate(1, GiB + 2 * 2 ** 20, false);
    expect(core.s2Translate(1, GiB + 2 * 2 ** 20 + 123, false)).toBe(base + 123);
    expect(core.s2Translate(1, far + PAGE + 7, true)).toBe(base + 2 * PAGE + 7);
    // Aliasing proves the translation: a write through one gpa is read through another.
    core.s2Map(1, 3 * GiB, hpa + PAGE, 1, 1);
    expect(core.guestWrite(1, far + 100, Uint8Array.of(0xde, 0xad))).toBe(0);
    expect(Array.from(core.guestRead(1, 3 * GiB + 100, 2) as Uint8Array)).toEqual([0xde, 0xad]);
    // Gaps: same level-2 table, same level-1 table, no level-1 table, beyond 39 bits.
    expect(core.s2Translate(1, GiB + 2 * 2 ** 20 + PAGE, false)).toBe(-FAULT.addr_unmapped);
    expect(core.s2Translate(1, GiB + 4 * 2 ** 20, false)).toBe(-FAULT.addr_unmapped);
    expect(core.s2Translate(1, 2 * GiB, false)).toBe(-FAULT.addr_unmapped);
    expect(core.s2Translate(1, 2 ** 39, false)).toBe(-FAULT.addr_unmapped);
    // tlb_miss val = levels the walk visited: 3 for a mapped page, fewer where a table is missing.
    const misses = log.of('tlb_miss');
    expect(misses.slice(0, 2).map((r) => [r.id, r.val, r.dev])).toEqual([
      [GiB + 2 * 2 ** 20, 3, -1],
      [far + PAGE, 3, -1],
    ]);
    const gapLevels = misses.slice(-3).map((r) => r.val);
    expect(gapLevels).toEqual([3, 2, 1]);
  });

  it('enforces read/write permissions and records guest faults', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    core.vmCreate(0, 16 * PAGE);
    core.s2Protect(0, 4 * PAGE, 1, 1); //  read-only
    core.s2Protect(0, 5 * PAGE, 1, 0); //  no access
    expect(core.s2Translate(0, 4 * PAGE + 8, false)).toBeGreaterThan(0);
    expect(core.s2Translate(0, 4 * PAGE + 8, true)).toBe(-FAULT.permission);
    expect(core.s2Translate(0, 5 * PAGE, false)).toBe(-FAULT.permission);
    expect(core.guestWrite(0, 4 * PAGE - 2, Uint8Array.of(1, 2, 3, 4))).toBe(-FAULT.permission);
    // Nothing was written: the copy checks every page first.
    expect(Array.from(core.guestRead(0, 4 * PAGE - 2, 2) as Uint8Array)).toEqual([0, 0]);
    expect(log.of('fault').at(-1)).toMatchObject({ id: FAULT.permission, val: 4 * PAGE, vm: 0, dev: -1 });
    expect(core.guestRead(0, 16 * PAGE, 4)).toBe(-FAULT.addr_unmapped);
  });
});

describe('TLB', () => {
  it('counts hits and misses per VM', async () => {
    const core = await makeCore();
    core.vmCreate(0, 1 << 20);
    core.vmCreate(1, 1 << 20);
    core.s2Translate(0, 0x5000, false);
    core.s2Translate(0, 0x5ff8, true);
    core.s2Translate(0, 0x5010, false);
    core.s2Translate(0, 0x6000, false);
    core.s2Translate(0, 0x5000 + 64 * PAGE, false); // same direct-mapped slot: evicts 0x5000
    core.s2Translate(0, 0x5000, false);
    expect(core.tlbStats(0)).toEqual({ hits: 2, misses: 4 });
    expect(core.tlbStats(1)).toEqual({ hits: 0, misses: 0 });
  });

  it('unmap and protect drop cached translations (no stale entry survives)', async () => {
    const core = await makeCore();
    core.vmCreate(0, 1 << 20);
    const first = core.s2Translate(0, 0x7000, true);
    expect(core.s2Translate(0, 0x7000, true)).toBe(first); // cached
    core.s2Unmap(0, 0x7000, 1);
    expect(core.s2Translate(0, 0x7000, false)).toBe(-FAULT.addr_unmapped);
    const hpa = core.hostAlloc(1);
    core.s2Map(0, 0x7000, hpa, 1, 3);
    const moved = core.s2Translate(0, 0x7000, true);
    expect(moved).not.toBe(first);
    expect(core.s2Translate(0, 0x7000, true)).toBe(moved);
    core.s2Protect(0, 0x7000, 1, 1);
    expect(core.s2Translate(0, 0x7000, true)).toBe(-FAULT.permission);
    expect(core.s2Translate(0, 0x7000, false)).toBe(moved);
    // A large unmap (more pages than TLB entries) invalidates everything in the range too.
    for (let p = 0; p < 100; p++) core.s2Translate(0, 0x10_000 + p * PAGE, false);
    core.s2Unmap(0, 0x10_000, 100);
    for (let p = 0; p < 100; p += 7) expect(core.s2Translate(0, 0x10_000 + p * PAGE, false)).toBe(-FAULT.addr_unmapped);
  });
});

describe('IOMMU', () => {
  it('translates device DMA with its own TLB, and faults where the domain maps nothing', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    core.vmCreate(0, 1 << 20);
    core.iommuCreate(2, 0);
    core.iommuMapGuest(2, 0, 16, 3);
    expect(core.iommuTranslate(2, 0x3008, true)).toBe(core.s2Translate(0, 0x3008, true));
    expect(core.iommuTranslate(2, 0x3010, false)).toBe(core.s2Translate(0, 0x3010, false));
    expect(core.iommuTlbStats(2)).toEqual({ hits: 1, misses: 1 });
    expect(core.iommuTranslate(2, 16 * PAGE, false)).toBe(-FAULT.addr_unmapped);
    const ioMisses = log.of('tlb_miss').filter((r) => r.dev === 2);
    expect(ioMisses.map((r) => r.id)).toEqual([0x3000, 16 * PAGE]);
  });

  it('never grants a device more than its VM has', async () => {
    const core = await makeCore();
    core.vmCreate(0, 1 << 20);
    core.s2Protect(0, 0x4000, 1, 1);
    core.iommuCreate(0, 0);
    core.iommuMapGuest(0, 0, 16, 3);
    expect(core.iommuTranslate(0, 0x4000, false)).toBeGreaterThan(0);
    expect(core.iommuTranslate(0, 0x4000, true)).toBe(-FAULT.permission);
  });

  it('device-side ring access goes through the IOMMU, driver-side through stage-2', async () => {
    const core = await makeCore();
    vmWithDevice(core, 0, 0, 1 << 20);
    core.iommuCreate(1, 0);
    core.iommuMapGuest(1, 0, 8, 3); // device 1 sees only the first 8 pages
    const { q } = queueAt(core, { vm: 0, dev: 1, size: 8, base: 0x1000 });
    // The driver (stage-2) may use a buffer at 0x20000; the device's domain does not map it.
    expect(core.drvSubmit(q, [{ out: [{ gpa: 0x20_000, len: 64 }], in: [] }])).toBe(1);
    expect(core.devPop(q)).toBe(FAULT.addr_unmapped);
    expect(core.vqFailed(q)).toBe(true);
    expect(core.iommuTlbStats(1).misses).toBeGreaterThan(0);
  });
});

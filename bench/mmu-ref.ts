// Plain-TypeScript reference of the core's address translation (assembly/mmu/), for the
// same-algorithm virtqueue benchmark: a host RAM pool, 3-level x 9-bit page tables over a 39-bit
// input address in a pool of 4 KiB table pages, one context per VM (stage-2) and per device
// (IOMMU domain, iova = gpa snapshot), each with a 64-entry direct-mapped TLB (index = page & 63,
// tag = page + 1), hit/miss counters and a tlb_miss trace row per walk.
//
// Representation: addresses are JS numbers (exact below 2^53; the input range is 2^39). Table
// entries are u64 in the core; here each is two u32 words and only the low word is read (the
// pool and host RAM stay below 4 GiB, as the core's u32 TLB host field already assumes).
// Host RAM carries 16 spare bytes at its end: the staging area for a descriptor that straddles a
// page (the core keeps it in STATE, also inside linear memory).

import type { TraceRef } from './trace-ref.js';
import { FAULT, KIND } from '../src/core/codes.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
const PT_LEVELS = 3;
const PT_BITS = 9;
export const INPUT_LIMIT = 2 ** (PAGE_SHIFT + PT_LEVELS * PT_BITS);
const PTE_VALID = 1;
const PTE_ADDR_MASK = ~0xfff;
const TLB_SHIFT = 6;
const TLB_ENTRIES = 1 << TLB_SHIFT; // 64, as assembly/layout.ts TLB_ENTRIES
const TLB_MASK = TLB_ENTRIES - 1;
const TLB_WORDS_SHIFT = 2; // {tag, host, perm, pad}: 4 words, as the core's 16-byte entry
const TLB_WORDS = 1 << TLB_WORDS_SHIFT;
export const STAGE_BYTES = 16;

/**
 * Byte offset of an integer addr within its page, as the core's `addr & 0xFFF` on an i64: `&`
 * reduces modulo 2^32 first, a multiple of the page size, so this is exact for any |addr| < 2^53.
 */
export function pageOffset(addr: number): number {
  return addr & (PAGE_SIZE - 1);
}

export interface MmuRefLimits {
  vmCount: number;
  deviceCount: number;
  hostRamBytes: number;
  ptPages: number;
}

export class MmuRef {
  /** Host RAM pool (hpa = offset) plus the descriptor stage at `stageAt`. */
  readonly ram: DataView;
  readonly ramBytes: Uint8Array;
  readonly stageAt: number;
  readonly vmCount: number;
  /** Fault of the last failed dmaPtr (code and address). */
  xlateFault = 0;
  xlateAddr = 0;
  walkLevels = 0;
  private readonly trace: TraceRef;
  private readonly pt: Uint32Array;
  private readonly ptPages: number;
  private ptUsed = 0;
  private hostUsed = 0;
  private readonly ctxLiveFlag: Uint8Array;
  private readonly ctxRoot: Uint32Array;
  private readonly ctxVm: Int32Array;
  private readonly ctxDev: Int32Array;
  readonly hits: Float64Array;
  readonly misses: Float64Array;
  private readonly tlb: Uint32Array;
  private readonly devVm: Int32Array;

  constructor(limits: MmuRefLimits, trace: TraceRef) {
    if (limits.hostRamBytes + limits.ptPages * PAGE_SIZE > 2 ** 32) {
      throw new Error('mmu-ref: host RAM and table pool must stay below 4 GiB');
    }
    const ctxCount = limits.vmCount + limits.deviceCount;
    this.trace = trace;
    this.vmCount = limits.vmCount;
    this.ramBytes = new Uint8Array(limits.hostRamBytes + STAGE_BYTES);
    this.ram = new DataView(this.ramBytes.buffer);
    this.stageAt = limits.hostRamBytes;
    this.pt = new Uint32Array(limits.ptPages * (PAGE_SIZE >> 2));
    this.ptPages = limits.ptPages;
    this.ctxLiveFlag = new Uint8Array(ctxCount);
    this.ctxRoot = new Uint32Array(ctxCount);
    this.ctxVm = new Int32Array(ctxCount);
    this.ctxDev = new Int32Array(ctxCount);
    this.hits = new Float64Array(ctxCount);
    this.misses = new Float64Array(ctxCount);
    this.tlb = new Uint32Array(ctxCount * TLB_ENTRIES * TLB_WORDS);
    this.devVm = new Int32Array(limits.deviceCount);
  }

  // --- set-up (assembly/mmu/hostram.ts, stage2.ts, iommu.ts) ---------------------------------

  hostAlloc(pages: number): number {
    const hpa = this.hostUsed;
    if (pages <= 0 || hpa + pages * PAGE_SIZE > this.stageAt) {
      throw new Error('hostAlloc: host RAM pool exhausted (hostRamBytes)');
    }
    this.hostUsed += pages * PAGE_SIZE;
    return hpa;
  }

  vmCreate(vm: number, ramBytes: number): void {
    this.ctxCreate(vm, vm, -1);
    const pages = ramBytes / PAGE_SIZE;
    const hpa = this.hostAlloc(pages);
    for (let i = 0; i < pages; i++) this.ctxSetPage(vm, i * PAGE_SIZE, hpa + i * PAGE_SIZE, 3);
  }

  vmLive(vm: number): boolean {
    return vm >= 0 && vm < this.vmCount && this.ctxLiveFlag[vm] === 1;
  }

  devCtx(dev: number): number {
    return this.vmCount + dev;
  }

  devLive(dev: number): boolean {
    return dev >= 0 && dev < this.devVm.length && this.ctxLiveFlag[this.devCtx(dev)] === 1;
  }

  iommuCreate(dev: number, vm: number): void {
    if (!this.vmLive(vm)) throw new Error('iommuCreate: unknown vm');
    this.ctxCreate(this.devCtx(dev), vm, dev);
    this.devVm[dev] = vm;
  }

  /** iova = gpa snapshot of the VM's mapping, permission = requested & the VM's. */
  iommuMapGuest(dev: number, gpa: number, pages: number, perm: number): number {
    const vm = this.devVm[dev]!;
    let mapped = 0;
    for (let i = 0; i < pages; i++) {
      const addr = gpa + i * PAGE_SIZE;
      const pte = this.ctxLookup(vm, addr);
      if ((pte & PTE_VALID) === 0) continue;
      const hpa = (pte & PTE_ADDR_MASK) >>> 0;
      this.ctxSetPage(this.devCtx(dev), addr, hpa, perm & ((pte >>> 1) & 3));
      mapped++;
    }
    return mapped;
  }

  private ctxCreate(ctx: number, vm: number, dev: number): void {
    if (this.ctxLiveFlag[ctx] === 1) throw new Error('mmu: context created twice');
    this.ctxLiveFlag[ctx] = 1;
    this.ctxRoot[ctx] = this.ptAlloc();
    this.ctxVm[ctx] = vm;
    this.ctxDev[ctx] = dev;
  }

  private ptAlloc(): number {
    if (this.ptUsed >= this.ptPages) throw new Error('page tables: pool exhausted (ptPages)');
    return this.ptUsed++ * PAGE_SIZE;
  }

  /** u32 index of the low word of the entry for addr at `level` in the table at byte `table`. */
  private entryWord(table: number, addr: number, level: number): number {
    const shift = PAGE_SHIFT + (PT_LEVELS - 1 - level) * PT_BITS;
    return (table >>> 2) + ((Math.floor(addr / 2 ** shift) & 511) << 1);
  }

  /** Set the leaf for one page (creating tables) and drop the page's TLB entry. */
  private ctxSetPage(ctx: number, addr: number, hpa: number, perm: number): void {
    let table = this.ctxRoot[ctx]!;
    for (let level = 0; level < PT_LEVELS - 1; level++) {
      const w = this.entryWord(table, addr, level);
      if ((this.pt[w]! & PTE_VALID) === 0) this.pt[w] = this.ptAlloc() | PTE_VALID;
      table = (this.pt[w]! & PTE_ADDR_MASK) >>> 0;
    }
    this.pt[this.entryWord(table, addr, PT_LEVELS - 1)] = hpa | PTE_VALID | ((perm & 3) << 1);
    const page = Math.floor(addr / PAGE_SIZE);
    const e = this.tlbEntry(ctx, page);
    if (this.tlb[e] === page + 1) this.tlb[e] = 0;
  }

  // --- translation (assembly/mmu/pagetable.ts ptLookup, context.ts dmaPtr) ---------------------

  /** Leaf entry (low word) for addr, or 0; at most PT_LEVELS steps. */
  private ptLookup(root: number, addr: number): number {
    let table = root;
    this.walkLevels = 0;
    for (let level = 0; level < PT_LEVELS; level++) {
      this.walkLevels = level + 1;
      const e = this.pt[this.entryWord(table, addr, level)]!;
      if ((e & PTE_VALID) === 0) return 0;
      if (level === PT_LEVELS - 1) return e;
      table = (e & PTE_ADDR_MASK) >>> 0;
    }
    return 0;
  }

  /** Leaf entry without touching the TLB or the trace (configuration-time queries). */
  ctxLookup(ctx: number, addr: number): number {
    if (!(addr >= 0 && addr < INPUT_LIMIT)) return 0;
    return this.ptLookup(this.ctxRoot[ctx]!, addr);
  }

  private tlbEntry(ctx: number, page: number): number {
    return ((ctx << TLB_SHIFT) + (page & TLB_MASK)) << TLB_WORDS_SHIFT;
  }

  /**
   * Host RAM offset for addr, checking R (or W when `write`); -1 on a fault with the code in
   * xlateFault. Small enough for V8 to inline the TLB-hit path at every call site, as asc does.
   */
  dmaPtr(ctx: number, addr: number, write: boolean): number {
    // Below INPUT_LIMIT (2^39) the page number fits 27 bits: `| 0` is an exact floor there.
    const page = (addr / PAGE_SIZE) | 0;
    const e = ((ctx << TLB_SHIFT) + (page & TLB_MASK)) << TLB_WORDS_SHIFT;
    const tlb = this.tlb;
    const hit = addr >= 0 && addr < INPUT_LIMIT && tlb[e] === page + 1;
    if (hit && (tlb[e + 2]! & (write ? 2 : 1)) !== 0) {
      this.hits[ctx]++;
      return tlb[e + 1]! + (addr & (PAGE_SIZE - 1));
    }
    return this.dmaPtrSlow(ctx, addr, write);
  }

  /** Everything but a permitted TLB hit: range check, miss + walk, permission fault. */
  private dmaPtrSlow(ctx: number, addr: number, write: boolean): number {
    if (!(addr >= 0 && addr < INPUT_LIMIT)) return this.xlateFail(FAULT.addr_unmapped, addr);
    const page = Math.floor(addr / PAGE_SIZE);
    let e = this.tlbEntry(ctx, page);
    if (this.tlb[e] === page + 1) {
      this.hits[ctx]++;
    } else {
      e = this.tlbFill(ctx, addr);
      if (e < 0) return this.xlateFail(FAULT.addr_unmapped, addr);
    }
    if ((this.tlb[e + 2]! & (write ? 2 : 1)) === 0) return this.xlateFail(FAULT.permission, addr);
    return this.tlb[e + 1]! + (addr & (PAGE_SIZE - 1));
  }

  private tlbFill(ctx: number, addr: number): number {
    this.misses[ctx]++;
    const pte = this.ptLookup(this.ctxRoot[ctx]!, addr);
    const page = Math.floor(addr / PAGE_SIZE);
    const vm = this.ctxVm[ctx]!;
    this.trace.row(KIND.tlb_miss, vm, this.ctxDev[ctx]!, -1, page * PAGE_SIZE, 0, this.walkLevels);
    if ((pte & PTE_VALID) === 0) return -1;
    const e = this.tlbEntry(ctx, page);
    this.tlb[e] = page + 1;
    this.tlb[e + 1] = (pte & PTE_ADDR_MASK) >>> 0;
    this.tlb[e + 2] = (pte >>> 1) & 3;
    return e;
  }

  private xlateFail(code: number, addr: number): number {
    this.xlateFault = code;
    this.xlateAddr = addr;
    return -1;
  }

  /** Copy guest bytes out through the tables (no TLB, no trace): for checks only. */
  guestBytes(vm: number, gpa: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      const pte = this.ctxLookup(vm, gpa + i);
      if ((pte & PTE_VALID) === 0) throw new Error(`guestBytes: gpa ${gpa + i} unmapped`);
      out[i] = this.ramBytes[((pte & PTE_ADDR_MASK) >>> 0) + pageOffset(gpa + i)]!;
    }
    return out;
  }
}

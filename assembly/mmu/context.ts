// Translation contexts: one per VM (stage-2, ctx = vm) and one per device (IOMMU domain,
// ctx = vmCount + dev). Each has a root table, a direct-mapped TLB and hit/miss counters.
//
//  CTX (64 B): +0 i32 live | +4 u32 root | +8 i32 vm | +12 i32 dev | +16 i64 hits | +24 i64 misses
//  TLB entry (32 B): +0 u32 tag (page number + 1; 0 = empty; pages are < 2^27, so it fits)
//    | +4 u32 tagRead (the tag if R is permitted, else 0) | +8 u32 tagWrite (the tag if W, else 0)
//    | +12 u32 hpa of page | +16 u32 perm (bit 0 R, bit 1 W) | +20 u32 host (hostRamBase + hpa)
//    | +24 u32 dirty (the page's byte in the dirty map, hostram.ts markDirty) | +28 pad
//  The permission is folded into the tag the hit path compares (issue 10 §4: one load and one
//  compare per translation instead of a tag test and a permission test); tag and perm stay for
//  the slow path (a no-access page is a TLB hit, then a permission fault) and the state digest.
//  host and dirty are hpa resolved once at the fill (issue 10 §4): the hit path loads the page's
//  linear address and its dirty byte's instead of recomputing both from hpa and two layout bases
//  on every translation. Only tlbFill() writes them, from the hpa it writes; the digest and the
//  TypeScript fast path (Core.guestPieces) read hpa as before.
import {
  ctxBase, ctxCount, tlbBase, hostRamBase, CTX_STRIDE, TLB_ENTRIES, TLB_ENTRY, PAGE_SHIFT,
} from '../layout';
import { ptAlloc, ptLookup, ptLeafSlot, walkLevels, INPUT_LIMIT, PTE_VALID, PTE_ADDR_MASK, PTE_R, PTE_W } from './pagetable';
import { traceRow } from '../trace/columns';
import { dirtyAt } from './hostram';
import { Kind } from '../trace/kinds';
import { Fault } from '../faults';
import { digestMix as mix } from '../trace/xxh64';

const TLB_MASK: i64 = TLB_ENTRIES - 1;
// Shifts for the hit path's entry address: TLB_ENTRY == 1 << 5, TLB_ENTRIES * TLB_ENTRY == 1 << 11
// (checked below, so a change of either constant cannot silently break the arithmetic).
const TLB_ENTRY_SHIFT: i32 = 5;
const TLB_CTX_SHIFT: i32 = 11;
const TE_TAG: usize = 0;
const TE_TAG_READ: usize = 4;
const TE_TAG_WRITE: usize = 8;
const TE_HPA: usize = 12;
const TE_PERM: usize = 16;
const TE_HOST: usize = 20;
const TE_DIRTY: usize = 24;
assert(TE_DIRTY + 4 <= <usize>TLB_ENTRY, 'mmu: the TLB entry\'s fields do not fit TLB_ENTRY');
const TLB_SLOT_MASK: usize = <usize>(TLB_ENTRIES - 1) << TLB_ENTRY_SHIFT;
assert(TLB_ENTRY == 1 << TLB_ENTRY_SHIFT && TLB_ENTRIES * TLB_ENTRY == 1 << TLB_CTX_SHIFT,
  'mmu: TLB shifts do not match TLB_ENTRY and TLB_ENTRIES');

/** Fault of the last failed dmaPtr() (code and the address that faulted). */
export let xlateFault: i32 = 0;
export let xlateAddr: i64 = 0;

@inline function ctxAt(ctx: i32): usize {
  return ctxBase + <usize>ctx * CTX_STRIDE;
}
@inline export function ctxLive(ctx: i32): bool {
  return ctx >= 0 && ctx < ctxCount && load<i32>(ctxAt(ctx)) != 0;
}
@inline export function ctxRoot(ctx: i32): u32 {
  return load<u32>(ctxAt(ctx), 4);
}
@inline export function ctxHits(ctx: i32): i64 {
  return load<i64>(ctxAt(ctx), 16);
}
@inline export function ctxMisses(ctx: i32): i64 {
  return load<i64>(ctxAt(ctx), 24);
}
@inline function tlbEntry(ctx: i32, page: i64): usize {
  return tlbBase + (<usize>ctx * TLB_ENTRIES + <usize>(page & TLB_MASK)) * TLB_ENTRY;
}

export function ctxCreate(ctx: i32, vm: i32, dev: i32): void {
  assert(ctx >= 0 && ctx < ctxCount, 'mmu: context out of range');
  assert(!ctxLive(ctx), 'mmu: context created twice');
  const p = ctxAt(ctx);
  store<i32>(p, 1);
  store<u32>(p, ptAlloc(), 4);
  store<i32>(p, vm, 8);
  store<i32>(p, dev, 12);
}

/** Set the leaf for one page (pte 0 unmaps) and drop the page's TLB entry. */
export function ctxSetPage(ctx: i32, addr: i64, pte: u64): void {
  const slot = ptLeafSlot(ctxRoot(ctx), addr, pte != 0);
  if (slot != 0) store<u64>(slot, pte);
  tlbInvalidatePage(ctx, addr >> PAGE_SHIFT);
}

export function tlbInvalidatePage(ctx: i32, page: i64): void {
  const e = tlbEntry(ctx, page);
  if (<i64>load<u32>(e, TE_TAG) != page + 1) return;
  // hpa and perm stay (stale, unread until a fill), as the 16-byte entry left them.
  store<u32>(e, 0, TE_TAG);
  store<u32>(e, 0, TE_TAG_READ);
  store<u32>(e, 0, TE_TAG_WRITE);
}

/** Leaf entry without touching the TLB or the trace (configuration-time queries). */
export function ctxLookup(ctx: i32, addr: i64): u64 {
  if (addr < 0 || addr >= INPUT_LIMIT) return 0;
  return ptLookup(ctxRoot(ctx), addr);
}

function tlbFill(ctx: i32, addr: i64): i64 {
  const p = ctxAt(ctx);
  store<i64>(p, load<i64>(p, 24) + 1, 24);
  const pte = ptLookup(ctxRoot(ctx), addr);
  const page = addr >> PAGE_SHIFT;
  traceRow(Kind.TLB_MISS, load<i32>(p, 8), load<i32>(p, 12), -1, page << PAGE_SHIFT, 0, walkLevels);
  if ((pte & PTE_VALID) == 0) return -1;
  const e = tlbEntry(ctx, page);
  const tag = <u32>(page + 1);
  store<u32>(e, tag, TE_TAG);
  store<u32>(e, (pte & PTE_R) != 0 ? tag : 0, TE_TAG_READ);
  store<u32>(e, (pte & PTE_W) != 0 ? tag : 0, TE_TAG_WRITE);
  const hpa = <u32>(pte & PTE_ADDR_MASK);
  store<u32>(e, hpa, TE_HPA);
  store<u32>(e, <u32>((pte >> 1) & 3), TE_PERM);
  store<u32>(e, <u32>(hostRamBase + <usize>hpa), TE_HOST);
  store<u32>(e, <u32>dirtyAt(hostRamBase + <usize>hpa), TE_DIRTY);
  return <i64>e;
}

/** The TLB entry for addr (the same as tlbEntry(ctx, addr >> 12), from addr's low 32 bits). */
@inline function tlbEntryOf(ctx: i32, addr: i64): usize {
  // (page & 63) * 32 == ((low32(addr) >> 12) & 63) << 5 == (low32(addr) >> 7) & 0x7E0
  const slot = (<usize><u32>addr >> (PAGE_SHIFT - TLB_ENTRY_SHIFT)) & TLB_SLOT_MASK;
  return tlbBase + (<usize>ctx << TLB_CTX_SHIFT) + slot;
}

/**
 * Linear-memory pointer for addr, checking R (or W when `write`); 0 on a fault, with the code in
 * xlateFault. The TLB-hit path is inlined at every call site; a miss walks the tables
 * (<= 3 levels) and records tlb_miss in dmaPtrSlow().
 *
 * The hit test is one compare (issue 10 §4: V8 turned the short-circuit form of a tag test and
 * a permission test into three branches): the entry's read or write tag against page + 1. The
 * page as an unsigned number is >= 2^52 for a negative addr, so it never equals a 32-bit tag
 * (0 when empty or not permitted) and the slow path's range check refuses it.
 */
@inline export function dmaPtr(ctx: i32, addr: i64, write: bool): usize {
  const e = tlbEntryOf(ctx, addr);
  const tagAccess = write ? load<u32>(e, TE_TAG_WRITE) : load<u32>(e, TE_TAG_READ);
  if (<u64>tagAccess == (<u64>addr >> PAGE_SHIFT) + 1) {
    const p = ctxAt(ctx);
    store<i64>(p, load<i64>(p, 16) + 1, 16);
    if (write) store<u8>(<usize>load<u32>(e, TE_DIRTY), 1); // markDirty(host)
    return <usize>load<u32>(e, TE_HOST) + (<usize><u32>addr & 0xFFF);
  }
  return dmaPtrSlow(ctx, addr, write);
}

/** Everything but a permitted TLB hit: range check, miss + walk, permission fault. */
@inline function dmaPtrSlowBody(ctx: i32, addr: i64, write: bool): usize {
  if (addr < 0 || addr >= INPUT_LIMIT) return xlateFail(Fault.ADDR_UNMAPPED, addr);
  const page = addr >> PAGE_SHIFT;
  let e = tlbEntry(ctx, page);
  if (<i64>load<u32>(e, TE_TAG) == page + 1) {
    const p = ctxAt(ctx);
    store<i64>(p, load<i64>(p, 16) + 1, 16);
  } else {
    const filled = tlbFill(ctx, addr);
    if (filled < 0) return xlateFail(Fault.ADDR_UNMAPPED, addr);
    e = <usize>filled;
  }
  const need: u32 = write ? <u32>(PTE_W >> 1) : <u32>(PTE_R >> 1);
  if ((load<u32>(e, TE_PERM) & need) == 0) return xlateFail(Fault.PERMISSION, addr);
  if (write) store<u8>(<usize>load<u32>(e, TE_DIRTY), 1); // markDirty(host)
  return <usize>load<u32>(e, TE_HOST) + <usize>(addr & 0xFFF);
}

function dmaPtrSlow(ctx: i32, addr: i64, write: bool): usize {
  return dmaPtrSlowBody(ctx, addr, write);
}

function xlateFail(code: i32, addr: i64): usize {
  xlateFault = code;
  xlateAddr = addr;
  return 0;
}

/** dmaPtr as a number for TypeScript: linear offset, or -(fault code). */
export function translate(ctx: i32, addr: i64, write: bool): i64 {
  const p = dmaPtr(ctx, addr, write);
  return p == 0 ? -<i64>xlateFault : <i64>p;
}

/**
 * Hash every TLB entry as the words of the 16-byte entry it replaced ({i64 tag, u32 hpa,
 * u32 perm}), then that layout's byte count: the MMU state digest of a run stays what it was
 * (state-digest.ts COMP_MMU), so recordings of the same core version replay with equal digests.
 */
export function tlbDigest(h: u64): u64 {
  const entries = <usize>ctxCount * <usize>TLB_ENTRIES;
  for (let i: usize = 0; i < entries; i++) {
    const e = tlbBase + i * <usize>TLB_ENTRY;
    h = mix(h, <u64>load<u32>(e, TE_TAG));
    h = mix(h, <u64>load<u32>(e, TE_HPA) | (<u64>load<u32>(e, TE_PERM) << 32));
  }
  return mix(h, <u64>(entries * 16));
}

// Multi-level page tables for stage-2 and the IOMMU (one format, one walker).
// 3 levels x 9 bits over a 39-bit input address, 4 KiB pages (like Arm VMSAv8-64 stage 2 with a
// 4 KiB granule starting at level 1). A table page holds 512 little-endian u64 entries:
//
//   63                              12 11     3   2   1   0
//  ┌──────────────────────────────────┬────────┬───┬───┬───┐
//  │ next-table offset (in PT pool)   │   0    │ W │ R │ V │   table entry (levels 0, 1)
//  │ host page address (hpa)          │        │   │   │   │   leaf entry  (level 2)
//  └──────────────────────────────────┴────────┴───┴───┴───┘
//
// A leaf with V set and R = W = 0 is mapped with no access (permission faults, not unmapped).
import { ptPoolBase, ptPages, PAGE_SHIFT } from '../layout';

export const PT_LEVELS: i32 = 3;
export const PT_BITS: i32 = 9;
export const INPUT_BITS: i32 = PAGE_SHIFT + PT_LEVELS * PT_BITS; // 39
export const INPUT_LIMIT: i64 = <i64>1 << INPUT_BITS;
export const PTE_VALID: u64 = 1;
export const PTE_R: u64 = 2;
export const PTE_W: u64 = 4;
export const PTE_ADDR_MASK: u64 = ~(<u64>0xFFF);

let ptUsed: i32 = 0;
/** Levels the last walk visited (recorded as val of tlb_miss). */
export let walkLevels: i32 = 0;

/** A fresh zeroed table page; returns its offset in the pool. */
export function ptAlloc(): u32 {
  assert(ptUsed < ptPages, 'page tables: pool exhausted (ptPages)');
  const off = <u32>ptUsed << PAGE_SHIFT;
  ptUsed++;
  return off;
}

@inline function slotIndex(addr: i64, level: i32): usize {
  const shift = PAGE_SHIFT + (PT_LEVELS - 1 - level) * PT_BITS;
  return <usize>((addr >> shift) & 511);
}

@inline function entryPtr(table: u32, addr: i64, level: i32): usize {
  return ptPoolBase + <usize>table + (slotIndex(addr, level) << 3);
}

/** Leaf entry for addr, or 0. At most PT_LEVELS steps (bounded walk). */
export function ptLookup(root: u32, addr: i64): u64 {
  assert(addr >= 0 && addr < INPUT_LIMIT, 'page tables: address beyond the input range');
  let table = root;
  walkLevels = 0;
  for (let level = 0; level < PT_LEVELS; level++) {
    walkLevels = level + 1;
    const e = load<u64>(entryPtr(table, addr, level));
    if ((e & PTE_VALID) == 0) return 0;
    if (level == PT_LEVELS - 1) return e;
    table = <u32>(e & PTE_ADDR_MASK);
  }
  return 0;
}

/** Pointer to the leaf slot for addr, creating intermediate tables when `create`; 0 if absent. */
export function ptLeafSlot(root: u32, addr: i64, create: bool): usize {
  assert(addr >= 0 && addr < INPUT_LIMIT, 'page tables: address beyond the input range');
  let table = root;
  for (let level = 0; level < PT_LEVELS - 1; level++) {
    const p = entryPtr(table, addr, level);
    let e = load<u64>(p);
    if ((e & PTE_VALID) == 0) {
      if (!create) return 0;
      e = <u64>ptAlloc() | PTE_VALID;
      store<u64>(p, e);
    }
    table = <u32>(e & PTE_ADDR_MASK);
  }
  return entryPtr(table, addr, PT_LEVELS - 1);
}

@inline export function pteLeaf(hpa: i64, perm: i32): u64 {
  assert((hpa & 0xFFF) == 0, 'page tables: hpa not page aligned');
  return <u64>hpa | PTE_VALID | (<u64>(perm & 3) << 1);
}

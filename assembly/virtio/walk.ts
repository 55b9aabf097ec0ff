// Device-side descriptor-chain walk (VIRTIO 1.2 §2.7.5, §2.7.5.3) through the device's IOMMU
// context, into the fixed segment table. Untrusted input: the walk carries a budget equal to the
// queue size (a loop cannot run forever, §2.7.5.2 "chain longer than the Queue Size"), every
// index is range-checked and every address is translated before use.
//
//  SEGMENT (16 B): +0 u32 host (linear-memory offset) | +4 u32 len | +8 u32 writable | +12 pad
//  A segment never crosses a 4 KiB page, so a chain's translations are bounded by SEG_MAX.
import { Fault } from '../faults';
import { dmaPtr, xlateFault, xlateAddr } from '../mmu/context';
import { INPUT_LIMIT } from '../mmu/pagetable';
import {
  segBase, SEG_MAX, SEG_ENTRY, PAGE_SIZE, stGet, stSet, ST_SEG_COUNT, ST_SEG_READ, ST_SEG_WRITE,
  stateAt, ST_DESC_STAGE,
} from '../layout';
import { qSize, qDescGpa, qDevCtx } from './queue';
import { DESC_F_NEXT, DESC_F_WRITE, DESC_F_INDIRECT, DESC_SIZE } from './spec';

/** walkChain's mode bit: walking an indirect table (the other bit is DESC_F_WRITE). */
const WALK_INDIRECT: i32 = 1;
assert((WALK_INDIRECT & <i32>DESC_F_WRITE) == 0, 'walk: the mode bits overlap');

/** Address that made the last walk fail (recorded as the fault's val). */
export let walkFaultAddr: i64 = 0;

@inline export function segAt(i: i32): usize {
  return segBase + <usize>i * SEG_ENTRY;
}
@inline export function segHost(i: i32): usize {
  return <usize>load<u32>(segAt(i));
}
@inline export function segLen(i: i32): i32 {
  return <i32>load<u32>(segAt(i), 4);
}
@inline export function segWritable(i: i32): bool {
  return load<u32>(segAt(i), 8) != 0;
}
@inline export function segCount(): i32 {
  return stGet(ST_SEG_COUNT);
}

// Walk counters live in locals of walkChain during the walk and reach STATE once at the end
// (issue 10 §4: as wasm globals V8 loaded and stored them on every segment).
/** Segment i: host address, length, writable flag. */
@inline function segPut(i: i32, host: usize, len: i32, flag: u32): void {
  const s = segAt(i);
  store<u32>(s, <u32>host);
  store<u32>(s, <u32>len, 4);
  store<u32>(s, flag, 8);
}

function segPublish(n: i32, readBytes: i32, writeBytes: i32): void {
  stSet(ST_SEG_COUNT, n);
  stSet(ST_SEG_READ, readBytes);
  stSet(ST_SEG_WRITE, writeBytes);
}

/** Record why the walk failed (address in walkFaultAddr) and publish what it had; -(code). */
function walkFail(code: i32, addr: i64, n: i32, readBytes: i32, writeBytes: i32): i32 {
  walkFaultAddr = addr;
  segPublish(n, readBytes, writeBytes);
  return -code;
}

/**
 * Translate [addr, addr+len) page by page into segments from index n: the new segment count,
 * or -(fault code) after walkFail() published the counters (the segments added so far count).
 */
@inline function addBuffer(
  ctx: i32, addr: i64, len: i32, writable: bool, n: i32, readBytes: i32, writeBytes: i32,
): i32 {
  if (len == 0) return n;
  // Checked arithmetic: an address beyond the 39-bit input range (or negative as i64) is unmapped,
  // and below the limit addr + len cannot overflow.
  if (addr < 0 || addr >= INPUT_LIMIT) {
    return walkFail(Fault.ADDR_UNMAPPED, addr, n, readBytes, writeBytes);
  }
  const flag: u32 = writable ? 1 : 0;
  if (len <= PAGE_SIZE - (<i32>addr & (PAGE_SIZE - 1))) {
    // The buffer lies in one page (the common case): one segment, no page loop (issue 10 §4: the
    // loop's back edge and its carried values cost V8 a stack check and spills per buffer).
    if (n >= SEG_MAX) return walkFail(Fault.CHAIN_TOO_LONG, addr, n, readBytes, writeBytes);
    const host = dmaPtr(ctx, addr, writable);
    if (host == 0) return walkFail(xlateFault, xlateAddr, n, readBytes, writeBytes);
    segPut(n, host, len, flag);
    return n + 1;
  }
  let done = 0;
  while (done < len) {
    const at = addr + done;
    const piece = min(len - done, PAGE_SIZE - <i32>(at & (PAGE_SIZE - 1)));
    if (n >= SEG_MAX) return walkFail(Fault.CHAIN_TOO_LONG, at, n, readBytes, writeBytes);
    const host = dmaPtr(ctx, at, writable);
    if (host == 0) return walkFail(xlateFault, xlateAddr, n, readBytes, writeBytes);
    segPut(n, host, piece, flag);
    n++;
    done += piece;
  }
  return n;
}

/** §2.7.5.3.1 checks on a descriptor with INDIRECT set. */
function checkIndirect(inIndirect: bool, flags: u16, len: u32, size: i32): i32 {
  if (inIndirect) return Fault.NESTED_INDIRECT; //                  MUST NOT nest
  if ((flags & DESC_F_NEXT) != 0) return Fault.INDIRECT_WITH_NEXT; // MUST NOT set both
  if (len == 0 || (len & 15) != 0) return Fault.INDIRECT_BAD_LEN; //  a whole number of descriptors
  if (len > <u32>size * 16) return Fault.INDIRECT_BAD_LEN; //       chain no longer than Queue Size
  return 0;
}

/**
 * Pointer to the 16 descriptor bytes at `at`, or 0 on a fault. Main-table descriptors are
 * 16-byte aligned and never cross a page (inlined: one translation); an indirect table may be
 * misaligned by a hostile guest, so a descriptor that straddles a page is assembled from two
 * translations in descPtrStraddling().
 */
@inline function descPtr(ctx: i32, at: i64): usize {
  if ((<i32>at & (PAGE_SIZE - 1)) <= PAGE_SIZE - 16) return dmaPtr(ctx, at, false);
  return descPtrStraddling(ctx, at);
}

function descPtrStraddling(ctx: i32, at: i64): usize {
  const inPage = PAGE_SIZE - <i32>(at & (PAGE_SIZE - 1));
  const p = dmaPtr(ctx, at, false);
  if (p == 0) return 0;
  const q = dmaPtr(ctx, at + inPage, false);
  if (q == 0) return 0;
  const stage = stateAt() + ST_DESC_STAGE;
  memory.copy(stage, p, inPage);
  memory.copy(stage + <usize>inPage, q, 16 - inPage);
  return stage;
}

/**
 * Walk the chain starting at head. Returns 0 (segments ready) or a fault code with
 * walkFaultAddr set. Reads at most 2 x size descriptors: the main table with a budget of size,
 * then at most one indirect table with a budget of its length (<= size).
 */
@inline export function walkChain(q: i32, head: i32): i32 {
  const size = qSize(q);
  const ctx = qDevCtx(q);
  let table = qDescGpa(q);
  let tableLen = size;
  let idx = head;
  let budget = size;
  // WALK_INDIRECT: in the indirect table; DESC_F_WRITE: a device-writable descriptor was seen.
  // One word for both flags (issue 10 §4: the loop's values are what V8 keeps in registers, or
  // spills around the translations' slow-path calls).
  let mode = 0;
  let n = 0;
  let readBytes = 0;
  let writeBytes = 0;
  if (idx >= size) return -walkFail(Fault.DESC_INDEX_OUT_OF_RANGE, <i64>idx, 0, 0, 0);
  while (true) {
    if (budget == 0) {
      const at = table + DESC_SIZE * idx;
      return -walkFail(Fault.DESC_CHAIN_LOOP, at, n, readBytes, writeBytes);
    }
    budget--;
    const at = table + DESC_SIZE * idx;
    const p = descPtr(ctx, at);
    if (p == 0) return -walkFail(xlateFault, xlateAddr, n, readBytes, writeBytes);
    const flags = load<u16>(p, 12);
    if ((flags & DESC_F_INDIRECT) != 0) {
      const len = load<u32>(p, 8);
      const code = checkIndirect((mode & WALK_INDIRECT) != 0, flags, len, size);
      if (code != 0) return -walkFail(code, at, n, readBytes, writeBytes);
      table = load<i64>(p);
      tableLen = <i32>(len >> 4);
      budget = tableLen;
      idx = 0;
      mode |= WALK_INDIRECT;
      continue;
    }
    const writable = <i32>(flags & DESC_F_WRITE);
    // §2.7.4.2: all device-writable descriptors come after the device-readable ones.
    if (writable == 0 && (mode & DESC_F_WRITE) != 0) {
      return -walkFail(Fault.READABLE_AFTER_WRITABLE, at, n, readBytes, writeBytes);
    }
    mode |= writable;
    const addr = load<i64>(p);
    const len = load<u32>(p, 8);
    if (len > 0x7FFFFFFF) return -walkFail(Fault.CHAIN_TOO_LONG, addr, n, readBytes, writeBytes);
    const added = addBuffer(ctx, addr, <i32>len, writable != 0, n, readBytes, writeBytes);
    if (added < 0) return -added;
    n = added;
    // len, flags and next are read again from the descriptor after the buffer's translation
    // instead of living across its slow-path call: p is guest memory or the staging area, which
    // a translation never writes, so they read what they read above.
    if ((load<u16>(p, 12) & DESC_F_WRITE) != 0) writeBytes += <i32>load<u32>(p, 8);
    else readBytes += <i32>load<u32>(p, 8);
    if ((load<u16>(p, 12) & DESC_F_NEXT) == 0) {
      segPublish(n, readBytes, writeBytes);
      return 0;
    }
    // §2.7.5.1 (device requirement): next must index the table being walked.
    const next = <i32>load<u16>(p, 14);
    if (next >= tableLen) {
      return -walkFail(Fault.DESC_INDEX_OUT_OF_RANGE, table + DESC_SIZE * idx, n, readBytes, writeBytes);
    }
    idx = next;
  }
  return 0;
}

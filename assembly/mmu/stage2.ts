// Stage-2 translation per VM (guest-physical -> host) and the guest-memory copies TypeScript uses
// to play a guest CPU. Context index = vm. Unmap/protect drop the affected TLB entries: a stale
// translation must not survive a change of mapping.
import {
  vmBase, vmCount, VM_STRIDE, TLB_ENTRIES, PAGE_SHIFT, PAGE_SIZE, hostRamBytes,
} from '../layout';
import { ctxCreate, ctxLive, ctxSetPage, ctxLookup, tlbInvalidatePage, dmaPtr, xlateFault, xlateAddr } from './context';
import { pteLeaf, PTE_VALID, PTE_ADDR_MASK, INPUT_LIMIT } from './pagetable';
import { hostAlloc } from './hostram';
import { traceRow } from '../trace/columns';
import { Kind } from '../trace/kinds';

@inline export function vmAt(vm: i32): usize {
  return vmBase + <usize>vm * VM_STRIDE;
}
@inline export function vmLive(vm: i32): bool {
  return vm >= 0 && vm < vmCount && ctxLive(vm);
}

export function vmCreate(vm: i32, ramBytes: i64): void {
  assert(vm >= 0 && vm < vmCount, 'vmCreate: vm out of range (vmCount)');
  assert(ramBytes > 0 && (ramBytes & (PAGE_SIZE - 1)) == 0, 'vmCreate: ramBytes must be whole pages');
  ctxCreate(vm, vm, -1);
  store<i32>(vmAt(vm), 1);
  const pages = <i32>(ramBytes >> PAGE_SHIFT);
  const hpa = hostAlloc(pages);
  s2Map(vm, 0, hpa, pages, 3);
}

function checkRange(addr: i64, pages: i32): void {
  assert((addr & (PAGE_SIZE - 1)) == 0, 'mmu: address not page aligned');
  assert(pages >= 0, 'mmu: negative page count');
  assert(addr >= 0 && addr + (<i64>pages << PAGE_SHIFT) <= INPUT_LIMIT, 'mmu: range beyond 39 bits');
}

export function s2Map(vm: i32, gpa: i64, hpa: i64, pages: i32, perm: i32): void {
  assert(vmLive(vm), 's2Map: unknown vm');
  checkRange(gpa, pages);
  assert(hpa >= 0 && hpa + (<i64>pages << PAGE_SHIFT) <= hostRamBytes, 's2Map: hpa outside host RAM');
  for (let i = 0; i < pages; i++) {
    const off = <i64>i << PAGE_SHIFT;
    ctxSetPage(vm, gpa + off, pteLeaf(hpa + off, perm));
  }
}

export function s2Unmap(vm: i32, gpa: i64, pages: i32): void {
  assert(vmLive(vm), 's2Unmap: unknown vm');
  checkRange(gpa, pages);
  for (let i = 0; i < pages; i++) ctxSetPage(vm, gpa + (<i64>i << PAGE_SHIFT), 0);
}

export function s2Protect(vm: i32, gpa: i64, pages: i32, perm: i32): void {
  assert(vmLive(vm), 's2Protect: unknown vm');
  checkRange(gpa, pages);
  for (let i = 0; i < pages; i++) {
    const addr = gpa + (<i64>i << PAGE_SHIFT);
    const pte = ctxLookup(vm, addr);
    if ((pte & PTE_VALID) == 0) continue;
    ctxSetPage(vm, addr, pteLeaf(<i64>(pte & PTE_ADDR_MASK), perm));
  }
}

/** Flush a whole context's TLB (bounded by TLB_ENTRIES). */
export function tlbFlush(ctx: i32): void {
  for (let i = 0; i < TLB_ENTRIES; i++) tlbInvalidatePage(ctx, <i64>i);
}

/**
 * Copy between linear memory and guest memory through stage-2, page by page. All pages are
 * translated before any byte moves, so a fault leaves guest memory untouched. Returns 0 or
 * -(fault code) and records the fault.
 */
export function guestCopy(vm: i32, gpa: i64, buf: usize, len: i32, write: bool): i32 {
  assert(vmLive(vm), 'guest copy: unknown vm');
  const code = guestProbe(vm, gpa, len, write);
  if (code != 0) return -code;
  let done = 0;
  while (done < len) {
    const addr = gpa + done;
    const piece = min(len - done, PAGE_SIZE - <i32>(addr & (PAGE_SIZE - 1)));
    const host = dmaPtr(vm, addr, write);
    if (write) memory.copy(host, buf + <usize>done, piece);
    else memory.copy(buf + <usize>done, host, piece);
    done += piece;
  }
  return 0;
}

function guestProbe(vm: i32, gpa: i64, len: i32, write: bool): i32 {
  let done = 0;
  while (done < len) {
    const addr = gpa + done;
    const piece = min(len - done, PAGE_SIZE - <i32>(addr & (PAGE_SIZE - 1)));
    if (dmaPtr(vm, addr, write) == 0) {
      traceRow(Kind.FAULT, vm, -1, -1, xlateFault, len, xlateAddr);
      return xlateFault;
    }
    done += piece;
  }
  return 0;
}

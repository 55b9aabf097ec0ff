// Read-only views of the core's tables for state dumps (time travel, issue 9 §4). Nothing here
// writes linear memory outside scratch, touches a TLB (no hit/miss counted, no entry filled) or
// emits a trace row: looking at the platform must never change the run that follows.
//
// Each view is one flat numeric call `xxxField(index, field)` with the fields numbered in the
// F_* constants below (src/core/core.ts names them), so the export surface stays small.
import { scratchBase, scratchBytes, PAGE_SIZE, hostRamBase } from './layout';
import { ctxLookup } from './mmu/context';
import { PTE_VALID, PTE_R, PTE_ADDR_MASK } from './mmu/pagetable';
import { vmLive } from './mmu/stage2';
import { Fault } from './faults';
import {
  qGet, qLive, qFailed, qEventIdx, qDescGpa, qAvailGpa, qUsedGpa, qDevCtx, queuesCreated,
  Q_VM, Q_DEV, Q_INDEX, Q_SIZE, Q_FAIL_CODE, Q_DEV_LAST_AVAIL, Q_DRV_LAST_USED, Q_DRV_FREE_COUNT,
} from './virtio/queue';
import { availIdxAt, usedIdxAt } from './virtio/spec';

/** Host pointer of ctx's addr through the page tables alone (no TLB), 0 if not readable. */
function peekPtr(ctx: i32, addr: i64): usize {
  const pte = ctxLookup(ctx, addr);
  if ((pte & (PTE_VALID | PTE_R)) != (PTE_VALID | PTE_R)) return 0;
  return hostRamBase + <usize>(pte & PTE_ADDR_MASK) + <usize>(addr & (PAGE_SIZE - 1));
}

/** A le16 ring index as the device's IOMMU domain sees it, -1 when unreadable. */
function peekU16(ctx: i32, addr: i64): i32 {
  const p = peekPtr(ctx, addr);
  return p == 0 ? -1 : <i32>load<u16>(p);
}

// Queue fields (vqStateField).
export const FQ_VM: i32 = 0;
export const FQ_DEV: i32 = 1;
export const FQ_INDEX: i32 = 2; //        queue index within its device
export const FQ_SIZE: i32 = 3;
export const FQ_AVAIL_IDX: i32 = 4; //    avail->idx in guest memory (the driver's published idx)
export const FQ_LAST_AVAIL: i32 = 5; //   the device's last seen avail idx (shadow)
export const FQ_USED_IDX: i32 = 6; //     used->idx in guest memory
export const FQ_DRV_LAST_USED: i32 = 7; // the driver's last reclaimed used idx (shadow)
export const FQ_FREE_DESC: i32 = 8; //    free descriptors on the driver side
export const FQ_FAILED: i32 = 9; //       1 when in the failed state
export const FQ_FAIL_CODE: i32 = 10;
export const FQ_LIVE: i32 = 11;
export const FQ_EVENT_IDX: i32 = 12;
export const FQ_DESC_GPA: i32 = 13; //    ring addresses: guest RAM is <= 1 GiB (scenario schema),
export const FQ_AVAIL_GPA: i32 = 14; //   so a gpa of a live queue fits an i32
export const FQ_USED_GPA: i32 = 15;

function gpaI32(gpa: i64): i32 {
  assert(gpa >= 0 && gpa < <i64>1 << 31, 'vqStateField: ring gpa beyond 2^31');
  return <i32>gpa;
}

export function vqStateField(q: i32, field: i32): i32 {
  assert(q >= 0 && q < queuesCreated(), 'vqStateField: unknown queue');
  switch (field) {
    case FQ_VM: return qGet(q, Q_VM);
    case FQ_DEV: return qGet(q, Q_DEV);
    case FQ_INDEX: return qGet(q, Q_INDEX);
    case FQ_SIZE: return qGet(q, Q_SIZE);
    case FQ_AVAIL_IDX: return peekU16(qDevCtx(q), availIdxAt(qAvailGpa(q)));
    case FQ_LAST_AVAIL: return qGet(q, Q_DEV_LAST_AVAIL);
    case FQ_USED_IDX: return peekU16(qDevCtx(q), usedIdxAt(qUsedGpa(q)));
    case FQ_DRV_LAST_USED: return qGet(q, Q_DRV_LAST_USED);
    case FQ_FREE_DESC: return qGet(q, Q_DRV_FREE_COUNT);
    case FQ_FAILED: return qFailed(q) ? 1 : 0;
    case FQ_FAIL_CODE: return qGet(q, Q_FAIL_CODE);
    case FQ_LIVE: return qLive(q) ? 1 : 0;
    case FQ_EVENT_IDX: return qEventIdx(q) ? 1 : 0;
    case FQ_DESC_GPA: return gpaI32(qDescGpa(q));
    case FQ_AVAIL_GPA: return gpaI32(qAvailGpa(q));
    case FQ_USED_GPA: return gpaI32(qUsedGpa(q));
  }
  assert(false, 'vqStateField: field 0..15');
  return 0;
}

/**
 * Copy guest memory [gpa, gpa + len) to scratch[0, len) through the VM's page tables, without
 * the TLB and without a fault row; 0, or -(fault code) when any byte is not mapped readable.
 */
export function guestPeek(vm: i32, gpa: i64, len: i32): i32 {
  assert(vmLive(vm), 'guestPeek: unknown vm');
  assert(len >= 0 && len <= scratchBytes, 'guestPeek: len beyond scratch');
  if (gpa < 0) return -Fault.ADDR_UNMAPPED;
  let done = 0;
  while (done < len) {
    const addr = gpa + done;
    const piece = min(len - done, PAGE_SIZE - <i32>(addr & (PAGE_SIZE - 1)));
    if (peekPtr(vm, addr) == 0) return -Fault.ADDR_UNMAPPED;
    done += piece;
  }
  done = 0;
  while (done < len) {
    const addr = gpa + done;
    const piece = min(len - done, PAGE_SIZE - <i32>(addr & (PAGE_SIZE - 1)));
    memory.copy(scratchBase + <usize>done, peekPtr(vm, addr), piece);
    done += piece;
  }
  return 0;
}

// Per-queue state and the one door that turns a plain configuration into a checked queue
// (rust-vmm's QueueState -> Queue): vqCreate and vqReset both go through queueFromState().
//
//  QUEUE (128 B)
//  +0  i32 flags (LIVE | EVENT_IDX | FAILED)   +4  i32 vm        +8  i32 dev      +12 i32 index
//  +16 i32 size        +20 i32 backend         +24 i32 backendArg                 +28 i32 failCode
//  +32 i64 descGpa     +40 i64 availGpa        +48 i64 usedGpa
//  driver shadow:  +56 availIdx  +60 kickedIdx  +64 lastUsed  +68 freeHead  +72 freeCount
//  device shadow:  +76 lastAvail +80 usedIdx    +84 signalledUsed
//  +88 i32 generation: bumped by every reset, so chains held by a back-end across a reset are
//      never returned into the new ring
//
//  QARRAYS per queue (32768 entries each): i64 availTime[head] | u16 drvNext[desc] | u16 drvLen[head]
//  drvNext threads the driver's free list and, for a chain in flight, its descriptors in order
//  (like Linux's vring free list threaded through desc.next); drvLen[head] = descriptors held.
import {
  queueBase, queueCount, qarrBase, Q_STRIDE, QARR_STRIDE, QARR_TIME, QARR_NEXT, QARR_LEN, PAGE_SHIFT,
} from '../layout';
import { Fault } from '../faults';
import { Kind } from '../trace/kinds';
import { traceRow, traceRowInline, traceReserveFor } from '../trace/columns';
import { devLive, devCtx } from '../mmu/iommu';
import { vmLive } from '../mmu/stage2';
import { ctxLookup, dmaPtr } from '../mmu/context';
import { PTE_VALID, PTE_R, PTE_W } from '../mmu/pagetable';
import {
  validQueueSize, descBytes, availBytes, usedBytes, DESC_ALIGN, AVAIL_ALIGN, USED_ALIGN,
  availIdxAt, usedEventAt, usedIdxAt, availEventAt,
} from './spec';

export const QF_LIVE: i32 = 1;
export const QF_EVENT_IDX: i32 = 2;
export const QF_FAILED: i32 = 4;

export const BACKEND_NONE: i32 = 0;
export const BACKEND_NET_TX: i32 = 1;
export const BACKEND_NET_RX: i32 = 2;
export const BACKEND_CAN_TX: i32 = 3;
export const BACKEND_CAN_RX: i32 = 4;

let queuesUsed: i32 = 0;

@inline export function qAt(q: i32): usize {
  return queueBase + <usize>q * Q_STRIDE;
}
@inline export function qGet(q: i32, field: usize): i32 {
  return load<i32>(qAt(q) + field);
}
@inline export function qSet(q: i32, field: usize, v: i32): void {
  store<i32>(qAt(q) + field, v);
}
export const Q_FLAGS: usize = 0;
export const Q_VM: usize = 4;
export const Q_DEV: usize = 8;
export const Q_INDEX: usize = 12;
export const Q_SIZE: usize = 16;
export const Q_BACKEND: usize = 20;
export const Q_BACKEND_ARG: usize = 24;
export const Q_FAIL_CODE: usize = 28;
export const Q_DRV_AVAIL: usize = 56;
export const Q_DRV_KICKED: usize = 60;
export const Q_DRV_LAST_USED: usize = 64;
export const Q_DRV_FREE_HEAD: usize = 68;
export const Q_DRV_FREE_COUNT: usize = 72;
export const Q_DEV_LAST_AVAIL: usize = 76;
export const Q_DEV_USED: usize = 80;
export const Q_DEV_SIGNALLED: usize = 84;
export const Q_GEN: usize = 88;

@inline export function qDescGpa(q: i32): i64 {
  return load<i64>(qAt(q), 32);
}
@inline export function qAvailGpa(q: i32): i64 {
  return load<i64>(qAt(q), 40);
}
@inline export function qUsedGpa(q: i32): i64 {
  return load<i64>(qAt(q), 48);
}
@inline export function qSize(q: i32): i32 {
  return qGet(q, Q_SIZE);
}
@inline export function qVm(q: i32): i32 {
  return qGet(q, Q_VM);
}
@inline export function qDev(q: i32): i32 {
  return qGet(q, Q_DEV);
}
@inline export function qDevCtx(q: i32): i32 {
  return devCtx(qGet(q, Q_DEV));
}
@inline export function qLive(q: i32): bool {
  return q >= 0 && q < queuesUsed && (qGet(q, Q_FLAGS) & QF_LIVE) != 0;
}
@inline export function qFailed(q: i32): bool {
  return (qGet(q, Q_FLAGS) & QF_FAILED) != 0;
}
@inline export function qEventIdx(q: i32): bool {
  return (qGet(q, Q_FLAGS) & QF_EVENT_IDX) != 0;
}

/** The queue's QARRAYS block; the *At accessors below take it, so a loop computes it once. */
@inline export function qarr(q: i32): usize {
  return qarrBase + <usize>q * QARR_STRIDE;
}
@inline export function availTimeAt(arr: usize, head: i32): i64 {
  return load<i64>(arr + QARR_TIME + (<usize>head << 3));
}
@inline export function drvNextAt(arr: usize, d: i32): i32 {
  return <i32>load<u16>(arr + QARR_NEXT + (<usize>d << 1));
}
@inline export function drvNextSetAt(arr: usize, d: i32, next: i32): void {
  store<u16>(arr + QARR_NEXT + (<usize>d << 1), <u16>next);
}
@inline export function drvLenAt(arr: usize, head: i32): i32 {
  return <i32>load<u16>(arr + QARR_LEN + (<usize>head << 1));
}
@inline export function drvLenSetAt(arr: usize, head: i32, n: i32): void {
  store<u16>(arr + QARR_LEN + (<usize>head << 1), <u16>n);
}
@inline export function availTimeGet(q: i32, head: i32): i64 {
  return availTimeAt(qarr(q), head);
}
@inline export function availTimeSet(q: i32, head: i32, t: i64): void {
  store<i64>(qarr(q) + QARR_TIME + (<usize>head << 3), t);
}
@inline export function drvNextGet(q: i32, d: i32): i32 {
  return drvNextAt(qarr(q), d);
}
@inline export function drvNextSet(q: i32, d: i32, next: i32): void {
  drvNextSetAt(qarr(q), d, next);
}
@inline export function drvLenGet(q: i32, head: i32): i32 {
  return drvLenAt(qarr(q), head);
}
@inline export function drvLenSet(q: i32, head: i32, n: i32): void {
  drvLenSetAt(qarr(q), head, n);
}

/** Queue index of a new queue, or -(fault code) if the configuration is refused. */
export function vqCreate(
  vm: i32, dev: i32, index: i32, size: i32, desc: i64, avail: i64, used: i64, eventIdx: bool,
): i32 {
  assert(queuesUsed < queueCount, 'vqCreate: queue table full (queueCount)');
  const q = queuesUsed;
  const p = qAt(q);
  store<i32>(p, eventIdx ? QF_EVENT_IDX : 0, Q_FLAGS);
  qSet(q, Q_VM, vm);
  qSet(q, Q_DEV, dev);
  qSet(q, Q_INDEX, index);
  qSet(q, Q_SIZE, size);
  store<i64>(p, desc, 32);
  store<i64>(p, avail, 40);
  store<i64>(p, used, 48);
  const code = queueFromState(q);
  if (code != 0) {
    traceRow(Kind.FAULT, vm, dev, -1, code, size, desc);
    return -code;
  }
  queuesUsed++;
  return q;
}

/**
 * A trace row about queue q. The `queue` column holds the queue's index within its device (as
 * the VIRTIO spec numbers them: virtio-net receiveq1 = 0, transmitq1 = 1), not the core's table
 * slot, so a query reads the same numbers a driver author uses.
 */
export function traceQueueRow(kind: i32, q: i32, id: i64, len: i32, val: i64): void {
  traceRow(kind, qVm(q), qDev(q), qGet(q, Q_INDEX), id, len, val);
}

/** traceQueueRow inlined, for the rows written per chain (trace/columns.ts traceRowInline). */
@inline export function traceQueueRowInline(kind: i32, q: i32, id: i64, len: i32, val: i64): void {
  traceRowInline(kind, qVm(q), -1, qDev(q), qGet(q, Q_INDEX), id, len, val);
}

/** Re-check the stored configuration and reset both sides (the same door as vqCreate). */
export function vqReset(q: i32): i32 {
  assert(q >= 0 && q < queuesUsed, 'vqReset: unknown queue');
  const code = queueFromState(q);
  if (code == 0) return 0;
  // Refused by the door: the queue stays failed until a reset succeeds.
  qSet(q, Q_FLAGS, qGet(q, Q_FLAGS) | QF_FAILED);
  qSet(q, Q_FAIL_CODE, code);
  traceQueueRow(Kind.FAULT, q, code, qSize(q), qDescGpa(q));
  return code;
}

/**
 * The door. Checks VIRTIO 1.2 §2.7 (size a power of two <= 32768; alignment desc 16, avail 2,
 * used 4) and that every ring byte is mapped RW in the VM's stage-2; then clears the shadow
 * indices, rebuilds the driver's free list and marks the queue live and not failed.
 */
function queueFromState(q: i32): i32 {
  const size = qSize(q);
  const vm = qVm(q);
  qSet(q, Q_FLAGS, qGet(q, Q_FLAGS) & ~(QF_LIVE | QF_FAILED));
  if (!vmLive(vm) || !devLive(qDev(q))) return Fault.BAD_QUEUE_CONFIG;
  if (!validQueueSize(size)) return Fault.BAD_QUEUE_CONFIG;
  if (!traceReserveFor(size)) return Fault.BAD_QUEUE_CONFIG;
  if (qDescGpa(q) % DESC_ALIGN != 0) return Fault.BAD_QUEUE_CONFIG;
  if (qAvailGpa(q) % AVAIL_ALIGN != 0) return Fault.BAD_QUEUE_CONFIG;
  if (qUsedGpa(q) % USED_ALIGN != 0) return Fault.BAD_QUEUE_CONFIG;
  if (!rangeMappedRw(vm, qDescGpa(q), descBytes(size))) return Fault.BAD_QUEUE_CONFIG;
  if (!rangeMappedRw(vm, qAvailGpa(q), availBytes(size))) return Fault.BAD_QUEUE_CONFIG;
  if (!rangeMappedRw(vm, qUsedGpa(q), usedBytes(size))) return Fault.BAD_QUEUE_CONFIG;
  shadowReset(q, size);
  ringHeadersZero(q, vm, size);
  qSet(q, Q_FLAGS, qGet(q, Q_FLAGS) | QF_LIVE);
  return 0;
}

/** The driver's (re)initialisation of the rings: flags, idx and event fields to 0 (as Linux's
 *  virtqueue_reinit_split); the ring is already known mapped RW, so these writes cannot fault. */
function ringHeadersZero(q: i32, vm: i32, size: i32): void {
  const avail = qAvailGpa(q);
  const used = qUsedGpa(q);
  zero16(vm, avail);
  zero16(vm, availIdxAt(avail));
  zero16(vm, usedEventAt(avail, size));
  zero16(vm, used);
  zero16(vm, usedIdxAt(used));
  zero16(vm, availEventAt(used, size));
}

function zero16(vm: i32, gpa: i64): void {
  const p = dmaPtr(vm, gpa, true);
  assert(p != 0, 'queue: ring header unmapped after the mapping check');
  store<u16>(p, 0);
}

function rangeMappedRw(vm: i32, gpa: i64, bytes: i64): bool {
  if (gpa < 0) return false;
  const first = gpa >> PAGE_SHIFT;
  const last = (gpa + bytes - 1) >> PAGE_SHIFT;
  for (let page = first; page <= last; page++) {
    const pte = ctxLookup(vm, page << PAGE_SHIFT);
    if ((pte & (PTE_VALID | PTE_R | PTE_W)) != (PTE_VALID | PTE_R | PTE_W)) return false;
  }
  return true;
}

function shadowReset(q: i32, size: i32): void {
  qSet(q, Q_GEN, qGet(q, Q_GEN) + 1);
  qSet(q, Q_FAIL_CODE, 0);
  qSet(q, Q_DRV_AVAIL, 0);
  qSet(q, Q_DRV_KICKED, 0);
  qSet(q, Q_DRV_LAST_USED, 0);
  qSet(q, Q_DRV_FREE_HEAD, 0);
  qSet(q, Q_DRV_FREE_COUNT, size);
  qSet(q, Q_DEV_LAST_AVAIL, 0);
  qSet(q, Q_DEV_USED, 0);
  qSet(q, Q_DEV_SIGNALLED, 0);
  for (let d = 0; d < size; d++) {
    drvNextSet(q, d, d + 1 < size ? d + 1 : 0);
    drvLenSet(q, d, 0);
    availTimeSet(q, d, 0);
  }
}

/** Enter the failed state (like DEVICE_NEEDS_RESET, VIRTIO 1.2 §2.1.1) and record why. */
export function failQueue(q: i32, code: i32, detail: i32, addr: i64): i32 {
  assert(code > 0, 'failQueue: code must be a fault');
  qSet(q, Q_FLAGS, qGet(q, Q_FLAGS) | QF_FAILED);
  qSet(q, Q_FAIL_CODE, code);
  traceQueueRow(Kind.FAULT, q, code, detail, addr);
  return -code;
}

/** Refuse a device operation on a failed queue without touching guest memory. */
export function refuseFailed(q: i32): i32 {
  traceQueueRow(Kind.FAULT, q, Fault.QUEUE_FAILED, qGet(q, Q_FAIL_CODE), 0);
  return -Fault.QUEUE_FAILED;
}

export function queuesCreated(): i32 {
  return queuesUsed;
}

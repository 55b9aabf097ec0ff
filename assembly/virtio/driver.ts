// Driver side of a split virtqueue, as a well-behaved guest driver does it (VIRTIO 1.2 §2.7.13,
// §2.7.14). Every access goes through the VM's stage-2 (context = vm). This is real code reused
// by tests, hostile guests and the benchmark (the rust-vmm "driver-side mock" habit).
//
// Chain specs arrive in scratch, encoded by src/core/core.ts:
//   record = header (16 B) + (outCount + inCount) x buffer (16 B)
//   header: +0 u16 outCount | +2 u16 inCount | +4 u32 flags (bit0: indirect) | +8 u64 indirectGpa
//   buffer: +0 u64 gpa | +8 u32 len | +12 u32 0
// On return, +4 of each placed record holds the chain's head (descriptor index) instead of its
// flags: the driver keeps its own head → buffer map, as Linux's virtqueue does (desc_state),
// rather than reading its descriptor table back.
import { Fault } from '../faults';
import { Kind } from '../trace/kinds';
import { traceRow, traceRoom } from '../trace/columns';
import { now } from '../clock';
import { dmaPtr, xlateFault, xlateAddr } from '../mmu/context';
import {
  scratchBase, scratchBytes, stSet, ST_STOP, ST_OUT_LEN, STOP_DONE, STOP_TRACE, STOP_FULL, STOP_FAULT,
  STOP_SCRATCH,
} from '../layout';
import { traceQueueRow, traceQueueRowInline,
  qGet, qSet, qSize, qVm, qDev, qDescGpa, qAvailGpa, qUsedGpa, qEventIdx,
  Q_DRV_AVAIL, Q_DRV_KICKED, Q_DRV_LAST_USED, Q_DRV_FREE_HEAD, Q_DRV_FREE_COUNT,
  drvNextGet, drvLenSet, availTimeSet, qarr, drvLenAt, drvNextAt, drvNextSetAt, drvLenSetAt,
} from './queue';
import {
  DESC_F_NEXT, DESC_F_WRITE, DESC_F_INDIRECT, USED_F_NO_NOTIFY, DESC_SIZE,
  availIdxAt, availSlotAt, usedEventAt, usedIdxAt, usedSlotAt, availEventAt, vringNeedEvent,
} from './spec';

export const CHAIN_HDR: i32 = 16;
export const CHAIN_BUF: i32 = 16;
const CHAIN_F_INDIRECT: u32 = 1;

/** Record a driver-side translation fault (the guest's own access faulted). */
function drvFault(q: i32): i32 {
  traceQueueRow(Kind.FAULT, q, xlateFault, 0, xlateAddr);
  return -xlateFault;
}

@inline function writeDesc(q: i32, gpa: i64, addr: i64, len: u32, flags: u16, next: u16): bool {
  const p = dmaPtr(qVm(q), gpa, true);
  if (p == 0) return false;
  store<i64>(p, addr);
  store<u32>(p, len, 8);
  store<u16>(p, flags, 12);
  store<u16>(p, next, 14);
  return true;
}

@inline function write16(q: i32, gpa: i64, v: i32): bool {
  const p = dmaPtr(qVm(q), gpa, true);
  if (p == 0) return false;
  store<u16>(p, <u16>v);
  return true;
}

/** Descriptors a record needs from the free list. */
@inline function recordNeed(rec: usize): i32 {
  if ((load<u32>(rec, 4) & CHAIN_F_INDIRECT) != 0) return 1;
  return <i32>load<u16>(rec) + <i32>load<u16>(rec, 2);
}

@inline export function recordBytes(rec: usize): i32 {
  return CHAIN_HDR + CHAIN_BUF * (<i32>load<u16>(rec) + <i32>load<u16>(rec, 2));
}

/** §2.7.13.1: write the buffers of a record as descriptors starting at `table` (or the free list). */
@inline function writeBuffers(q: i32, rec: usize, table: i64, first: i32): i32 {
  const outCount = <i32>load<u16>(rec);
  const n = outCount + <i32>load<u16>(rec, 2);
  // The queue's words read once for the loop (issue 10 §4: V8 reloads them after every store).
  const vm = qVm(q);
  const descGpa = qDescGpa(q);
  const arr = qarr(q);
  let d = first;
  for (let i = 0; i < n; i++) {
    const at = table >= 0 ? table + DESC_SIZE * i : descGpa + DESC_SIZE * d;
    const p = dmaPtr(vm, at, true);
    if (p == 0) return -1;
    // What the descriptor holds is read after the translation, so only the loop's own values
    // live across dmaPtr's slow-path call (issue 10 §4: V8 spills every value live across a
    // call, taken or not; the slow path writes neither scratch nor the queue's arrays).
    const buf = rec + CHAIN_HDR + <usize>i * CHAIN_BUF;
    let flags: u16 = i + 1 < n ? DESC_F_NEXT : 0;
    if (i >= outCount) flags |= DESC_F_WRITE;
    const next = table >= 0 ? i + 1 : drvNextAt(arr, d);
    store<i64>(p, load<i64>(buf));
    store<u32>(p, load<u32>(buf, 8), 8);
    store<u16>(p, flags, 12);
    store<u16>(p, <u16>next, 14);
    if (table < 0 && i + 1 < n) d = next;
  }
  return d;
}

/**
 * §2.7.5.3: the record's chain in its indirect table; one INDIRECT descriptor in the main table
 * points at it. Its head or -(fault code). Not inlined: the direct chains' loop stays small.
 */
function placeIndirect(q: i32, rec: usize, n: i32, head: i32): i32 {
  const table = load<i64>(rec, 8);
  if (writeBuffers(q, rec, table, 0) < 0) return drvFault(q);
  const at = qDescGpa(q) + DESC_SIZE * head;
  if (!writeDesc(q, at, table, <u32>(n * 16), DESC_F_INDIRECT, 0)) return drvFault(q);
  return head;
}

/** Place one chain; returns its head or -(fault code). The free list changes only on success. */
@inline function placeChain(q: i32, rec: usize): i32 {
  const n = <i32>load<u16>(rec) + <i32>load<u16>(rec, 2);
  assert(n >= 1 && n <= qSize(q), 'drvSubmit: a chain needs 1..size descriptors');
  const head = qGet(q, Q_DRV_FREE_HEAD);
  let last = head;
  let used = n;
  if ((load<u32>(rec, 4) & CHAIN_F_INDIRECT) != 0) {
    const placed = placeIndirect(q, rec, n, head);
    if (placed < 0) return placed;
    used = 1;
  } else {
    last = writeBuffers(q, rec, -1, head);
    if (last < 0) return drvFault(q);
  }
  const arr = qarr(q);
  qSet(q, Q_DRV_FREE_HEAD, drvNextAt(arr, last));
  qSet(q, Q_DRV_FREE_COUNT, qGet(q, Q_DRV_FREE_COUNT) - used);
  drvLenSetAt(arr, head, used);
  return head;
}

@inline function recordTotalBytes(rec: usize): i64 {
  const n = <i32>load<u16>(rec) + <i32>load<u16>(rec, 2);
  let total: i64 = 0;
  for (let i = 0; i < n; i++) total += <i64>load<u32>(rec + CHAIN_HDR + <usize>i * CHAIN_BUF, 8);
  return total;
}

/** Place one record and its avail entry (idx not yet published); head or -(fault code). */
@inline export function submitOne(q: i32, rec: usize): i32 {
  const head = placeChain(q, rec);
  if (head < 0) return head;
  const size = qSize(q);
  const idx = qGet(q, Q_DRV_AVAIL);
  // §2.7.13.2: ring[idx % size] = head
  if (!write16(q, availSlotAt(qAvailGpa(q), size, idx), head)) return drvFault(q);
  const next = (idx + 1) & 0xFFFF;
  qSet(q, Q_DRV_AVAIL, next);
  availTimeSet(q, head, now());
  const bytes = recordTotalBytes(rec);
  traceQueueRowInline(Kind.VQ_AVAIL, q, head, <i32>min<i64>(bytes, 0x7FFFFFFF), next);
  return head;
}

/** §2.7.13.3: publish the shadow avail idx once for the whole batch. */
export function publishAvail(q: i32): bool {
  if (write16(q, availIdxAt(qAvailGpa(q)), qGet(q, Q_DRV_AVAIL))) return true;
  drvFault(q);
  return false;
}

/** Place up to `count` records from scratch; returns how many were placed (ST_STOP says why). */
export function drvSubmit(q: i32, count: i32): i32 {
  let rec = scratchBase;
  let placed = 0;
  let stop = STOP_DONE;
  while (placed < count) {
    if (!traceRoom()) { stop = STOP_TRACE; break; }
    assert(rec + <usize>recordBytes(rec) <= scratchBase + <usize>scratchBytes, 'drvSubmit: record beyond scratch');
    if (qGet(q, Q_DRV_FREE_COUNT) < recordNeed(rec)) { stop = STOP_FULL; break; }
    const head = submitOne(q, rec);
    if (head < 0) { stop = STOP_FAULT; break; }
    store<u32>(rec, <u32>head, 4);
    rec += <usize>recordBytes(rec);
    placed++;
  }
  if (placed > 0 && !publishAvail(q)) stop = STOP_FAULT;
  stSet(ST_STOP, stop);
  return placed;
}

/**
 * §2.7.13.4 / §2.7.10: decide whether to notify. With EVENT_IDX, notify iff avail_event lies in
 * [old, new); otherwise unless the device set USED_F_NO_NOTIFY. Nothing new: no notification.
 */
export function drvKick(q: i32): bool {
  const old = qGet(q, Q_DRV_KICKED);
  const newIdx = qGet(q, Q_DRV_AVAIL);
  if (old == newIdx) return false;
  qSet(q, Q_DRV_KICKED, newIdx);
  let notify = false;
  if (qEventIdx(q)) {
    const p = dmaPtr(qVm(q), availEventAt(qUsedGpa(q), qSize(q)), false);
    if (p == 0) { drvFault(q); return false; }
    notify = vringNeedEvent(<i32>load<u16>(p), newIdx, old);
  } else {
    const p = dmaPtr(qVm(q), qUsedGpa(q), false);
    if (p == 0) { drvFault(q); return false; }
    notify = (load<u16>(p) & USED_F_NO_NOTIFY) == 0;
  }
  const kind = notify ? Kind.VQ_NOTIFY : Kind.VQ_NOTIFY_SUPPRESSED;
  traceQueueRow(kind, q, newIdx, 0, 0);
  return notify;
}

/**
 * Return a chain's descriptors to the free list in front of `freeHead` (walk bounded by the
 * chain's length); returns how many. The caller makes `head` the free head and adds the count:
 * drvReclaimTo keeps both in locals for its whole loop (issue 10 §4: V8 reloaded and stored the
 * queue's state words per chain) and writes them back once.
 */
@inline function freeChainAt(arr: usize, head: i32, freeHead: i32): i32 {
  const n = drvLenAt(arr, head);
  let last = head;
  for (let i = 1; i < n; i++) last = drvNextAt(arr, last);
  drvNextSetAt(arr, last, freeHead);
  drvLenSetAt(arr, head, 0);
  return n;
}

/**
 * §2.7.14: consume used elements (at most max, at most one ring's worth), writing {u32 id,
 * u32 len} pairs into scratch; with EVENT_IDX set used_event so the next used buffer interrupts.
 */
export function drvReclaim(q: i32, max: i32): i32 {
  const count = drvReclaimTo(q, max, scratchBase, scratchBytes >> 3);
  stSet(ST_OUT_LEN, count << 3);
  return count;
}

/** drvReclaim writing its pairs at `out` (room pairs at most). */
export function drvReclaimTo(q: i32, max: i32, out: usize, room: i32): i32 {
  const size = qSize(q);
  const vm = qVm(q);
  const usedGpa = qUsedGpa(q);
  const arr = qarr(q);
  const pIdx = dmaPtr(vm, usedIdxAt(usedGpa), false);
  stSet(ST_STOP, STOP_DONE);
  if (pIdx == 0) { drvFault(q); stSet(ST_STOP, STOP_FAULT); return 0; }
  const usedIdx = <i32>load<u16>(pIdx);
  let last = qGet(q, Q_DRV_LAST_USED);
  let freeHead = qGet(q, Q_DRV_FREE_HEAD);
  let freeCount = qGet(q, Q_DRV_FREE_COUNT);
  let count = 0;
  let steps = 0;
  const limit = min(max, room);
  while (last != usedIdx && count < limit && steps < size) {
    if (!traceRoom()) { stSet(ST_STOP, STOP_TRACE); break; }
    // One used element: its id and len (4-byte aligned: both in one page unless the element
    // starts in the last 4 bytes of one).
    const at = usedSlotAt(usedGpa, size, last);
    const pId = dmaPtr(vm, at, false);
    if (pId == 0) { drvFault(q); stSet(ST_STOP, STOP_FAULT); break; }
    const pLen = (at & 0xFFF) <= 0xFF8 ? pId + 4 : dmaPtr(vm, at + 4, false);
    if (pLen == 0) { drvFault(q); stSet(ST_STOP, STOP_FAULT); break; }
    const id = load<u32>(pId);
    if (id >= <u32>size || drvLenAt(arr, <i32>id) == 0) {
      // §2.7.8.3: the driver trusts nothing; a used id it never made available is refused.
      traceQueueRow(Kind.FAULT, q, Fault.DESC_INDEX_OUT_OF_RANGE, <i32>id, at);
    } else {
      freeCount += freeChainAt(arr, <i32>id, freeHead);
      freeHead = <i32>id;
      const pair = out + (<usize>count << 3);
      store<u32>(pair, id);
      store<u32>(pair, load<u32>(pLen), 4);
      count++;
    }
    last = (last + 1) & 0xFFFF;
    steps++;
  }
  qSet(q, Q_DRV_FREE_HEAD, freeHead);
  qSet(q, Q_DRV_FREE_COUNT, freeCount);
  if (count == limit && last != usedIdx) stSet(ST_STOP, STOP_SCRATCH);
  qSet(q, Q_DRV_LAST_USED, last);
  if (qEventIdx(q)) write16(q, usedEventAt(qAvailGpa(q), size), last);
  return count;
}

/** Hostile-guest door: write any descriptor (index < 65536) with no driver-side checks. */
export function drvRawDesc(q: i32, index: i32, gpa: i64, len: u32, flags: u16, next: u16): i32 {
  const at = qDescGpa(q) + DESC_SIZE * (index & 0xFFFF);
  return writeDesc(q, at, gpa, len, flags, next) ? 0 : drvFault(q);
}

/** Hostile-guest door: make `head` available and publish avail idx, unchecked. */
export function drvRawPublish(q: i32, head: i32): i32 {
  const size = qSize(q);
  const idx = qGet(q, Q_DRV_AVAIL);
  if (!write16(q, availSlotAt(qAvailGpa(q), size, idx), head)) return drvFault(q);
  qSet(q, Q_DRV_AVAIL, (idx + 1) & 0xFFFF);
  if (head >= 0 && head < size) availTimeSet(q, head, now());
  return publishAvail(q) ? 0 : -xlateFault;
}

// Device side of a split virtqueue (VIRTIO 1.2 §2.7.6, §2.7.7, §2.7.8). All ring and buffer
// accesses go through the device's IOMMU context. Any violation fails the queue (the device needs
// a reset, like DEVICE_NEEDS_RESET) and records a fault; later device operations on a failed
// queue are refused without touching guest memory. popWalk() is the checked public path;
// pushElem() assumes a head that popWalk() produced (asserted).
import { Fault, FaultEdge, FaultType } from '../faults';
import { faultCount, faultHit } from '../inject';
import { Kind } from '../trace/kinds';
import { traceRow, traceRoom } from '../trace/columns';
import { now } from '../clock';
import { dmaPtr, xlateFault, xlateAddr } from '../mmu/context';
import {
  scratchBase, scratchBytes, stGet, stSet, ST_STOP, ST_OUT_LEN, ST_SEG_READ, ST_SEG_WRITE,
  STOP_DONE, STOP_TRACE, STOP_SCRATCH, STOP_FAULT,
} from '../layout';
import { traceQueueRow, traceQueueRowInline,
  qGet, qSet, qSize, qVm, qDev, qAvailGpa, qUsedGpa, qEventIdx, qFailed, qDevCtx,
  Q_DEV_LAST_AVAIL, Q_DEV_USED, Q_DEV_SIGNALLED, Q_FAIL_CODE, failQueue, refuseFailed, availTimeGet,
} from './queue';
import {
  AVAIL_F_NO_INTERRUPT, availIdxAt, availSlotAt, usedEventAt, usedIdxAt, usedSlotAt, availEventAt,
  vringNeedEvent,
} from './spec';
import { walkChain, walkFaultAddr, segCount, segHost, segLen, segWritable } from './walk';
import { irqRaise } from '../bus/irq';

/** Empty ring. Not -1: that is -(desc_index_out_of_range). */
export const POP_EMPTY: i32 = -65536;

function dmaFail(q: i32, detail: i32): i32 {
  return failQueue(q, xlateFault, detail, xlateAddr);
}

/**
 * Walk the next available chain without consuming it. Returns the head, POP_EMPTY, or
 * -(fault code) after failing the queue. popCommit() consumes it.
 */
export function popWalk(q: i32): i32 {
  const availIdx = availIdxRead(q);
  if (availIdx < 0) return availIdx;
  return popWalkAt(q, availIdx);
}

/** The driver's avail idx, checked (§2.7.6: never more than size ahead of the device); or -(fault). */
export function availIdxRead(q: i32): i32 {
  if (qFailed(q)) return refuseFailed(q);
  const avail = qAvailGpa(q);
  const p = dmaPtr(qDevCtx(q), availIdxAt(avail), false);
  if (p == 0) return dmaFail(q, -1);
  const availIdx = <i32>load<u16>(p);
  const pending = (availIdx - qGet(q, Q_DEV_LAST_AVAIL)) & 0xFFFF;
  if (pending > qSize(q)) return failQueue(q, Fault.AVAIL_IDX_JUMP, availIdx, availIdxAt(avail));
  return availIdx;
}

/** popWalk with an avail idx already read by availIdxRead() (batch loops read it once). */
@inline export function popWalkAt(q: i32, availIdx: i32): i32 {
  if (qFailed(q)) return refuseFailed(q);
  const last = qGet(q, Q_DEV_LAST_AVAIL);
  if (availIdx == last) return POP_EMPTY;
  const slot = availSlotAt(qAvailGpa(q), qSize(q), last);
  const ps = dmaPtr(qDevCtx(q), slot, false);
  if (ps == 0) return dmaFail(q, -1);
  const head = <i32>load<u16>(ps);
  const code = walkChain(q, head);
  if (code != 0) return failQueue(q, code, head, walkFaultAddr);
  return head;
}

@inline export function popCommit(q: i32): void {
  qSet(q, Q_DEV_LAST_AVAIL, (qGet(q, Q_DEV_LAST_AVAIL) + 1) & 0xFFFF);
}

/** §2.7.10: with EVENT_IDX, ask to be notified when the driver passes our position. */
export function publishAvailEvent(q: i32): bool {
  if (!qEventIdx(q) || qFailed(q)) return true;
  const p = dmaPtr(qDevCtx(q), availEventAt(qUsedGpa(q), qSize(q)), true);
  if (p == 0) { dmaFail(q, -1); return false; }
  store<u16>(p, <u16>qGet(q, Q_DEV_LAST_AVAIL));
  return true;
}

/** §2.7.8: write one used element {id, len}; the idx is published by publishUsed(). */
@inline export function pushElem(q: i32, head: i32, len: i32): i32 {
  assert(head >= 0 && head < qSize(q), 'devPush: head outside the queue');
  const idx = qGet(q, Q_DEV_USED);
  const at = usedSlotAt(qUsedGpa(q), qSize(q), idx);
  const ctx = qDevCtx(q);
  // The element is 4-byte aligned: id and len are each within one page, and both are in the
  // same page unless the element starts in the last 4 bytes of one.
  const pId = dmaPtr(ctx, at, true);
  if (pId == 0) return dmaFail(q, head);
  const pLen = (at & 0xFFF) <= 0xFF8 ? pId + 4 : dmaPtr(ctx, at + 4, true);
  if (pLen == 0) return dmaFail(q, head);
  store<u32>(pId, usedIdFor(q, head));
  store<u32>(pLen, <u32>len);
  qSet(q, Q_DEV_USED, (idx + 1) & 0xFFFF);
  traceQueueRowInline(Kind.VQ_USED, q, head, len, now() - availTimeGet(q, head));
  return 0;
}

/**
 * The id the device writes into a used element: the head, unless a seeded desc_corrupt fault
 * (issue 9 §5) makes it return head + size, an id the driver never made available. The driver
 * refuses it (§2.7.8.3: desc_index_out_of_range) and the chain behind the head stays lost to it.
 * Inlined: without seeded faults it is one load and a branch per chain.
 */
@inline function usedIdFor(q: i32, head: i32): u32 {
  if (faultCount() == 0) return <u32>head;
  return usedIdSeeded(q, head);
}

function usedIdSeeded(q: i32, head: i32): u32 {
  if (faultHit(FaultType.DESC_CORRUPT, qDev(q), qVm(q)) < 0) return <u32>head;
  traceQueueRow(Kind.FAULT_INJECTED, q, FaultType.DESC_CORRUPT, head, FaultEdge.HIT);
  return <u32>(head + qSize(q));
}

/** §2.7.8.2: publish used idx after the elements it covers. */
export function publishUsed(q: i32): i32 {
  const p = dmaPtr(qDevCtx(q), usedIdxAt(qUsedGpa(q)), true);
  if (p == 0) return dmaFail(q, -1);
  store<u16>(p, <u16>qGet(q, Q_DEV_USED));
  return 0;
}

export function devPop(q: i32): i32 {
  const head = popWalk(q);
  if (head >= 0) popCommit(q);
  if (head >= 0 || head == POP_EMPTY) publishAvailEvent(q);
  return head;
}

export function devPush(q: i32, head: i32, len: i32): i32 {
  if (qFailed(q)) return refuseFailed(q);
  const code = pushElem(q, head, len);
  if (code != 0) return code;
  return publishUsed(q);
}

/**
 * §2.7.7: used-buffer notification. With EVENT_IDX interrupt iff used_event lies in
 * [signalled, used); otherwise unless the driver set AVAIL_F_NO_INTERRUPT. Returns whether an
 * interrupt was raised (it then waits in the IRQ list).
 */
export function devNotify(q: i32): bool {
  if (qFailed(q)) { refuseFailed(q); return false; }
  const old = qGet(q, Q_DEV_SIGNALLED);
  const newIdx = qGet(q, Q_DEV_USED);
  if (old == newIdx) return false;
  qSet(q, Q_DEV_SIGNALLED, newIdx);
  let need = false;
  if (qEventIdx(q)) {
    const p = dmaPtr(qDevCtx(q), usedEventAt(qAvailGpa(q), qSize(q)), false);
    if (p == 0) { dmaFail(q, -1); return false; }
    need = vringNeedEvent(<i32>load<u16>(p), newIdx, old);
  } else {
    const p = dmaPtr(qDevCtx(q), qAvailGpa(q), false);
    if (p == 0) { dmaFail(q, -1); return false; }
    need = (load<u16>(p) & AVAIL_F_NO_INTERRUPT) == 0;
  }
  const kind = need ? Kind.VQ_INTERRUPT : Kind.VQ_INTERRUPT_SUPPRESSED;
  traceQueueRow(kind, q, newIdx, 0, 0);
  if (need) irqRaise(qVm(q), qDev(q), q);
  return need;
}

/** Copy the readable segments of the last walk to dst (contiguous); returns bytes copied. */
export function gatherReadable(dst: usize): i32 {
  let done = 0;
  const n = segCount();
  for (let i = 0; i < n; i++) {
    if (segWritable(i)) continue;
    memory.copy(dst + <usize>done, segHost(i), segLen(i));
    done += segLen(i);
  }
  return done;
}

/** Scatter src[0, len) (plus an optional header first) into the writable segments. */
export function scatterWritable(hdr: usize, hdrLen: i32, src: usize, len: i32): void {
  assert(hdrLen + len <= stGet(ST_SEG_WRITE), 'scatter: more bytes than the writable buffers');
  let seg = 0;
  let off = 0;
  let done = 0;
  const total = hdrLen + len;
  const n = segCount();
  while (done < total) {
    while (seg < n && (!segWritable(seg) || off == segLen(seg))) { seg++; off = 0; }
    assert(seg < n, 'scatter: ran out of segments');
    const fromHdr = done < hdrLen;
    const srcAt = fromHdr ? hdr + <usize>done : src + <usize>(done - hdrLen);
    const left = fromHdr ? hdrLen - done : total - done;
    const piece = min(left, segLen(seg) - off);
    memory.copy(segHost(seg) + <usize>off, srcAt, piece);
    off += piece;
    done += piece;
  }
}

/** Pop, gather readable bytes into scratch as {u32 head, u32 len, bytes, pad to 4}, push used(0). */
export function devDrain(q: i32, max: i32): i32 {
  let count = 0;
  let out: i32 = 0;
  let stop = STOP_DONE;
  const availIdx = availIdxRead(q);
  if (availIdx < 0) { stSet(ST_STOP, STOP_FAULT); stSet(ST_OUT_LEN, 0); return 0; }
  while (count < max) {
    if (!traceRoom()) { stop = STOP_TRACE; break; }
    const head = popWalkAt(q, availIdx);
    if (head == POP_EMPTY) break;
    if (head < 0) { stop = STOP_FAULT; break; }
    const bytes = stGet(ST_SEG_READ);
    if (8 + bytes > scratchBytes) {
      failQueue(q, Fault.CHAIN_TOO_LONG, head, <i64>bytes);
      stop = STOP_FAULT;
      break;
    }
    if (out + 8 + bytes > scratchBytes) { stop = STOP_SCRATCH; break; }
    popCommit(q);
    const rec = scratchBase + <usize>out;
    store<u32>(rec, <u32>head);
    store<u32>(rec, <u32>bytes, 4);
    gatherReadable(rec + 8);
    out += (8 + bytes + 3) & ~3;
    count++;
    if (pushElem(q, head, 0) != 0) { stop = STOP_FAULT; break; }
  }
  finishBatch(q, count);
  stSet(ST_STOP, stop);
  stSet(ST_OUT_LEN, out);
  return count;
}

function finishBatch(q: i32, count: i32): void {
  if (qFailed(q)) return;
  if (count > 0) publishUsed(q);
  publishAvailEvent(q);
}

/**
 * Pop one chain and scatter `hdrLen` header bytes then `len` data bytes into its writable
 * buffers; push used(hdrLen + len). Returns head, POP_EMPTY (no buffer: rx_drop recorded) or
 * -(fault).
 * A buffer too small is returned with used(0) and a buffer_too_small fault (queue stays usable).
 */
export function fillFrom(q: i32, hdr: usize, hdrLen: i32, src: usize, len: i32): i32 {
  const head = popWalk(q);
  const total = hdrLen + len;
  if (head == POP_EMPTY) {
    publishAvailEvent(q);
    traceQueueRow(Kind.RX_DROP, q, 0, total, 0);
    return POP_EMPTY;
  }
  if (head < 0) return head;
  popCommit(q);
  publishAvailEvent(q);
  let written = total;
  if (stGet(ST_SEG_WRITE) < total) {
    traceQueueRow(Kind.FAULT, q, Fault.BUFFER_TOO_SMALL, total, stGet(ST_SEG_WRITE));
    written = 0;
  } else {
    scatterWritable(hdr, hdrLen, src, len);
  }
  if (pushElem(q, head, written) != 0) return -qGet(q, Q_FAIL_CODE);
  if (publishUsed(q) != 0) return -qGet(q, Q_FAIL_CODE);
  return written == 0 ? -Fault.BUFFER_TOO_SMALL : head;
}

export function devFill(q: i32, len: i32): i32 {
  assert(len >= 0 && len <= scratchBytes, 'devFill: data larger than scratch');
  return fillFrom(q, 0, 0, scratchBase, len);
}

/** Complete every available chain with used(min(writtenLen, writable bytes)); returns count. */
export function devCompleteAll(q: i32, writtenLen: i32): i32 {
  let count = 0;
  let stop = STOP_DONE;
  const availIdx = availIdxRead(q);
  if (availIdx < 0) { stSet(ST_STOP, STOP_FAULT); return 0; }
  while (true) {
    if (!traceRoom()) { stop = STOP_TRACE; break; }
    const head = popWalkAt(q, availIdx);
    if (head == POP_EMPTY) break;
    if (head < 0) { stop = STOP_FAULT; break; }
    popCommit(q);
    count++;
    if (pushElem(q, head, min(writtenLen, stGet(ST_SEG_WRITE))) != 0) { stop = STOP_FAULT; break; }
  }
  finishBatch(q, count);
  stSet(ST_STOP, stop);
  return count;
}

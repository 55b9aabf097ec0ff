// virtio-net back-end served by the core (VIRTIO 1.2 §5.1). A TX kick schedules device service;
// the service drains the TX queue: each chain's readable bytes are a 12-byte virtio_net_hdr
// (§5.1.6, VIRTIO_NET_F_MRG_RXBUF layout with num_buffers) followed by an Ethernet frame. The
// header is stripped, the frame goes over the device's link to the switch. A TX chain is
// returned (used len 0) when its frame has left the device. On receive, the RX queue gets a
// 12-byte header with num_buffers = 1 followed by the frame, then an interrupt.
//  DEV (64 B): +0 i32 iommu live | +4 i32 vm | +8 i32 backend kind | +12 i32 txq | +16 i32 rxq
//              +20 i32 port | +24 i32 link | +28 i32 canNode | +32 i32 flags | +36 i32 inFlight
import { Fault } from '../faults';
import { Kind } from '../trace/kinds';
import { traceRow, traceRoom } from '../trace/columns';
import { now } from '../clock';
import { deviceCount, frameBytesMax, stGet, ST_SEG_READ, LINK_FIFO_MAX } from '../layout';
import { devAt, devLive, devVm } from '../mmu/iommu';
import { traceQueueRow,
  qLive, qVm, qDev, qGet, qSet, qFailed, Q_GEN, Q_BACKEND, Q_BACKEND_ARG, BACKEND_NET_TX, BACKEND_NET_RX,
} from '../virtio/queue';
import {
  popWalk, popCommit, publishAvailEvent, pushElem, publishUsed, devNotify, gatherReadable, fillFrom,
  POP_EMPTY,
} from '../virtio/device';
import { timerAdd } from './timers';
import {
  frameAlloc, frameFree, frameData, frameGet, frameSet, framesReleaseTake, framesReleaseMark,
  frameSenderMayAlloc, frameTxStart,
  F_LEN, F_SRC_DEV, F_TXQ, F_HEAD, F_AUX,
} from './frames';
import { linkSend, linkLive, linkSetEnds, linkLatencyNs } from './link';
import { ptpOn, ptpDeviceRx } from './ptp'; // --- gPTP (issue 11)
import { busChargeDev } from './budget';

export const NET_HDR_LEN: i32 = 12; // struct virtio_net_hdr with num_buffers (§5.1.6)
const ETH_HDR_LEN: i32 = 14;
export const KIND_NET: i32 = 1;
export const KIND_CAN: i32 = 2;
export const T_NET_TX_SERVICE: i32 = 1;
export const T_NET_TX_START: i32 = 2;
export const T_NET_RX_DELIVER: i32 = 5;
const FL_SCHEDULED: i32 = 1;
const FL_WAITING: i32 = 2;

let waitingCount: i32 = 0;

@inline function devGet(dev: i32, field: usize): i32 {
  return load<i32>(devAt(dev) + field);
}
@inline function devSet(dev: i32, field: usize, v: i32): void {
  store<i32>(devAt(dev) + field, v);
}
export const D_KIND: usize = 8;
export const D_TXQ: usize = 12;
export const D_RXQ: usize = 16;
export const D_PORT: usize = 20;
export const D_LINK: usize = 24;
export const D_CAN_NODE: usize = 28;
const D_FLAGS: usize = 32;
const D_IN_FLIGHT: usize = 36;

export function netAttach(dev: i32, vm: i32, txq: i32, rxq: i32, port: i32, link: i32): void {
  assert(devLive(dev), 'netAttach: create the device IOMMU domain first');
  assert(devVm(dev) == vm, 'netAttach: vm differs from the device IOMMU domain vm');
  assert(devGet(dev, D_KIND) == 0, 'netAttach: device already has a back-end');
  assert(qLive(txq) && qLive(rxq) && qDev(txq) == dev && qDev(rxq) == dev, 'netAttach: bad queues');
  assert(linkLive(link), 'netAttach: unknown link');
  devSet(dev, D_KIND, KIND_NET);
  devSet(dev, D_TXQ, txq);
  devSet(dev, D_RXQ, rxq);
  devSet(dev, D_PORT, port);
  devSet(dev, D_LINK, link);
  qSet(txq, Q_BACKEND, BACKEND_NET_TX);
  qSet(txq, Q_BACKEND_ARG, dev);
  qSet(rxq, Q_BACKEND, BACKEND_NET_RX);
  qSet(rxq, Q_BACKEND_ARG, dev);
  linkSetEnds(link, port, dev);
}

/** A TX kick: schedule device service now (once). */
export function netKick(dev: i32): void {
  const flags = devGet(dev, D_FLAGS);
  if ((flags & FL_SCHEDULED) != 0) return;
  devSet(dev, D_FLAGS, flags | FL_SCHEDULED);
  timerAdd(now(), T_NET_TX_SERVICE, dev, 0, 0);
}

function setWaiting(dev: i32): void {
  const flags = devGet(dev, D_FLAGS);
  if ((flags & FL_WAITING) != 0) return;
  devSet(dev, D_FLAGS, flags | FL_WAITING);
  waitingCount++;
}

/**
 * Reschedule devices that stopped for a slot or a full link (bounded by deviceCount), only once
 * something was released: waking them otherwise re-runs their service at the same instant forever.
 */
export function netWakeWaiting(): void {
  if (waitingCount == 0 || !framesReleaseTake()) return;
  for (let dev = 0; dev < deviceCount && waitingCount > 0; dev++) {
    const flags = devGet(dev, D_FLAGS);
    if ((flags & FL_WAITING) == 0) continue;
    devSet(dev, D_FLAGS, flags & ~FL_WAITING);
    waitingCount--;
    netKick(dev);
  }
}

/** Complete a chain the device could not send (malformed): used(0) and a fault row. */
function txReject(dev: i32, txq: i32, head: i32, code: i32, bytes: i32): void {
  traceQueueRow(Kind.FAULT, txq, code, bytes, <i64>head);
  if (pushElem(txq, head, 0) == 0 && publishUsed(txq) == 0) devNotify(txq);
}

/** Pop one TX chain into a frame slot; false when the service should stop. */
function txOne(dev: i32, txq: i32): bool {
  if (devGet(dev, D_IN_FLIGHT) >= LINK_FIFO_MAX) { setWaiting(dev); return false; }
  if (!frameSenderMayAlloc()) { setWaiting(dev); return false; }
  const slot = frameAlloc();
  const head = popWalk(txq);
  if (head < 0) {
    frameFree(slot);
    if (head == POP_EMPTY) publishAvailEvent(txq);
    return false;
  }
  popCommit(txq);
  const bytes = stGet(ST_SEG_READ);
  if (bytes < NET_HDR_LEN + ETH_HDR_LEN || bytes - NET_HDR_LEN > frameBytesMax) {
    frameFree(slot);
    const code = bytes < NET_HDR_LEN + ETH_HDR_LEN ? Fault.BUFFER_TOO_SMALL : Fault.CHAIN_TOO_LONG;
    txReject(dev, txq, head, code, bytes);
    return true;
  }
  // The header lands in the slot's pad, the frame at its data start: the header is stripped.
  gatherReadable(frameData(slot) - NET_HDR_LEN);
  frameSet(slot, F_LEN, bytes - NET_HDR_LEN);
  frameSet(slot, F_SRC_DEV, dev);
  frameSet(slot, F_TXQ, txq);
  frameSet(slot, F_HEAD, head);
  frameSet(slot, F_AUX, qGet(txq, Q_GEN));
  devSet(dev, D_IN_FLIGHT, devGet(dev, D_IN_FLIGHT) + 1);
  const delay = busChargeDev(devVm(dev), dev, bytes);
  if (delay > 0) timerAdd(now() + delay, T_NET_TX_START, dev, slot, 0);
  else netTxStart(dev, slot);
  return true;
}

/** Device service: drain the TX queue. Returns false to be resumed (trace room ran out). */
export function netTxService(dev: i32): bool {
  const txq = devGet(dev, D_TXQ);
  devSet(dev, D_FLAGS, devGet(dev, D_FLAGS) & ~FL_SCHEDULED);
  while (true) {
    if (!traceRoom()) {
      devSet(dev, D_FLAGS, devGet(dev, D_FLAGS) | FL_SCHEDULED);
      return false;
    }
    if (!txOne(dev, txq)) break;
  }
  return true;
}

export function netTxStart(dev: i32, slot: i32): void {
  linkSend(devGet(dev, D_LINK), 0, slot);
}

/** The frame left the device: return its TX chain (used len 0) and interrupt. */
export function netTxDone(slot: i32): void {
  const dev = frameGet(slot, F_SRC_DEV);
  if (dev < 0) return;
  const txq = frameGet(slot, F_TXQ);
  devSet(dev, D_IN_FLIGHT, devGet(dev, D_IN_FLIGHT) - 1);
  framesReleaseMark();
  frameSet(slot, F_SRC_DEV, -1);
  if (qFailed(txq) || frameGet(slot, F_AUX) != qGet(txq, Q_GEN)) return;
  if (pushElem(txq, frameGet(slot, F_HEAD), 0) != 0) return;
  if (publishUsed(txq) != 0) return;
  devNotify(txq);
}

/** A frame reached the device end of its link: charge the DMA, deliver now or later. */
export function netRxArrive(dev: i32, slot: i32): void {
  if (dev < 0 || !devLive(dev) || devGet(dev, D_KIND) != KIND_NET) {
    traceRow(Kind.RX_DROP, -1, dev, -1, 0, frameGet(slot, F_LEN), 0);
    frameFree(slot);
    return;
  }
  // gPTP (issue 11): the frame's first bit reached the device a latency after it left the switch
  if (ptpOn()) ptpDeviceRx(dev, slot, frameTxStart(slot) + linkLatencyNs(devGet(dev, D_LINK), 1));
  const bytes = NET_HDR_LEN + frameGet(slot, F_LEN);
  const delay = busChargeDev(devVm(dev), dev, bytes);
  if (delay > 0) timerAdd(now() + delay, T_NET_RX_DELIVER, dev, slot, 0);
  else netRxDeliver(dev, slot);
}

/** Write header (num_buffers = 1) + frame into one RX chain, then interrupt. */
export function netRxDeliver(dev: i32, slot: i32): void {
  const rxq = devGet(dev, D_RXQ);
  const data = frameData(slot);
  const hdr = data - NET_HDR_LEN;
  memory.fill(hdr, 0, NET_HDR_LEN);
  store<u16>(hdr, 1, 10); // num_buffers (§5.1.6.4: 1 without VIRTIO_NET_F_MRG_RXBUF merging)
  const r = fillFrom(rxq, 0, 0, hdr, NET_HDR_LEN + frameGet(slot, F_LEN));
  frameFree(slot);
  if (r >= 0 || r == -Fault.BUFFER_TOO_SMALL) devNotify(rxq);
}

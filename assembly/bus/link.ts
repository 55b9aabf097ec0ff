// Point-to-point full-duplex links with latency and bandwidth. Direction 0 carries frames from
// the device end to the switch end, direction 1 the other way. A direction serialises one frame
// at a time: ceil(bytes * 8 * 1e9 / bps) ns; frames behind it wait in a FIFO (threaded through
// the frame slots). The far end has the frame when its last bit arrives (tx start +
// serialisation + latency), which is when a store-and-forward switch can act on it.
//  LINK (128 B): +0 i32 live | +4 i32 port | +8 i64 latencyNs | +16 i64 bps | +24 i32 dev
//    +96 i64 extra latency dir 0 | +104 i64 extra latency dir 1 (path asymmetry, issue 11)
//    per direction d at +32 + 32 d: +0 i32 current slot (-1 idle) | +4 i32 fifo head
//                                   +8 i32 fifo tail | +12 i32 fifo length
import { linkBase, linkCount, LINK_STRIDE, LINK_FIFO_MAX } from '../layout';
import { now } from '../clock';
import { traceRow } from '../trace/columns';
import { Kind } from '../trace/kinds';
import { timerAdd } from './timers';
import { frameGet, frameSet, frameSetTxStart, frameTxStart, F_LEN, F_NEXT } from './frames';
import { devVm } from '../mmu/iommu';
import { ptpOn, ptpDeviceTx, ptpEgress } from './ptp'; // --- gPTP (issue 11)
import { frameRingOn, frameRowEth } from '../trace/frames-ring'; // frames table (issue 12 §1)
import { frameData } from './frames';

export const T_LINK_TX_DONE: i32 = 3;
export const T_LINK_RX: i32 = 4;
const NS_PER_S: i64 = 1000000000;

let linksUsed: i32 = 0;

@inline function linkAt(link: i32): usize {
  return linkBase + <usize>link * LINK_STRIDE;
}
@inline function dirAt(link: i32, dir: i32): usize {
  return linkAt(link) + 32 + (<usize>dir << 5);
}
@inline export function linkLive(link: i32): bool {
  return link >= 0 && link < linksUsed;
}
@inline export function linkPort(link: i32): i32 {
  return load<i32>(linkAt(link), 4);
}
@inline export function linkDev(link: i32): i32 {
  return load<i32>(linkAt(link), 24);
}
export function linkSetEnds(link: i32, port: i32, dev: i32): void {
  store<i32>(linkAt(link), port, 4);
  store<i32>(linkAt(link), dev, 24);
}

export function linkCreate(latencyNs: i64, bps: i64): i32 {
  assert(linksUsed < linkCount, 'linkCreate: link table full (linkCount)');
  assert(latencyNs >= 0 && bps > 0, 'linkCreate: latency >= 0 and bps > 0');
  assert(bps <= <i64>1 << 40, 'linkCreate: bps beyond 2^40');
  const link = linksUsed++;
  const p = linkAt(link);
  store<i32>(p, 1);
  store<i32>(p, -1, 4);
  store<i64>(p, latencyNs, 8);
  store<i64>(p, bps, 16);
  store<i32>(p, -1, 24);
  store<i64>(p, 0, 96);
  store<i64>(p, 0, 104);
  for (let d = 0; d < 2; d++) {
    store<i32>(dirAt(link, d), -1);
    store<i32>(dirAt(link, d), -1, 4);
    store<i32>(dirAt(link, d), -1, 8);
    store<i32>(dirAt(link, d), 0, 12);
  }
  return link;
}

/** Serialisation time of `bytes` at `bps`, rounded up: ceil(bytes * 8 * 1e9 / bps). */
export function serialisationNs(bytes: i64, bps: i64): i64 {
  return (bytes * 8 * NS_PER_S + bps - 1) / bps;
}

export function linkCanAccept(link: i32, dir: i32): bool {
  return load<i32>(dirAt(link, dir), 12) < LINK_FIFO_MAX;
}

function rowVm(link: i32): i32 {
  const dev = linkDev(link);
  return dev >= 0 ? devVm(dev) : -1;
}

function linkStart(link: i32, dir: i32, slot: i32): void {
  const p = linkAt(link);
  store<i32>(dirAt(link, dir), slot);
  frameSetTxStart(slot, now());
  const bytes = frameGet(slot, F_LEN);
  const ser = serialisationNs(bytes, load<i64>(p, 16));
  traceRow(Kind.LINK_TX, rowVm(link), linkDev(link), -1, link, bytes, ser);
  // A NIC capture's moment: the first bit on the wire (the arrival follows serialisation + latency).
  if (frameRingOn()) {
    frameRowEth(link, linkPort(link), dir, rowVm(link), linkDev(link), now() + ser + load<i64>(p, 8), frameData(slot), bytes);
  }
  timerAdd(now() + ser, T_LINK_TX_DONE, link, dir, slot);
  timerAdd(now() + ser + linkLatencyNs(link, dir), T_LINK_RX, link, dir, slot);
  if (ptpOn()) linkPtp(link, dir, slot);
}

// --- gPTP (issue 11): path asymmetry and the timestamp point of a frame leaving

/** Latency of a direction: the link's latency plus that direction's share of its asymmetry. */
export function linkLatencyNs(link: i32, dir: i32): i64 {
  return load<i64>(linkAt(link), 8) + load<i64>(linkAt(link) + 96 + (<usize>dir << 3));
}

/**
 * Path asymmetry (IEEE 1588-2019 §16.8: delayAsymmetry): the switch-to-device direction takes
 * asymmetryNs longer than the device-to-switch one (negative: shorter), around the link latency.
 */
export function linkSetAsymmetry(link: i32, asymmetryNs: i64): void {
  assert(linkLive(link), 'linkSetAsymmetry: unknown link');
  store<i64>(linkAt(link), asymmetryNs < 0 ? -asymmetryNs : 0, 96);
  store<i64>(linkAt(link), asymmetryNs > 0 ? asymmetryNs : 0, 104);
}

function linkPtp(link: i32, dir: i32, slot: i32): void {
  if (dir == 0) ptpDeviceTx(linkDev(link), slot);
  else ptpEgress(linkPort(link), link, slot);
}

/** Send a frame: start now if the direction is idle, else queue it (caller checked room). */
export function linkSend(link: i32, dir: i32, slot: i32): void {
  assert(linkLive(link), 'link: unknown link');
  const d = dirAt(link, dir);
  if (load<i32>(d) < 0) {
    linkStart(link, dir, slot);
    return;
  }
  assert(linkCanAccept(link, dir), 'link: FIFO overflow');
  frameSet(slot, F_NEXT, -1);
  const tail = load<i32>(d, 8);
  if (tail < 0) store<i32>(d, slot, 4);
  else frameSet(tail, F_NEXT, slot);
  store<i32>(d, slot, 8);
  store<i32>(d, load<i32>(d, 12) + 1, 12);
}

/** The frame on the wire is serialised: free the direction and start the next one. */
export function linkTxDone(link: i32, dir: i32, slot: i32): void {
  const d = dirAt(link, dir);
  assert(load<i32>(d) == slot, 'link: tx done for a frame not on the wire');
  store<i32>(d, -1);
  const next = load<i32>(d, 4);
  if (next < 0) return;
  const after = frameGet(next, F_NEXT);
  store<i32>(d, after, 4);
  if (after < 0) store<i32>(d, -1, 8);
  store<i32>(d, load<i32>(d, 12) - 1, 12);
  linkStart(link, dir, next);
}

/** The frame's last bit reached the far end. */
export function linkRx(link: i32, slot: i32): void {
  const bytes = frameGet(slot, F_LEN);
  traceRow(Kind.LINK_RX, rowVm(link), linkDev(link), -1, link, bytes, now() - frameTxStart(slot));
}

// --- introspection (time travel, issue 9): read-only views of a link direction
export function linksCreated(): i32 {
  return linksUsed;
}

/**
 * Field f of link direction dir: 0 frame on the wire (slot, -1 idle), 1 frames queued behind
 * it, 2 bytes queued, 3 time the wire is free (tx start + serialisation of the frame on it;
 * -1 idle), 4 latency ns, 5 bits per second, 6 device end, 7 switch port.
 */
export function linkField(link: i32, dir: i32, f: i32): i64 {
  assert(linkLive(link) && (dir == 0 || dir == 1), 'linkField: unknown link or direction');
  const p = linkAt(link);
  const d = dirAt(link, dir);
  const current = load<i32>(d);
  switch (f) {
    case 0: return current;
    case 1: return load<i32>(d, 12);
    case 2: return fifoBytes(d);
    case 3: return current < 0 ? -1 : frameTxStart(current) + serialisationNs(frameGet(current, F_LEN), load<i64>(p, 16));
    case 4: return load<i64>(p, 8);
    case 5: return load<i64>(p, 16);
    case 6: return linkDev(link);
    case 7: return linkPort(link);
  }
  assert(false, 'linkField: field 0..7');
  return 0;
}

/** Bytes of the frames waiting in a direction's FIFO (walk bounded by LINK_FIFO_MAX). */
function fifoBytes(d: usize): i64 {
  let bytes: i64 = 0;
  let slot = load<i32>(d, 4);
  for (let n = 0; slot >= 0 && n < LINK_FIFO_MAX; n++) {
    bytes += frameGet(slot, F_LEN);
    slot = frameGet(slot, F_NEXT);
  }
  return bytes;
}

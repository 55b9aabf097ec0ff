// CAN buses with identifier-priority arbitration (ISO 11898-1) and the virtio-can back-end
// (VIRTIO 1.3 §5.21). Each node holds TX frames in mailboxes ordered by arbitration priority.
// When the bus is idle and a frame is ready, one arbitration round picks the lowest identifier;
// the frame occupies the bus for its duration, is delivered to every other node, the sender's
// request completes, and the next round starts. Losers keep their frames.
//
// virtio-can messages (little-endian):
//   TX request, device-readable:  struct virtio_can_tx_out { le16 msg_type = 0x0001 (VIRTIO_CAN_TX);
//                                 le16 reserved; le32 flags; le32 can_id; u8 sdu[0..8]; }
//   TX result, device-writable:   struct virtio_can_tx_in  { u8 result; }  0 = OK, 1 = NOT_OK
//   RX message, device-writable:  struct virtio_can_rx     { le16 msg_type = 0x0101 (VIRTIO_CAN_RX);
//                                 le16 reserved; le32 flags; le32 can_id; u8 sdu[dlc]; }
// can_id carries CAN_EFF_FLAG 0x80000000 for a 29-bit identifier (the SocketCAN convention).
//
//  BUS (128 B): +0 i32 live | +4 i32 busy | +8 i64 bps | +16 i32 gen | +20 i32 arbPending
//    +24 i64 arbAt | +32 i32 cursor | +36 i32 sender | +40 u32 canId | +44 i32 dlc | +48 u64 sdu
//    +56 u32 resultHost | +60 i32 head | +64 i32 txq generation | +68 i32 CanTSyn can_id + 1 (0 off)
//  NODE (64 B): +0 i32 live | +4 i32 bus | +8 i32 dev | +12 i32 vm | +16 i32 txq | +20 i32 rxq
//    +24 i32 mailboxCount | +28 i32 flags | +32 i64 rxCount | +40 i64 txCount
//  MAILBOX (48 B, sorted by key): +0 u64 key | +8 u32 canId | +12 i32 dlc | +16 u64 sdu
//    +24 u32 resultHost (0 = none) | +28 i32 head (-1 = external) | +32 i64 readyAt
//    +40 i32 txq generation (a reset in between drops the completion)
import { Fault, FaultEdge, FaultType } from '../faults';
import { faultCount, faultHit, faultHolds } from '../inject';
import { Kind } from '../trace/kinds';
import { traceRow, traceRoom } from '../trace/columns';
import { now } from '../clock';
import {
  canBusBase, canNodeBase, canNodeCount, CANBUS_STRIDE, CANNODE_STRIDE, CANNODE_HDR, MAILBOX_ENTRY,
  CAN_MAILBOX_MAX, stateAt, ST_CAN_STAGE, stGet, ST_SEG_READ, ST_SEG_WRITE,
} from '../layout';
import { devAt, devLive, devVm } from '../mmu/iommu';
import { markDirty } from '../mmu/hostram';
import { traceQueueRow,
  qLive, qDev, qGet, qSet, qFailed, Q_GEN, Q_BACKEND, Q_BACKEND_ARG, BACKEND_CAN_TX, BACKEND_CAN_RX,
} from '../virtio/queue';
import {
  popWalk, popCommit, publishAvailEvent, pushElem, publishUsed, devNotify, gatherReadable, fillFrom,
  POP_EMPTY,
} from '../virtio/device';
import { segCount, segHost, segWritable } from '../virtio/walk';
import { timerAdd } from './timers';
import { frameAlloc, frameFree, frameData, frameGet, frameSet, F_LEN } from './frames';
import { busChargeDev } from './budget';
import { KIND_CAN, D_KIND, D_CAN_NODE } from './net';
import { frameRingOn, frameRowCan } from '../trace/frames-ring'; // frames table (issue 12 §1)
import { stampPutKey } from './ptp'; // CanTSyn timestamps (issue 11 §2)

export const T_CAN_TX_SERVICE: i32 = 6;
export const T_CAN_ARB: i32 = 7;
export const T_CAN_TX_DONE: i32 = 8;
export const T_CAN_RX_DELIVER: i32 = 9;
export const T_CAN_ERROR_DONE: i32 = 10;
/** Error flag (6) + error delimiter (8) + intermission (3) bits: ISO 11898-1 §10.4.4, §10.4.6. */
const CAN_ERROR_FRAME_BITS: i64 = 17;
export const CAN_EFF_FLAG: u32 = 0x80000000;
const CAN_MSG_TX: u16 = 0x0001;
const CAN_MSG_RX: u16 = 0x0101;
const CAN_HDR_LEN: i32 = 12;
const CAN_DLC_MAX: i32 = 8;
const NS_PER_S: i64 = 1000000000;
const FL_SCHEDULED: i32 = 1;
const FL_BLOCKED: i32 = 2;

let busesUsed: i32 = 0;
let nodesUsed: i32 = 0;

@inline function busAt(bus: i32): usize {
  return canBusBase + <usize>bus * CANBUS_STRIDE;
}
@inline function nodeAt(node: i32): usize {
  return canNodeBase + <usize>node * CANNODE_STRIDE;
}
@inline function mbAt(node: i32, i: i32): usize {
  return nodeAt(node) + CANNODE_HDR + <usize>i * MAILBOX_ENTRY;
}
@inline function nodeGet(node: i32, field: usize): i32 {
  return load<i32>(nodeAt(node) + field);
}
@inline function nodeSet(node: i32, field: usize, v: i32): void {
  store<i32>(nodeAt(node) + field, v);
}
const N_BUS: usize = 4;
const N_DEV: usize = 8;
const N_VM: usize = 12;
const N_TXQ: usize = 16;
const N_RXQ: usize = 20;
const N_MB_COUNT: usize = 24;
const N_FLAGS: usize = 28;

export function canBusCreate(bps: i64): i32 {
  assert(busesUsed < canNodeCount, 'canBusCreate: more buses than canNodeCount');
  assert(bps > 0 && bps <= 100000000, 'canBusCreate: bit rate must be 1..1e8');
  const bus = busesUsed++;
  store<i32>(busAt(bus), 1);
  store<i64>(busAt(bus), bps, 8);
  return bus;
}

// --- CanTSyn (issue 11 §2): frames with the bus's time-sync id are timestamped for the drivers of
// the nodes that send or receive them (in the devices' PTP stamp rings, read with ptpStamp):
// TX at the first bit (the arbitration win: the frame is on the bus), RX at the end of the frame
// (when the controller signals reception). AUTOSAR compensates neither bus latency nor this
// difference (SWS TimeSyncOverCAN, two-step scheme: the slave adds only its own t2 -> t3 time), so the
// slave's error shows the frame's time on the bus. Off (0) on every bus unless a scenario syncs.
const B_TSYN: usize = 68;
const TSYN_STAMP_TYPE: i32 = 0x100;

export function canTsynId(bus: i32, canId: u32): void {
  assert(bus >= 0 && bus < busesUsed, 'canTsynId: unknown bus');
  assert(canIdValid(canId), 'canTsynId: not a valid 11/29-bit id');
  store<i32>(busAt(bus), <i32>canId + 1, B_TSYN);
}

/** The frame on bus `b` is a CanTSyn frame: stamp it for node's device (dir 0 tx, 1 rx). */
function tsynStamp(b: usize, node: i32, dir: i32): void {
  const id = load<i32>(b, B_TSYN);
  if (id == 0 || <u32>(id - 1) != load<u32>(b, 40)) return;
  const sdu = load<u64>(b, 48); // byte 0 (the SWS type) is the low byte
  stampPutKey(nodeGet(node, N_DEV), dir, TSYN_STAMP_TYPE | <i32>(sdu & 0xFF), <i32>((sdu >> 16) & 0xFF), now());
}

export function canAttach(dev: i32, vm: i32, bus: i32, txq: i32, rxq: i32): i32 {
  assert(nodesUsed < canNodeCount, 'canAttach: node table full (canNodeCount)');
  assert(bus >= 0 && bus < busesUsed, 'canAttach: unknown bus');
  const node = nodesUsed++;
  nodeSet(node, 0, 1);
  nodeSet(node, N_BUS, bus);
  nodeSet(node, N_DEV, dev);
  nodeSet(node, N_VM, vm);
  nodeSet(node, N_TXQ, txq);
  nodeSet(node, N_RXQ, rxq);
  if (dev < 0) return node;
  assert(devLive(dev) && devVm(dev) == vm, 'canAttach: create the device IOMMU domain first');
  assert(load<i32>(devAt(dev), D_KIND) == 0, 'canAttach: device already has a back-end');
  assert(qLive(txq) && qLive(rxq) && qDev(txq) == dev && qDev(rxq) == dev, 'canAttach: bad queues');
  store<i32>(devAt(dev), KIND_CAN, D_KIND);
  store<i32>(devAt(dev), node, D_CAN_NODE);
  qSet(txq, Q_BACKEND, BACKEND_CAN_TX);
  qSet(txq, Q_BACKEND_ARG, node);
  qSet(rxq, Q_BACKEND, BACKEND_CAN_RX);
  qSet(rxq, Q_BACKEND_ARG, node);
  return node;
}

export function canRxCount(node: i32): i64 {
  assert(node >= 0 && node < nodesUsed, 'canRxCount: unknown node');
  return load<i64>(nodeAt(node), 32);
}

/**
 * Arbitration key: the bits a node sends from SOF through RTR, dominant (0) wins, so the lowest
 * key wins. Standard: ID[10:0] RTR IDE. Extended: ID[28:18] SRR IDE ID[17:0] RTR, with SRR and
 * IDE recessive: a standard frame beats an extended one with the same base identifier.
 */
export function canKey(canId: u32): u64 {
  if ((canId & CAN_EFF_FLAG) == 0) return (<u64>(canId & 0x7FF) << 2) << 19;
  const id = canId & 0x1FFFFFFF;
  return (((<u64>(id >> 18) << 2) | 3) << 19) | (<u64>(id & 0x3FFFF) << 1);
}

/** Frame duration: 47 + 8 dlc bits (standard data frame), 67 + 8 dlc (extended), no stuffing. */
export function canFrameNs(canId: u32, dlc: i32, bps: i64): i64 {
  const bits: i64 = ((canId & CAN_EFF_FLAG) != 0 ? 67 : 47) + 8 * <i64>dlc;
  return (bits * NS_PER_S + bps - 1) / bps;
}

function canIdValid(canId: u32): bool {
  if ((canId & CAN_EFF_FLAG) != 0) return (canId & 0x60000000) == 0;
  return canId <= 0x7FF;
}

function mailboxInsert(
  node: i32, canId: u32, dlc: i32, sdu: u64, resultHost: u32, head: i32, readyAt: i64, gen: i32,
): void {
  const n = nodeGet(node, N_MB_COUNT);
  assert(n < CAN_MAILBOX_MAX, 'can: mailbox overflow');
  const key = canKey(canId);
  let i = n;
  while (i > 0 && load<u64>(mbAt(node, i - 1)) > key) {
    memory.copy(mbAt(node, i), mbAt(node, i - 1), MAILBOX_ENTRY);
    i--;
  }
  const p = mbAt(node, i);
  store<u64>(p, key);
  store<u32>(p, canId, 8);
  store<i32>(p, dlc, 12);
  store<u64>(p, sdu, 16);
  store<u32>(p, resultHost, 24);
  store<i32>(p, head, 28);
  store<i64>(p, readyAt, 32);
  store<i32>(p, gen, 40);
  nodeSet(node, N_MB_COUNT, n + 1);
}

function mailboxRemove(node: i32, i: i32): void {
  const n = nodeGet(node, N_MB_COUNT);
  for (let j = i; j + 1 < n; j++) memory.copy(mbAt(node, j), mbAt(node, j + 1), MAILBOX_ENTRY);
  nodeSet(node, N_MB_COUNT, n - 1);
}

/** A node bus-off by a seeded fault (issue 9 §5) sends nothing and takes no new requests. */
@inline function busOff(node: i32): bool {
  return faultCount() > 0 && faultHolds(FaultType.CAN_BUS_OFF, node);
}

/** Index of the node's highest-priority ready frame, or -1. */
function mailboxReady(node: i32): i32 {
  if (busOff(node)) return -1;
  const n = nodeGet(node, N_MB_COUNT);
  for (let i = 0; i < n; i++) {
    if (load<i64>(mbAt(node, i), 32) <= now()) return i;
  }
  return -1;
}

/** If the bus is idle and a frame is (or will be) ready, schedule an arbitration round. */
export function canWake(bus: i32): void {
  const b = busAt(bus);
  if (load<i32>(b, 4) != 0) return;
  let earliest: i64 = -1;
  for (let node = 0; node < nodesUsed; node++) {
    if (nodeGet(node, N_BUS) != bus || busOff(node)) continue;
    const n = nodeGet(node, N_MB_COUNT);
    for (let i = 0; i < n; i++) {
      const t = load<i64>(mbAt(node, i), 32);
      if (earliest < 0 || t < earliest) earliest = t;
    }
  }
  if (earliest < 0) return;
  const t = max(now(), earliest);
  if (load<i32>(b, 20) != 0 && load<i64>(b, 24) <= t) return;
  const gen = load<i32>(b, 16) + 1;
  store<i32>(b, gen, 16);
  store<i32>(b, 1, 20);
  store<i64>(b, t, 24);
  timerAdd(t, T_CAN_ARB, bus, gen, 0);
}

/** One arbitration round (a stale round, superseded by an earlier one, does nothing). */
export function canArbitrate(bus: i32, gen: i32): void {
  const b = busAt(bus);
  if (load<i32>(b, 16) != gen) return;
  store<i32>(b, 0, 20);
  if (load<i32>(b, 4) != 0) return;
  let winner = -1;
  let winnerIdx = -1;
  let winnerKey: u64 = 0;
  let contenders = 0;
  for (let node = 0; node < nodesUsed; node++) {
    if (nodeGet(node, N_BUS) != bus) continue;
    const i = mailboxReady(node);
    if (i < 0) continue;
    contenders++;
    const key = load<u64>(mbAt(node, i));
    if (winner < 0 || key < winnerKey) { winner = node; winnerIdx = i; winnerKey = key; }
  }
  if (winner < 0) { canWake(bus); return; }
  canStart(bus, winner, winnerIdx, contenders);
}

function canStart(bus: i32, node: i32, i: i32, contenders: i32): void {
  const b = busAt(bus);
  const p = mbAt(node, i);
  const canId = load<u32>(p, 8);
  const dlc = load<i32>(p, 12);
  const vm = nodeGet(node, N_VM);
  const dev = nodeGet(node, N_DEV);
  const ns = canFrameNs(canId, dlc, load<i64>(b, 8));
  // The `queue` column of CAN rows carries the bus index (src/core/codes.ts): two buses' frames
  // would otherwise be indistinguishable, and a CAN row has no virtqueue of its own.
  traceRow(Kind.CAN_ARBITRATION, vm, dev, bus, <i64>canId, contenders, 0);
  store<i32>(b, 1, 4);
  if (faultCount() > 0 && faultHit(FaultType.CAN_ERROR, bus, -1) >= 0) {
    canErrorFrame(bus, node, dlc, ns); // the frame stays in its mailbox
    return;
  }
  store<i32>(b, 0, 32);
  store<i32>(b, node, 36);
  store<u32>(b, canId, 40);
  store<i32>(b, dlc, 44);
  store<u64>(b, load<u64>(p, 16), 48);
  store<u32>(b, load<u32>(p, 24), 56);
  store<i32>(b, load<i32>(p, 28), 60);
  store<i32>(b, load<i32>(p, 40), 64);
  mailboxRemove(node, i);
  tsynStamp(b, node, 0);
  traceRow(Kind.CAN_TX, vm, dev, bus, <i64>canId, dlc, ns);
  if (frameRingOn()) frameRowCan(bus, vm, dev, now() + ns, canId, b + 48, dlc); // the sdu, LE bytes
  timerAdd(now() + ns, T_CAN_TX_DONE, bus, 0, 0);
  const flags = nodeGet(node, N_FLAGS);
  if ((flags & FL_BLOCKED) != 0) {
    nodeSet(node, N_FLAGS, flags & ~FL_BLOCKED);
    canKickNode(node);
  }
}

/**
 * can_error: a receiver signals an error frame at the end of the frame (a CRC error, ISO 11898-1
 * §10.11): nobody takes the frame, the bus is busy for the frame plus the error frame, and the
 * frame stays in the sender's mailbox, so the sender retransmits it in the next arbitration.
 */
function canErrorFrame(bus: i32, node: i32, dlc: i32, frameNs: i64): void {
  const bps = load<i64>(busAt(bus), 8);
  const busyNs = frameNs + (CAN_ERROR_FRAME_BITS * NS_PER_S + bps - 1) / bps;
  traceRow(Kind.FAULT_INJECTED, nodeGet(node, N_VM), nodeGet(node, N_DEV), bus, FaultType.CAN_ERROR, dlc, FaultEdge.HIT);
  timerAdd(now() + busyNs, T_CAN_ERROR_DONE, bus, 0, 0);
}

/** The error frame is over: the bus is idle again. */
export function canErrorDone(bus: i32): void {
  store<i32>(busAt(bus), 0, 4);
  canWake(bus);
}

/** A bus-off window of `node` ended (or began): let its bus arbitrate what is ready. */
export function canBusOffEdge(node: i32): void {
  assert(node >= 0 && node < nodesUsed, 'canBusOffEdge: unknown node');
  canWake(nodeGet(node, N_BUS));
}

/** A transmit request that a bus-off node refuses: one fault_injected row. */
function refuseBusOff(node: i32, dlc: i32): void {
  traceRow(Kind.FAULT_INJECTED, nodeGet(node, N_VM), nodeGet(node, N_DEV), nodeGet(node, N_BUS),
    FaultType.CAN_BUS_OFF, dlc, FaultEdge.REFUSED);
}

/** The frame has been on the bus for its duration: deliver to every other node, then complete. */
export function canTxDone(bus: i32): bool {
  const b = busAt(bus);
  const sender = load<i32>(b, 36);
  let cursor = load<i32>(b, 32);
  while (cursor < nodesUsed) {
    if (cursor != sender && nodeGet(cursor, N_BUS) == bus) {
      if (!traceRoom()) { store<i32>(b, cursor, 32); return false; }
      canDeliver(cursor, b);
    }
    cursor++;
  }
  store<i32>(b, cursor, 32);
  if (!traceRoom()) return false;
  canComplete(sender, b);
  store<i32>(b, 0, 4);
  canWake(bus);
  return true;
}

function canComplete(node: i32, b: usize): void {
  store<i64>(nodeAt(node), load<i64>(nodeAt(node), 40) + 1, 40);
  const head = load<i32>(b, 60);
  const txq = nodeGet(node, N_TXQ);
  if (head < 0 || qFailed(txq) || load<i32>(b, 64) != qGet(txq, Q_GEN)) return;
  const result = <usize>load<u32>(b, 56); // kept since the request was popped, calls ago
  markDirty(result);
  store<u8>(result, 0); // virtio_can_tx_in.result = VIRTIO_CAN_RESULT_OK
  if (pushElem(txq, head, 1) != 0 || publishUsed(txq) != 0) return;
  devNotify(txq);
}

function canDeliver(node: i32, b: usize): void {
  const canId = load<u32>(b, 40);
  const dlc = load<i32>(b, 44);
  const vm = nodeGet(node, N_VM);
  const dev = nodeGet(node, N_DEV);
  traceRow(Kind.CAN_RX, vm, dev, nodeGet(node, N_BUS), <i64>canId, dlc, 0);
  store<i64>(nodeAt(node), load<i64>(nodeAt(node), 32) + 1, 32);
  if (dev < 0) { ecuTsynPut(node, b); return; } // --- CanTSyn ECU slaves (issue 11)
  tsynStamp(b, node, 1);
  const stage = stateAt() + ST_CAN_STAGE;
  memory.fill(stage, 0, CAN_HDR_LEN + CAN_DLC_MAX);
  store<u16>(stage, CAN_MSG_RX);
  store<u32>(stage, canId, 8);
  store<u64>(stage, load<u64>(b, 48), 12);
  const bytes = CAN_HDR_LEN + dlc;
  const delay = busChargeDev(vm, dev, bytes);
  if (delay == 0) { canRxWrite(node, stage, bytes); return; }
  const slot = frameAlloc();
  if (slot < 0) {
    traceQueueRow(Kind.RX_DROP, nodeGet(node, N_RXQ), <i64>canId, bytes, 0);
    return;
  }
  memory.copy(frameData(slot), stage, bytes);
  frameSet(slot, F_LEN, bytes);
  timerAdd(now() + delay, T_CAN_RX_DELIVER, node, slot, 0);
}

function canRxWrite(node: i32, src: usize, bytes: i32): void {
  const rxq = nodeGet(node, N_RXQ);
  const r = fillFrom(rxq, 0, 0, src, bytes);
  if (r >= 0 || r == -Fault.BUFFER_TOO_SMALL) devNotify(rxq);
}

export function canRxDeliver(node: i32, slot: i32): void {
  canRxWrite(node, frameData(slot), frameGet(slot, F_LEN));
  frameFree(slot);
}

/** A kick on a virtio-can TX queue: pull requests now (once). */
export function canKickNode(node: i32): void {
  const flags = nodeGet(node, N_FLAGS);
  if ((flags & FL_SCHEDULED) != 0) return;
  nodeSet(node, N_FLAGS, flags | FL_SCHEDULED);
  timerAdd(now(), T_CAN_TX_SERVICE, node, 0, 0);
}

/** Pull TX requests into the mailboxes; returns false to be resumed (trace room ran out). */
export function canTxService(node: i32): bool {
  const txq = nodeGet(node, N_TXQ);
  nodeSet(node, N_FLAGS, nodeGet(node, N_FLAGS) & ~FL_SCHEDULED);
  while (true) {
    if (!traceRoom()) { nodeSet(node, N_FLAGS, nodeGet(node, N_FLAGS) | FL_SCHEDULED); return false; }
    if (nodeGet(node, N_MB_COUNT) >= CAN_MAILBOX_MAX) {
      nodeSet(node, N_FLAGS, nodeGet(node, N_FLAGS) | FL_BLOCKED);
      return true;
    }
    const head = popWalk(txq);
    if (head == POP_EMPTY) { publishAvailEvent(txq); return true; }
    if (head < 0) return true;
    popCommit(txq);
    canTxChain(node, txq, head);
  }
  return true;
}

function firstWritableHost(): u32 {
  const n = segCount();
  for (let i = 0; i < n; i++) if (segWritable(i)) return <u32>segHost(i);
  return 0;
}

/** Parse one virtio_can_tx_out request into the node's mailbox, or refuse it. */
function canTxChain(node: i32, txq: i32, head: i32): void {
  const readable = stGet(ST_SEG_READ);
  const resultHost = stGet(ST_SEG_WRITE) >= 1 ? firstWritableHost() : 0;
  const stage = stateAt() + ST_CAN_STAGE;
  let ok = readable >= CAN_HDR_LEN && readable <= CAN_HDR_LEN + CAN_DLC_MAX && resultHost != 0;
  if (ok) {
    memory.fill(stage, 0, CAN_HDR_LEN + CAN_DLC_MAX);
    gatherReadable(stage);
    ok = load<u16>(stage) == CAN_MSG_TX && canIdValid(load<u32>(stage, 8));
  }
  const vm = nodeGet(node, N_VM);
  const dev = nodeGet(node, N_DEV);
  if (!ok) {
    traceQueueRow(Kind.FAULT, txq, Fault.BAD_CAN_FRAME, readable, <i64>head);
    if (resultHost != 0) store<u8>(<usize>resultHost, 1); // VIRTIO_CAN_RESULT_NOT_OK
    if (pushElem(txq, head, resultHost != 0 ? 1 : 0) == 0 && publishUsed(txq) == 0) devNotify(txq);
    return;
  }
  if (busOff(node)) {
    // VIRTIO 1.3 §5.21.6.2: a controller that cannot send answers VIRTIO_CAN_RESULT_NOT_OK.
    refuseBusOff(node, readable - CAN_HDR_LEN);
    store<u8>(<usize>resultHost, 1);
    if (pushElem(txq, head, 1) == 0 && publishUsed(txq) == 0) devNotify(txq);
    return;
  }
  const canId = load<u32>(stage, 8);
  const delay = busChargeDev(vm, dev, readable);
  const gen = qGet(txq, Q_GEN);
  mailboxInsert(node, canId, readable - CAN_HDR_LEN, load<u64>(stage, 12), resultHost, head, now() + delay, gen);
  canWake(nodeGet(node, N_BUS));
}

/** External ECU transmit request: 0, -1 malformed, -2 mailboxes full, -3 bus-off. sdu at src. */
export function canSend(node: i32, canId: u32, src: usize, dlc: i32): i32 {
  assert(node >= 0 && node < nodesUsed, 'canSend: unknown node');
  if (!canIdValid(canId) || dlc < 0 || dlc > CAN_DLC_MAX) return -1;
  if (busOff(node)) { refuseBusOff(node, dlc); return -3; }
  if (nodeGet(node, N_MB_COUNT) >= CAN_MAILBOX_MAX) return -2;
  let sdu: u64 = 0;
  for (let i = dlc - 1; i >= 0; i--) sdu = (sdu << 8) | <u64>load<u8>(src + <usize>i);
  mailboxInsert(node, canId, dlc, sdu, 0, -1, now(), 0);
  canWake(nodeGet(node, N_BUS));
  return 0;
}

export function canNodeOfDev(dev: i32): i32 {
  return load<i32>(devAt(dev), D_CAN_NODE);
}

// --- introspection (time travel, issue 9): read-only views of buses, nodes and mailboxes
export function canNodesCreated(): i32 {
  return nodesUsed;
}
export function canBusesCreated(): i32 {
  return busesUsed;
}

/** Field f of node: 0 bus, 1 dev (-1 external ECU), 2 vm, 3 mailboxes held, 4 frames received,
 *  5 frames sent, 6 flags (1 service scheduled, 2 blocked on a full mailbox set). */
export function canNodeField(node: i32, f: i32): i64 {
  assert(node >= 0 && node < nodesUsed, 'canNodeField: unknown node');
  switch (f) {
    case 0: return nodeGet(node, N_BUS);
    case 1: return nodeGet(node, N_DEV);
    case 2: return nodeGet(node, N_VM);
    case 3: return nodeGet(node, N_MB_COUNT);
    case 4: return load<i64>(nodeAt(node), 32);
    case 5: return load<i64>(nodeAt(node), 40);
    case 6: return nodeGet(node, N_FLAGS);
  }
  assert(false, 'canNodeField: field 0..6');
  return 0;
}

/** Field f of mailbox i (< mailboxes held, arbitration order): 0 can_id, 1 dlc, 2 ready at ns,
 *  3 head descriptor (-1 external). */
export function canMailboxField(node: i32, i: i32, f: i32): i64 {
  assert(node >= 0 && node < nodesUsed, 'canMailboxField: unknown node');
  assert(i >= 0 && i < nodeGet(node, N_MB_COUNT), 'canMailboxField: mailbox not held');
  const p = mbAt(node, i);
  switch (f) {
    case 0: return <i64>load<u32>(p, 8);
    case 1: return load<i32>(p, 12);
    case 2: return load<i64>(p, 32);
    case 3: return load<i32>(p, 28);
  }
  assert(false, 'canMailboxField: field 0..3');
  return 0;
}

/** Field f of bus: 0 busy (a frame on the bus), 1 sending node (when busy), 2 can_id on the
 *  bus, 3 bits per second. */
export function canBusField(bus: i32, f: i32): i64 {
  assert(bus >= 0 && bus < busesUsed, 'canBusField: unknown bus');
  const b = busAt(bus);
  switch (f) {
    case 0: return load<i32>(b, 4);
    case 1: return load<i32>(b, 36);
    case 2: return <i64>load<u32>(b, 40);
    case 3: return load<i64>(b, 8);
  }
  assert(false, 'canBusField: field 0..3');
  return 0;
}

// --- CanTSyn ECU slaves (issue 11): an external node marked a listener gets its bus's time-sync
// frames (the bus's CanTSyn id) in one small ring shared by all such nodes, with the time its
// end of frame reached it (t2, as a VM's controller stamps it); its ECU target drains its own
// entries (canTsynTake) in its main function. Static memory (memory.data), so a snapshot holds it.
//  ENTRY (24 B): +0 i32 node (-1: taken or empty) | +4 i32 dlc | +8 i64 rx ns | +16 u64 sdu (LE bytes)
const FL_TSYN_LISTEN: i32 = 4;
const TSYN_RX_RING: i32 = 32;
const TSYN_RX_ENTRY: usize = 24;
const tsynRx: usize = memory.data(<i32>TSYN_RX_RING * <i32>TSYN_RX_ENTRY, 8);
let tsynRxHead: i32 = 0; // entries written, mod TSYN_RX_RING * 2^k (the slot is head % ring)
let tsynRxLost: i32 = 0; // entries overwritten before their node took them
let tsynTakenNs: i64 = 0;
let tsynTakenSdu: u64 = 0;

@inline function tsynRxAt(i: i32): usize {
  return tsynRx + <usize>i * TSYN_RX_ENTRY;
}

/** External node `node` is a CanTSyn slave: keep its bus's time-sync frames for it. */
export function canTsynListen(node: i32): void {
  assert(node >= 0 && node < nodesUsed, 'canTsynListen: unknown node');
  assert(nodeGet(node, N_DEV) < 0, 'canTsynListen: a device node (its driver reads the rx queue)');
  if (tsynRxHead == 0) for (let i = 0; i < TSYN_RX_RING; i++) store<i32>(tsynRxAt(i), -1);
  nodeSet(node, N_FLAGS, nodeGet(node, N_FLAGS) | FL_TSYN_LISTEN);
}

function ecuTsynPut(node: i32, b: usize): void {
  if ((nodeGet(node, N_FLAGS) & FL_TSYN_LISTEN) == 0) return;
  const id = load<i32>(b, B_TSYN);
  if (id == 0 || <u32>(id - 1) != load<u32>(b, 40)) return;
  const p = tsynRxAt(tsynRxHead % TSYN_RX_RING);
  if (load<i32>(p) >= 0) tsynRxLost++;
  store<i32>(p, node);
  store<i32>(p, load<i32>(b, 44), 4);
  store<i64>(p, now(), 8);
  store<u64>(p, load<u64>(b, 48), 16);
  tsynRxHead = (tsynRxHead + 1) % (TSYN_RX_RING * 1024);
}

/** node's oldest waiting time-sync frame: its dlc (then canTsynTakenNs / Data), or -1 if none. */
export function canTsynTake(node: i32): i32 {
  for (let n = TSYN_RX_RING; n >= 1; n--) {
    const p = tsynRxAt((tsynRxHead - n + TSYN_RX_RING * 1024) % TSYN_RX_RING);
    if (load<i32>(p) != node) continue;
    store<i32>(p, -1);
    tsynTakenNs = load<i64>(p, 8);
    tsynTakenSdu = load<u64>(p, 16);
    return load<i32>(p, 4);
  }
  return -1;
}
export function canTsynTakenNs(): i64 { return tsynTakenNs; }
export function canTsynTakenData(): u64 { return tsynTakenSdu; }
export function canTsynLost(): i32 { return tsynRxLost; }

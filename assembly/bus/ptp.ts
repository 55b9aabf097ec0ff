// gPTP in the core (issue 11 §1): hardware timestamps of PTP event messages, and the switch as
// an IEEE 802.1AS time-aware bridge (or, in plain mode, as a switch that floods the PTP
// multicast). Off (mode 0) unless the scenario enables clock sync: every path below is then
// skipped, so a scenario without sync behaves exactly as before.
//
// A PTP frame (IEEE 802.1AS-2020 §11.4.2, Ethernet II, no VLAN tag):
//  dst 01:80:C2:00:00:0E | src | ethertype 0x88F7 | header 34 B | body
//  header: +0 u8 majorSdoId<<4 | messageType | +1 u8 minorVersion<<4 | versionPTP (2)
//          +2 be16 messageLength | +4 u8 domainNumber | +5 u8 minorSdoId | +6 be16 flags
//          +8 be64 correctionField (ns x 2^16) | +16 be32 messageTypeSpecific
//          +20 sourcePortIdentity (8 B clockIdentity, be16 portNumber) | +30 be16 sequenceId
//          +32 u8 controlField | +33 i8 logMessageInterval
//  Timestamp (§6.4.3.4): be48 seconds | be32 nanoseconds (10 B).
//
// Timestamps are true (virtual) time at the message timestamp point: the start of the frame
// (§8.4.3, the end of the SFD) as it leaves or reaches the link. TypeScript maps a device's
// timestamps through the VM's clock (its PHC) and quantises them to the timestamping granularity.
//
// Peer delay with a time-aware bridge: each port of the bridge answers Pdelay_Req itself
// (§11.2.19 responder state machine), with its own clock = true time (a perfect bridge clock),
// so every VM measures the delay of its own link to the bridge. The bridge's upstream link delay
// (the grandmaster's link) is taken exactly from the frame's transmit time instead of from a
// peer-delay exchange of its own: the bridge has no granularity and no drift, so that is what a
// bridge's measurement would converge to (its own pdelay initiator is not simulated).
//
//  PTP region (layout.ts), per device: 2 directions x PTP_STAMP_RING x 16 B {i32 key, i32 pad,
//           i64 ns}, then 2 x i32 next write index; after the devices, per switch port 16 B
//           {i32 ptp port, i32 last Sync sequenceId (-1 none), i64 its upstream delay + residence}
import { now } from '../clock';
import { traceRow } from '../trace/columns';
import { Kind } from '../trace/kinds';
import { ptpBase, deviceCount, portCount, PTP_DEV_STRIDE, PTP_PORT_STRIDE, PTP_STAMP_RING } from '../layout';
import { frameAlloc, frameFree, frameData, frameGet, frameSet, frameTxStart, frameAt, F_LEN } from './frames';

export const PTP_MODE_OFF: i32 = 0;
export const PTP_MODE_PLAIN: i32 = 1;
export const PTP_MODE_BRIDGE: i32 = 2;

const ETH_HDR: i32 = 14;
const PTP_HDR: i32 = 34;
const ETHERTYPE_PTP: u32 = 0x88F7;
export const PTP_MCAST: u64 = 0x0180C200000E; // §10.4.3: the link-local peer-to-peer address
// messageType values (IEEE 1588-2019 Table 36, used by 802.1AS §10.6.2.2.4)
const MSG_SYNC: i32 = 0x0;
const MSG_PDELAY_REQ: i32 = 0x2;
const MSG_PDELAY_RESP: i32 = 0x3;
const MSG_FOLLOW_UP: i32 = 0x8;
const MSG_PDELAY_RESP_FUP: i32 = 0xA;
const PDELAY_LEN: i32 = 54; // §11.4.5, §11.4.6: header + 10 B timestamp + 10 B port identity

// Tables in the PTP region of the memory map (layout.ts): sized by deviceCount and portCount.
@inline function stampsOf(dev: i32): usize {
  return ptpBase + <usize>dev * PTP_DEV_STRIDE;
}
@inline function stampAtOf(dev: i32, dir: i32): usize {
  return stampsOf(dev) + <usize>(2 * PTP_STAMP_RING * 16) + (<usize>dir << 2);
}
// The bridge's clockIdentity (EUI-64 from its MAC 02:00:00:00:00:fe, §8.5.2.2) and MAC.
const BRIDGE_MAC: u64 = 0x0200000000FE;
const BRIDGE_ID: u64 = 0x020000FFFE0000FE;
// In a bridge-made Pdelay_Resp slot (frame header +36): its Follow_Up is sent when it leaves.
const F_PTP_FLAGS: usize = 36;
const FL_BRIDGE_RESP: i32 = 1;
// A flooded copy's transmit time on its ingress link (frame header +40, i64).
const F_ORIGIN_TX: usize = 40;

let mode: i32 = PTP_MODE_OFF;

export function ptpSetMode(m: i32): void {
  assert(m >= PTP_MODE_OFF && m <= PTP_MODE_BRIDGE, 'ptpSetMode: mode 0..2');
  mode = m;
}
@inline export function ptpOn(): bool {
  return mode != PTP_MODE_OFF;
}

@inline function portPtp(port: i32): usize {
  assert(port >= 0 && port < portCount, 'ptp: switch port beyond switchPortCount');
  return ptpBase + <usize>deviceCount * PTP_DEV_STRIDE + <usize>port * PTP_PORT_STRIDE;
}
export function ptpSetPort(port: i32, on: i32): void {
  store<i32>(portPtp(port), on);
  store<i32>(portPtp(port), -1, 4);
}
export function ptpPortOn(port: i32): bool {
  return port >= 0 && port < portCount && load<i32>(portPtp(port)) != 0;
}

function be16(p: usize): i32 {
  return (<i32>load<u8>(p) << 8) | <i32>load<u8>(p, 1);
}
function putBe16(p: usize, v: i32): void {
  store<u8>(p, <u8>(v >> 8));
  store<u8>(p, <u8>v, 1);
}
function be64(p: usize): i64 {
  return <i64>bswap<u64>(load<u64>(p));
}
function putBe64(p: usize, v: i64): void {
  store<u64>(p, bswap<u64>(<u64>v));
}
/** A PTP Timestamp (§6.4.3.4) of ns >= 0: be48 seconds, be32 nanoseconds. */
function putTimestamp(p: usize, ns: i64): void {
  const s = ns / 1000000000;
  putBe16(p, <i32>(s >> 32));
  store<u32>(p + 2, bswap<u32>(<u32>s));
  store<u32>(p + 6, bswap<u32>(<u32>(ns % 1000000000)));
}

/** messageType of a well-formed PTP frame in slot, or -1 (not PTP, or too short to trust). */
export function ptpType(slot: i32): i32 {
  const len = frameGet(slot, F_LEN);
  if (len < ETH_HDR + PTP_HDR) return -1;
  const d = frameData(slot);
  if (<u32>be16(d + 12) != ETHERTYPE_PTP) return -1;
  const t = <i32>(load<u8>(d + ETH_HDR) & 0x0F);
  // §11.4.2: the header's messageLength must fit in the frame (a hostile guest's frame is not)
  if (be16(d + ETH_HDR + 2) > len - ETH_HDR) return -1;
  return t;
}
@inline function isEvent(t: i32): bool {
  return t >= 0 && t < 8; // §10.6.2.2.4: event messages have messageType 0x0..0x7
}
/** Is the frame addressed to the PTP multicast (a copy the switch flooded or made)? */
export function toPtpMulticast(slot: i32): bool {
  if (frameGet(slot, F_LEN) < ETH_HDR) return false;
  const d = frameData(slot);
  let mac: u64 = 0;
  for (let i: usize = 0; i < 6; i++) mac = (mac << 8) | <u64>load<u8>(d + i);
  return mac == PTP_MCAST;
}
@inline function seqId(slot: i32): i32 {
  return be16(frameData(slot) + ETH_HDR + 30);
}

// --- hardware timestamps of a device's event messages, read back by its driver (ptpStamp)

@inline function stampSlot(dev: i32, dir: i32, i: i32): usize {
  return stampsOf(dev) + ((<usize>(dir * PTP_STAMP_RING + i)) << 4);
}
function stampPut(dev: i32, dir: i32, slot: i32, ns: i64): void {
  if (dev < 0 || dev >= deviceCount) return;
  const t = ptpType(slot);
  if (!isEvent(t)) return;
  const at = stampAtOf(dev, dir);
  const i = load<i32>(at);
  const p = stampSlot(dev, dir, i);
  store<i32>(p, 1 + ((t << 16) | seqId(slot)));
  store<i64>(p, ns, 8);
  store<i32>(at, (i + 1) % PTP_STAMP_RING);
}

// --- CanTSyn (issue 11 §2): a CAN device's time-sync frames share its stamp ring, keyed by
// (0x100 | SWS type byte, byte 2) so they never meet a PTP key (types 0..15); see bus/can.ts.
export function stampPutKey(dev: i32, dir: i32, type: i32, seq: i32, ns: i64): void {
  if (dev < 0 || dev >= deviceCount) return;
  const at = stampAtOf(dev, dir);
  const i = load<i32>(at);
  const p = stampSlot(dev, dir, i);
  store<i32>(p, 1 + ((type << 16) | (seq & 0xFFFF)));
  store<i64>(p, ns, 8);
  store<i32>(at, (i + 1) % PTP_STAMP_RING);
}

/** The timestamp (true ns) of dev's event message (type, sequenceId) in dir (0 TX, 1 RX), or -1. */
export function ptpStamp(dev: i32, dir: i32, type: i32, seq: i32): i64 {
  assert(dir == 0 || dir == 1, 'ptpStamp: dir 0 (tx) or 1 (rx)');
  if (dev < 0 || dev >= deviceCount) return -1;
  const key = 1 + ((type << 16) | (seq & 0xFFFF));
  // Newest first: a sequenceId wraps after 65536 messages, long after its entry was overwritten.
  const at = load<i32>(stampAtOf(dev, dir));
  for (let n = 1; n <= PTP_STAMP_RING; n++) {
    const p = stampSlot(dev, dir, (at - n + PTP_STAMP_RING) % PTP_STAMP_RING);
    if (load<i32>(p) == key) return load<i64>(p, 8);
  }
  return -1;
}

/** A device's frame starts on its link (tx timestamp point). */
export function ptpDeviceTx(dev: i32, slot: i32): void {
  stampPut(dev, 0, slot, now());
}
/** A frame reaches a device; its first bit arrived at firstBitNs (rx timestamp point). */
export function ptpDeviceRx(dev: i32, slot: i32, firstBitNs: i64): void {
  stampPut(dev, 1, slot, firstBitNs);
}

// --- the switch

/** A flooded or bridge-made frame starts on a port's link (switch -> device). */
export function ptpEgress(port: i32, link: i32, slot: i32): void {
  if (mode != PTP_MODE_BRIDGE || !toPtpMulticast(slot)) return;
  const t = ptpType(slot);
  if (t == MSG_SYNC) {
    // §11.1.3 / §11.2.14: the Follow_Up that follows carries the Sync's upstream link delay plus
    // its residence time here, from the grandmaster's transmission to this egress. The rate
    // ratio to the grandmaster is not applied (a ppm of a few µs: far below a granularity step).
    store<i32>(portPtp(port), seqId(slot), 4);
    store<i64>(portPtp(port), now() - load<i64>(frameAt(slot) + F_ORIGIN_TX), 8);
  } else if (t == MSG_FOLLOW_UP && load<i32>(portPtp(port), 4) == seqId(slot)) {
    const c = frameData(slot) + ETH_HDR + 8;
    putBe64(c, be64(c) + (load<i64>(portPtp(port), 8) << 16));
    store<i32>(portPtp(port), -1, 4);
  } else if (t == MSG_PDELAY_RESP && frameGet(slot, F_PTP_FLAGS) == FL_BRIDGE_RESP) {
    frameSet(slot, F_PTP_FLAGS, 0);
    bridgeRespFollowUp(link, slot);
  }
}

/** Copy of the PTP header + fields shared by the bridge's answers; returns the new slot or -1. */
function bridgeFrame(from: i32, type: i32, port: i32): i32 {
  const slot = frameAlloc();
  if (slot < 0) return -1;
  const d = frameData(slot);
  const s = frameData(from);
  memory.fill(d, 0, ETH_HDR + PDELAY_LEN);
  for (let i = 0; i < 6; i++) {
    store<u8>(d + i, <u8>(PTP_MCAST >> (40 - 8 * i)));
    store<u8>(d + 6 + i, <u8>(BRIDGE_MAC >> (40 - 8 * i)));
  }
  putBe16(d + 12, ETHERTYPE_PTP);
  const h = d + ETH_HDR;
  store<u8>(h, <u8>((load<u8>(s + ETH_HDR) & 0xF0) | type)); // keep the requester's majorSdoId
  store<u8>(h + 1, 2);
  putBe16(h + 2, PDELAY_LEN);
  store<u8>(h + 4, load<u8>(s + ETH_HDR + 4));
  putBe16(h + 6, 0x0200); // flags: twoStepFlag (§11.4.2.6 Table 11-4)
  putBe64(h + 20, <i64>BRIDGE_ID);
  putBe16(h + 28, port + 1);
  putBe16(h + 30, seqId(from));
  store<u8>(h + 32, 5);
  store<u8>(h + 33, 0x7F); // §11.4.2.9: 0x7F in peer-delay responses
  frameSet(slot, F_LEN, ETH_HDR + PDELAY_LEN);
  frameSet(slot, F_PTP_FLAGS, 0);
  return slot;
}

/** §11.2.19.3: answer a Pdelay_Req on its ingress port; t2 = the request's receipt time. */
function bridgeAnswer(slot: i32, link: i32, port: i32, t2: i64): bool {
  if (frameGet(slot, F_LEN) < ETH_HDR + PDELAY_LEN) return false;
  const resp = bridgeFrame(slot, MSG_PDELAY_RESP, port);
  if (resp < 0) return false;
  const h = frameData(resp) + ETH_HDR;
  putTimestamp(h + 34, t2); //                                   requestReceiptTimestamp
  memory.copy(h + 44, frameData(slot) + ETH_HDR + 20, 10); //    requestingPortIdentity
  frameSet(resp, F_PTP_FLAGS, FL_BRIDGE_RESP);
  return sendOrFree(link, resp);
}

/** The bridge's Pdelay_Resp leaves now (t3): its Pdelay_Resp_Follow_Up goes right behind it. */
function bridgeRespFollowUp(link: i32, resp: i32): void {
  const fup = bridgeFrame(resp, MSG_PDELAY_RESP_FUP, be16(frameData(resp) + ETH_HDR + 28) - 1);
  if (fup < 0) return;
  const h = frameData(fup) + ETH_HDR;
  putTimestamp(h + 34, now()); //                                                  responseOriginTimestamp
  memory.copy(h + 44, frameData(resp) + ETH_HDR + 44, 10); //                        requestingPortIdentity
  sendOrFree(link, fup);
}

import { linkCanAccept, linkSend, linkLatencyNs, linkPort } from './link';
import { DROP_NO_SLOT, DROP_QUEUE_FULL, DROP_UNKNOWN_MAC, switchPortLinkOf } from './switch';

function sendOrFree(link: i32, slot: i32): bool {
  if (!linkCanAccept(link, 1)) {
    traceRow(Kind.SWITCH_DROP, -1, -1, -1, DROP_QUEUE_FULL, frameGet(slot, F_LEN), 0);
    frameFree(slot);
    return false;
  }
  traceRow(Kind.SWITCH_FORWARD, -1, -1, -1, linkPort(link), frameGet(slot, F_LEN), 0);
  linkSend(link, 1, slot);
  return true;
}

/**
 * A frame to the PTP multicast address fully received on inLink's port. Time-aware bridge:
 * answer Pdelay_Req, keep peer-delay messages on their link (§11.2.19: never forwarded), flood
 * Sync / Follow_Up to the other PTP ports. Plain switch: flood everything to the other PTP ports.
 * The ingress slot is released.
 */
export function ptpIngress(slot: i32, inLink: i32, inPort: i32, switchPorts: i32): void {
  const t = ptpType(slot);
  const len = frameGet(slot, F_LEN);
  if (t < 0 || !ptpPortOn(inPort)) {
    traceRow(Kind.SWITCH_DROP, -1, -1, -1, DROP_UNKNOWN_MAC, len, 0);
    frameFree(slot);
    return;
  }
  const firstBit = frameTxStart(slot) + linkLatencyNs(inLink, 0);
  if (mode == PTP_MODE_BRIDGE && t == MSG_PDELAY_REQ) {
    bridgeAnswer(slot, inLink, inPort, firstBit);
    frameFree(slot);
    return;
  }
  if (mode == PTP_MODE_BRIDGE && (t == MSG_PDELAY_RESP || t == MSG_PDELAY_RESP_FUP)) {
    frameFree(slot);
    return;
  }
  for (let port = 0; port < switchPorts; port++) {
    if (port == inPort || !ptpPortOn(port)) continue;
    const link = switchPortLinkOf(port);
    if (link < 0) continue;
    const copy = frameAlloc();
    if (copy < 0) {
      traceRow(Kind.SWITCH_DROP, -1, -1, -1, DROP_NO_SLOT, len, 0);
      continue;
    }
    memory.copy(frameData(copy), frameData(slot), len);
    frameSet(copy, F_LEN, len);
    frameSet(copy, F_PTP_FLAGS, 0);
    store<i64>(frameAt(copy) + F_ORIGIN_TX, frameTxStart(slot));
    sendOrFree(link, copy);
  }
  frameFree(slot);
}

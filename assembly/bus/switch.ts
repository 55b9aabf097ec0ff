// A store-and-forward Ethernet switch with a static MAC table. A frame has fully arrived when it
// is looked up (link RX), is copied into a switch-owned slot, and queued on the output port's
// link (direction 1, switch -> device).
//  PORT (16 B): +0 i32 live | +4 i32 link | +8 i32 rxDev
//  MAC  (16 B): +0 u64 mac (aa:bb:cc:dd:ee:ff = 0xAABBCCDDEEFF) | +8 i32 port | +12 i32 live
import { portBase, portCount, macBase, macCount, PORT_STRIDE, MAC_STRIDE } from '../layout';
import { traceRow } from '../trace/columns';
import { Kind } from '../trace/kinds';
import { frameAlloc, frameFree, frameData, frameGet, frameSet, F_LEN } from './frames';
import { linkLive, linkSend, linkCanAccept, linkSetEnds } from './link';
import { ptpOn, ptpIngress, PTP_MCAST } from './ptp'; // --- gPTP (issue 11)

export const DROP_UNKNOWN_MAC: i32 = 1;
export const DROP_NO_SLOT: i32 = 2;
export const DROP_QUEUE_FULL: i32 = 3;
export const DROP_FCS_ERROR: i32 = 4; // a corrupted frame (link_corrupt fault): IEEE 802.3 §3.2.9

let macsUsed: i32 = 0;

@inline function portAt(port: i32): usize {
  return portBase + <usize>port * PORT_STRIDE;
}
@inline function macAt(i: i32): usize {
  return macBase + <usize>i * MAC_STRIDE;
}

export function switchMac(mac: u64, port: i32): void {
  assert(port >= 0 && port < portCount, 'switchMac: port out of range (switchPortCount)');
  assert(mac <= 0xFFFFFFFFFFFF, 'switchMac: MAC beyond 48 bits');
  for (let i = 0; i < macsUsed; i++) {
    if (load<u64>(macAt(i)) == mac) { store<i32>(macAt(i), port, 8); return; }
  }
  assert(macsUsed < macCount, 'switchMac: MAC table full (macCount)');
  const p = macAt(macsUsed++);
  store<u64>(p, mac);
  store<i32>(p, port, 8);
  store<i32>(p, 1, 12);
}

export function switchPortLink(port: i32, link: i32, rxDev: i32): void {
  assert(port >= 0 && port < portCount, 'switchPortLink: port out of range (switchPortCount)');
  assert(linkLive(link), 'switchPortLink: unknown link');
  const p = portAt(port);
  store<i32>(p, 1);
  store<i32>(p, link, 4);
  store<i32>(p, rxDev, 8);
  linkSetEnds(link, port, rxDev);
}

function macLookup(mac: u64): i32 {
  for (let i = 0; i < macsUsed; i++) {
    if (load<u64>(macAt(i)) == mac) return load<i32>(macAt(i), 8);
  }
  return -1;
}

/** Destination MAC: Ethernet bytes 0..5, most significant first. */
function destMac(data: usize): u64 {
  let mac: u64 = 0;
  for (let i: usize = 0; i < 6; i++) mac = (mac << 8) | <u64>load<u8>(data + i);
  return mac;
}

function drop(reason: i32, slot: i32): void {
  traceRow(Kind.SWITCH_DROP, -1, -1, -1, reason, frameGet(slot, F_LEN), 0);
  frameFree(slot);
}

/** The link plugged into a port, -1 if none (gPTP floods to the PTP ports, issue 11). */
export function switchPortLinkOf(port: i32): i32 {
  if (port < 0 || port >= portCount || load<i32>(portAt(port)) == 0) return -1;
  return load<i32>(portAt(port), 4);
}

/** A frame fully received on a port: forward it or drop it (the ingress slot is released). */
export function switchIngress(slot: i32, inLink: i32, inPort: i32): void {
  const dst = destMac(frameData(slot));
  // --- gPTP (issue 11): the link-local PTP multicast is the bridge's own business (bus/ptp.ts)
  if (ptpOn() && dst == PTP_MCAST) { ptpIngress(slot, inLink, inPort, portCount); return; }
  const out = macLookup(dst);
  if (out < 0 || load<i32>(portAt(out)) == 0) { drop(DROP_UNKNOWN_MAC, slot); return; }
  const link = load<i32>(portAt(out), 4);
  if (!linkCanAccept(link, 1)) { drop(DROP_QUEUE_FULL, slot); return; }
  const copy = frameAlloc();
  if (copy < 0) { drop(DROP_NO_SLOT, slot); return; }
  const len = frameGet(slot, F_LEN);
  memory.copy(frameData(copy), frameData(slot), len);
  frameSet(copy, F_LEN, len);
  frameFree(slot);
  traceRow(Kind.SWITCH_FORWARD, -1, -1, -1, out, len, 0);
  linkSend(link, 1, copy);
}

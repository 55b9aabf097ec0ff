// Seeded Ethernet faults on a link (issue 9 §5), decided when a frame's last bit reaches the far
// end of a link, in either direction:
// - link_loss: the frame never arrives (no link_rx); a fault_injected row names the link.
// - link_corrupt: one bit of the frame flips on the wire; the frame arrives (link_rx), and the
//   receiver's FCS check discards it, as IEEE 802.3 §3.2.9 and §4.2.4.1.2 require of a MAC: the
//   switch records switch_drop fcs_error, a device's MAC an rx_drop on its receive queue.
import { FaultEdge, FaultType } from '../faults';
import { Kind } from '../trace/kinds';
import { traceRow } from '../trace/columns';
import { faultCount, faultHit, faultBelow } from '../inject';
import { devAt, devVm, devLive } from '../mmu/iommu';
import { D_RXQ } from './net';
import { traceQueueRow } from '../virtio/queue';
import { frameData, frameFree, frameGet, F_LEN } from './frames';
import { linkDev, linkRx } from './link';
import { DROP_FCS_ERROR } from './switch';

function rowVm(link: i32): i32 {
  const dev = linkDev(link);
  return dev >= 0 ? devVm(dev) : -1;
}

/** A lost frame: its slot is freed and one fault_injected row says so; true = handled. */
function lose(link: i32, slot: i32): bool {
  const bytes = frameGet(slot, F_LEN);
  traceRow(Kind.FAULT_INJECTED, rowVm(link), linkDev(link), link, FaultType.LINK_LOSS, bytes, FaultEdge.HIT);
  frameFree(slot);
  return true;
}

/** A corrupted frame: flip one bit, record where, then the receiver drops it for its FCS. */
function corrupt(link: i32, dir: i32, slot: i32, fault: i32): bool {
  const bytes = frameGet(slot, F_LEN);
  const bit = faultBelow(fault, <u32>bytes * 8);
  const at = frameData(slot) + <usize>(bit >> 3);
  store<u8>(at, load<u8>(at) ^ <u8>(<u32>1 << (bit & 7)));
  traceRow(Kind.FAULT_INJECTED, rowVm(link), linkDev(link), link, FaultType.LINK_CORRUPT, <i32>bit, FaultEdge.HIT);
  linkRx(link, slot);
  const dev = linkDev(link);
  if (dir == 0) traceRow(Kind.SWITCH_DROP, -1, -1, -1, DROP_FCS_ERROR, bytes, 0);
  else if (dev >= 0 && devLive(dev)) traceQueueRow(Kind.RX_DROP, netRxQueueOf(dev), 0, bytes, 0);
  else traceRow(Kind.RX_DROP, -1, dev, -1, 0, bytes, 0);
  frameFree(slot);
  return true;
}

/** At a frame's arrival: true when a fault took the frame (the caller delivers nothing). */
export function linkFaultOnArrival(link: i32, dir: i32, slot: i32): bool {
  if (faultCount() == 0) return false;
  if (faultHit(FaultType.LINK_LOSS, link, -1) >= 0) return lose(link, slot);
  const fault = faultHit(FaultType.LINK_CORRUPT, link, -1);
  if (fault >= 0) return corrupt(link, dir, slot, fault);
  return false;
}

function netRxQueueOf(dev: i32): i32 {
  return load<i32>(devAt(dev) + D_RXQ);
}

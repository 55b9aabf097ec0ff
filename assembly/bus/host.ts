// Virtual external Ethernet hosts (issue 9 §1, outside inputs): a host outside the SoC on its
// own switch port, joined by its own link like a VM's virtio-net device but with no device
// behind it (the link's device end is -1). A frame from the host crosses the link (latency,
// bandwidth) and is switched like any other port's frame; a frame the switch sends to the host
// reaches the host's end of the link (a link_rx row) and leaves the simulation there.
import { frameBytesMax } from '../layout';
import { traceRow } from '../trace/columns';
import { Kind } from '../trace/kinds';
import { frameAlloc, frameData, frameSet, frameSenderMayAlloc, F_LEN } from './frames';
import { linkLive, linkDev, linkCanAccept, linkSend } from './link';
import { DROP_NO_SLOT, DROP_QUEUE_FULL } from './switch';

const ETH_HDR_LEN: i32 = 14;

@inline export function hostLink(link: i32): bool {
  return linkLive(link) && linkDev(link) < 0;
}

/**
 * The host sends the Ethernet frame at src[0, len) over its link. 0, or -(switch drop reason)
 * when the link's FIFO or the frame slots are full (recorded as a switch_drop row, as the
 * switch records its own drops).
 */
export function hostSend(link: i32, src: usize, len: i32): i32 {
  assert(hostLink(link), 'hostSend: not an external host link (create it with switchHostPort)');
  assert(len >= ETH_HDR_LEN && len <= frameBytesMax, 'hostSend: frame length outside 14..frameBytesMax');
  if (!linkCanAccept(link, 0)) {
    traceRow(Kind.SWITCH_DROP, -1, -1, -1, DROP_QUEUE_FULL, len, 0);
    return -DROP_QUEUE_FULL;
  }
  // As a device's TX does: a sender leaves half the slots to frames already in flight.
  const slot = frameSenderMayAlloc() ? frameAlloc() : -1;
  if (slot < 0) {
    traceRow(Kind.SWITCH_DROP, -1, -1, -1, DROP_NO_SLOT, len, 0);
    return -DROP_NO_SLOT;
  }
  memory.copy(frameData(slot), src, len);
  frameSet(slot, F_LEN, len);
  linkSend(link, 0, slot);
  return 0;
}

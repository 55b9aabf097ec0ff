// The flow of a CAN frame through the gateway into Ethernet (issue 12 §3: "a CAN frame → the
// gateway's forward → the cluster's receive"). The events say when a VM received a CAN frame
// and when a VM sent an Ethernet frame, but not that the second carries the first; the frames
// table has the bytes that say so. A VM's Ethernet frame whose payload is the gateway's
// telemetry record (src/guests/telemetry.ts: the CAN id first) continues the flow of the last
// CAN frame with that id the same VM received; the switch's copies of that frame towards other
// VMs (the same bytes, on the link `from_switch`) continue it again, to their link_rx. A VM that
// sends a telemetry record for a CAN id it never received (a hostile guest) starts nothing.

import { ETHERTYPE_TELEMETRY } from '../../guests/frames.js';
import { readTelemetry } from '../../guests/telemetry.js';

const ETHERNET_HEADER_BYTES = 14;
/** Frames waiting for their copies out of the switch; the oldest go first beyond this. */
const BRIDGED_MAX = 4096;

/** A frames-table row as the timeline needs it. */
export interface FrameRow {
  dir: 'to_switch' | 'from_switch' | 'bus';
  data: Uint8Array;
}

export class BridgedFlows {
  /** `vm:canId` → the flow of the last such CAN frame the VM received. */
  private readonly received = new Map<string, number>();
  /** Frame bytes (hex) sent by a VM → the CAN flow it carries, until the switch's copies go. */
  private readonly bridged = new Map<string, number>();

  /** A VM received a CAN frame that is on `flow`. */
  canReceived(vm: number, canId: number, flow: number): void {
    this.received.set(`${vm}:${canId}`, flow);
  }

  /** The CAN flows an Ethernet frame on a link continues (none, or one). */
  carried(vm: number, frame: FrameRow): number[] {
    if (frame.dir === 'from_switch') {
      const flow = this.bridged.get(hex(frame.data));
      return flow === undefined ? [] : [flow];
    }
    if (frame.dir !== 'to_switch' || vm < 0) return [];
    const canId = telemetryCanId(frame.data);
    if (canId === null) return [];
    const flow = this.received.get(`${vm}:${canId}`);
    if (flow === undefined) return [];
    const key = hex(frame.data);
    this.bridged.delete(key); // re-inserted as the newest
    this.bridged.set(key, flow);
    if (this.bridged.size > BRIDGED_MAX) this.bridged.delete(this.bridged.keys().next().value!);
    return [flow];
  }
}

/** The CAN id of a telemetry record in an Ethernet frame, or null for any other frame. */
function telemetryCanId(frame: Uint8Array): number | null {
  if (frame.length < ETHERNET_HEADER_BYTES) return null;
  if (((frame[12]! << 8) | frame[13]!) !== ETHERTYPE_TELEMETRY) return null;
  return readTelemetry(frame.subarray(ETHERNET_HEADER_BYTES))?.canId ?? null;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

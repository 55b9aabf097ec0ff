// The `frames` table as a pcapng capture (issue 12 §2) that Wireshark and tshark read: one
// interface per Ethernet link (LINKTYPE_ETHERNET) and per CAN bus (LINKTYPE_CAN_SOCKETCAN),
// named from the scenario, nanosecond timestamps (if_tsresol 9) on the trace's true time base
// (virtual ns since the run's start, as the trace's ts_ns; Wireshark shows them as 1970-01-01
// plus the run time). A packet is a frame at the start of its transmission on that link
// direction or bus, as a capture on the link would see it: a frame VM -> switch -> VM appears
// twice, on the sender's link (to_switch) and on the receiver's (from_switch). An interface is
// the device's (or outside host's) end of its link, so epb_flags says outbound for to_switch
// and inbound for from_switch (pcapng §4.3.1).

import type { RecordBatch } from 'apache-arrow';
import { FRAME_KIND_ETH, visitFrames, type FrameSelection } from '../../trace/frames-read.js';
import { EPB_INBOUND, EPB_OUTBOUND, LINKTYPE_CAN_SOCKETCAN, LINKTYPE_ETHERNET, PcapngWriter } from './blocks.js';
import { SOCKETCAN_HEADER_BYTES, socketCanHeader, socketCanPayloadBytes } from './socketcan.js';

/** frames.dir code 0 to_switch, 1 from_switch (tables.ts FRAME_DIRS). */
const DIRECTION = [EPB_OUTBOUND, EPB_INBOUND];

/** Ethernet: the largest frame the core carries (frameBytesMax ≤ 65536); CAN FD: 8 + 64. */
const SNAPLEN_ETH = 65536;
const SNAPLEN_CAN = SOCKETCAN_HEADER_BYTES + 64;

export interface PcapngExportResult {
  frames: number;
  bytes: number;
  interfaces: number;
  /** frames per interface, in interface (pcapng interface id) order */
  perInterface: number[];
}

/** Writes the capture through `flush` (pcapng blocks.ts PcapngWriter: chunks, used at once). */
export function exportPcapng(
  batches: Iterable<RecordBatch>, selection: FrameSelection, application: string, flush: (chunk: Uint8Array) => void,
): PcapngExportResult {
  const writer = new PcapngWriter(flush);
  writer.sectionHeader(application);
  for (const f of selection.interfaces) {
    if (f.kind === 'eth') writer.interfaceDescription(LINKTYPE_ETHERNET, f.name, f.description, SNAPLEN_ETH);
    else writer.interfaceDescription(LINKTYPE_CAN_SOCKETCAN, f.name, f.description, SNAPLEN_CAN);
  }
  const perInterface = selection.interfaces.map(() => 0);
  const head = new Uint8Array(SOCKETCAN_HEADER_BYTES);
  const none = new Uint8Array(0);
  const padded = new Uint8Array(64);
  const frames = visitFrames(batches, selection, (slot, cols, i) => {
    perInterface[slot]!++;
    const data = cols.data.subarray(cols.offsets[i]!, cols.offsets[i + 1]!);
    const ts = cols.ts_ns[i]!;
    if (cols.kind[i] === FRAME_KIND_ETH) {
      writer.enhancedPacket(slot, ts, none, data, DIRECTION[cols.dir[i]!]);
      return;
    }
    const flags = cols.can_flags[i]!;
    socketCanHeader(head, cols.can_id[i]!, flags, data.length);
    const payload = padded.subarray(0, socketCanPayloadBytes(flags));
    payload.fill(0);
    payload.set(data);
    writer.enhancedPacket(slot, ts, head, payload);
  });
  writer.end();
  return { frames, bytes: writer.bytesWritten, interfaces: selection.interfaces.length, perInterface };
}

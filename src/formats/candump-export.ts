// The `frames` table's CAN frames as a `candump -l` log (issue 12 §2): the format
// `record --can-input <bus>=<file>` reads (candump.ts), interface names = the scenario's bus
// names. candump -l has microseconds: the nanoseconds below them are dropped (truncated, as
// formatCandumpLine does), so a round trip keeps every frame and its time to the µs.

import type { RecordBatch } from 'apache-arrow';
import { FRAME_CAN_EXT, FRAME_CAN_FD, FRAME_CAN_RTR, visitFrames, type FrameSelection } from '../trace/frames-read.js';
import { CAN_EFF_FLAG, CAN_RTR_FLAG, formatCandumpLine, type CandumpFrame } from './candump.js';

export interface CandumpExportResult {
  frames: number;
  bytes: number;
}

/** The frame as candump.ts holds it (can_id with its SocketCAN flag bits). */
export function candumpFrameOf(canId: number, flags: number, dlc: number, data: Uint8Array): CandumpFrame {
  let id = canId >>> 0;
  if ((flags & FRAME_CAN_EXT) !== 0) id = (id | CAN_EFF_FLAG) >>> 0;
  if ((flags & FRAME_CAN_RTR) !== 0) {
    return { type: 'remote', canId: (id | CAN_RTR_FLAG) >>> 0, data: new Uint8Array(0), len: dlc, fdFlags: 0, len8Dlc: 0 };
  }
  if ((flags & FRAME_CAN_FD) !== 0) {
    const fdFlags = ((flags >> 3) & 1) | (((flags >> 4) & 1) << 1); // BRS 8 -> 1, ESI 16 -> 2
    return { type: 'fd', canId: id, data: data.slice(), len: data.length, fdFlags, len8Dlc: 0 };
  }
  return { type: 'data', canId: id, data: data.slice(), len: data.length, fdFlags: 0, len8Dlc: 0 };
}

/** Writes one line per CAN frame of the selection through `write` (text chunks). */
export function exportCandump(batches: Iterable<RecordBatch>, selection: FrameSelection, write: (text: string) => void): CandumpExportResult {
  const names = selection.interfaces.map((f) => f.name);
  let chunk: string[] = [];
  let bytes = 0;
  const frames = visitFrames(batches, selection, (slot, cols, i) => {
    const data = cols.data.subarray(cols.offsets[i]!, cols.offsets[i + 1]!);
    const frame = candumpFrameOf(cols.can_id[i]!, cols.can_flags[i]!, cols.dlc[i]!, data);
    chunk.push(formatCandumpLine(cols.ts_ns[i]!, names[slot]!, frame));
    if (chunk.length === 4096) bytes += flushLines();
  });
  bytes += flushLines();
  return { frames, bytes };

  function flushLines(): number {
    if (chunk.length === 0) return 0;
    const text = chunk.join('\n') + '\n';
    chunk = [];
    write(text);
    return Buffer.byteLength(text);
  }
}

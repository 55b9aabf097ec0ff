// The canonical bytes of each input kind: the `data` column of an `inputs` row (README
// "Inputs"). Replay decodes exactly these bytes, so they hold everything a handler needs.
//
//   can_frame, can_error:  le32 can_id | u8 flags | u8 len | u8 data[...]
//     can_id  SocketCAN's, with CAN_EFF_FLAG / CAN_RTR_FLAG / CAN_ERR_FLAG (linux/can.h)
//     flags   bit 0 CANFD_BRS, bit 1 CANFD_ESI, bit 2 FD frame (CANFD_FDF), bits 4..7 the raw
//             DLC 9..15 of a classic 8-byte frame (len8_dlc; 0 = none)
//     len     data bytes; for a remote frame the requested length (no data bytes follow)
//   eth_frame:             the Ethernet II frame: dst(6) | src(6) | ethertype(2) | payload

import { CAN_ERR_FLAG, CAN_RTR_FLAG, CANFD_MAX_DLEN, type CandumpFrame } from '../formats/candump.js';

export const INPUT_KIND = {
  canFrame: 'can_frame',
  canError: 'can_error',
  ethFrame: 'eth_frame',
} as const;

const CAN_HEADER_BYTES = 6;
const FLAG_FD = 0x04;
const FD_FLAGS_MASK = 0x03;

/** The input kind of a parsed frame: error frames are kept apart (they never reach the bus). */
export function canInputKind(frame: CandumpFrame): string {
  return frame.type === 'error' ? INPUT_KIND.canError : INPUT_KIND.canFrame;
}

export function encodeCanInput(frame: CandumpFrame): Uint8Array {
  const out = new Uint8Array(CAN_HEADER_BYTES + frame.data.length);
  new DataView(out.buffer).setUint32(0, frame.canId >>> 0, true);
  const fd = frame.type === 'fd' ? FLAG_FD | (frame.fdFlags & FD_FLAGS_MASK) : 0;
  out[4] = fd | (frame.len8Dlc << 4);
  out[5] = frame.len;
  out.set(frame.data, CAN_HEADER_BYTES);
  return out;
}

/** The frame back from its bytes; null when they are not a can_frame/can_error encoding. */
export function decodeCanInput(data: Uint8Array): CandumpFrame | null {
  if (data.length < CAN_HEADER_BYTES) return null;
  const canId = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
  const flags = data[4]!;
  const len = data[5]!;
  const bytes = data.slice(CAN_HEADER_BYTES);
  const fd = (flags & FLAG_FD) !== 0;
  const remote = (canId & CAN_RTR_FLAG) !== 0;
  if (remote ? bytes.length !== 0 || len > 8 : bytes.length !== len) return null;
  if (len > (fd ? CANFD_MAX_DLEN : 8)) return null;
  const type = (canId & CAN_ERR_FLAG) !== 0 ? 'error' : remote ? 'remote' : fd ? 'fd' : 'data';
  return { type, canId, data: bytes, len, fdFlags: fd ? flags & FD_FLAGS_MASK : 0, len8Dlc: flags >> 4 };
}

/** The EtherType of --net-input frames: IEEE 802 local experimental ethertype 1, as the guests use. */
export const ETHERTYPE_INPUT = 0x88b5;
export const ETH_HEADER_BYTES = 14;

export function macBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}

/** An Ethernet II frame from src to dst carrying payload (a --net-input datagram). */
export function encodeEthFrame(dst: string, src: string, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(ETH_HEADER_BYTES + payload.length);
  frame.set(macBytes(dst), 0);
  frame.set(macBytes(src), 6);
  frame[12] = ETHERTYPE_INPUT >> 8;
  frame[13] = ETHERTYPE_INPUT & 0xff;
  frame.set(payload, ETH_HEADER_BYTES);
  return frame;
}

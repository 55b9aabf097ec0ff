// The LINKTYPE_CAN_SOCKETCAN (227) packet header (tcpdump.org/linktypes/LINKTYPE_CAN_SOCKETCAN):
//   u32 can_id, BIG-endian, with CAN_EFF_FLAG 0x80000000 (29-bit id), CAN_RTR_FLAG 0x40000000,
//       CAN_ERR_FLAG 0x20000000 above the 11- or 29-bit identifier
//   u8  payload length (0..8 classic, 0..64 CAN FD)
//   u8  FD flags: CANFD_BRS 0x01, CANFD_ESI 0x02, CANFD_FDF 0x04 (this is a CAN FD frame)
//   u8  reserved, u8 reserved (len8_dlc for classic frames; 0 here)
// then the payload, zero-padded to the size of Linux's struct can_frame (8 data bytes, 16 in
// all) or struct canfd_frame (64, 72 in all), so a capture looks like one from a SocketCAN
// interface: Wireshark before 4.2 tells a CAN FD frame by that 72-byte size alone (CANFD_MTU),
// later ones by CANFD_FDF.

import { FRAME_CAN_BRS, FRAME_CAN_ESI, FRAME_CAN_EXT, FRAME_CAN_FD, FRAME_CAN_RTR } from '../../trace/frames-read.js';

export const SOCKETCAN_HEADER_BYTES = 8;
const CAN_EFF_FLAG = 0x8000_0000;
const CAN_RTR_FLAG = 0x4000_0000;
const CANFD_BRS = 0x01;
const CANFD_ESI = 0x02;
const CANFD_FDF = 0x04;
const CAN_MAX_DLEN = 8;
const CANFD_MAX_DLEN = 64;

/** The header for a frame of the frames table (can_id without flags, can_flags, data length). */
export function socketCanHeader(out: Uint8Array, canId: number, flags: number, len: number): void {
  const view = new DataView(out.buffer, out.byteOffset, SOCKETCAN_HEADER_BYTES);
  let id = canId >>> 0;
  if ((flags & FRAME_CAN_EXT) !== 0) id |= CAN_EFF_FLAG;
  if ((flags & FRAME_CAN_RTR) !== 0) id |= CAN_RTR_FLAG;
  view.setUint32(0, id >>> 0, false);
  view.setUint8(4, len);
  let fd = 0;
  if ((flags & FRAME_CAN_FD) !== 0) fd |= CANFD_FDF;
  if ((flags & FRAME_CAN_BRS) !== 0) fd |= CANFD_BRS;
  if ((flags & FRAME_CAN_ESI) !== 0) fd |= CANFD_ESI;
  view.setUint8(5, fd);
  view.setUint16(6, 0);
}

/** Bytes of payload a packet carries (padded): 8 for a classic frame, 64 for CAN FD. */
export function socketCanPayloadBytes(flags: number): number {
  return (flags & FRAME_CAN_FD) !== 0 ? CANFD_MAX_DLEN : CAN_MAX_DLEN;
}

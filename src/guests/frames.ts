// Wire layouts the guests' drivers produce and consume, each drawn next to its code.

/**
 * virtio_net_hdr (VIRTIO 1.2 §5.1.6, with VIRTIO_F_VERSION_1: 12 bytes) precedes every frame.
 *   u8 flags | u8 gso_type | le16 hdr_len | le16 gso_size | le16 csum_start | le16 csum_offset
 *   | le16 num_buffers
 */
export const NET_HDR_BYTES = 12;

/** Ethertype for tracevisor's telemetry frames (IEEE 802 local experimental ethertype 1). */
export const ETHERTYPE_TELEMETRY = 0x88b5;

export function macToBigInt(mac: string): bigint {
  return BigInt('0x' + mac.replaceAll(':', ''));
}

/** A MAC's six bytes, from its "02:00:00:00:00:01" form. */
export function macBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}

/**
 * virtio_net_hdr + Ethernet II frame: dst(6) src(6) ethertype(2) payload. The MACs come as bytes
 * (parsed once per device and destination: the per-frame string parse was a profile hot spot).
 */
export function buildNetFrame(dst: Uint8Array, src: Uint8Array, payload: Uint8Array): Uint8Array {
  return buildNetFrameInto(new Uint8Array(NET_HDR_BYTES + 14 + payload.length), dst, src, payload);
}

/** buildNetFrame into `buffer` (long enough); the frame is a view of its start (issue 10 §2). */
export function buildNetFrameInto(buffer: Uint8Array, dst: Uint8Array, src: Uint8Array, payload: Uint8Array): Uint8Array {
  return buffer.subarray(0, writeNetFrame(buffer, dst, src, payload));
}

/** The frame written at the start of `buffer` (long enough); its length (no view: issue 10). */
export function writeNetFrame(buffer: Uint8Array, dst: Uint8Array, src: Uint8Array, payload: Uint8Array): number {
  const bytes = NET_HDR_BYTES + 14 + payload.length;
  buffer.fill(0, 0, NET_HDR_BYTES); // virtio_net_hdr: no offloads
  buffer.set(dst, NET_HDR_BYTES);
  buffer.set(src, NET_HDR_BYTES + 6);
  buffer[NET_HDR_BYTES + 12] = ETHERTYPE_TELEMETRY >> 8;
  buffer[NET_HDR_BYTES + 13] = ETHERTYPE_TELEMETRY & 0xff;
  buffer.set(payload, NET_HDR_BYTES + 14);
  return bytes;
}

/** The Ethernet payload of a received buffer (virtio_net_hdr + frame), or null if too short. */
export function netPayload(buffer: Uint8Array): Uint8Array | null {
  if (buffer.length < NET_HDR_BYTES + 14) return null;
  return buffer.subarray(NET_HDR_BYTES + 14);
}

/**
 * virtio-can (VIRTIO 1.3 §5.20.6): transmit request, device-readable part
 *   le16 msg_type (VIRTIO_CAN_TX = 0x0001) | le16 reserved | le32 flags | le32 can_id | u8 sdu[len]
 * followed by a device-writable u8 result. Receive buffers get
 *   le16 msg_type (VIRTIO_CAN_RX = 0x0101) | le16 reserved | le32 flags | le32 can_id | u8 sdu[64]
 */
export const CAN_HDR_BYTES = 12;
export const VIRTIO_CAN_TX = 0x0001;
export const VIRTIO_CAN_RX = 0x0101;

export function buildCanTx(canId: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(CAN_HDR_BYTES + data.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, VIRTIO_CAN_TX, true);
  view.setUint32(8, canId >>> 0, true);
  out.set(data, CAN_HDR_BYTES);
  return out;
}

export interface CanFrame {
  canId: number;
  data: Uint8Array;
}

export function parseCanRx(buffer: Uint8Array, len: number): CanFrame | null {
  if (len < CAN_HDR_BYTES) return null;
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
  if (view.getUint16(0, true) !== VIRTIO_CAN_RX) return null;
  return { canId: view.getUint32(8, true), data: buffer.slice(CAN_HDR_BYTES, len) };
}

// gPTP messages on the wire (IEEE 802.1AS-2020 §10.6, §11.4): Ethernet II frames to the
// link-local peer-to-peer address, ethertype 0x88F7. Encoders build whole frames; the decoder
// refuses anything malformed (a hostile guest's frame) by returning null, never by throwing.
//
//  Ethernet: dst 01:80:C2:00:00:0E | src | be16 0x88F7              (§11.3.4, §11.3.5)
//  header (34 B, §10.6.2 / §11.4.2):
//    +0 u8 majorSdoId(1)<<4 | messageType | +1 u8 minorVersionPTP(1)<<4 | versionPTP(2)
//    +2 be16 messageLength | +4 u8 domainNumber(0) | +5 u8 minorSdoId | +6 be16 flags
//    +8 be64 correctionField (ns x 2^16) | +16 be32 messageTypeSpecific
//    +20 sourcePortIdentity: 8 B clockIdentity, be16 portNumber | +30 be16 sequenceId
//    +32 u8 controlField | +33 i8 logMessageInterval
//  Sync (§11.4.3)               +34 10 B reserved                                    44 B
//  Follow_Up (§11.4.4)          +34 preciseOriginTimestamp | +44 Follow_Up info TLV   76 B
//  Pdelay_Req (§11.4.5)         +34 20 B reserved                                    54 B
//  Pdelay_Resp (§11.4.6)        +34 requestReceiptTimestamp | +44 requestingPortIdentity 54 B
//  Pdelay_Resp_Follow_Up (§11.4.7) +34 responseOriginTimestamp | +44 requestingPortIdentity 54 B
//  Timestamp (§6.4.3.4): be48 seconds | be32 nanoseconds (< 10^9).
//
// A VM's clock may read below 0 (a negative boot offset); its seconds are then written as a
// 48-bit two's complement (a simulation's convenience: a real PTP timescale starts at 1970).

export const ETHERTYPE_PTP = 0x88f7;
export const PTP_MULTICAST = '01:80:c2:00:00:0e';
const PTP_MULTICAST_BYTES = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e];
const ETH_HDR = 14;
const PTP_HDR = 34;
/** IEEE 802.3 §3.2.7: shortest frame without FCS (shorter ones are padded). */
const ETH_MIN_FRAME = 60;
const NS_PER_S = 1_000_000_000;
const SECONDS_WRAP = 2 ** 48;
// Bounds a sane peer never reaches; beyond them a value would lose precision in a double (a
// hostile frame): the scenario's own clocks stay within ±1e15 ns, corrections within 1000 s.
const TIMESTAMP_NS_MAX = 1e15;
const CORRECTION_MAX = 1000n * 1_000_000_000n * 65536n;

export const MSG = {
  sync: 0x0,
  pdelayReq: 0x2,
  pdelayResp: 0x3,
  followUp: 0x8,
  pdelayRespFollowUp: 0xa,
} as const;

const LENGTH: Record<number, number> = {
  [MSG.sync]: 44,
  [MSG.followUp]: 76,
  [MSG.pdelayReq]: 54,
  [MSG.pdelayResp]: 54,
  [MSG.pdelayRespFollowUp]: 54,
};
// §11.4.2.7: controlField 0 Sync, 2 Follow_Up, 5 others; §11.4.2.8 logMessageInterval
const CONTROL: Record<number, number> = { [MSG.sync]: 0, [MSG.followUp]: 2 };

/** A port identity as "clockIdentity-hex:portNumber" (compared, never parsed back). */
export type PortIdentity = string;

export interface PtpMessage {
  type: number;
  sequenceId: number;
  /** correctionField in ns (the 2^-16 ns fraction kept) */
  correctionNs: number;
  sourcePort: PortIdentity;
  /** preciseOriginTimestamp, requestReceiptTimestamp or responseOriginTimestamp (ns); else 0 */
  timestampNs: number;
  /** requestingPortIdentity (Pdelay_Resp, Pdelay_Resp_Follow_Up); else '' */
  requestingPort: PortIdentity;
}

export interface EncodeFields {
  type: number;
  sequenceId: number;
  srcMac: Uint8Array;
  /** the sender's clockIdentity (8 bytes) and portNumber */
  clockIdentity: Uint8Array;
  portNumber: number;
  logMessageInterval: number;
  correctionNs?: number;
  timestampNs?: number;
  /** requestingPortIdentity: 8 B clockIdentity + be16 portNumber */
  requestingPort?: Uint8Array;
}

/** §8.5.2.2 clockIdentity from a MAC (EUI-48 -> EUI-64: insert FF FE). */
export function clockIdentityOf(mac: Uint8Array): Uint8Array {
  return Uint8Array.of(mac[0]!, mac[1]!, mac[2]!, 0xff, 0xfe, mac[3]!, mac[4]!, mac[5]!);
}

/** portIdentity bytes (10 B) as its PortIdentity string. */
export function portIdentityText(bytes: Uint8Array): PortIdentity {
  const id = [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${id}:${(bytes[8]! << 8) | bytes[9]!}`;
}

export function portIdentityBytes(clockIdentity: Uint8Array, portNumber: number): Uint8Array {
  const out = new Uint8Array(10);
  out.set(clockIdentity);
  out[8] = portNumber >> 8;
  out[9] = portNumber & 0xff;
  return out;
}

function putTimestamp(view: DataView, at: number, ns: number): void {
  const s = Math.floor(ns / NS_PER_S);
  const sWrapped = ((s % SECONDS_WRAP) + SECONDS_WRAP) % SECONDS_WRAP;
  view.setUint16(at, Math.floor(sWrapped / 2 ** 32));
  view.setUint32(at + 2, sWrapped % 2 ** 32);
  view.setUint32(at + 6, ns - s * NS_PER_S);
}

function getTimestamp(view: DataView, at: number): number | null {
  const high = view.getUint16(at);
  const s = high * 2 ** 32 + view.getUint32(at + 2);
  const ns = view.getUint32(at + 6);
  if (ns >= NS_PER_S) return null; // §6.4.3.4: nanoseconds < 10^9
  const signed = s >= SECONDS_WRAP / 2 ? s - SECONDS_WRAP : s;
  return signed * NS_PER_S + ns;
}

/** A whole Ethernet frame carrying one gPTP message (padded to the 60-byte minimum). */
export function encodePtp(f: EncodeFields): Uint8Array {
  const length = LENGTH[f.type];
  if (length === undefined) throw new Error(`assert: PTP message type ${f.type} not encoded`);
  const frame = new Uint8Array(Math.max(ETH_MIN_FRAME, ETH_HDR + length));
  const view = new DataView(frame.buffer);
  frame.set(PTP_MULTICAST_BYTES, 0);
  frame.set(f.srcMac, 6);
  view.setUint16(12, ETHERTYPE_PTP);
  const h = ETH_HDR;
  frame[h] = (1 << 4) | f.type; //   majorSdoId 1: gPTP (§10.6.2.2.1)
  frame[h + 1] = (1 << 4) | 2; //    minorVersionPTP 1, versionPTP 2 (§10.6.2.2.3, .4)
  view.setUint16(h + 2, length);
  const twoStep = f.type === MSG.sync || f.type === MSG.pdelayResp;
  view.setUint16(h + 6, twoStep ? 0x0200 : 0x0000); // twoStepFlag (Table 10-9)
  view.setBigInt64(h + 8, BigInt(Math.round((f.correctionNs ?? 0) * 65536)));
  frame.set(f.clockIdentity, h + 20);
  view.setUint16(h + 28, f.portNumber);
  view.setUint16(h + 30, f.sequenceId & 0xffff);
  frame[h + 32] = CONTROL[f.type] ?? 5;
  view.setInt8(h + 33, f.logMessageInterval);
  if (f.type === MSG.followUp) encodeFollowUpTlv(view, h + 44);
  if (f.type === MSG.followUp || f.type === MSG.pdelayResp || f.type === MSG.pdelayRespFollowUp) {
    putTimestamp(view, h + 34, f.timestampNs ?? 0);
  }
  if (f.requestingPort !== undefined) frame.set(f.requestingPort, h + 44);
  return frame;
}

/** §11.4.4.3 Follow_Up information TLV of a grandmaster (rate offset 0, no phase change). */
function encodeFollowUpTlv(view: DataView, at: number): void {
  view.setUint16(at, 0x0003); //     tlvType ORGANIZATION_EXTENSION
  view.setUint16(at + 2, 28); //     lengthField
  view.setUint8(at + 4, 0x00); //    organizationId 00-80-C2
  view.setUint8(at + 5, 0x80);
  view.setUint8(at + 6, 0xc2);
  view.setUint8(at + 9, 1); //       organizationSubType 1
}

/** The ethertype of an Ethernet frame, or -1 if it is shorter than its header. */
export function ethertypeOf(frame: Uint8Array): number {
  return frame.length < ETH_HDR ? -1 : (frame[12]! << 8) | frame[13]!;
}

/** A gPTP message from a whole Ethernet frame, or null when it is not one we accept. */
export function decodePtp(frame: Uint8Array): PtpMessage | null {
  if (frame.length < ETH_HDR + PTP_HDR || ethertypeOf(frame) !== ETHERTYPE_PTP) return null;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.length);
  const h = ETH_HDR;
  const type = frame[h]! & 0x0f;
  const length = LENGTH[type];
  if (length === undefined) return null; //                        a type we do not handle
  if ((frame[h + 1]! & 0x0f) !== 2) return null; //                  versionPTP 2 (§10.6.2.2.4)
  const declared = view.getUint16(h + 2);
  if (declared < length || declared > frame.length - h) return null; // §10.6.2.2.5 messageLength
  const correction = view.getBigInt64(h + 8);
  if (correction > CORRECTION_MAX || correction < -CORRECTION_MAX) return null;
  const message: PtpMessage = {
    type,
    sequenceId: view.getUint16(h + 30),
    correctionNs: Number(correction) / 65536,
    sourcePort: portIdentityText(frame.subarray(h + 20, h + 30)),
    timestampNs: 0,
    requestingPort: '',
  };
  if (type === MSG.followUp || type === MSG.pdelayResp || type === MSG.pdelayRespFollowUp) {
    const ts = getTimestamp(view, h + 34);
    if (ts === null || Math.abs(ts) > TIMESTAMP_NS_MAX) return null;
    message.timestampNs = ts;
  }
  if (type === MSG.pdelayResp || type === MSG.pdelayRespFollowUp) {
    message.requestingPort = portIdentityText(frame.subarray(h + 44, h + 54));
  }
  return message;
}

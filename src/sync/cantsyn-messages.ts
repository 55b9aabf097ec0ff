// AUTOSAR CanTSyn messages (SWS TimeSyncOverCAN R4.3.1, "Message Format" of the functional specification): classic CAN,
// DLC 8, one SYNC and one FUP (Follow-Up) per time-sync cycle.
//
//  byte   SYNC (0x10 / 0x20 CRC)              FUP (0x18 / 0x28 CRC)
//  0      Type                                Type
//  1      User Byte 1 (0x10) / CRC (0x20)     User Byte 2 (0x18) / CRC (0x28)
//  2      Time Domain (7..4) | SC (3..0)      Time Domain (7..4) | SC (3..0)
//  3      User Byte 0                         reserved (7..3) | SGW (2) | OVS (1..0)
//  4..7   SyncTimeSec, big-endian (the        SyncTimeNSec, big-endian (< 10^9)
//         lower 32 bits of t0's seconds)
//
// SC is the sequence counter (0..15, one step per SYNC; a FUP carries its SYNC's); SGW the
// gateway's sync state (0 SyncToGTM, 1 SyncToSubDomain); OVS the seconds the FUP's nanoseconds
// overflowed (t0.ns + (t1 − t0) may pass 1 s). The CRC (the SWS's CRC generation / validation rules) is
// Crc_CalculateCRC8, i.e. CRC-8 SAE J1850 (poly 0x1D, init 0xFF, xor-out 0xFF; AUTOSAR SWS CRC
// Library), over bytes 2..7 and then the DataID DataIDList[SC] of the message's list.

export const TSYN_TYPE = { sync: 0x10, syncCrc: 0x20, fup: 0x18, fupCrc: 0x28 } as const;
export const TSYN_DLC = 8;
export const NS_PER_S = 1_000_000_000;
/** OVS is two bits (the FUP's byte 3): a FUP more than 3 s after its SYNC's t0 cannot be sent. */
export const OVS_MAX = 3;
const CRC8_POLY = 0x1d;

/** CRC-8 SAE J1850 (table-driven; the test checks it against a bitwise one and 0x4B for "123456789"). */
const CRC8_TABLE = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let b = 0; b < 8; b++) c = c & 0x80 ? ((c << 1) ^ CRC8_POLY) & 0xff : (c << 1) & 0xff;
    t[i] = c;
  }
  return t;
})();

export function crc8J1850(bytes: ArrayLike<number>): number {
  let crc = 0xff;
  for (let i = 0; i < bytes.length; i++) crc = CRC8_TABLE[(crc ^ bytes[i]!) & 0xff]!;
  return crc ^ 0xff;
}

/** The CRC over bytes 2..7, then the DataID of the sequence counter (order as we read the SWS). */
export function tsynCrc(frame: Uint8Array, dataIds: readonly number[]): number {
  const sc = frame[2]! & 0x0f;
  return crc8J1850([...frame.subarray(2, 8), dataIds[sc]!]);
}

export interface TsynSync {
  kind: 'sync';
  domain: number;
  seq: number;
  /** SyncTimeSec (u32) */
  seconds: number;
  userByte0: number;
}
export interface TsynFup {
  kind: 'fup';
  domain: number;
  seq: number;
  /** SyncTimeNSec (< 10^9) */
  nanoseconds: number;
  overflowSeconds: number;
  sgw: 0 | 1;
}
export type TsynMessage = (TsynSync | TsynFup) & { crc: boolean };

export interface TsynEncode {
  message: TsynSync | TsynFup;
  /** null: the message types without CRC (0x10 / 0x18) */
  dataIds: readonly number[] | null;
}

function assertField(ok: boolean, what: string): void {
  if (!ok) throw new Error(`assert: CanTSyn message field ${what}`);
}

export function encodeTsyn({ message: m, dataIds }: TsynEncode): Uint8Array {
  assertField(Number.isInteger(m.domain) && m.domain >= 0 && m.domain <= 15, `domain ${m.domain}`);
  assertField(Number.isInteger(m.seq) && m.seq >= 0 && m.seq <= 15, `seq ${m.seq}`);
  const frame = new Uint8Array(TSYN_DLC);
  const view = new DataView(frame.buffer);
  const crc = dataIds !== null;
  frame[2] = (m.domain << 4) | m.seq;
  if (m.kind === 'sync') {
    assertField(Number.isInteger(m.seconds) && m.seconds >= 0 && m.seconds <= 0xffffffff, `seconds ${m.seconds}`);
    frame[0] = crc ? TSYN_TYPE.syncCrc : TSYN_TYPE.sync;
    frame[3] = m.userByte0 & 0xff;
    view.setUint32(4, m.seconds);
  } else {
    assertField(Number.isInteger(m.nanoseconds) && m.nanoseconds >= 0 && m.nanoseconds < NS_PER_S, `ns ${m.nanoseconds}`);
    assertField(Number.isInteger(m.overflowSeconds) && m.overflowSeconds >= 0 && m.overflowSeconds <= OVS_MAX, `OVS ${m.overflowSeconds}`);
    frame[0] = crc ? TSYN_TYPE.fupCrc : TSYN_TYPE.fup;
    frame[3] = (m.sgw << 2) | m.overflowSeconds;
    view.setUint32(4, m.nanoseconds);
  }
  if (crc) frame[1] = tsynCrc(frame, dataIds);
  return frame;
}

export type TsynDecodeError = 'length' | 'type' | 'crc' | 'field';

/**
 * A received frame's message, or why it is refused. `dataIds` null: the receiver does not check
 * CRCs (CanTSynRxCrcValidated CRC_IGNORED: a CRC type is taken, its CRC byte not checked);
 * with a list, only CRC types are taken and their CRC must match (CRC_VALIDATED).
 */
export function decodeTsyn(frame: Uint8Array, dataIds: readonly number[] | null): TsynMessage | TsynDecodeError {
  if (frame.length !== TSYN_DLC) return 'length';
  const type = frame[0]!;
  const crc = type === TSYN_TYPE.syncCrc || type === TSYN_TYPE.fupCrc;
  const known = crc || type === TSYN_TYPE.sync || type === TSYN_TYPE.fup;
  if (!known || (dataIds !== null && !crc)) return 'type';
  if (dataIds !== null && tsynCrc(frame, dataIds) !== frame[1]) return 'crc';
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const domain = frame[2]! >> 4;
  const seq = frame[2]! & 0x0f;
  if (type === TSYN_TYPE.sync || type === TSYN_TYPE.syncCrc) {
    return { kind: 'sync', crc, domain, seq, seconds: view.getUint32(4), userByte0: frame[3]! };
  }
  const nanoseconds = view.getUint32(4);
  if (nanoseconds >= NS_PER_S) return 'field'; // reserved bits 7..3 are not checked (SWS: default 0)
  return { kind: 'fup', crc, domain, seq, nanoseconds, overflowSeconds: frame[3]! & 0x03, sgw: ((frame[3]! >> 2) & 1) as 0 | 1 };
}

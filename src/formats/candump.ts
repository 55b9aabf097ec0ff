// The `candump -l` log format of can-utils (SocketCAN), one frame per line:
//
//   (1436509052.249713) can0 123#DEADBEEF
//    └ seconds.fraction  └ interface └ frame
//
// The frame text follows can-utils lib.c (parse_canframe / sprint_canframe):
//   <id>#<data>        classic data frame; id = 3 hex digits (11-bit) or 8 hex digits (29-bit,
//                      CAN_EFF_FLAG added); data = 0..8 bytes as hex pairs, '.' allowed between
//                      bytes; after exactly 8 bytes an optional _<raw dlc> (9..F, len8_dlc)
//   <id>#R[<dlc>]      remote (RTR) frame, optional requested length 0..8
//   <id>##<f><data>    CAN FD frame: one flags nibble (CANFD_BRS 1, CANFD_ESI 2), 0..64 bytes
//   <8 digits>#<data>  an 8-digit id with CAN_ERR_FLAG (0x20000000) is an error frame (its
//                      class in the id, details in 8 data bytes; linux/can/error.h)
// Stricter than lib.c on purpose: trailing characters, odd hex digits and more than the
// frame's maximum bytes are errors here (lib.c ignores what follows the last byte it reads).
// Times are parsed exactly as decimals (integer arithmetic), to the nanosecond.

export const CAN_EFF_FLAG = 0x8000_0000;
export const CAN_RTR_FLAG = 0x4000_0000;
export const CAN_ERR_FLAG = 0x2000_0000;
export const CAN_SFF_MASK = 0x7ff;
export const CAN_EFF_MASK = 0x1fff_ffff;
/** canfd_frame.flags (linux/can.h): bit-rate switch, error-state indicator. */
export const CANFD_BRS = 0x01;
export const CANFD_ESI = 0x02;
export const CAN_MAX_DLEN = 8;
export const CANFD_MAX_DLEN = 64;

export type CanFrameType = 'data' | 'remote' | 'fd' | 'error';

/** One frame as SocketCAN holds it (struct can_frame / canfd_frame). */
export interface CandumpFrame {
  type: CanFrameType;
  /** can_id with its flag bits (EFF, RTR, ERR) as SocketCAN carries them */
  canId: number;
  /** data bytes (empty for a remote frame) */
  data: Uint8Array;
  /** remote frames: the requested length 0..8; otherwise data.length */
  len: number;
  /** CAN FD: the flags nibble; 0 otherwise */
  fdFlags: number;
  /** classic 8-byte frames: a raw DLC 9..15 given as _<dlc>; 0 when none */
  len8Dlc: number;
}

export interface CandumpLine {
  /** the timestamp in ns since the Unix epoch, exactly (seconds may exceed 2^53 ns) */
  timeNs: bigint;
  iface: string;
  frame: CandumpFrame;
}

/** A line that is not candump -l; `reason` says what is wrong (the caller adds file:line). */
export class CandumpSyntaxError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

const NS_PER_S = 1_000_000_000n;

/** Parses one candump -l line (without its newline). Throws CandumpSyntaxError. */
export function parseCandumpLine(line: string): CandumpLine {
  const fields = line.trim().split(/\s+/);
  if (fields.length !== 3 || !fields[0]!.startsWith('(')) {
    throw new CandumpSyntaxError('expected "(<seconds>.<fraction>) <interface> <frame>", e.g. "(1436509052.249713) can0 123#DEADBEEF"');
  }
  const [stamp, iface, frame] = fields as [string, string, string];
  return { timeNs: parseStamp(stamp), iface, frame: parseCanFrame(frame) };
}

/** "(1436509052.249713)" to ns, exactly: the fraction is a decimal of 1..9 digits. */
function parseStamp(stamp: string): bigint {
  const m = /^\((\d{1,12})\.(\d{1,9})\)$/.exec(stamp);
  if (m === null) throw new CandumpSyntaxError(`timestamp "${stamp}" is not "(<seconds>.<fraction of 1 to 9 digits>)"`);
  return BigInt(m[1]!) * NS_PER_S + BigInt(m[2]!.padEnd(9, '0'));
}

/** Parses the frame field (`123#DEADBEEF`, `123#R`, `123##1AA`, …). Throws CandumpSyntaxError. */
export function parseCanFrame(text: string): CandumpFrame {
  const hash = text.indexOf('#');
  if (hash !== 3 && hash !== 8) {
    throw new CandumpSyntaxError(`frame "${text}": the CAN id must be 3 hex digits (11-bit) or 8 (29-bit) before "#"`);
  }
  const idText = text.slice(0, hash);
  if (!/^[0-9A-Fa-f]+$/.test(idText)) throw new CandumpSyntaxError(`frame "${text}": CAN id "${idText}" is not hexadecimal`);
  let canId = parseInt(idText, 16) >>> 0;
  const rest = text.slice(hash + 1);
  if (hash === 3) {
    if (canId > CAN_SFF_MASK) throw new CandumpSyntaxError(`frame "${text}": 11-bit CAN id 0x${idText} is above 0x7FF`);
  } else if ((canId & CAN_ERR_FLAG) !== 0) {
    if ((canId & (CAN_EFF_FLAG | CAN_RTR_FLAG)) !== 0) {
      throw new CandumpSyntaxError(`frame "${text}": an error frame id sets only CAN_ERR_FLAG (0x20000000) and class bits`);
    }
    return { type: 'error', canId, ...classicData(text, rest) };
  } else {
    if (canId > CAN_EFF_MASK) throw new CandumpSyntaxError(`frame "${text}": 29-bit CAN id 0x${idText} is above 0x1FFFFFFF`);
    canId = (canId | CAN_EFF_FLAG) >>> 0;
  }
  if (rest.startsWith('R') || rest.startsWith('r')) return remoteFrame(text, canId, rest.slice(1));
  if (rest.startsWith('#')) return fdFrame(text, canId, rest.slice(1));
  return { type: 'data', canId, ...classicData(text, rest) };
}

function remoteFrame(text: string, canId: number, lenText: string): CandumpFrame {
  if (!/^[0-8]?$/.test(lenText)) throw new CandumpSyntaxError(`frame "${text}": a remote frame takes "R" or "R<length 0..8>"`);
  const len = lenText === '' ? 0 : Number(lenText);
  return { type: 'remote', canId: (canId | CAN_RTR_FLAG) >>> 0, data: new Uint8Array(0), len, fdFlags: 0, len8Dlc: 0 };
}

function fdFrame(text: string, canId: number, rest: string): CandumpFrame {
  const flags = /^[0-9A-Fa-f]/.test(rest) ? parseInt(rest[0]!, 16) : -1;
  if (flags < 0) throw new CandumpSyntaxError(`frame "${text}": a CAN FD frame needs one flags hex digit after "##"`);
  const data = hexBytes(text, rest.slice(1), CANFD_MAX_DLEN);
  return { type: 'fd', canId, data, len: data.length, fdFlags: flags, len8Dlc: 0 };
}

function classicData(text: string, rest: string): Pick<CandumpFrame, 'data' | 'len' | 'fdFlags' | 'len8Dlc'> {
  const underscore = rest.indexOf('_');
  const data = hexBytes(text, underscore < 0 ? rest : rest.slice(0, underscore), CAN_MAX_DLEN);
  let len8Dlc = 0;
  if (underscore >= 0) {
    const dlc = rest.slice(underscore + 1);
    if (data.length !== CAN_MAX_DLEN || !/^[9A-Fa-f]$/.test(dlc)) {
      throw new CandumpSyntaxError(`frame "${text}": "_<dlc>" (a raw DLC 9..F) may follow only 8 data bytes`);
    }
    len8Dlc = parseInt(dlc, 16);
  }
  return { data, len: data.length, fdFlags: 0, len8Dlc };
}

/** Hex pairs with optional '.' between bytes (lib.c's DATA_SEPERATOR). */
function hexBytes(text: string, hex: string, maxBytes: number): Uint8Array {
  const digits = hex.replaceAll('.', '');
  if (!/^[0-9A-Fa-f]*$/.test(digits)) throw new CandumpSyntaxError(`frame "${text}": data "${hex}" is not hexadecimal`);
  if (digits.length % 2 !== 0) throw new CandumpSyntaxError(`frame "${text}": data "${hex}" has an odd number of hex digits`);
  if (digits.length / 2 > maxBytes) {
    throw new CandumpSyntaxError(`frame "${text}": ${digits.length / 2} data bytes, at most ${maxBytes} in this frame type`);
  }
  const data = new Uint8Array(digits.length / 2);
  for (let i = 0; i < data.length; i++) data[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return data;
}

function hex(data: Uint8Array): string {
  let out = '';
  for (const byte of data) out += byte.toString(16).toUpperCase().padStart(2, '0');
  return out;
}

/** The frame field as candump writes it (lib.c sprint_canframe, no separators). */
export function formatCanFrame(frame: CandumpFrame): string {
  const { canId } = frame;
  let id: string;
  if ((canId & CAN_ERR_FLAG) !== 0) id = ((canId & (CAN_EFF_MASK | CAN_ERR_FLAG)) >>> 0).toString(16);
  else if ((canId & CAN_EFF_FLAG) !== 0) id = (canId & CAN_EFF_MASK).toString(16);
  else id = (canId & CAN_SFF_MASK).toString(16);
  id = id.toUpperCase().padStart((canId & (CAN_ERR_FLAG | CAN_EFF_FLAG)) !== 0 ? 8 : 3, '0');
  switch (frame.type) {
    case 'remote':
      return `${id}#R${frame.len > 0 ? frame.len : ''}`;
    case 'fd':
      return `${id}##${frame.fdFlags.toString(16).toUpperCase()}${hex(frame.data)}`;
    case 'data':
    case 'error':
      return `${id}#${hex(frame.data)}${frame.len8Dlc > CAN_MAX_DLEN ? `_${frame.len8Dlc.toString(16).toUpperCase()}` : ''}`;
  }
}

/** A whole candump -l line: `(<s>.<µs>) <iface> <frame>`, as candump writes it (6 decimals). */
export function formatCandumpLine(timeNs: bigint, iface: string, frame: CandumpFrame): string {
  if (timeNs < 0n) throw new Error(`assert: candump time ${timeNs} ns is negative`);
  const seconds = timeNs / NS_PER_S;
  const micros = (timeNs % NS_PER_S) / 1000n;
  return `(${String(seconds).padStart(10, '0')}.${String(micros).padStart(6, '0')}) ${iface} ${formatCanFrame(frame)}`;
}

// The frames ring (issue 12 §1): every Ethernet and CAN frame as it crossed the interconnect,
// one row per transmission on one link direction or bus, written where the transmission
// starts (link.ts linkStart, can.ts canStart) and drained by TypeScript in batches, as the
// event columns are (ARCHITECTURE 5): the columns and the byte area are laid out as Arrow's
// own buffers (fixed-width values; a binary column's i32 offsets then its bytes), so the
// recorder wraps them without copying.
//
// Room: every frame row is written next to an event row (link_tx, can_tx), so the rows never
// outrun the event columns when the ring holds as many rows as they do; the byte area is what
// can fill first. Past the soft limit (FR_ROWS_RESERVE rows or FR_BYTES_RESERVE frames of
// room left) ST_FR_STOP is set and traceRoom() turns false, so the core stops where it stops
// for a full event trace and TypeScript drains; between two room checks at most two frames
// start (linkTxDone starts the next frame, switchIngress forwards one), well inside the reserve.
import {
  frTs, frArrival, frSeq, frCanId, frLen, frLink, frBus, frPort, frVm, frDev, frFlags, frDlc,
  frKind, frDir, frOffsets, frData, frHash, frameRingRows, frameRingBytes, frameBytesMax,
  stGet, stSet, ST_FR_COUNT, ST_FR_BYTES, ST_FR_STOP, ST_FR_ON, ST_FR_NO_BYTES,
} from '../layout';
import { now, seqPeek } from '../clock';
import { xxh64 } from './xxh64';

export const FR_KIND_ETH: i32 = 0;
export const FR_KIND_CAN: i32 = 1;
export const FR_DIR_TO_SWITCH: i32 = 0; //   link direction 0: device (or host) end -> switch
export const FR_DIR_FROM_SWITCH: i32 = 1; // link direction 1: switch -> device (or host) end
export const FR_DIR_BUS: i32 = 2; //         a CAN frame on its bus (every node hears it)
// can_flags bits (SocketCAN's CAN_EFF_FLAG, CAN_RTR_FLAG, then canfd_frame.flags CANFD_BRS,
// CANFD_ESI and the FD marker); the core sends classic data frames, so only EXT is ever set.
export const FR_CAN_EXT: i32 = 1;
export const FR_CAN_RTR: i32 = 2;
export const FR_CAN_FD: i32 = 4;
export const FR_CAN_BRS: i32 = 8;
export const FR_CAN_ESI: i32 = 16;
const FR_ROWS_RESERVE: i32 = 8;
const FR_FRAMES_RESERVE: i32 = 4;

export function frameRingInit(): void {
  frameRingReset();
  stSet(ST_FR_ON, 0);
}

/** Record frames from now on (on = 1) or not; a ring of 0 rows records nothing. */
export function frameRingEnable(on: i32): void {
  assert(on == 0 || frameRingRows > 0, 'frameRingEnable: the ring has no rows (frameRingLimits)');
  assert(frameRingBytes >= FR_FRAMES_RESERVE * 2 * frameBytesMax || on == 0,
    'frameRingEnable: frameRingBytes below 8 x frameBytesMax');
  stSet(ST_FR_ON, on);
}

/**
 * Keep each frame's bytes in the ring (on = 1, the default: the recorder writes them) or only
 * its hash (0: a replay checking the batches by their core digests, which need only the
 * hashes, columns-digest.ts; it saves copying every frame into the 4 MiB ring, ~28 MB per 10 s
 * of the cockpit). The data column then holds no frame's bytes: the caller must not read it.
 */
export function frameRingKeepBytes(on: i32): void {
  assert(on == 0 || on == 1, 'frameRingKeepBytes: 0 or 1');
  stSet(ST_FR_NO_BYTES, 1 - on);
}

/** The rows' hashes of their bytes (u64 per row, frameRowEnd). */
export function frameRowHashes(): usize {
  return frHash;
}

/** Forget the rows (after TypeScript drained them, or in a core restored from a snapshot). */
export function frameRingReset(): void {
  stSet(ST_FR_COUNT, 0);
  stSet(ST_FR_BYTES, 0);
  stSet(ST_FR_STOP, 0);
  if (frameRingRows > 0) store<i32>(frOffsets, 0);
}

@inline export function frameRingOn(): bool {
  return stGet(ST_FR_ON) != 0;
}

function frameRingCheckSoft(n: i32, bytes: i32): void {
  const rowsFull = n >= frameRingRows - FR_ROWS_RESERVE;
  const bytesFull = bytes > frameRingBytes - FR_FRAMES_RESERVE * frameBytesMax;
  if (rowsFull || bytesFull) stSet(ST_FR_STOP, 1);
}

/** An Ethernet frame of `len` bytes at `src` starts on link direction `dir`. */
export function frameRowEth(
  link: i32, port: i32, dir: i32, vm: i32, dev: i32, arrivalNs: i64, src: usize, len: i32,
): void {
  const i = frameRowStart(len);
  store<u8>(frKind + i, <u8>FR_KIND_ETH);
  store<u8>(frDir + i, <u8>dir);
  store<i16>(frLink + (i << 1), <i16>link);
  store<i16>(frBus + (i << 1), -1);
  store<i16>(frPort + (i << 1), <i16>port);
  store<i32>(frCanId + (i << 2), -1);
  store<i16>(frFlags + (i << 1), 0);
  store<i16>(frDlc + (i << 1), -1);
  frameRowEnd(i, vm, dev, arrivalNs, src, len);
}

/**
 * A CAN data frame starts on `bus`: canId as the core holds it (bit 31 = CAN_EFF_FLAG), its
 * dlc data bytes at `src` (classic CAN: dlc = bytes, 0..8).
 */
export function frameRowCan(bus: i32, vm: i32, dev: i32, arrivalNs: i64, canId: u32, src: usize, dlc: i32): void {
  const i = frameRowStart(dlc);
  const ext = (canId & 0x80000000) != 0;
  store<u8>(frKind + i, <u8>FR_KIND_CAN);
  store<u8>(frDir + i, <u8>FR_DIR_BUS);
  store<i16>(frLink + (i << 1), -1);
  store<i16>(frBus + (i << 1), <i16>bus);
  store<i16>(frPort + (i << 1), -1);
  store<i32>(frCanId + (i << 2), <i32>(canId & (ext ? 0x1FFFFFFF : 0x7FF)));
  store<i16>(frFlags + (i << 1), ext ? <i16>FR_CAN_EXT : 0);
  store<i16>(frDlc + (i << 1), <i16>dlc);
  frameRowEnd(i, vm, dev, arrivalNs, src, dlc);
}

function frameRowStart(len: i32): usize {
  const n = stGet(ST_FR_COUNT);
  assert(n < frameRingRows, 'frames ring: more rows than its reserve');
  assert(len >= 0 && stGet(ST_FR_BYTES) + len <= frameRingBytes, 'frames ring: more bytes than its reserve');
  return <usize>n;
}

/**
 * The row's times and bytes. seq is the sequence number of the event row just written for the
 * same transmission (link_tx, can_tx): the two tables join on it.
 */
function frameRowEnd(i: usize, vm: i32, dev: i32, arrivalNs: i64, src: usize, len: i32): void {
  const bytes = stGet(ST_FR_BYTES);
  store<i64>(frTs + (i << 3), now());
  store<i64>(frArrival + (i << 3), arrivalNs);
  store<i64>(frSeq + (i << 3), seqPeek() - 1);
  store<i32>(frLen + (i << 2), len);
  store<i16>(frVm + (i << 1), <i16>vm);
  store<i16>(frDev + (i << 1), <i16>dev);
  store<u64>(frHash + (i << 3), xxh64(src, <usize>len, 0));
  if (stGet(ST_FR_NO_BYTES) == 0) memory.copy(frData + <usize>bytes, src, <usize>len);
  store<i32>(frOffsets + ((i + 1) << 2), bytes + len);
  const n = <i32>i + 1;
  stSet(ST_FR_COUNT, n);
  stSet(ST_FR_BYTES, bytes + len);
  frameRingCheckSoft(n, bytes + len);
}

/** Offset of ring column c: 0 ts,1 arrival,2 seq,3 canId,4 len,5 link,6 bus,7 port,8 vm,9 dev,
 *  10 flags,11 dlc,12 kind,13 dir,14 offsets,15 data. */
export function frameRingColumn(c: i32): usize {
  switch (c) {
    case 0: return frTs;
    case 1: return frArrival;
    case 2: return frSeq;
    case 3: return frCanId;
    case 4: return frLen;
    case 5: return frLink;
    case 6: return frBus;
    case 7: return frPort;
    case 8: return frVm;
    case 9: return frDev;
    case 10: return frFlags;
    case 11: return frDlc;
    case 12: return frKind;
    case 13: return frDir;
    case 14: return frOffsets;
    case 15: return frData;
  }
  assert(false, 'frameRingColumn: column 0..15');
  return 0;
}

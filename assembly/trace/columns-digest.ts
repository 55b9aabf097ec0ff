// A 64-bit digest of the first `count` rows of the core's trace columns or frames ring, hashed
// where they lie (issue 9's 1.2x target): a replay compares it with the digest its recording
// wrote for the same batch (digests.ndjson `core`), so a batch that matches is never read back
// from the table file nor sha256-hashed. Not cryptographic: a divergence detector like the state
// digests (state-digest.ts); the table files keep their sha256 in the manifest.
//
// Definition (fixed: recordings carry it): XXH64 (Collet's xxHash, 64-bit, its published
// algorithm) of each column's bytes of rows [0, count) in the column order of
// traceColumnOffset / frameRingColumn (frames: the count + 1 i32 offsets, then the data bytes
// they span), seeded with the digest so far (the first column with the table number and the
// count), so every column, its order and the row count are in the result.
import * as L from '../layout';
import { frameRingColumn } from './frames-ring';

const P1: u64 = 0x9E3779B185EBCA87;
const P2: u64 = 0xC2B2AE3D27D4EB4F;
const P3: u64 = 0x165667B19E3779F9;
const P4: u64 = 0x85EBCA77C2B2AE63;
const P5: u64 = 0x27D4EB2F165667C5;

@inline function round(acc: u64, lane: u64): u64 {
  return rotl<u64>(acc + lane * P2, 31) * P1;
}

@inline function merge(acc: u64, v: u64): u64 {
  return (acc ^ round(0, v)) * P1 + P4;
}

/** XXH64 of bytes [p, p + len) with `seed`. */
export function xxh64(p: usize, len: usize, seed: u64): u64 {
  const end = p + len;
  let h: u64;
  if (len >= 32) {
    let v1 = seed + P1 + P2;
    let v2 = seed + P2;
    let v3 = seed;
    let v4 = seed - P1;
    const limit = end - 32;
    do {
      v1 = round(v1, load<u64>(p));
      v2 = round(v2, load<u64>(p, 8));
      v3 = round(v3, load<u64>(p, 16));
      v4 = round(v4, load<u64>(p, 24));
      p += 32;
    } while (p <= limit);
    h = rotl<u64>(v1, 1) + rotl<u64>(v2, 7) + rotl<u64>(v3, 12) + rotl<u64>(v4, 18);
    h = merge(h, v1);
    h = merge(h, v2);
    h = merge(h, v3);
    h = merge(h, v4);
  } else {
    h = seed + P5;
  }
  h += <u64>len;
  while (p + 8 <= end) {
    h ^= round(0, load<u64>(p));
    h = rotl<u64>(h, 27) * P1 + P4;
    p += 8;
  }
  if (p + 4 <= end) {
    h ^= <u64>load<u32>(p) * P1;
    h = rotl<u64>(h, 23) * P2 + P3;
    p += 4;
  }
  while (p < end) {
    h ^= <u64>load<u8>(p) * P5;
    h = rotl<u64>(h, 11) * P1;
    p++;
  }
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

/** Bytes per row of frames ring column c < 14 (frames-ring.ts frameRowEth / frameRowCan). No
 *  array literal: the core's stub runtime never frees, so a per-call allocation would grow memory. */
function frameColumnWidth(c: i32): usize {
  if (c < 3) return 8;
  if (c < 5) return 4;
  if (c < 12) return 2;
  return 1;
}

export const DIGEST_EVENTS: i32 = 0;
export const DIGEST_FRAMES: i32 = 1;

/** Digest of rows [0, count) of the trace columns (table 0) or the frames ring (table 1). */
export function columnsDigest(table: i32, count: i32): u64 {
  assert(count >= 0, 'columnsDigest: count < 0');
  const n = <usize>count;
  let h: u64 = xxh64(0, 0, (<u64>table << 32) | <u64>count);
  if (table == DIGEST_EVENTS) {
    assert(count <= L.traceCapacity, 'columnsDigest: more rows than the trace columns hold');
    h = xxh64(L.colTs, n * 8, h);
    h = xxh64(L.colSeq, n * 8, h);
    h = xxh64(L.colVm, n * 2, h);
    h = xxh64(L.colVcpu, n * 2, h);
    h = xxh64(L.colKind, n, h);
    h = xxh64(L.colDev, n * 2, h);
    h = xxh64(L.colQueue, n * 2, h);
    h = xxh64(L.colId, n * 8, h);
    h = xxh64(L.colLen, n * 4, h);
    return xxh64(L.colVal, n * 8, h);
  }
  assert(table == DIGEST_FRAMES, 'columnsDigest: table 0 (events) or 1 (frames)');
  assert(count <= L.frameRingRows, 'columnsDigest: more rows than the frames ring holds');
  // fixed-width columns 0..13 (ts, arrival, seq, canId, len, link, bus, port, vm, dev, flags, dlc, kind, dir)
  for (let c = 0; c < 14; c++) h = xxh64(frameRingColumn(c), n * frameColumnWidth(c), h);
  const offsets = frameRingColumn(14);
  h = xxh64(offsets, (n + 1) * 4, h);
  return xxh64(frameRingColumn(15), <usize>load<i32>(offsets + (n << 2)), h);
}

// A 64-bit digest of the first `count` rows of the core's trace columns or frames ring, hashed
// where they lie (issue 9's 1.2x target): a replay compares it with the digest its recording
// wrote for the same batch (digests.ndjson `core`), so a batch that matches is never read back
// from the table file nor sha256-hashed. Not cryptographic: a divergence detector like the state
// digests (state-digest.ts); the table files keep their sha256 in the manifest.
//
// Definition (fixed: recordings carry it; digests.ndjson's header names it as coreDigest 2):
// XXH64 (Collet's xxHash, 64-bit, its published algorithm) of each column's bytes of rows
// [0, count) in the column order of traceColumnOffset / frameRingColumn, seeded with the digest
// so far (the first column with the table number and the count), so every column, its order and
// the row count are in the result. Frames: the fixed-width columns, the count + 1 i32 offsets,
// then each row's XXH64 of its bytes (seed 0, frames-ring.ts frameRowEnd: taken as the frame
// enters the ring, its bytes still in cache) as count u64 — not the bytes themselves, so a
// replay that keeps no frame bytes (frameRingKeepBytes) digests the same batch. (coreDigest 1,
// the session before: the data bytes in place of the row hashes; replay compares such a
// trace's files instead.)
import * as L from '../layout';
import { frameRingColumn, frameRowHashes } from './frames-ring';
import { xxh64 } from './xxh64';

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
  h = xxh64(frameRingColumn(14), (n + 1) * 4, h);
  return xxh64(frameRowHashes(), n * 8, h);
}

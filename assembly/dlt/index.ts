// The DLT import kernel: fills the `dlt` table's batch columns (what DltBatchBuilder.add does in
// src/formats/dlt/import-batch.ts, which stays the reference and says what each column holds)
// for messages the JavaScript parser has already framed in this module's input buffers.
// Flat numeric exports, each with a one-line contract; memory laid out once by init()
// (layout.ts), nothing allocated afterwards; asserts stay on and surface as env.abort.
//
// A row's payload text that this kernel does not render (render.ts returns -1) stops
// appendRows() with STOP_SLOW: TypeScript writes the reference text at ST_SLOW_AT and calls
// finishSlowRow(), and appendRows() goes on.
import * as L from './layout';
import { renderInit, renderPayload, renderSizeMax } from './render';
import { ECU_STATES, ecuStateCount, frameRun, lifecycleInit, observeMessage } from './frame';

export { ecuStateCount, frameRun, observeMessage };

export const DLT_KERNEL_VERSION: u32 = 2;

const HTYP_UEH: i32 = 0x01;
const HTYP_MSBF: i32 = 0x02;
const HTYP_WEID: i32 = 0x04;
const HTYP_WSID: i32 = 0x08;
const HTYP_WTMS: i32 = 0x10;
const STORAGE_HEADER_SIZE: usize = 16;

/** Version of this export surface. */
export function kernelVersion(): u32 { return DLT_KERNEL_VERSION; }

/**
 * Lays out memory for batches of `batchRows` rows in `regionCount` regions, `inputCount` input
 * buffers of `inputBytes`, and per batch `payloadBytes` of payload text and `rawBytes` of raw
 * payload; grows the memory once and selects region 0. Call once.
 */
export function init(
  batchRows: i32, regionCount: i32, inputCount: i32, inputBytes: i32, payloadBytes: i32, rawBytes: i32,
): void {
  assert(L.batchRows == 0, 'init: called twice');
  assert(batchRows >= 1 && batchRows <= 1 << 20, 'init: batchRows must be 1..2^20');
  assert(regionCount >= 1 && regionCount <= 8, 'init: regionCount must be 1..8');
  assert(inputCount >= 1 && inputCount <= 64, 'init: inputCount must be 1..64');
  assert(inputBytes >= 65536 + 16 && (inputBytes & 7) == 0, 'init: inputBytes must hold a message, x8');
  // any single row must fit an empty batch, or a batch could never take it
  const textRowMax = max(renderSizeMax(L.PAYLOAD_BYTES_MAX), L.SLOW_TEXT_BYTES_MAX);
  assert(payloadBytes >= textRowMax, 'init: payloadBytes below one row\'s worst case');
  assert(rawBytes >= L.PAYLOAD_BYTES_MAX, 'init: rawBytes below one payload');
  L.setLimits(batchRows, regionCount, inputCount, inputBytes, payloadBytes, rawBytes);
  L.layoutCompute();
  renderInit();
  lifecycleInit();
  for (let r = 0; r < regionCount; r++) {
    // vm is always -1 (imported rows come from no VM); offsets[0] = 0 by zeroed memory
    const vm = L.regionPtr(r, L.P_VM);
    for (let i = 0; i < batchRows; i++) store<i16>(vm + 2 * <usize>i, -1);
    for (let c = 0; c < L.NULLABLE_COLUMNS; c++) memory.fill(L.regionPtr(r, L.P_VALIDITY + c), 0xff, L.bitmapBytes);
  }
  useRegion(0);
}

/** Address of the STATE fields (ST_* byte offsets, i32 each). */
export function statePtr(): usize { return L.STATE; }
/** Address of the subtype texts: 128 entries of {u8 length, 15 B UTF-8}, TypeScript fills them. */
export function subtypesPtr(): usize { return L.SUBTYPES; }
/** Address of input buffer `k` (inputBytes long). */
export function inputPtr(k: i32): usize {
  assert(k >= 0 && k < L.inputCount, 'inputPtr: no such input');
  return L.INPUTS + <usize>k * <usize>L.inputBytes;
}
/** Address of the ECU lifecycle states (frame.ts: ecuStateCount() of ECU_STATE bytes, first seen first). */
export function ecuStatesPtr(): usize { return ECU_STATES; }
/** Address of the row queue: batchRows entries of {u32 message address, i32 lifecycle}. */
export function queuePtr(): usize { return L.QUEUE; }
/** Address of pointer id `id` (layout.ts P_*) in batch region `region`. */
export function regionPtr(region: i32, id: i32): usize { return L.regionPtr(region, id); }
/** Capacity in bytes of var column `c` (layout.ts COL_ECU..COL_STORAGE_ECU) in every region. */
export function varCapacity(c: i32): i32 {
  assert(c >= 0 && c < L.VAR_COLUMNS, 'varCapacity: not a var column');
  return L.varCapacity(c);
}

// The region being filled: its column addresses, and its count, null counts and var ends
// (written back to its HEAD by syncHead() before every return to TypeScript).
let head: usize = 0;
let pTs: usize = 0;
let pLocal: usize = 0;
let pMessageId: usize = 0;
let pSession: usize = 0;
let pLifecycle: usize = 0;
let pCounter: usize = 0;
let pNoar: usize = 0;
let pHtyp: usize = 0;
let pType: usize = 0;
let pLevel: usize = 0;
let pVerbose: usize = 0;
const validity = memory.data(4 * L.NULLABLE_COLUMNS);
const offsets = memory.data(4 * L.VAR_COLUMNS);
const bytes = memory.data(4 * L.VAR_COLUMNS);
const nulls = memory.data(4 * L.NULLABLE_COLUMNS);
const ends = memory.data(4 * L.VAR_COLUMNS);
let count: i32 = 0;

/**
 * Makes `region` the one appended to, emptied (like DltBatchBuilder.reset(): bitmaps back to
 * all valid only where a NULL was set). Its previous batch must be written already.
 */
export function useRegion(region: i32): void {
  assert(region >= 0 && region < L.regionCount, 'useRegion: no such region');
  L.stSet(L.ST_REGION, region);
  head = L.regionPtr(region, L.P_HEAD);
  pTs = L.regionPtr(region, L.P_TS);
  pLocal = L.regionPtr(region, L.P_LOCAL);
  pMessageId = L.regionPtr(region, L.P_MESSAGE_ID);
  pSession = L.regionPtr(region, L.P_SESSION);
  pLifecycle = L.regionPtr(region, L.P_LIFECYCLE);
  pCounter = L.regionPtr(region, L.P_COUNTER);
  pNoar = L.regionPtr(region, L.P_NOAR);
  pHtyp = L.regionPtr(region, L.P_HTYP);
  pType = L.regionPtr(region, L.P_TYPE);
  pLevel = L.regionPtr(region, L.P_LEVEL);
  pVerbose = L.regionPtr(region, L.P_VERBOSE);
  for (let c = 0; c < L.NULLABLE_COLUMNS; c++) {
    const bitmap = L.regionPtr(region, L.P_VALIDITY + c);
    store<u32>(validity + 4 * c, bitmap);
    if (load<i32>(head + L.HEAD_NULLS + 4 * c) > 0) memory.fill(bitmap, 0xff, L.bitmapBytes);
    store<i32>(nulls + 4 * c, 0);
  }
  for (let c = 0; c < L.VAR_COLUMNS; c++) {
    store<u32>(offsets + 4 * c, L.regionPtr(region, L.P_OFFSETS + c));
    store<u32>(bytes + 4 * c, L.regionPtr(region, L.P_BYTES + c));
    store<i32>(ends + 4 * c, 0);
  }
  count = 0;
  syncHead();
}

function syncHead(): void {
  store<i32>(head + L.HEAD_COUNT, count);
  memory.copy(head + L.HEAD_NULLS, nulls, 4 * L.NULLABLE_COLUMNS);
  memory.copy(head + L.HEAD_ENDS, ends, 4 * L.VAR_COLUMNS);
}

// @ts-ignore: decorator
@inline function endOf(c: i32): i32 { return load<i32>(ends + 4 * c); }
// @ts-ignore: decorator
@inline function bytesAt(c: i32): usize { return <usize>load<u32>(bytes + 4 * c) + <usize>endOf(c); }

/** Marks row i NULL in column c. */
// @ts-ignore: decorator
@inline function setNull(c: i32, i: i32): void {
  const at = <usize>load<u32>(validity + 4 * c) + <usize>(i >> 3);
  store<u8>(at, load<u8>(at) & ~(<u8>1 << <u8>(i & 7)));
  store<i32>(nulls + 4 * c, load<i32>(nulls + 4 * c) + 1);
}

/** Ends row i of var column c at byte address `to` (NULL unless ok). */
// @ts-ignore: decorator
@inline function closeVar(c: i32, i: i32, to: usize, ok: bool): void {
  const end = <i32>(to - <usize>load<u32>(bytes + 4 * c));
  store<i32>(ends + 4 * c, end);
  store<i32>(<usize>load<u32>(offsets + 4 * c) + 4 * <usize>(i + 1), end);
  if (!ok) setNull(c, i);
}

/** A DLT id (4 bytes up to the first NUL) as UTF-8 of its Latin-1 reading; returns the end. */
function writeId(at: usize, o: usize): usize {
  const w = load<u32>(at);
  // the usual id: four ASCII characters, none of them NUL
  if ((w & 0x80808080) == 0 && ((w - 0x01010101) & ~w & 0x80808080) == 0) {
    store<u32>(o, w);
    return o + 4;
  }
  for (let k: usize = 0; k < 4; k++) {
    const c = load<u8>(at + k);
    if (c == 0) break;
    if (c < 0x80) {
      store<u8>(o++, c);
    } else {
      store<u8>(o++, 0xc0 | (c >> 6));
      store<u8>(o++, 0x80 | (c & 0x3f));
    }
  }
  return o;
}

// A row stopped for the reference renderer: what finishSlowRow() needs to finish it.
let slowRaw: usize = 0;
let slowRawLength: i32 = 0;
let slowLifecycle: i32 = 0;
let slowHtyp: i32 = 0;
let slowMessage: usize = 0;

/**
 * Appends queue entries [ST_CURSOR, n) as rows of the current region. Returns (and leaves in
 * ST_STATUS) STOP_DONE with the cursor back at 0, STOP_FULL when the region is full (rows, or
 * var bytes for the next row's worst case; the cursor is at that row), or STOP_SLOW.
 */
export function appendRows(n: i32): i32 {
  assert(n >= 0 && n <= L.batchRows, 'appendRows: more rows than the queue holds');
  let q = L.stGet(L.ST_CURSOR);
  assert(q <= n, 'appendRows: cursor past the queue');
  let status = L.STOP_DONE;
  for (; q < n; q++) {
    const entry = L.QUEUE + 8 * <usize>q;
    const message = <usize>load<u32>(entry);
    assert(message >= L.INPUTS && message < L.QUEUE, 'appendRows: message outside the inputs');
    const fits = appendRow(message, load<i32>(entry + 4));
    if (fits == 0) {
      status = L.STOP_FULL;
      break;
    }
    if (fits < 0) {
      status = L.STOP_SLOW;
      break;
    }
  }
  L.stSet(L.ST_CURSOR, status == L.STOP_DONE ? 0 : q);
  L.stSet(L.ST_STATUS, status);
  syncHead();
  return status;
}

/** STOP_SLOW: TypeScript wrote the row's payload text up to `textEnd`; finishes the row. */
export function finishSlowRow(textEnd: usize): void {
  assert(L.stGet(L.ST_STATUS) == L.STOP_SLOW, 'finishSlowRow: no row is waiting');
  const from = <usize>L.stGet(L.ST_SLOW_AT);
  assert(textEnd >= from && textEnd <= <usize>L.stGet(L.ST_SLOW_END), 'finishSlowRow: text outside the payload region');
  L.stSet(L.ST_SLOW_ROWS, L.stGet(L.ST_SLOW_ROWS) + 1);
  finishRow(textEnd, slowRaw, slowRawLength, slowLifecycle, slowHtyp, slowMessage);
  L.stSet(L.ST_CURSOR, L.stGet(L.ST_CURSOR) + 1);
  L.stSet(L.ST_STATUS, L.STOP_DONE);
  syncHead();
}

/**
 * One row from the storage-framed message at `s`: 1 appended, 0 when the region cannot take it
 * (nothing written), -1 when its payload text needs the reference renderer (finishSlowRow).
 */
function appendRow(s: usize, lifecycle: i32): i32 {
  const i = count;
  if (i == L.batchRows) return 0;
  const h = s + STORAGE_HEADER_SIZE;
  const htyp = <i32>load<u8>(h);
  const length = <usize>bswap<u16>(load<u16>(h + 2));
  let p = h + 4;
  let ecuAt = s + 12;
  if ((htyp & HTYP_WEID) != 0) {
    ecuAt = p;
    p += 4;
  }
  const sessionAt = p;
  if ((htyp & HTYP_WSID) != 0) p += 4;
  const timestampAt = p;
  if ((htyp & HTYP_WTMS) != 0) p += 4;
  let msin = -1;
  let noar = 0;
  const extendedAt = p;
  if ((htyp & HTYP_UEH) != 0) {
    msin = <i32>load<u8>(p);
    noar = <i32>load<u8>(p + 1);
    p += 10;
  }
  assert(h + length >= p, 'appendRow: the message is shorter than its headers');
  const payloadLength = <i32>(h + length - p);
  // the worst case of this row's var bytes must fit (ids and subtype always do: sized per row)
  const textMax = max(renderSizeMax(payloadLength), L.SLOW_TEXT_BYTES_MAX);
  if (L.varCapacity(L.COL_PAYLOAD) - endOf(L.COL_PAYLOAD) < textMax) return 0;
  if (L.varCapacity(L.COL_RAW) - endOf(L.COL_RAW) < payloadLength) return 0;

  const row = <usize>i;
  const seconds = <i64>load<u32>(s + 4);
  const microseconds = <i64>load<u32>(s + 8);
  store<i64>(pTs + 8 * row, seconds * 1_000_000_000 + microseconds * 1000);
  const local = (htyp & HTYP_WTMS) != 0 ? <i64>bswap<u32>(load<u32>(timestampAt)) * 100_000 : 0;
  store<i64>(pLocal + 8 * row, local);
  closeVar(L.COL_ECU, i, writeId(ecuAt, bytesAt(L.COL_ECU)), true);
  const ext = msin >= 0;
  closeVar(L.COL_APID, i, ext ? writeId(extendedAt + 2, bytesAt(L.COL_APID)) : bytesAt(L.COL_APID), ext);
  closeVar(L.COL_CTID, i, ext ? writeId(extendedAt + 6, bytesAt(L.COL_CTID)) : bytesAt(L.COL_CTID), ext);
  const hasSession = (htyp & HTYP_WSID) != 0;
  store<i32>(pSession + 4 * row, hasSession ? bswap<u32>(load<u32>(sessionAt)) : 0);
  if (!hasSession) setNull(L.COL_SESSION, i);
  appendTypes(i, msin);
  store<i16>(pCounter + 2 * row, <i16>load<u8>(h + 1));
  const verbose = ext && (msin & 0x01) != 0;
  const bitAt = pVerbose + (row >> 3);
  const bit = <u8>1 << <u8>(i & 7);
  store<u8>(bitAt, verbose ? load<u8>(bitAt) | bit : load<u8>(bitAt) & ~bit);
  store<i16>(pNoar + 2 * row, <i16>noar);
  const bigEndian = (htyp & HTYP_MSBF) != 0;
  const hasId = !verbose && payloadLength >= 4;
  // the u32's bits, unsigned in the i64
  const id = hasId ? <i64>(bigEndian ? bswap<u32>(load<u32>(p)) : load<u32>(p)) : 0;
  store<i64>(pMessageId + 8 * row, id);
  if (!hasId) setNull(L.COL_MESSAGE_ID, i);

  const textAt = bytesAt(L.COL_PAYLOAD);
  const textEnd = renderPayload(p, payloadLength, msin, noar, bigEndian, textAt);
  if (textEnd < 0) {
    L.stSet(L.ST_SLOW_AT, <i32>textAt);
    L.stSet(L.ST_SLOW_MESSAGE, <i32>s);
    L.stSet(L.ST_SLOW_END, <i32>(<usize>load<u32>(bytes + 4 * L.COL_PAYLOAD) + <usize>L.varCapacity(L.COL_PAYLOAD)));
    slowRaw = p;
    slowRawLength = payloadLength;
    slowLifecycle = lifecycle;
    slowHtyp = htyp;
    slowMessage = s;
    return -1;
  }
  assert(<usize>textEnd - textAt <= <usize>renderSizeMax(payloadLength), 'appendRow: text past its bound');
  finishRow(<usize>textEnd, p, payloadLength, lifecycle, htyp, s);
  return 1;
}

/** type, subtype and level (a message without extended header leaves their values as they were). */
function appendTypes(i: i32, msin: i32): void {
  const row = <usize>i;
  if (msin < 0) {
    setNull(L.COL_TYPE, i);
    closeVar(L.COL_SUBTYPE, i, bytesAt(L.COL_SUBTYPE), false);
    setNull(L.COL_LEVEL, i);
    return;
  }
  const type = (msin & 0x0e) >> 1;
  const sub = msin >> 4;
  store<i8>(pType + row, <i8>(type < 4 ? type : 0));
  if (type >= 4) setNull(L.COL_TYPE, i);
  const entry = L.SUBTYPES + <usize>(type * 16 + sub) * L.SUBTYPE_ENTRY;
  const textLength = <usize>load<u8>(entry);
  const o = bytesAt(L.COL_SUBTYPE);
  memory.copy(o, entry + 1, textLength);
  closeVar(L.COL_SUBTYPE, i, o + textLength, true);
  const level = type == 0 && sub >= 1 && sub <= 6 ? sub - 1 : -1;
  store<i8>(pLevel + row, <i8>(level < 0 ? 0 : level));
  if (level < 0) setNull(L.COL_LEVEL, i);
}

/** The columns after the payload text: raw payload, lifecycle, htyp, storage ECU; count + 1. */
function finishRow(textEnd: usize, raw: usize, rawLength: i32, lifecycle: i32, htyp: i32, s: usize): void {
  const i = count;
  const row = <usize>i;
  closeVar(L.COL_PAYLOAD, i, textEnd, true);
  const o = bytesAt(L.COL_RAW);
  memory.copy(o, raw, <usize>rawLength);
  closeVar(L.COL_RAW, i, o + <usize>rawLength, true);
  store<i32>(pLifecycle + 4 * row, lifecycle);
  store<i16>(pHtyp + 2 * row, <i16>htyp);
  closeVar(L.COL_STORAGE_ECU, i, writeId(s + 12, bytesAt(L.COL_STORAGE_ECU)), true);
  count = i + 1;
}

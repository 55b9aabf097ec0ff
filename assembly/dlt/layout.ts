// The memory map of the DLT import kernel. init() computes every offset from its limits and
// grows the memory ONCE; nothing moves or grows afterwards, so the TypeScript views made after
// init (src/formats/dlt/kernel.ts) stay valid. Offsets are derived here and nowhere else.
//
//  0 ─────────── __heap_base (static data: assert messages, the digit tables of render.ts)
//  │ STATE     256 B: i32 fields TypeScript reads through an Int32Array view (ST_*)
//  │ SUBTYPES  128 x 16 B: the `subtype` text per (type · 16 + subtype): {u8 length, 15 B text},
//  │           written by TypeScript at start-up (render-line.ts is the one source of the names)
//  │ INPUTS    inputCount x inputBytes: each file's parser buffer (DltParser option `buffer`)
//  │ QUEUE     batchRows x 8 B: {u32 message address, i32 lifecycle} of framed rows to append
//  │ BATCHES   regionCount x one batch of the `dlt` table, used in turn (one filling, the
//  │           others being written by the writer thread straight from this shared memory):
//  │
//  │   HEAD      256 B: i32 row count, then per column id (COL_*) its null count, var end
//  │   fixed     ts i64 | local i64 | message_id i64 | session i32 | lifecycle i32 | vm i16 |
//  │             counter i16 | noar i16 | htyp i16 | type i8 | level i8   (x batchRows each)
//  │   bits      verbose bits, then the validity bitmaps of the nullable columns (x bitmapBytes)
//  │   offsets   per var column: (batchRows + 1) x i32
//  │   var bytes ecu, apid, ctid, storage_ecu: 8 B/row; subtype 16 B/row; payload payloadBytes;
//  │             payload_raw rawBytes
//  │ LIFECYCLES  the ECU tables of frame.ts (fixed size), then its session table (replaced by a
//  │             larger one further on when it fills: the only growth after init)
//  end

export const WASM_PAGE: i32 = 65536;
export const STATE_BYTES: i32 = 256;
export const SUBTYPE_ENTRY: i32 = 16;
export const SUBTYPE_ENTRIES: i32 = 128;
export const HEAD_BYTES: i32 = 256;
export const QUEUE_ENTRY: i32 = 8;
/** A DLT id prints as at most 4 characters of 2 UTF-8 bytes (Latin-1 above 0x7f). */
export const ID_BYTES_MAX: i32 = 8;
/**
 * Payload text the reference renderer (render-payload.ts) can give for one message: the C text
 * buffer holds 10024 bytes, each at most one character of ≤ 3 UTF-8 bytes.
 */
export const SLOW_TEXT_BYTES_MAX: i32 = 3 * 10024;
/** The standard header's length field is 16 bits. */
export const PAYLOAD_BYTES_MAX: i32 = 65535;

// STATE fields (byte offsets).
export const ST_STATUS: i32 = 0; //       why appendRows() stopped (STOP_*)
export const ST_CURSOR: i32 = 4; //       queue entries appended so far
export const ST_REGION: i32 = 8; //       the batch region being filled
export const ST_SLOW_AT: i32 = 12; //     STOP_SLOW: address where the row's payload text goes
export const ST_SLOW_MESSAGE: i32 = 16; // STOP_SLOW: address of the row's message (storage header)
export const ST_SLOW_END: i32 = 20; //    STOP_SLOW: the payload region's end (text must stop there)
export const ST_SLOW_ROWS: i32 = 24; //   rows whose payload text JavaScript rendered, in total
export const ST_FRAME_AT: i32 = 28; //    frameRun(): the address where it stopped framing

// Why appendRows() stopped.
export const STOP_DONE: i32 = 0; //  every queued row is in the batch
export const STOP_FULL: i32 = 1; //  the batch is full (rows or var bytes): write it, take the next
export const STOP_SLOW: i32 = 2; //  a row's payload text needs the reference renderer

// Column ids: the `dlt` table's columns that have a null count or var bytes (HEAD fields).
export const COL_ECU: i32 = 0;
export const COL_APID: i32 = 1;
export const COL_CTID: i32 = 2;
export const COL_SUBTYPE: i32 = 3;
export const COL_PAYLOAD: i32 = 4;
export const COL_RAW: i32 = 5;
export const COL_STORAGE_ECU: i32 = 6;
export const COL_SESSION: i32 = 7;
export const COL_TYPE: i32 = 8;
export const COL_LEVEL: i32 = 9;
export const COL_MESSAGE_ID: i32 = 10;
export const VAR_COLUMNS: i32 = 7; // ids 0..6 are var columns, 7..10 fixed ones
export const NULLABLE_COLUMNS: i32 = 11;
// HEAD layout: row count, then null counts, then var ends.
export const HEAD_COUNT: i32 = 0;
export const HEAD_NULLS: i32 = 4; //              + 4 · column id
export const HEAD_ENDS: i32 = HEAD_NULLS + 4 * NULLABLE_COLUMNS; // + 4 · var column id

// Pointer ids TypeScript asks for with regionPtr(region, id).
export const P_HEAD: i32 = 0;
export const P_TS: i32 = 1;
export const P_LOCAL: i32 = 2;
export const P_MESSAGE_ID: i32 = 3;
export const P_SESSION: i32 = 4;
export const P_LIFECYCLE: i32 = 5;
export const P_VM: i32 = 6;
export const P_COUNTER: i32 = 7;
export const P_NOAR: i32 = 8;
export const P_HTYP: i32 = 9;
export const P_TYPE: i32 = 10;
export const P_LEVEL: i32 = 11;
export const P_VERBOSE: i32 = 12;
export const P_VALIDITY: i32 = 13; //   + column id (COL_*): its validity bitmap
export const P_OFFSETS: i32 = 13 + NULLABLE_COLUMNS; //   + var column id
export const P_BYTES: i32 = P_OFFSETS + VAR_COLUMNS; //   + var column id
export const P_COUNT: i32 = P_BYTES + VAR_COLUMNS;

// Limits, set once by setLimits().
export let batchRows: i32 = 0;
export let bitmapBytes: i32 = 0;
export let regionCount: i32 = 0;
export let inputCount: i32 = 0;
export let inputBytes: i32 = 0;
export let payloadBytes: i32 = 0;
export let rawBytes: i32 = 0;

// Region starts.
export let STATE: usize = 0;
export let SUBTYPES: usize = 0;
export let INPUTS: usize = 0;
export let QUEUE: usize = 0;
export let BATCHES: usize = 0;
export let regionStride: usize = 0;
export let memoryEnd: usize = 0;

/** Offset of each pointer id inside a batch region. */
const regionOffsets = memory.data(P_COUNT * 4);
/** Bytes per var column (ids 0..6). */
const varCapacities = memory.data(VAR_COLUMNS * 4);

function align8(n: usize): usize {
  return (n + 7) & ~(<usize>7);
}

export function setLimits(rows: i32, regions: i32, inputs: i32, inBytes: i32, textBytes: i32, rawB: i32): void {
  batchRows = rows;
  bitmapBytes = (rows + 7) >> 3;
  regionCount = regions;
  inputCount = inputs;
  inputBytes = inBytes;
  payloadBytes = textBytes;
  rawBytes = rawB;
}

/** Places pointer id `id` at `at` in a batch region; returns where the next one goes. */
function put(id: i32, size: usize, at: usize): usize {
  store<i32>(regionOffsets + 4 * id, <i32>at);
  return align8(at + size);
}

/** Computes every region's offset from the limits and grows the memory to hold them. */
export function layoutCompute(): void {
  STATE = align8(__heap_base);
  SUBTYPES = STATE + STATE_BYTES;
  INPUTS = align8(SUBTYPES + SUBTYPE_ENTRIES * SUBTYPE_ENTRY);
  QUEUE = align8(INPUTS + <usize>inputCount * <usize>inputBytes);
  BATCHES = align8(QUEUE + <usize>batchRows * QUEUE_ENTRY);
  const rows = <usize>batchRows;
  store<i32>(varCapacities + 4 * COL_ECU, ID_BYTES_MAX * batchRows);
  store<i32>(varCapacities + 4 * COL_APID, ID_BYTES_MAX * batchRows);
  store<i32>(varCapacities + 4 * COL_CTID, ID_BYTES_MAX * batchRows);
  store<i32>(varCapacities + 4 * COL_SUBTYPE, SUBTYPE_ENTRY * batchRows);
  store<i32>(varCapacities + 4 * COL_PAYLOAD, payloadBytes);
  store<i32>(varCapacities + 4 * COL_RAW, rawBytes);
  store<i32>(varCapacities + 4 * COL_STORAGE_ECU, ID_BYTES_MAX * batchRows);
  let at: usize = 0;
  at = put(P_HEAD, HEAD_BYTES, at);
  at = put(P_TS, 8 * rows, at);
  at = put(P_LOCAL, 8 * rows, at);
  at = put(P_MESSAGE_ID, 8 * rows, at);
  at = put(P_SESSION, 4 * rows, at);
  at = put(P_LIFECYCLE, 4 * rows, at);
  at = put(P_VM, 2 * rows, at);
  at = put(P_COUNTER, 2 * rows, at);
  at = put(P_NOAR, 2 * rows, at);
  at = put(P_HTYP, 2 * rows, at);
  at = put(P_TYPE, rows, at);
  at = put(P_LEVEL, rows, at);
  at = put(P_VERBOSE, bitmapBytes, at);
  for (let c = 0; c < NULLABLE_COLUMNS; c++) at = put(P_VALIDITY + c, bitmapBytes, at);
  for (let c = 0; c < VAR_COLUMNS; c++) at = put(P_OFFSETS + c, 4 * (rows + 1), at);
  for (let c = 0; c < VAR_COLUMNS; c++) at = put(P_BYTES + c, <usize>varCapacity(c), at);
  regionStride = at;
  memoryEnd = BATCHES + regionStride * <usize>regionCount;
  assert(memoryEnd < 0xffff_0000, 'init: the kernel memory would exceed 4 GiB');
  const pagesNeeded = <i32>((memoryEnd + WASM_PAGE - 1) / WASM_PAGE);
  const pagesHave = memory.size();
  if (pagesNeeded > pagesHave) assert(memory.grow(pagesNeeded - pagesHave) >= 0, 'init: memory.grow failed');
}

/** The end of what is laid out (frame.ts appends its tables at the end). */
export function setMemoryEnd(end: usize): void {
  memoryEnd = end;
}

/** Capacity in bytes of var column `c`. */
export function varCapacity(c: i32): i32 {
  return load<i32>(varCapacities + 4 * c);
}

/** Address of pointer id `id` in batch region `region`. */
export function regionPtr(region: i32, id: i32): usize {
  assert(region >= 0 && region < regionCount, 'regionPtr: no such region');
  assert(id >= 0 && id < P_COUNT, 'regionPtr: no such pointer id');
  return BATCHES + regionStride * <usize>region + <usize>load<i32>(regionOffsets + 4 * id);
}

// Small named accessors of STATE.
export function stGet(field: i32): i32 {
  return load<i32>(STATE + field);
}
export function stSet(field: i32, v: i32): void {
  store<i32>(STATE + field, v);
}

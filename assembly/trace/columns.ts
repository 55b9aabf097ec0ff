// Trace columns: struct of arrays in linear memory, written once per event and wrapped by the
// recorder without copying (ARCHITECTURE 5). The soft limit (capacity - reserve) is where
// TypeScript drains; the reserve is at least the rows any single step can write, so a step that
// starts below the soft limit always fits (asserted on every write).
import {
  colTs, colSeq, colId, colVal, colLen, colVm, colVcpu, colDev, colQueue, colKind,
  traceCapacity, stGet, stSet, ST_TRACE_COUNT, ST_TRACE_SOFT, ST_TRACE_CAP, SEG_MAX, ST_FR_STOP, stateAt, ST_NOW, ST_SEQ,
  scratchBytes, PAGE_SHIFT,
} from '../layout';
import { Kind, KIND_LAST } from './kinds';

/** Rows one step may write besides descriptor reads: buffer pages, ring fields, back-end rows. */
const STEP_ROWS_BASE: i32 = SEG_MAX + 64;

export function traceInit(): void {
  stSet(ST_TRACE_CAP, traceCapacity);
  stSet(ST_TRACE_COUNT, 0);
  traceReserveFor(0);
}

/** Rows one step on a queue of `size` can write: two descriptor walks (main + indirect). */
export function stepRowsFor(size: i32): i32 {
  return 2 * size + STEP_ROWS_BASE + (scratchBytes >> PAGE_SHIFT);
}

/** Raise the reserve to cover a queue of `size`; false when the capacity cannot hold it. */
export function traceReserveFor(size: i32): bool {
  const reserve = stepRowsFor(size);
  if (reserve > traceCapacity / 2) return false;
  const soft = traceCapacity - reserve;
  if (soft < stGet(ST_TRACE_SOFT) || stGet(ST_TRACE_SOFT) == 0) stSet(ST_TRACE_SOFT, soft);
  return true;
}

@inline export function traceCount(): i32 {
  return stGet(ST_TRACE_COUNT);
}

/**
 * True while a new step may start (its rows fit below capacity, and its frames in the frames
 * ring: issue 12 §1, trace/frames-ring.ts; ST_FR_STOP stays 0 when frames are not recorded).
 */
@inline export function traceRoom(): bool {
  const st = stateAt();
  return load<i32>(st + <usize>ST_TRACE_COUNT) < load<i32>(st + <usize>ST_TRACE_SOFT) &&
    load<i32>(st + <usize>ST_FR_STOP) == 0;
}

export function traceReset(): void {
  stSet(ST_TRACE_COUNT, 0);
}

/** Append one row at now(); -1 marks a column that does not apply. */
export function traceRow(
  kind: i32, vm: i32, dev: i32, queue: i32, id: i64, len: i32, val: i64,
): void {
  traceRowFull(kind, vm, -1, dev, queue, id, len, val);
}

export function traceRowFull(
  kind: i32, vm: i32, vcpu: i32, dev: i32, queue: i32, id: i64, len: i32, val: i64,
): void {
  traceRowInline(kind, vm, vcpu, dev, queue, id, len, val);
}

/**
 * traceRowFull's body, inlined where a row is written per chain (the virtqueue cycle): in V8's
 * wasm calling convention every register is caller-saved, so a call per row spilled every live
 * value of the caller (issue 10 §4).
 */
@inline export function traceRowInline(
  kind: i32, vm: i32, vcpu: i32, dev: i32, queue: i32, id: i64, len: i32, val: i64,
): void {
  // Count, clock and sequence counter: now(), seqTake(), stGet/stSet spelled out.
  const st = stateAt();
  const n = load<i32>(st + <usize>ST_TRACE_COUNT);
  assert(n < traceCapacity, 'trace: a step wrote more rows than the reserve');
  assert(kind > Kind.NONE && kind <= KIND_LAST, 'trace: unknown event kind');
  const i = <usize>n;
  const seq = load<i64>(st + <usize>ST_SEQ);
  store<i64>(st + <usize>ST_SEQ, seq + 1);
  store<i64>(colTs + (i << 3), load<i64>(st + <usize>ST_NOW));
  store<i64>(colSeq + (i << 3), seq);
  store<i64>(colId + (i << 3), id);
  store<i64>(colVal + (i << 3), val);
  store<i32>(colLen + (i << 2), len);
  store<i16>(colVm + (i << 1), <i16>vm);
  store<i16>(colVcpu + (i << 1), <i16>vcpu);
  store<i16>(colDev + (i << 1), <i16>dev);
  store<i16>(colQueue + (i << 1), <i16>queue);
  store<u8>(colKind + i, <u8>kind);
  store<i32>(st + <usize>ST_TRACE_COUNT, n + 1);
}

// The core's timed events: a binary min-heap of fixed capacity ordered by (time, seq), where seq
// comes from the global sequence counter, so ties never depend on identity (ARCHITECTURE 1).
//  entry (32 B): +0 i64 time | +8 i64 seq | +16 i32 kind | +20 i32 a | +24 i32 b | +28 i32 c
// The heap's size is in the STATE region (layout.ts ST_TIMER_COUNT), so TypeScript sees whether a
// core event is due before the engine's next one without a call (issue 10 §2).
import { timerBase, timerCapacity, TIMER_ENTRY, stGet, stSet, ST_TIMER_COUNT } from '../layout';
import { seqTake } from '../clock';

// The entry last taken by timerPop().
export let curTime: i64 = 0;
export let curSeq: i64 = 0;
export let curKind: i32 = 0;
export let curA: i32 = 0;
export let curB: i32 = 0;
export let curC: i32 = 0;

@inline function at(i: i32): usize {
  return timerBase + <usize>i * TIMER_ENTRY;
}

@inline function before(i: i32, j: i32): bool {
  const ti = load<i64>(at(i));
  const tj = load<i64>(at(j));
  return ti < tj || (ti == tj && load<i64>(at(i), 8) < load<i64>(at(j), 8));
}

function swap(i: i32, j: i32): void {
  const pi = at(i);
  const pj = at(j);
  for (let k: usize = 0; k < <usize>TIMER_ENTRY; k += 8) {
    const t = load<i64>(pi + k);
    store<i64>(pi + k, load<i64>(pj + k));
    store<i64>(pj + k, t);
  }
}

@inline export function timerCount(): i32 {
  return stGet(ST_TIMER_COUNT);
}

function insert(time: i64, seq: i64, kind: i32, a: i32, b: i32, c: i32): void {
  let i = timerCount();
  assert(i < timerCapacity, 'timers: heap full (timerCapacity)');
  stSet(ST_TIMER_COUNT, i + 1);
  const p = at(i);
  store<i64>(p, time);
  store<i64>(p, seq, 8);
  store<i32>(p, kind, 16);
  store<i32>(p, a, 20);
  store<i32>(p, b, 24);
  store<i32>(p, c, 28);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(i, parent)) break;
    swap(i, parent);
    i = parent;
  }
}

export function timerAdd(time: i64, kind: i32, a: i32, b: i32, c: i32): void {
  insert(time, seqTake(), kind, a, b, c);
}

/** Put the last popped entry back with its own (time, seq): it keeps its exact place. */
export function timerReinsertCurrent(): void {
  insert(curTime, curSeq, curKind, curA, curB, curC);
}

/** Time of the earliest entry, or -1 when empty. */
export function timerTopTime(): i64 {
  return timerCount() == 0 ? -1 : load<i64>(at(0));
}

export function timerPop(): void {
  let heapCount = timerCount();
  assert(heapCount > 0, 'timers: pop from an empty heap');
  const p = at(0);
  curTime = load<i64>(p);
  curSeq = load<i64>(p, 8);
  curKind = load<i32>(p, 16);
  curA = load<i32>(p, 20);
  curB = load<i32>(p, 24);
  curC = load<i32>(p, 28);
  heapCount--;
  stSet(ST_TIMER_COUNT, heapCount);
  if (heapCount == 0) return;
  swap(0, heapCount);
  let i = 0;
  while (true) {
    const l = 2 * i + 1;
    if (l >= heapCount) break;
    let m = l;
    if (l + 1 < heapCount && before(l + 1, l)) m = l + 1;
    if (!before(m, i)) break;
    swap(i, m);
    i = m;
  }
}

// --- introspection (time travel, issue 9): read-only, heap order (callers sort by time, seq)
/** Field f of heap entry i (< timerCount()): 0 time, 1 seq, 2 kind, 3 a, 4 b, 5 c. */
export function timerField(i: i32, f: i32): i64 {
  assert(i >= 0 && i < timerCount(), 'timerField: entry beyond the heap');
  assert(f >= 0 && f <= 5, 'timerField: field 0..5');
  const p = at(i);
  if (f < 2) return load<i64>(p + (<usize>f << 3));
  return <i64>load<i32>(p + 16 + (<usize>(f - 2) << 2));
}

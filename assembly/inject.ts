// Seeded fault injection in the core (issue 9 §5). TypeScript registers each fault of the
// scenario once at build time (faultAdd); the hooks on the data path (link arrival, CAN frame
// start, CAN transmit requests, used elements) ask whether a fault hits now. Each fault draws
// from its own PRNG stream, 64 + its index, so a fault run is reproduced by its seed and the
// platform's streams 0..63 draw exactly what they drew without faults. With no fault registered
// every hook returns at its first test (a run without faults does the same work as before).
//  FAULT (64 B): +0 i32 type | +4 i32 target | +8 i32 arg | +12 i32 ppm | +16 i64 atNs
//                +24 i64 endNs (exclusive) | +32 i64 hits
import { faultBase, FAULT_MAX, FAULT_STRIDE, PRNG_STREAMS } from './layout';
import { now } from './clock';
import { prngChance, prngBelow } from './prng';

/** Probabilities are parts per million, an integer ratio (ARCHITECTURE 1). */
export const PPM_ONE: i32 = 1000000;

let faultsUsed: i32 = 0;

@inline function faultAt(i: i32): usize {
  return faultBase + <usize>i * FAULT_STRIDE;
}
@inline export function faultType(i: i32): i32 { return load<i32>(faultAt(i)); }
@inline export function faultTarget(i: i32): i32 { return load<i32>(faultAt(i), 4); }
@inline export function faultArg(i: i32): i32 { return load<i32>(faultAt(i), 8); }
@inline export function faultCount(): i32 { return faultsUsed; }

/** Register a fault; its index (its PRNG stream is 64 + index). */
export function faultAdd(type: i32, target: i32, arg: i32, ppm: i32, atNs: i64, endNs: i64): i32 {
  assert(faultsUsed < FAULT_MAX, 'faultAdd: more than FAULT_MAX faults');
  assert(ppm >= 0 && ppm <= PPM_ONE, 'faultAdd: ppm must be 0..1000000');
  assert(atNs >= 0 && endNs >= atNs, 'faultAdd: window must be 0 <= at <= end');
  const i = faultsUsed++;
  const p = faultAt(i);
  store<i32>(p, type);
  store<i32>(p, target, 4);
  store<i32>(p, arg, 8);
  store<i32>(p, ppm, 12);
  store<i64>(p, atNs, 16);
  store<i64>(p, endNs, 24);
  store<i64>(p, 0, 32);
  return i;
}

/** True while now is inside the fault's window [at, end). */
@inline export function faultActive(i: i32): bool {
  const p = faultAt(i);
  return now() >= load<i64>(p, 16) && now() < load<i64>(p, 24);
}

/** One draw of the fault's stream: hit with probability ppm / 1e6 (no draw at 0 or 1e6). */
export function faultDraw(i: i32): bool {
  const ppm = load<i32>(faultAt(i), 12);
  const hit = ppm >= PPM_ONE || (ppm > 0 && prngChance(PRNG_STREAMS + i, <u32>ppm, <u32>PPM_ONE));
  if (hit) store<i64>(faultAt(i), load<i64>(faultAt(i), 32) + 1, 32);
  return hit;
}

/** 0 <= r < n from the fault's own stream (which bit a corruption flips). */
export function faultBelow(i: i32, n: u32): u32 {
  return prngBelow(PRNG_STREAMS + i, n);
}

/**
 * The first fault of `type` on `target` that is active and hits now, or -1. A fault with target
 * -1 covers every target, or with arg >= 0 every target of that owner (a desc_corrupt on all the
 * devices of one VM). Every matching active fault draws, in index order, so one fault's draws
 * never depend on whether an earlier one hit.
 */
export function faultHit(type: i32, target: i32, owner: i32): i32 {
  if (faultsUsed == 0) return -1;
  let first = -1;
  for (let i = 0; i < faultsUsed; i++) {
    if (faultType(i) != type || !faultActive(i)) continue;
    const t = faultTarget(i);
    const a = faultArg(i);
    if (t != target && !(t == -1 && (a == -1 || a == owner))) continue;
    if (faultDraw(i) && first < 0) first = i;
  }
  return first;
}

/** True when a fault of `type` on exactly `target` is active now (windows without draws). */
export function faultHolds(type: i32, target: i32): bool {
  if (faultsUsed == 0) return false;
  for (let i = 0; i < faultsUsed; i++) {
    if (faultType(i) == type && faultTarget(i) == target && faultActive(i)) return true;
  }
  return false;
}

/** Times fault i hit (frames lost, elements corrupted…). */
export function faultHits(i: i32): i64 {
  assert(i >= 0 && i < faultsUsed, 'faultHits: unknown fault');
  return load<i64>(faultAt(i), 32);
}

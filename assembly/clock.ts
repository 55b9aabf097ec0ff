// Virtual time and the global sequence counter. Integer nanoseconds only (ARCHITECTURE 1).
// `seq` orders trace rows and the timer heap alike: ties in time never depend on identity.
//
// Both live in the STATE region (layout.ts ST_NOW, ST_SEQ), not in WASM globals, so TypeScript
// reads the clock and writes its own trace rows (Core.emit) through its views without a call
// (issue 10 §2: one crossing per trace row was the largest share of the calls into the core).
import { stateAt, ST_NOW, ST_SEQ } from './layout';

/** 2^53: the largest time TypeScript can hold exactly as a number. */
export const TIME_MAX: i64 = 9007199254740992;

/** Current virtual time (ns). */
@inline export function now(): i64 {
  return load<i64>(stateAt() + <usize>ST_NOW);
}

/** Sequence number the next row or timer will get. */
@inline export function seqPeek(): i64 {
  return load<i64>(stateAt() + <usize>ST_SEQ);
}

export function clockSet(ns: i64): void {
  assert(ns >= now(), 'clock: time never goes backwards');
  assert(ns <= TIME_MAX, 'clock: virtual time beyond 2^53 ns');
  store<i64>(stateAt() + <usize>ST_NOW, ns);
}

@inline export function seqTake(): i64 {
  const s = seqPeek();
  store<i64>(stateAt() + <usize>ST_SEQ, s + 1);
  return s;
}

// Virtual time and the global sequence counter. Integer nanoseconds only (ARCHITECTURE 1).
// `seq` orders trace rows and the timer heap alike: ties in time never depend on identity.

/** 2^53: the largest time TypeScript can hold exactly as a number. */
export const TIME_MAX: i64 = 9007199254740992;

export let now: i64 = 0;
export let seq: i64 = 0;

export function clockSet(ns: i64): void {
  assert(ns >= now, 'clock: time never goes backwards');
  assert(ns <= TIME_MAX, 'clock: virtual time beyond 2^53 ns');
  now = ns;
}

@inline export function seqTake(): i64 {
  const s = seq;
  seq = s + 1;
  return s;
}

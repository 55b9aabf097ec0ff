// Deterministic randomness: xoshiro256** (Blackman & Vigna), 64 + 16 independent streams seeded by
// splitmix64 from the one run seed, so one seed decides every option of a run (TigerStyle VOPR).
// Integer only: probabilities are ratios, never floats (ARCHITECTURE 1).
import { prngBase, PRNG_STREAMS_ALL } from './layout';

const GOLDEN: u64 = 0x9E3779B97F4A7C15;
const REJECT_ROUNDS_MAX: i32 = 64; // each round rejects with p < 1/2: 2^-64 to hit the assert

let splitState: u64 = 0;

function splitmix64(): u64 {
  splitState += GOLDEN;
  let z = splitState;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
  return z ^ (z >> 31);
}

@inline function streamAt(stream: i32): usize {
  return prngBase + (<usize>stream << 5);
}

/**
 * Stream i = the splitmix64 sequence started from the seed with i mixed in. Stream i depends on
 * i and the seed only, so the fault streams (64..79) left every older stream's numbers as they were.
 */
export function prngSeed(seed: u64): void {
  for (let i = 0; i < PRNG_STREAMS_ALL; i++) {
    splitState = seed ^ ((<u64>(i + 1)) * 0xD1B54A32D192ED03);
    const p = streamAt(i);
    const s0 = splitmix64();
    const s1 = splitmix64();
    const s2 = splitmix64();
    const s3 = splitmix64();
    assert((s0 | s1 | s2 | s3) != 0, 'prng: all-zero xoshiro state');
    store<u64>(p, s0);
    store<u64>(p + 8, s1);
    store<u64>(p + 16, s2);
    store<u64>(p + 24, s3);
  }
}

export function prngNext(stream: i32): u64 {
  assert(stream >= 0 && stream < PRNG_STREAMS_ALL, 'prng: stream out of range');
  const p = streamAt(stream);
  const s0 = load<u64>(p);
  const s1 = load<u64>(p + 8);
  let s2 = load<u64>(p + 16);
  let s3 = load<u64>(p + 24);
  const result = rotl<u64>(s1 * 5, 7) * 9;
  const t = s1 << 17;
  s2 ^= s0;
  s3 ^= s1;
  store<u64>(p + 8, s1 ^ s2);
  store<u64>(p, s0 ^ s3);
  store<u64>(p + 16, s2 ^ t);
  store<u64>(p + 24, rotl<u64>(s3, 45));
  return result;
}

export function prngU32(stream: i32): u32 {
  return <u32>(prngNext(stream) >> 32);
}

/** Unbiased 0 <= r < n by Lemire's multiply-and-reject (n >= 1). */
export function prngBelow(stream: i32, n: u32): u32 {
  assert(n >= 1, 'prng: prngBelow needs n >= 1');
  let m = <u64>prngU32(stream) * <u64>n;
  let low = <u32>m;
  if (low < n) {
    const threshold: u32 = (<u32>0 - n) % n;
    let rounds = 0;
    while (low < threshold) {
      rounds++;
      assert(rounds < REJECT_ROUNDS_MAX, 'prng: rejection sampling did not converge');
      m = <u64>prngU32(stream) * <u64>n;
      low = <u32>m;
    }
  }
  return <u32>(m >> 32);
}

/** True with probability num/den exactly (0 <= num <= den, den >= 1). */
export function prngChance(stream: i32, num: u32, den: u32): bool {
  assert(den >= 1 && num <= den, 'prng: prngChance needs 0 <= num <= den, den >= 1');
  return prngBelow(stream, den) < num;
}

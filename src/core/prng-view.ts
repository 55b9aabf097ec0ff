// The core's PRNG streams drawn in TypeScript, over the states in the core's memory (issue 10 §2
// step 3: prngBelow was 5238 calls into the core per 10 s cockpit). assembly/prng.ts is the
// reference: xoshiro256** (Blackman & Vigna) and Lemire's multiply-and-reject, here in 32-bit
// halves so that no BigInt is made. The state stays in the core's memory, so snapshots, state
// digests and the core's own draws see one stream (test/core/prng-view.test.ts: the same numbers
// and the same memory as the exports, draw for draw).

const TWO_32 = 2 ** 32;
/** assembly/prng.ts REJECT_ROUNDS_MAX. */
const REJECT_ROUNDS_MAX = 64;

/**
 * Streams over a Uint32Array view of the core's PRNG states: stream i's s0..s3 are words
 * 8i..8i+7, each as (low, high).
 */
export class PrngView {
  constructor(private readonly words: Uint32Array) {}

  /** assembly/prng.ts prngU32: the high half of the next xoshiro256** output. */
  u32(stream: number): number {
    const w = this.words;
    const p = stream * 8;
    const s0l = w[p]!, s0h = w[p + 1]!, s1l = w[p + 2]!, s1h = w[p + 3]!;
    const s2l = w[p + 4]! ^ s0l, s2h = w[p + 5]! ^ s0h; // s2 ^= s0
    const s3l = w[p + 6]! ^ s1l, s3h = w[p + 7]! ^ s1h; // s3 ^= s1
    // result = rotl(s1 * 5, 7) * 9, its high half
    const m5l = s1l * 5;
    const x5l = m5l >>> 0;
    const x5h = (Math.imul(s1h, 5) + Math.floor(m5l / TWO_32)) >>> 0;
    const rl = ((x5l << 7) | (x5h >>> 25)) >>> 0;
    const rh = ((x5h << 7) | (x5l >>> 25)) >>> 0;
    const result = (Math.imul(rh, 9) + Math.floor((rl * 9) / TWO_32)) >>> 0;
    // t = s1 << 17
    const tl = (s1l << 17) >>> 0;
    const th = ((s1h << 17) | (s1l >>> 15)) >>> 0;
    w[p + 2] = s1l ^ s2l; // s1 ^= s2
    w[p + 3] = s1h ^ s2h;
    w[p] = s0l ^ s3l; //     s0 ^= s3
    w[p + 1] = s0h ^ s3h;
    w[p + 4] = s2l ^ tl; //  s2 ^= t
    w[p + 5] = s2h ^ th;
    w[p + 6] = (s3h << 13) | (s3l >>> 19); // s3 = rotl(s3, 45): swap the halves, then rotl 13
    w[p + 7] = (s3l << 13) | (s3h >>> 19);
    return result;
  }

  /** assembly/prng.ts prngBelow: unbiased 0 <= r < n (1 <= n < 2^32). */
  below(stream: number, n: number): number {
    let x = this.u32(stream);
    let low = Math.imul(x, n) >>> 0;
    if (low < n) {
      const threshold = (TWO_32 - n) % n;
      let rounds = 0;
      while (low < threshold) {
        rounds++;
        if (rounds >= REJECT_ROUNDS_MAX) throw new Error('assert: prng: rejection sampling did not converge');
        x = this.u32(stream);
        low = Math.imul(x, n) >>> 0;
      }
    }
    return highOfProduct(x, n);
  }

  /** assembly/prng.ts prngChance: below(den) < num. */
  chance(stream: number, num: number, den: number): boolean {
    return this.below(stream, den) < num;
  }
}

/** floor(x * n / 2^32) exactly for u32 x and n (the product may exceed 2^53). */
export function highOfProduct(x: number, n: number): number {
  const a = x * Math.floor(n / 65536); // < 2^48: exact
  const b = x * (n & 0xffff); //          < 2^48: exact
  // x * n = a * 2^16 + b = ah * 2^32 + (al * 2^16 + b), al = a mod 2^16
  const ah = Math.floor(a / 65536);
  const al = a - ah * 65536;
  return ah + Math.floor((al * 65536 + b) / TWO_32);
}

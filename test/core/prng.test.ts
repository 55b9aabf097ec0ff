import { describe, expect, it } from 'vitest';
import { makeCore } from './helpers.js';

const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (64n - k))) & M64;

/** Reference: stream i = splitmix64 from seed ^ ((i + 1) * 0xD1B54A32D192ED03), then xoshiro256**. */
function referenceStream(seed: bigint, stream: number, count: number): number[] {
  let sm = (seed ^ ((BigInt(stream + 1) * 0xd1b54a32d192ed03n) & M64)) & M64;
  const split = (): bigint => {
    sm = (sm + 0x9e3779b97f4a7c15n) & M64;
    let z = sm;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    return z ^ (z >> 31n);
  };
  const s = [split(), split(), split(), split()];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const result = (rotl((s[1]! * 5n) & M64, 7n) * 9n) & M64;
    const t = (s[1]! << 17n) & M64;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 45n);
    out.push(Number(result >> 32n));
  }
  return out;
}

describe('PRNG (xoshiro256** streams seeded by splitmix64)', () => {
  it('matches an independent BigInt reference of the seeding and generator', async () => {
    const core = await makeCore({}, 0x1234_5678_9abc_def0n);
    const got = Array.from({ length: 64 }, () => core.prngU32(5));
    expect(got).toEqual(referenceStream(0x1234_5678_9abc_def0n, 5, 64));
  });

  it('same seed gives the same streams; another seed or stream differs', async () => {
    const a = await makeCore({}, 42n);
    const b = await makeCore({}, 42n);
    const c = await makeCore({}, 43n);
    const draw = (core: typeof a, stream: number): number[] => Array.from({ length: 256 }, () => core.prngU32(stream));
    const a0 = draw(a, 0);
    expect(draw(b, 0)).toEqual(a0);
    expect(draw(c, 0)).not.toEqual(a0);
    expect(draw(a, 1)).not.toEqual(draw(b, 2));
  });

  it('prngBelow stays in range and is unbiased enough to see', async () => {
    const core = await makeCore({}, 7n);
    for (const n of [1, 2, 3, 7, 1000, 2 ** 31 + 11, 2 ** 32 - 1]) {
      for (let i = 0; i < 2000; i++) {
        const r = core.prngBelow(3, n);
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThan(n);
      }
    }
    const buckets = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) buckets[core.prngBelow(9, 6)]!++;
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
    // A value near 2^32 must reach the top half too (a 31-bit bug would not).
    const big = Array.from({ length: 200 }, () => core.prngBelow(4, 2 ** 32 - 1));
    expect(big.some((v) => v >= 2 ** 31)).toBe(true);
  });

  it('prngChance is an exact integer ratio', async () => {
    const core = await makeCore({}, 9n);
    for (let i = 0; i < 500; i++) {
      expect(core.prngChance(2, 0, 7)).toBe(false);
      expect(core.prngChance(2, 7, 7)).toBe(true);
    }
    let hits = 0;
    for (let i = 0; i < 40_000; i++) if (core.prngChance(2, 1, 4)) hits++;
    expect(Math.abs(hits - 10_000)).toBeLessThan(400);
    expect(() => core.prngChance(2, 8, 7)).toThrow();
  });
});

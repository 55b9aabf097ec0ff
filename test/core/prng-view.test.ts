// Issue 10 §2 step 3: the platform's PRNG draws are made in TypeScript over the states in the
// core's memory (src/core/prng-view.ts). They must be the exports' draws exactly: the same
// numbers, and the same state left behind (so snapshots, digests and later draws agree),
// compared against a bare core driven through prngU32 / prngBelow / prngChance.
import { describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.js';
import type { CoreExports } from '../../src/core/exports.js';
import { loadCoreModuleSync, setCoreExportsWrapper } from '../../src/core/wasm-file.js';
import { countingExports } from '../../bench/platform-measures.js';
import { highOfProduct } from '../../src/core/prng-view.js';
import { smallLimits } from './helpers.js';

const SEED = 0x5eed_0000_1234_abcdn;

function rawCore(): CoreExports {
  const l = smallLimits();
  const x = loadCoreModuleSync();
  x.init(
    l.vmCount, BigInt(l.hostRamBytes), l.ptPages, l.queueCount, l.deviceCount, l.linkCount,
    l.switchPortCount, l.macCount, l.canNodeCount, l.frameSlots, l.frameBytesMax, l.timerCapacity,
    l.traceCapacity, l.scratchBytes, SEED,
  );
  return x;
}

// Bounds that reach every branch of Lemire's method and of the exact 64-bit product: 1 (always 0),
// small ones, powers of two, ones just above a power of two (the most rejections: 2^31 + 1
// rejects almost half the draws), the largest u32, and bounds whose product needs more than 2^53.
const BOUNDS = [1, 2, 3, 6, 7, 256, 1000, 500_001, 2 ** 16, 2 ** 16 + 1, 2 ** 21 + 3, 2 ** 31, 2 ** 31 + 1,
  3_000_000_017, 2 ** 32 - 1];

describe('PRNG draws without a call (PrngView)', () => {
  it('gives the numbers and leaves the states the exports give and leave, stream by stream', () => {
    const calls = new Map<string, number>();
    setCoreExportsWrapper((x) => countingExports(x, calls));
    const core = Core.loadSync(smallLimits(), SEED);
    setCoreExportsWrapper(null);
    const x = rawCore();
    calls.clear();
    const streams = [0, 1, 5, 17, 63];
    for (let round = 0; round < 40; round++) {
      for (const stream of streams) {
        const n = BOUNDS[(round + stream) % BOUNDS.length]!;
        expect(core.prngBelow(stream, n), `below ${n}`).toBe(x.prngBelow(stream, n) >>> 0);
        expect(core.prngU32(stream)).toBe(x.prngU32(stream) >>> 0);
        const den = BOUNDS[(round * 7 + stream) % BOUNDS.length]!;
        const num = Math.floor(den / 3);
        expect(core.prngChance(stream, num, den), `chance ${num}/${den}`).toBe(x.prngChance(stream, num, den) === 1);
      }
    }
    expect(calls.get('prngBelow') ?? 0).toBe(0);
    expect(calls.get('prngU32') ?? 0).toBe(0);
    expect(calls.get('prngChance') ?? 0).toBe(0);
    // the states in memory: every stream, the fault streams (untouched) included
    const states = (buffer: ArrayBufferLike) => Array.from(new Uint32Array(buffer, x.prngOffset(), 80 * 8));
    expect(states(core.linearMemory.buffer)).toEqual(states(x.memory.buffer)); // the same layout: same offset
    x.stateDigestAll();
    const rawDigests = Array.from(new BigUint64Array(x.memory.buffer, x.scratchOffset(), core.stateDigests().length));
    expect(core.stateDigests()).toEqual(rawDigests);
  });

  it('rejects as Lemire\'s method does: a bound of 2^31 + 1 takes about two draws a number', () => {
    const core = Core.loadSync(smallLimits(), SEED);
    const x = rawCore();
    const n = 2 ** 31 + 1;
    let draws = 0;
    for (let i = 0; i < 300; i++) {
      // an independent reference over the raw stream's u32s, in BigInt
      const threshold = (2n ** 32n - BigInt(n)) % BigInt(n);
      let m = BigInt(x.prngU32(9) >>> 0) * BigInt(n);
      draws++;
      while ((m & 0xffff_ffffn) < threshold) {
        m = BigInt(x.prngU32(9) >>> 0) * BigInt(n);
        draws++;
      }
      expect(core.prngBelow(9, n), `number ${i}`).toBe(Number(m >> 32n));
    }
    expect(draws).toBeGreaterThan(450); // ~600 expected (p(reject) ~ 1/2): the loop ran
    expect(core.prngU32(9)).toBe(x.prngU32(9) >>> 0); // and took as many draws
  });

  it('takes the high half of a u32 product exactly, also where a double would round it up', () => {
    // x * n = k * 2^32 + (2^32 - 1): x = -(n^-1) mod 2^32 for an odd n. Near 2^64 a double's
    // step is 2^12, so floor(x * n / 2^32) computed in doubles gives k + 1 there.
    const inverse = (n: bigint): bigint => {
      let inv = 1n; // Newton: each round doubles the correct low bits
      for (let i = 0; i < 6; i++) inv = (inv * (2n - n * inv)) & 0xffff_ffffn;
      return inv;
    };
    const cases: [number, number][] = [[0, 0], [1, 1], [2 ** 32 - 1, 2 ** 32 - 1], [123_456_789, 3_000_000_017]];
    for (const n of [0xffff_fffbn, 0xdead_beefn, 2n ** 31n + 1n, 3_000_000_017n]) {
      cases.push([Number((2n ** 32n - inverse(n)) & 0xffff_ffffn), Number(n)]);
    }
    let roundedUp = 0;
    for (const [x, n] of cases) {
      const exact = Number((BigInt(x) * BigInt(n)) >> 32n);
      expect(highOfProduct(x, n), `${x} * ${n}`).toBe(exact);
      if (Math.floor((x * n) / 2 ** 32) !== exact) roundedUp++;
    }
    expect(roundedUp).toBeGreaterThan(0); // the cases reach the doubles' rounding
  });

  it('refuses what the exports refused: a stream beyond the platform\'s, a bound of 0', () => {
    const core = Core.loadSync(smallLimits(), SEED);
    expect(() => core.prngBelow(64, 5)).toThrow(/prng stream/);
    expect(() => core.prngBelow(0, 0)).toThrow(/prngBelow n/);
    expect(() => core.prngChance(0, 3, 2)).toThrow(/prngChance num/);
  });
});

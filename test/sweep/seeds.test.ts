// --seeds and --shard (issue 9 §6): what a sweep runs, and how shards split it.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { parseSeeds, parseShard, SEED_MAX, shardSeeds } from '../../src/sweep/seeds.js';

describe('--seeds', () => {
  it('a range is inclusive, a single seed is itself, a comma list joins both in the order given', () => {
    expect(parseSeeds('3-7')).toEqual([3, 4, 5, 6, 7]);
    expect(parseSeeds('42')).toEqual([42]);
    expect(parseSeeds('9,1-3, 20')).toEqual([9, 1, 2, 3, 20]);
    expect(parseSeeds(`${SEED_MAX - 1}-${SEED_MAX}`)).toEqual([SEED_MAX - 1, SEED_MAX]);
  });

  it.each([
    ['', /"" is not a seed/],
    ['a-b', /"a-b" is not a seed or a range/],
    ['5-3', /range 5-3 ends before it starts/],
    ['1-3,2', /seed 2 is listed twice/],
    ['-4', /is not a seed/],
    ['4294967296', /above 4294967295/],
    ['1.5', /is not a seed/],
    ['0-1000000', /more than 1000000 seeds/],
  ])('"%s" is refused in one line naming the option', (text, why) => {
    let error: unknown;
    try {
      parseSeeds(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toMatch(/^--seeds /);
    expect(message).toMatch(why);
    expect(message).not.toContain('\n');
  });
});

describe('--shard', () => {
  it('parses i/N and refuses what is not a share', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    for (const bad of ['5/5', '1/0', '-1/3', '1', 'a/b', '1/3/4']) {
      expect(() => parseShard(bad), bad).toThrow(/^--shard ".*": expected i\/N with 0 <= i < N/);
    }
  });

  it('seed s of a range a-b belongs to shard (s - a) mod N', () => {
    const seeds = parseSeeds('10-20');
    expect(shardSeeds(seeds, { index: 0, count: 3 })).toEqual([10, 13, 16, 19]);
    expect(shardSeeds(seeds, { index: 1, count: 3 })).toEqual([11, 14, 17, 20]);
    expect(shardSeeds(seeds, { index: 2, count: 3 })).toEqual([12, 15, 18]);
  });

  it('for every N up to 12, the shards together hold each seed of the list exactly once', () => {
    const seeds = parseSeeds('5,100-130,7,2');
    for (let count = 1; count <= 12; count++) {
      const all = Array.from({ length: count }, (_, index) => shardSeeds(seeds, { index, count })).flat();
      expect([...all].sort((a, b) => a - b), `N=${count}`).toEqual([...seeds].sort((a, b) => a - b));
      const sizes = Array.from({ length: count }, (_, index) => shardSeeds(seeds, { index, count }).length);
      expect(Math.max(...sizes) - Math.min(...sizes), `N=${count}`).toBeLessThanOrEqual(1);
    }
  });
});

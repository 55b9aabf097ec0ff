// Which seeds a sweep runs: `--seeds` (a range a-b, inclusive; a single N; a comma list of
// either) and `--shard i/N`, which keeps this machine's share so a CI matrix, a Kubernetes
// Indexed Job or a Slurm array splits one sweep.
//
// Sharding is by position, round-robin: the k-th seed of the list (k from 0) belongs to shard
// k mod N, which for a range a-b is shard (s − a) mod N. Round-robin rather than contiguous
// blocks because neighbouring seeds cost the same on average but a slow stretch (a fault
// window that stretches many runs) should not land on one shard; every shard's share differs
// from another's by at most one seed, and the shards together hold every seed exactly once.

import { UsageError } from '../cli/errors.js';

/** Seeds are the scenario's 32-bit PRNG seed (schema: 0..2^32-1). */
export const SEED_MAX = 2 ** 32 - 1;
/** One sweep's seeds at most: the list and the summary stay small enough to hold in memory. */
export const SEEDS_COUNT_MAX = 1_000_000;
export const SHARD_COUNT_MAX = 100_000;

export interface Shard {
  index: number;
  count: number;
}

const EXAMPLE = 'e.g. 1-100, 7 or 1,5,9-12';

/** Parses `--seeds` into the list of seeds in the order given; duplicates are refused. */
export function parseSeeds(text: string): number[] {
  const seeds: number[] = [];
  const seen = new Set<number>();
  const parts = text.split(',');
  for (const raw of parts) {
    const part = raw.trim();
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    const [first, last] = range !== null ? [seedOf(range[1]!, text), seedOf(range[2]!, text)]
      : /^\d+$/.test(part) ? [seedOf(part, text), seedOf(part, text)]
      : bad(text, `"${part}" is not a seed or a range a-b`);
    if (first > last) bad(text, `range ${part} ends before it starts`);
    if (seeds.length + (last - first + 1) > SEEDS_COUNT_MAX) {
      bad(text, `more than ${SEEDS_COUNT_MAX} seeds; split the sweep with --shard or run several`);
    }
    for (let seed = first; seed <= last; seed++) {
      if (seen.has(seed)) bad(text, `seed ${seed} is listed twice`);
      seen.add(seed);
      seeds.push(seed);
    }
  }
  return seeds;
}

function seedOf(digits: string, text: string): number {
  const seed = Number(digits);
  if (seed > SEED_MAX) bad(text, `seed ${digits} is above ${SEED_MAX}`);
  return seed;
}

function bad(text: string, why: string): never {
  throw new UsageError(`--seeds "${text}": ${why} (${EXAMPLE})`);
}

/** Parses `--shard i/N` (0 <= i < N). */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match === null ? NaN : Number(match[1]);
  const count = match === null ? NaN : Number(match[2]);
  if (!(count >= 1 && count <= SHARD_COUNT_MAX && index < count)) {
    throw new UsageError(
      `--shard "${text}": expected i/N with 0 <= i < N <= ${SHARD_COUNT_MAX} ` +
        '(e.g. 0/4 for the first of four; $JOB_COMPLETION_INDEX/N on Kubernetes, $SLURM_ARRAY_TASK_ID/N on Slurm)',
    );
  }
  return { index, count };
}

/** This shard's seeds, in list order: positions index, index + N, index + 2N, … */
export function shardSeeds(seeds: readonly number[], shard: Shard): number[] {
  return seeds.filter((_, position) => position % shard.count === shard.index);
}

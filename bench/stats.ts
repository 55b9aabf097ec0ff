// The bench's summaries of repeated measurements (a shared, noisy machine: min and median).

export interface MinMedian {
  min: number;
  median: number;
}

/** Smallest and middle value (the upper middle for an even count). */
export function minMedian(xs: readonly number[]): MinMedian {
  const sorted = [...xs].sort((a, b) => a - b);
  return { min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]! };
}

export function median(xs: readonly number[]): number {
  return minMedian(xs).median;
}

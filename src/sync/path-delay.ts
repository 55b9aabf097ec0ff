// Peer-delay arithmetic (IEEE 802.1AS-2020 §11.2.19.3.3, .3.4) and linuxptp's moving-median
// delay filter (filter.c / mmedian.c, delay_filter moving_median, delay_filter_length 10).

export interface PdelayTimestamps {
  /** Pdelay_Req sent (requester time) */
  t1: number;
  /** Pdelay_Req received (responder time) */
  t2: number;
  /** Pdelay_Resp sent (responder time, corrections added) */
  t3: number;
  /** Pdelay_Resp received (requester time) */
  t4: number;
  /** neighborRateRatio: responder rate / requester rate */
  rateRatio: number;
}

/** §11.2.19.3.4: meanLinkDelay = ((t4 − t1) · r − (t3 − t2)) / 2, in the responder's time base. */
export function meanLinkDelayNs(p: PdelayTimestamps): number {
  return ((p.t4 - p.t1) * p.rateRatio - (p.t3 - p.t2)) / 2;
}

/**
 * §11.2.19.3.3: neighborRateRatio = (t3_N − t3_0) / (t4_N − t4_0) over the exchanges kept
 * (oldest first, [t3, t4] pairs); 1 until there are two, or when the requester's time stood still.
 */
export function neighborRateRatio(history: readonly (readonly [number, number])[]): number {
  if (history.length < 2) return 1;
  const [t3First, t4First] = history[0]!;
  const [t3Last, t4Last] = history[history.length - 1]!;
  const requesterNs = t4Last - t4First;
  return requesterNs > 0 ? (t3Last - t3First) / requesterNs : 1;
}

/** Median (linuxptp mmedian.c: the mean of the two middle values for an even count). */
export function medianOf(values: readonly number[]): number {
  if (values.length === 0) throw new Error('assert: median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

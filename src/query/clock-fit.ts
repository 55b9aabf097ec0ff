// Each ECU lifecycle's clock against the log collector's (issue 11 §4): one timeline for logs
// of several ECUs without ground truth. A message's collector time (`ts_ns`: the storage header
// of an imported log, the console back-end's true time in a recorded run) is its sender's
// timestamp mapped to the collector's time base plus a transport delay that is never negative:
//
//     ts = boot + local · (1 + rate) + delay,   delay ≥ 0
//
// so the mapping is the *lower envelope* of the points (local, ts − local): a line below every
// point. Of all such lines, the one touching the lower convex hull at the mean local time is
// the one with the least total delay (the sum of delays is linear in the line, and a line below
// all points is highest at the mean where it supports the hull), and it is what delay spikes
// cannot move — they lie above it. The remaining delays (each point's height above the line)
// are the fit's uncertainty: their median and 95th percentile go with it.
//
// Messages without a timestamp (no WTMS bit in htyp) carry no local time and are left out.

import type { DuckDBConnection } from '@duckdb/node-api';

export interface EnvelopeLine {
  /** y = slope · x + intercept, below or on every point. */
  slope: number;
  intercept: number;
}

/**
 * The line under all points (xs, ys) that supports their lower convex hull at the mean of xs.
 * xs must be sorted ascending; at least one point. All points at one x: a flat line at their
 * lowest y.
 */
export function lowerEnvelope(xs: Float64Array, ys: Float64Array): EnvelopeLine {
  const n = xs.length;
  if (n === 0) throw new Error('assert: lowerEnvelope of no points');
  const hull = lowerHull(xs, ys);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += (xs[i]! - mean) / (i + 1);
  if (hull.length === 1) return { slope: 0, intercept: ys[hull[0]!]! };
  // the hull edge over the mean (the mean lies within [first x, last x])
  let k = 0;
  while (k < hull.length - 2 && xs[hull[k + 1]!]! < mean) k++;
  const a = hull[k]!;
  const b = hull[k + 1]!;
  const slope = (ys[b]! - ys[a]!) / (xs[b]! - xs[a]!);
  return { slope, intercept: ys[a]! - slope * xs[a]! };
}

/** Andrew's monotone chain, lower half: indices of the hull's vertices in x order. */
function lowerHull(xs: Float64Array, ys: Float64Array): number[] {
  const hull: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    // among points with the same x only the lowest can be on the lower hull
    if (hull.length > 0 && xs[hull[hull.length - 1]!] === xs[i]) {
      if (ys[i]! >= ys[hull[hull.length - 1]!]!) continue;
      hull.pop();
    }
    while (hull.length >= 2 && !turnsLeft(xs, ys, hull[hull.length - 2]!, hull[hull.length - 1]!, i)) hull.pop();
    hull.push(i);
  }
  return hull;
}

/** o → a → b bends upwards (counter-clockwise): a stays on the lower hull. */
function turnsLeft(xs: Float64Array, ys: Float64Array, o: number, a: number, b: number): boolean {
  return (xs[a]! - xs[o]!) * (ys[b]! - ys[o]!) - (ys[a]! - ys[o]!) * (xs[b]! - xs[o]!) > 0;
}

export interface LifecycleFit {
  ecu: string;
  lifecycle: number;
  messages: number;
  /** Collector time at the sender's local time 0 (its boot on the collector's clock), ns. */
  bootNs: bigint;
  /** The collector's clock advances (1 + ratePpb / 1e9) ns per sender ns. */
  ratePpb: number;
  delayNsMedian: number;
  delayNsP95: number;
  delayNsMax: number;
}

/**
 * Fits one lifecycle from its messages' local and collector times (ns, as BIGINT: imported
 * collector times are ~1.7e18, beyond a double's exact range, so the fit runs on offsets from
 * the first point and adds them back exactly).
 */
export function fitLifecycle(ecu: string, lifecycle: number, local: readonly bigint[], collector: readonly bigint[]): LifecycleFit {
  const n = local.length;
  const order = [...local.keys()].sort((i, j) => (local[i]! < local[j]! ? -1 : local[i]! > local[j]! ? 1 : 0));
  const x0 = local[order[0]!]!;
  const y0 = collector[order[0]!]! - x0;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  order.forEach((i, k) => {
    xs[k] = Number(local[i]! - x0);
    ys[k] = Number(collector[i]! - local[i]! - y0);
  });
  return fitOffsets(ecu, lifecycle, x0, y0, xs, ys);
}

/**
 * fitLifecycle's fit on points given as offsets: xs = local − x0 (ascending), ys = collector −
 * local − y0, both exact in a double (they span the lifecycle, not the epoch).
 */
export function fitOffsets(
  ecu: string,
  lifecycle: number,
  x0: bigint,
  y0: bigint,
  xs: Float64Array,
  ys: Float64Array,
): LifecycleFit {
  const n = xs.length;
  const line = lowerEnvelope(xs, ys);
  const delays = new Float64Array(n);
  for (let k = 0; k < n; k++) delays[k] = Math.max(0, ys[k]! - (line.slope * xs[k]! + line.intercept));
  delays.sort();
  // local 0 is x = −x0: boot = y0 + intercept − slope · x0 (collector − local at local 0)
  const boot = y0 + BigInt(Math.round(line.intercept - line.slope * Number(x0)));
  return {
    ecu,
    lifecycle,
    messages: n,
    bootNs: boot,
    ratePpb: line.slope * 1e9,
    delayNsMedian: delays[Math.floor((n - 1) / 2)]!,
    delayNsP95: delays[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]!,
    delayNsMax: delays[n - 1]!,
  };
}

export const CLOCK_FIT_TABLE = 'dlt_clock_fit';

/** Creates dlt_clock_fit (one row per ECU lifecycle with timestamps) from the session's dlt table. */
export async function createClockFit(connection: DuckDBConnection): Promise<void> {
  await connection.run(`CREATE TABLE ${CLOCK_FIT_TABLE} (ecu VARCHAR, lifecycle INTEGER, messages BIGINT, boot_ns BIGINT,
    rate_ppb DOUBLE, delay_ns_median DOUBLE, delay_ns_p95 DOUBLE, delay_ns_max DOUBLE)`);
  const fits = await fitAll(connection);
  if (fits.length === 0) return;
  const appender = await connection.createAppender(CLOCK_FIT_TABLE);
  for (const f of fits) {
    appender.appendVarchar(f.ecu);
    appender.appendInteger(f.lifecycle);
    appender.appendBigInt(BigInt(f.messages));
    appender.appendBigInt(f.bootNs);
    appender.appendDouble(f.ratePpb);
    appender.appendDouble(f.delayNsMedian);
    appender.appendDouble(f.delayNsP95);
    appender.appendDouble(f.delayNsMax);
    appender.endRow();
  }
  appender.closeSync();
}

// The timestamped rows (the fit needs a local time), per lifecycle.
const TIMESTAMPED = 'WHERE htyp IS NULL OR (htyp & 16) <> 0';

/**
 * Every lifecycle's fit. DuckDB groups and sorts the rows and hands over each point as two
 * doubles of offsets from its lifecycle's smallest local time and smallest collector − local
 * (exact: BIGINT arithmetic first), read chunk by chunk: 1 M rows as JS rows of BigInts took
 * ~5 s here (bench clock-fit). Ties in x are ordered by y, so the result is the same each time.
 */
async function fitAll(connection: DuckDBConnection): Promise<LifecycleFit[]> {
  const groups = (await connection.runAndReadAll(
    `SELECT ecu, lifecycle, count(*)::BIGINT, min(local_ts_ns), min(ts_ns - local_ts_ns) FROM dlt ${TIMESTAMPED}
     GROUP BY ecu, lifecycle ORDER BY ecu, lifecycle`,
  )).getRows() as [string, number, bigint, bigint, bigint][];
  if (groups.length === 0) return [];
  const result = await connection.run(
    `SELECT (local_ts_ns - min(local_ts_ns) OVER w)::DOUBLE AS x,
            ((ts_ns - local_ts_ns) - min(ts_ns - local_ts_ns) OVER w)::DOUBLE AS y
     FROM dlt ${TIMESTAMPED} WINDOW w AS (PARTITION BY ecu, lifecycle)
     ORDER BY ecu, lifecycle, x, y`,
  );
  const fits: LifecycleFit[] = [];
  let g = 0;
  let xs = new Float64Array(Number(groups[0]![2]));
  let ys = new Float64Array(xs.length);
  let k = 0;
  for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const cx = chunk.getColumnValues(0) as number[];
    const cy = chunk.getColumnValues(1) as number[];
    for (let i = 0; i < cx.length; i++) {
      xs[k] = cx[i]!;
      ys[k] = cy[i]!;
      k += 1;
      if (k < xs.length) continue;
      const [ecu, lifecycle, , x0, y0] = groups[g]!;
      fits.push(fitOffsets(ecu, lifecycle, x0, y0, xs, ys));
      g += 1;
      if (g === groups.length) break;
      xs = new Float64Array(Number(groups[g]![2]));
      ys = new Float64Array(xs.length);
      k = 0;
    }
  }
  if (fits.length !== groups.length) throw new Error(`assert: clock fit read ${fits.length} of ${groups.length} lifecycles`);
  return fits;
}

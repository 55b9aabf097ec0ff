// The lower-envelope clock fit (src/query/clock-fit.ts, issue 11 §4) on points whose truth is
// known by construction, and the named queries dlt/clock_fit and dlt/timeline on a hand-built
// trace with the rows worked out by hand.

import { afterEach, describe, expect, it } from 'vitest';
import { fitLifecycle, lowerEnvelope } from '../../src/query/clock-fit.js';
import { QuerySession } from '../../src/query/index.js';
import type { DltRow } from '../../src/trace/index.js';
import { dltRow, tinyTrace } from '../trace/helpers.js';

describe('lowerEnvelope', () => {
  it('is the hull edge over the mean x, below every point', () => {
    // hull of (0,0) (1,2) (2,1) (3,3) (4,0): the lower hull is (0,0) → (4,0), flat at 0
    const line = lowerEnvelope(Float64Array.from([0, 1, 2, 3, 4]), Float64Array.from([0, 2, 1, 3, 0]));
    expect(line).toEqual({ slope: 0, intercept: 0 });
    // (0,4) (1,1) (2,0) (3,1) (4,4), mean x 2: the hull vertex at x = 2 lies on both edges; the
    // edge chosen is (1,1)-(2,0) or (2,0)-(3,1); either way the line passes through (2, 0)
    const v = lowerEnvelope(Float64Array.from([0, 1, 2, 3, 4]), Float64Array.from([4, 1, 0, 1, 4]));
    expect(v.slope * 2 + v.intercept).toBe(0);
  });

  it('follows a line with spikes above it exactly, whatever the spikes', () => {
    const xs = Float64Array.from({ length: 200 }, (_, i) => i * 1e7);
    const ys = Float64Array.from(xs, (x, i) => 5 + 3e-5 * x + (i % 7 === 0 ? 0 : 1e6 * ((i * 37) % 11)));
    const line = lowerEnvelope(xs, ys);
    expect(line.slope).toBeCloseTo(3e-5, 12);
    expect(line.intercept).toBeCloseTo(5, 3);
  });

  it('takes the lowest of points at one x, and a single point as a flat line', () => {
    expect(lowerEnvelope(Float64Array.from([3, 3, 3]), Float64Array.from([5, 2, 7]))).toEqual({ slope: 0, intercept: 2 });
    expect(lowerEnvelope(Float64Array.from([10]), Float64Array.from([-4]))).toEqual({ slope: 0, intercept: -4 });
  });
});

describe('fitLifecycle', () => {
  it('recovers boot and rate on wall-clock times beyond 2^53, with the leftover delays', () => {
    // the collector at Unix 1.7e18 ns, the ECU's clock 40 ppm slow: ts = boot + local · (1 + 40e-6) + delay
    const boot = 1_700_000_000_123_456_789n;
    const local: bigint[] = [];
    const collector: bigint[] = [];
    for (let i = 0; i < 1000; i++) {
      const l = BigInt(i) * 10_000_000n; // every 10 ms for 10 s
      const delay = i % 10 === 0 ? 0n : BigInt(((i * 7919) % 5000) * 100); // up to 0.5 ms, 0 every 10th
      local.push(l);
      collector.push(boot + l + (l * 40n) / 1_000_000n + delay);
    }
    const fit = fitLifecycle('ECU1', 1, local, collector);
    expect(fit.messages).toBe(1000);
    expect(fit.bootNs).toBe(boot); // exact: the zero-delay points lie on the line
    expect(fit.ratePpb).toBeCloseTo(40_000, 6);
    expect(fit.delayNsMedian).toBeGreaterThan(0);
    expect(fit.delayNsMax).toBeLessThanOrEqual(500_000);
  });

  it('puts a lone message on a flat line through it, with no delay', () => {
    expect(fitLifecycle('E', 2, [5_000n], [9_000n])).toEqual({
      ecu: 'E', lifecycle: 2, messages: 1, bootNs: 4_000n, ratePpb: 0, delayNsMedian: 0, delayNsP95: 0, delayNsMax: 0,
    });
  });
});

describe('dlt_clock_fit in the store', () => {
  // The store's fit reads offsets sorted by DuckDB in chunks (fitAll); the same rows through
  // fitLifecycle, which sorts BigInts itself, must give the same table row for row: three
  // lifecycles over 5,000 rows (more than two DuckDB chunks), ties in local time, unsorted input.
  it('equals fitLifecycle on each lifecycle of the same rows', async () => {
    const rows: DltRow[] = [];
    const byGroup = new Map<string, { local: bigint[]; collector: bigint[] }>();
    for (let i = 0; i < 5000; i++) {
      const ecu = ['ECUA', 'ECUB'][i % 2]!;
      const lifecycle = ecu === 'ECUA' && i > 2500 ? 2 : 1;
      const local = 1_000_000 + Math.floor(((i * 7_919) % 5000) / 2) * 100_000; // shuffled, each twice
      const delay = (i * 104_729) % 900_000;
      const ts = 1_700_000_000_000_000_000n + BigInt(local) + BigInt(Math.floor(local * 3e-5)) + BigInt(delay);
      rows.push(dltRow({ ts_ns: ts, local_ts_ns: local, ecu, lifecycle, msg_counter: i & 0xff, payload: `${i}`, vm: -1 }));
      const key = `${ecu}/${lifecycle}`;
      const g = byGroup.get(key) ?? { local: [], collector: [] };
      g.local.push(BigInt(local));
      g.collector.push(ts);
      byGroup.set(key, g);
    }
    const s = await open(rows);
    const table = (await s.run('SELECT * FROM dlt_clock_fit ORDER BY ecu, lifecycle')).rows;
    const expected = [...byGroup.keys()].sort().map((key) => {
      const [ecu, lifecycle] = key.split('/');
      const f = fitLifecycle(ecu!, Number(lifecycle), byGroup.get(key)!.local, byGroup.get(key)!.collector);
      return [f.ecu, f.lifecycle, BigInt(f.messages), f.bootNs, f.ratePpb, f.delayNsMedian, f.delayNsP95, f.delayNsMax];
    });
    expect(table.length).toBe(3);
    expect(table.map((r) => [r[0], r[1], r[2], r[3]])).toEqual(expected.map((r) => r.slice(0, 4)));
    table.forEach((r, i) => {
      for (let c = 4; c < 8; c++) expect(r[c] as number).toBeCloseTo(expected[i]![c] as number, 6);
    });
  });
});

let session: QuerySession | null = null;
afterEach(() => {
  session?.close();
  session = null;
});

async function open(dlt: DltRow[]): Promise<QuerySession> {
  session = await QuerySession.open(tinyTrace({ dlt }, 'tv-clock-fit-'));
  return session;
}

describe('dlt/clock_fit and dlt/timeline', () => {
  // ECU1 runs 1 ppm slow of the collector and boots at 1000: ts = 1000 + local · (1 + 1e-6) + delay,
  // with delays 0, 500, 0; ECU2 boots at 2_000_000 on the same rate and delays 0, 0
  const msg = (ecu: string, counter: number, local: number, ts: number, payload: string): DltRow =>
    dltRow({ ts_ns: ts, local_ts_ns: local, ecu, msg_counter: counter, payload, vm: -1 });
  const rows = [
    msg('ECU1', 0, 0, 1000, 'a0'),
    msg('ECU1', 1, 1e9, 1000 + 1e9 + 1000 + 500, 'a1'),
    msg('ECU1', 2, 2e9, 1000 + 2e9 + 2000, 'a2'),
    msg('ECU2', 0, 0, 2_000_000, 'b0'),
    msg('ECU2', 1, 999_000_000, 2_000_000 + 999_000_000 + 999, 'b1'),
  ];

  it('dlt/clock_fit gives each lifecycle its boot, rate and leftover delays', async () => {
    const s = await open(rows);
    const result = await s.runNamed('dlt/clock_fit');
    expect(result.columns.map((c) => c.name)).toEqual(['ecu', 'lifecycle', 'messages', 'boot_ns', 'rate_ppb', 'delay_ns_median', 'delay_ns_p95', 'delay_ns_max']);
    const [one, two] = result.rows;
    // ECU1: the hull is (0, 1000)–(2e9, 3000): slope 1e-6; delays sorted 0, 0, 500: median 0, p95 and max 500
    expect(one!.slice(0, 4)).toEqual(['ECU1', 1, 3n, 1000n]);
    expect(one![4]).toBeCloseTo(1000, 6);
    expect(one!.slice(5)).toEqual([0n, 500n, 500n]); // whole ns
    expect(two!.slice(0, 4)).toEqual(['ECU2', 1, 2n, 2_000_000n]);
    expect(two![4]).toBeCloseTo(1000, 6);
    expect(two!.slice(5)).toEqual([0n, 0n, 0n]);
  });

  it('dlt/timeline interleaves the ECUs by common time, with the uncertainty and no truth for imported logs', async () => {
    const s = await open(rows);
    const result = await s.runNamed('dlt/timeline');
    const col = (name: string) => result.columns.findIndex((c) => c.name === name);
    // common times: a0 1000, a1 1000 + 1e9 + 1000, a2 1000 + 2e9 + 2000, b0 2e6, b1 2e6 + 999e6 + 999
    expect(result.rows.map((r) => [r[col('payload')], r[col('common_ts_ns')]])).toEqual([
      ['a0', 1000n],
      ['b0', 2_000_000n],
      ['a1', 1_000_002_000n],
      ['b1', 1_001_000_999n],
      ['a2', 2_000_003_000n],
    ]);
    expect(result.rows.map((r) => r[col('error_ns')])).toEqual([null, null, null, null, null]);
    expect(result.rows.map((r) => r[col('uncertainty_ns')])).toEqual([500n, 0n, 500n, 0n, 500n]);
  });
});

// dlt/timeline on the default cockpit (issue 11 §3): guests stamp DLT with their uptime, which
// the gPTP servo slews but never steps, and a synced VM's messages are mapped through its
// synchronised clock estimate (the sync rows' (uptime, master's time) pairs) and the
// grandmaster's own clock fit. The bounds are worked out from the trace's own rows:
//
//   the grandmaster's messages go through its lifecycle fit; their error e is an affine function
//   of time (a line fitted to a clock of constant drift), so over the grandmaster's span it lies
//   within [eMin, eMax] of its own messages. A client's message lands on the master's time
//   through the pairs, then through that same line, so its error is within [eMin − ε, eMax + ε]:
//   - the pairs' own error, |error_ns − offset_ns| (the master's time the VM measured at t2
//     against the true one: its stamps' granularity and the path delay's);
//   - interpolation: the uptime's rate changes at each servo update by Δ = |Δfreq_adj_ppb|,
//     inside one sync interval (125 ms): at most Δ · 125 ms;
//   - the truth's own: true_ts_ns maps the stamp back with the rate of the VM's last clock
//     sample (100 ms apart); a rate change since costs Δ · 100 ms;
//   - rounding: 4 ns.
// Before the first pair (the infotainment's boot message) the first two pairs' rate is carried
// back: twice their error. true_ts_ns is when the uptime read the message's stamp; the message
// was logged within the DLT tick (0.1 ms of uptime) after it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordScenario } from '../../src/platform/record.js';
import { QuerySession } from '../../src/query/index.js';
import { loadScenario } from '../../src/scenario/load.js';
import { tempDir } from '../trace/helpers.js';
import { maxAbs } from './run.js';

type Row = Record<string, unknown>;
const n = (v: unknown) => Number(v as bigint | number);
const SYNC_INTERVAL_NS = 125e6;
const CLOCK_SAMPLE_NS = 100e6;

let session: QuerySession;
let timeline: Row[];
let sync: Row[];

async function rows(sql: string): Promise<Row[]> {
  const r = await session.run(sql);
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
}

beforeAll(async () => {
  const dir = tempDir('tv-sync-timeline-');
  await recordScenario(loadScenario('cockpit'), dir, { snapshotEveryNs: 0 });
  session = await QuerySession.open(dir);
  const r = await session.runNamed('dlt/timeline');
  timeline = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
  sync = await rows("SELECT * FROM sync WHERE exchange = 'sync' ORDER BY vm, ts_ns");
}, 120_000);
afterAll(() => session?.close());

/** The bound's ε for one VM's rows from `fromNs` on (see the header). */
function epsilonNs(vm: number, fromNs: number): number {
  const own = sync.filter((r) => n(r.vm) === vm);
  const pairs = own.filter((r) => n(r.ts_ns) >= fromNs);
  const pairError = maxAbs(pairs.map((r) => n(r.error_ns) - n(r.offset_ns)));
  const jumps = own.slice(1).map((r, i) => n(r.freq_adj_ppb) - n(own[i]!.freq_adj_ppb));
  const jumpPpb = maxAbs(jumps.filter((_, i) => n(own[i + 1]!.ts_ns) >= fromNs - CLOCK_SAMPLE_NS));
  return pairError + (jumpPpb * (SYNC_INTERVAL_NS + CLOCK_SAMPLE_NS)) / 1e9 + 4;
}

describe('dlt/timeline on the gPTP cockpit', () => {
  it('stamps DLT with an uptime that the servo never steps: no VM\'s timestamps go back', async () => {
    const back = await rows(`SELECT ecu, count(*) FILTER (WHERE local_ts_ns < prev) AS back FROM (
      SELECT ecu, local_ts_ns, lag(local_ts_ns) OVER (PARTITION BY vm ORDER BY rowid) AS prev FROM dlt) GROUP BY ecu ORDER BY ecu`);
    expect(back.map((r) => [r.ecu, n(r.back)])).toEqual([['CLST', 0], ['GW01', 0], ['IVI1', 0]]);
    // the infotainment's servo stepped its clock by about −1.2 s; its uptime kept the boot offset
    const ivi = await rows('SELECT min(local_ns - uptime_ns) AS steps FROM clock WHERE vm = 1');
    expect(n(ivi[0]!.steps)).toBeLessThan(-1.19e9);
  });

  it('puts every message of a synced VM within the grandmaster fit\'s error of its true time, plus ε', () => {
    const gateway = timeline.filter((r) => r.ecu === 'GW01');
    expect(gateway.every((r) => r.via === 'fit')).toBe(true);
    const errors = gateway.map((r) => n(r.error_ns));
    const eMin = Math.min(...errors);
    const eMax = Math.max(...errors);
    const spanStart = Math.min(...gateway.map((r) => n(r.true_ts_ns)));
    const spanEnd = Math.max(...gateway.map((r) => n(r.true_ts_ns)));
    for (const [ecu, vm] of [['CLST', 0], ['IVI1', 1]] as const) {
      const own = timeline.filter((r) => r.ecu === ecu);
      expect(own.length).toBeGreaterThan(10);
      expect(own.every((r) => r.via === 'sync'), ecu).toBe(true);
      const lockNs = n(sync.find((r) => n(r.vm) === vm && r.state === 'locked')!.ts_ns);
      const after = epsilonNs(vm, lockNs);
      const before = 2 * epsilonNs(vm, 0);
      for (const r of own) {
        const t = n(r.true_ts_ns);
        expect(t).toBeGreaterThanOrEqual(spanStart);
        expect(t).toBeLessThanOrEqual(spanEnd);
        const eps = t >= lockNs + CLOCK_SAMPLE_NS ? after : before;
        const e = n(r.error_ns);
        expect(e, `${ecu} ${r.payload} at ${t}`).toBeGreaterThanOrEqual(eMin - eps);
        expect(e, `${ecu} ${r.payload} at ${t}`).toBeLessThanOrEqual(eMax + eps);
      }
      expect(after, `${ecu} ε after lock`).toBeLessThan(100);
    }
  });

  it('sees through the infotainment\'s 3 ms NTP step while its servo is off by it', () => {
    // sync rows between 5.0 and 5.25 s: the clock is 3 ms off the grandmaster's
    const off = sync.filter((r) => n(r.vm) === 1 && n(r.ts_ns) >= 5e9 && n(r.ts_ns) <= 5.26e9);
    expect(off.length).toBe(3);
    for (const r of off) expect(n(r.error_ns)).toBeGreaterThan(2.9e6);
    const during = timeline.filter((r) => r.ecu === 'IVI1' && n(r.true_ts_ns) > 5e9 && n(r.true_ts_ns) < 5.25e9);
    expect(during.length).toBeGreaterThan(0);
    const gatewayErrors = timeline.filter((r) => r.ecu === 'GW01').map((r) => n(r.error_ns));
    const eps = epsilonNs(1, 4.5e9);
    for (const r of during) expect(Math.abs(n(r.error_ns)), String(r.payload)).toBeLessThanOrEqual(maxAbs(gatewayErrors) + eps);
  });
});

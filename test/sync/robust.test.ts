// gPTP against a hostile peer, and as data: two runs write the same bytes, and a snapshot
// restored mid-sync runs on to exactly the sync rows of the full run.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { NetDevice } from '../../src/devices/net.js';
import type { GuestApi, GuestProgram } from '../../src/guests/guest-api.js';
import { recordScenario } from '../../src/platform/record.js';
import { parseScenario } from '../../src/scenario/load.js';
import { MSG, clockIdentityOf, encodePtp } from '../../src/sync/ptp-messages.js';
import type { SyncRow } from '../../src/trace/recorder.js';
import { afterLock, maxAbs, mean, runSync, S, restoredSyncRuns, syncScenario, type SyncVm } from './run.js';

const G = 8;
const gm: SyncVm = { name: 'gm', role: 'grandmaster', offsetNs: 250_000, driftPpb: 4_000 };
const client: SyncVm = { name: 'a', role: 'client', offsetNs: 1_200_000_000, driftPpb: -35_000 };

/** Broken gPTP frames, each refused somewhere: by the switch (not PTP enough to switch) or by the stacks. */
function hostileFrames(): Uint8Array[] {
  const mac = Uint8Array.of(2, 0, 0, 0, 1, 2);
  const base = { srcMac: mac, clockIdentity: clockIdentityOf(mac), portNumber: 1, logMessageInterval: -3 };
  const followUp = () => encodePtp({ ...base, type: MSG.followUp, sequenceId: 3, timestampNs: 5e9 });
  const set = (f: Uint8Array, at: number, bytes: number[]) => { f.set(bytes, at); return f; };
  return [
    followUp().subarray(0, 30), //                                   shorter than a PTP header: the switch drops it
    set(followUp(), 16, [0xff, 0xff]), //                            messageLength beyond the frame: dropped
    set(followUp(), 16, [0x00, 0x22]), //                            messageLength 34 < 76: flooded, refused by decodePtp
    set(followUp(), 54, [0xff, 0xff, 0xff, 0xff]), //                nanoseconds >= 1e9
    set(followUp(), 15, [0x01]), //                                  versionPTP 1
    set(encodePtp({ ...base, type: MSG.pdelayReq, sequenceId: 1 }).slice(0, 50), 16, [0, 34]), // too short to answer
    set(followUp(), 22, [0x7f, 0xff]), //                            a correction of 2^62 × 2^-16 ns
    set(followUp(), 12, [0x08, 0x00]), //                            IPv4 to the PTP multicast: dropped
  ];
}

/** A guest on a PTP port that sends the broken frames every 10 ms, beside its own gPTP stack. */
function hostileProgram(): GuestProgram<Record<string, never>> {
  return {
    state: {},
    stateSchema: z.strictObject({}),
    vcpusUsed: () => 1,
    start: (api: GuestApi) => api.timer(10_000_000, 0),
    onTimer: (api: GuestApi) => {
      (api.net as unknown as NetDevice).sendFrames(hostileFrames());
      api.timer(10_000_000, 0);
    },
  };
}

describe('a hostile guest on the PTP network', () => {
  for (const timeAware of [true, false]) {
    it(`malformed gPTP frames are dropped or ignored; the clients stay locked (${timeAware ? 'time-aware bridge' : 'plain switch'})`, async () => {
      const evil: SyncVm = { name: 'evil', role: 'client' };
      const json = syncScenario([gm, client, evil], { durationNs: '10s', network: { latencyNs: '2us', timeAware } });
      const run = await runSync(json, { programs: { evil: () => hostileProgram() } });
      const clean = await runSync(json);
      expect(run.summary.durationNs).toBe(10 * S);
      const stack = run.platform.vms[1]!.ptp!;
      // 5 of the 8 reach the stacks (flooded) and are refused there, 100 times a second
      expect(stack.state.malformed).toBeGreaterThan(4 * 900);
      expect(run.platform.vms[0]!.ptp!.state.malformed).toBeGreaterThan(4 * 900);
      const settled = afterLock(run.updates(1), 1 * S);
      expect(settled.length).toBeGreaterThan(60);
      expect(settled.every((r) => r.state === 'locked')).toBe(true);
      const measureErrors = settled.map((r) => Number(r.offset_ns) - Number(r.error_ns));
      if (timeAware) {
        // the bridge keeps the junk's queueing out of the measurement (residence in the correction),
        // and the junk never matches a pending exchange: as exact as without it
        expect(maxAbs(measureErrors)).toBeLessThanOrEqual(2 * G);
        // the servo ends where it ends without the junk (its first estimate differs: interrupts move)
        const lastTwoSeconds = (rows: SyncRow[]) => mean(rows.filter((r) => Number(r.ts_ns) > 8 * S).map((r) => Number(r.error_ns)));
        expect(Math.abs(lastTwoSeconds(run.updates(1)) - lastTwoSeconds(clean.updates(1)))).toBeLessThanOrEqual(2 * G);
      } else {
        // a plain switch floods 5 of the 8 on (four 90-byte Follow_Ups, a 50-byte Pdelay_Req): a
        // Sync queued behind them is late by up to their serialisation, 4 × 7.2 + 4 µs = 32.8 µs,
        // on top of the 640 ns frame-size bias (gptp.test.ts)
        expect(maxAbs(measureErrors.map((e) => e - 640))).toBeLessThanOrEqual(32_800 + 2 * G);
        expect(maxAbs(measureErrors.map((e) => e - 640))).toBeGreaterThan(2 * G); // it does show
      }
      expect(clean.platform.vms[1]!.ptp!.state.malformed).toBe(0);
    }, 60_000);
  }
});

const scenario = () => parseScenario(syncScenario([gm, client, { ...client, name: 'b', driftPpb: 12_000 }], { durationNs: '3s' }), 'sync');


describe('sync as data', () => {
  it('determinism: two recordings of the same scenario write byte-identical tables', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tv-sync-det-'));
    const a = await recordScenario(scenario(), join(root, 'a'));
    const b = await recordScenario(scenario(), join(root, 'b'));
    expect(a.manifest.tables.sync!.rows).toBeGreaterThan(40);
    for (const t of ['events', 'dlt', 'clock', 'inputs', 'sync'] as const) expect(a.manifest.tables[t]!.sha256).toBe(b.manifest.tables[t]!.sha256);
    expect(readFileSync(join(root, 'a', 'sync.arrow'))).toEqual(readFileSync(join(root, 'b', 'sync.arrow')));
  }, 60_000);

  it('a snapshot restored mid-sync runs on to exactly the sync rows of the full run', async () => {
    const runs = await restoredSyncRuns(scenario, 3 * S, 'tv-sync-snap-');
    expect(runs.length).toBe(2);
    for (const { rows, expected } of runs) {
      expect(expected.length).toBeGreaterThan(10);
      expect(rows).toEqual(expected);
    }
  }, 120_000);
});

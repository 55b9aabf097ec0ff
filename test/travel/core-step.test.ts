// A --break on a row the core's own events write (link_rx: an Ethernet frame's last bit
// arriving) stops at the end of that core step: the core runs its events as one batch up to
// the next engine event, and the stop is asked before that engine event runs
// (src/engine/engine.ts runUntil). Stopping there must not change the run either. A core step
// also ends where a frame's interrupt hands the guest's driver to TypeScript: the built-in
// cockpit runs gPTP, and its first link_rx is a Pdelay_Req the time-aware bridge answers inside
// the core. The plain case runs on test/fixtures/cockpit-no-sync.json (the cockpit before gPTP).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Platform } from '../../src/platform/platform.js';
import { recordScenario } from '../../src/platform/record.js';
import { drive } from '../../src/platform/run-loop.js';
import { CountingSink } from '../../src/platform/sink.js';
import { loadScenario } from '../../src/scenario/load.js';
import { packageRoot } from '../../src/util/package-root.js';
import { collectState } from '../../src/replay/state.js';
import { travel } from '../../src/replay/travel.js';

const RUN_NS = 200_000_000;
const NO_SYNC = join(packageRoot(), 'test', 'fixtures', 'cockpit-no-sync.json');
let trace: string;
let gptpTrace: string;

beforeAll(async () => {
  trace = join(mkdtempSync(join(tmpdir(), 'tv-travel-core-')), 'trace');
  await recordScenario(loadScenario(NO_SYNC, { durationNs: RUN_NS }), trace);
  gptpTrace = join(mkdtempSync(join(tmpdir(), 'tv-travel-core-')), 'trace');
  await recordScenario(loadScenario('cockpit', { durationNs: RUN_NS }), gptpTrace);
});

describe('--break on a core-emitted row', () => {
  it("kind = 'link_rx' stops after the core step, before the next engine event", async () => {
    const { platform, stop } = await travel(trace, { breakPredicate: "kind = 'link_rx'" });
    const event = stop.event!;
    expect(event.kind).toBe('link_rx');
    expect(stop.seqNext).toBeGreaterThan(event.seq);
    expect(stop.timeNs).toBeGreaterThanOrEqual(event.ts_ns);
    // The first link_rx is a frame reaching the switch (no interrupt), so the core ran on to the
    // next engine event's time and stopped there with that event not run: still first in line.
    // (Asked only after the engine event, the stop would land one engine event later.)
    expect(stop.timeNs).toBeGreaterThan(event.ts_ns);
    expect(platform.engine.nextEventNs()).toBe(stop.timeNs);
    const state = collectState(platform);
    expect(state.timeNs).toBe(stop.timeNs);
    expect(state.links.length).toBeGreaterThan(0);
  });

  it('resumed to the end, the stopped run gives the same summary as a fresh one', async () => {
    for (const [scenario, dir] of [[NO_SYNC, trace], ['cockpit', gptpTrace]] as const) {
      const fresh = await Platform.create(loadScenario(scenario, { durationNs: RUN_NS }), new CountingSink());
      const expected = fresh.run(RUN_NS);
      const { platform } = await travel(dir, { breakPredicate: "kind = 'link_rx'" });
      await drive(platform, RUN_NS);
      expect(platform.finish(), scenario).toEqual(expected);
    }
  });

  it("with gPTP, kind = 'link_rx' (a Pdelay_Req at the bridge) stops where the answer's interrupt ends the core step", async () => {
    const { platform, stop } = await travel(gptpTrace, { breakPredicate: "kind = 'link_rx'" });
    const event = stop.event!;
    expect([event.kind, event.len]).toEqual(['link_rx', 68]); // a 54-byte Pdelay_Req, +14 header
    // The bridge answers on the same port at once (802.1AS §11.2.19): its 68-byte Pdelay_Resp
    // takes 68 x 80 ns = 5440 ns on the 100 Mbit/s link plus 2 µs latency to reach the cluster,
    // whose rx interrupt hands the frame to the guest's PTP stack: the core step ends there,
    // before the next engine event (the cluster's slice end at 2 ms).
    expect(stop.timeNs).toBe(event.ts_ns + 5440 + 2000);
    expect(platform.engine.nextEventNs()).toBeGreaterThan(stop.timeNs);
    expect(collectState(platform).timeNs).toBe(stop.timeNs);
  });
});

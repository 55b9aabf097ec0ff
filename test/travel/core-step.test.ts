// A --break on a row the core's own events write (link_rx: an Ethernet frame's last bit
// arriving) stops at the end of that core step: the core runs its events as one batch up to
// the next engine event, and the stop is asked before that engine event runs
// (src/engine/engine.ts runUntil). Stopping there must not change the run either.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Platform } from '../../src/platform/platform.js';
import { recordScenario } from '../../src/platform/record.js';
import { drive } from '../../src/platform/run-loop.js';
import { CountingSink } from '../../src/platform/sink.js';
import { loadScenario } from '../../src/scenario/load.js';
import { collectState } from '../../src/replay/state.js';
import { travel } from '../../src/replay/travel.js';

const RUN_NS = 200_000_000;
let trace: string;

beforeAll(async () => {
  trace = join(mkdtempSync(join(tmpdir(), 'tv-travel-core-')), 'trace');
  await recordScenario(loadScenario('cockpit', { durationNs: RUN_NS }), trace);
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
    const fresh = await Platform.create(loadScenario('cockpit', { durationNs: RUN_NS }), new CountingSink());
    const expected = fresh.run(RUN_NS);
    const { platform } = await travel(trace, { breakPredicate: "kind = 'link_rx'" });
    await drive(platform, RUN_NS);
    expect(platform.finish()).toEqual(expected);
  });
});

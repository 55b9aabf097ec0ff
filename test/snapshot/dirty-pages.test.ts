// The core's dirty-page map (assembly/mmu/hostram.ts markDirty) lets a snapshot skip comparing
// the host RAM pages nothing wrote since the snapshot before (src/core/snapshot.ts captureCore).
// A write it misses would leave a changed page out of the snapshot, silently: here, at every
// snapshot of the built-in scenarios and of a run with every kind of seeded fault, the snapshot
// taken with the map is checked byte for byte against one taken at the same moment by comparing
// every page. Also: the map is used only against the snapshot it was cleared at; and the queues'
// per-slot arrays past each queue's size, which a snapshot stores as zeros, are zeros.
import { describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.js';
import type { CoreExports } from '../../src/core/exports.js';
import { captureCore, unusedQueueSlots, ZERO_PAGE, type CoreSnapshot } from '../../src/core/snapshot.js';
import { Platform } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import { loadScenario, parseScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { ALL_FAULTS, MS, bridge } from '../faults/run.js'; // every kind of seeded fault at once

/** A copy of `s` that is not the object the core's map counts from: the core compares every page. */
const unrelated = (s: CoreSnapshot): CoreSnapshot => ({ ...s });

function differingPages(a: CoreSnapshot, b: CoreSnapshot): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.pages.length; i++) if (Buffer.compare(a.pages[i]!, b.pages[i]!) !== 0) out.push(i);
  return out;
}

/** The core's snapshot now with every page compared (no map, no previous). */
function scanned(core: Core): CoreSnapshot {
  const x = (core as unknown as { x: CoreExports }).x;
  return captureCore(x, Core.build(), core.limits, (core as unknown as { seed: bigint }).seed);
}

/** How many of `s`'s host RAM pages are not ZERO_PAGE. */
function ramPagesWritten(core: Core, s: CoreSnapshot): number {
  const first = (core as unknown as { x: CoreExports }).x.hostRamOffset() / 4096;
  return s.pages.slice(first, first + core.limits.hostRamBytes / 4096).filter((p) => p !== ZERO_PAGE).length;
}

/** Offsets of the non-zero bytes in the queues' unused slots (unusedQueueSlots), at most 5. */
function writtenUnusedSlots(core: Core): number[] {
  const x = (core as unknown as { x: CoreExports }).x;
  const memory = new Uint8Array(x.memory.buffer);
  const out: number[] = [];
  for (const [at, bytes] of unusedQueueSlots(x, core.limits)) {
    for (let i = at; i < at + bytes && out.length < 5; i++) if (memory[i] !== 0) out.push(i);
  }
  return out;
}

/**
 * At every `everyNs` of `scenario`: the map's snapshot against the full compare's. Returns how
 * many snapshots, and how many host RAM pages changed between them in all (so a run that writes
 * nothing cannot pass for one the map kept up with).
 */
async function checkRun(scenario: Scenario, everyNs: number): Promise<{ snapshots: number; changed: number }> {
  const platform = await Platform.create(scenario, new CountingSink());
  platform.boot();
  const core = platform.core as Core;
  let full = core.snapshot(); // a fresh core: the map counts from instantiation
  expect(differingPages(full, scanned(core)), 'host RAM pages the map missed since instantiation').toEqual([]);
  let snapshots = 0;
  let changed = 0;
  for (let t = everyNs; t <= scenario.durationNs; t += everyNs) {
    platform.advanceTo(t);
    const withMap = core.snapshot(full); // the map counts from `full`
    const compared = core.snapshot(unrelated(full)); // the same moment, every page compared
    expect(differingPages(withMap, compared), `pages the map missed at ${t / MS} ms`).toEqual([]);
    expect(writtenUnusedSlots(core), `queue slots past a queue's size written by ${t / MS} ms`).toEqual([]);
    changed += compared.pages.filter((p, i) => p !== full.pages[i]).length;
    snapshots++;
    full = compared;
  }
  return { snapshots, changed };
}

describe('the dirty-page map', () => {
  it('misses no written page: the cockpit, every 250 ms for 4 s', async () => {
    const { snapshots, changed } = await checkRun(loadScenario('cockpit', { durationNs: 4000 * MS }), 250 * MS);
    expect(snapshots).toBe(16);
    expect(changed).toBeGreaterThan(1000);
  }, 120_000);

  it('misses no written page: the hostile guest, every 100 ms for 2 s', async () => {
    const { snapshots, changed } = await checkRun(loadScenario('hostile', { durationNs: 2000 * MS }), 100 * MS);
    expect(snapshots).toBe(20);
    expect(changed).toBeGreaterThan(0);
  }, 120_000);

  it('misses no written page: every kind of seeded fault, every 50 ms for 1 s', async () => {
    const { snapshots, changed } = await checkRun(parseScenario(bridge({ seed: 7, faults: ALL_FAULTS }), 'test'), 50 * MS);
    expect(snapshots).toBeGreaterThanOrEqual(10);
    expect(changed).toBeGreaterThan(0);
  }, 120_000);

  it('counts from instantiation on a fresh core only: not after a snapshot, nor after a restore', async () => {
    const scenario = loadScenario('cockpit', { durationNs: 1000 * MS });
    const platform = await Platform.create(scenario, new CountingSink());
    platform.boot();
    platform.advanceTo(300 * MS);
    const core = platform.core as Core;
    const first = core.snapshot(); // trusted: nothing was taken yet
    expect(differingPages(first, scanned(core))).toEqual([]);
    expect(ramPagesWritten(core, first)).toBeGreaterThan(100); // the map marked the guests' pages
    platform.advanceTo(600 * MS);
    // no previous, but the map counts from `first` now: a page written before it and not since
    // must still be in this snapshot, so every page is compared
    const again = core.snapshot();
    expect(differingPages(again, scanned(core))).toEqual([]);
    expect(ramPagesWritten(core, again)).toBeGreaterThanOrEqual(ramPagesWritten(core, first));
    // a core restored in place: its map counts from the restored snapshot, not from zeros
    const other = await Platform.create(scenario, new CountingSink());
    other.restoreState(platform.captureState(null), { restoreCore: () => (other.core as Core).restore(again) });
    const restored = (other.core as Core).snapshot();
    expect(differingPages(restored, again)).toEqual([]);
  }, 60_000);

  it('is used only against the snapshot it counts from', async () => {
    const platform = await Platform.create(loadScenario('cockpit', { durationNs: 1000 * MS }), new CountingSink());
    platform.boot();
    const core = platform.core as Core;
    const first = core.snapshot();
    platform.advanceTo(300 * MS);
    const second = core.snapshot(first);
    platform.advanceTo(600 * MS);
    // against `first`, not the snapshot the map counts from: pages that changed between first
    // and second must differ from first's, although the map was cleared at second
    const againstFirst = core.snapshot(first);
    const compared = core.snapshot(unrelated(first));
    expect(differingPages(againstFirst, compared)).toEqual([]);
    expect(second.pages.some((p, i) => p !== first.pages[i])).toBe(true); // there were such pages
  }, 60_000);
});

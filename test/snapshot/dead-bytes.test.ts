// A snapshot stores the core's dead regions (scratch, the trace columns' pending rows, the dirty
// map, the queues' unused slots: src/core/snapshot.ts deadRegions) as zeros and every other byte
// as it is. The pages a dead region only partly covers are compared in place (captureCore
// deadPage): here every byte of every snapshot page is checked against the live memory, at
// snapshots taken with and without a previous one, where the dead bytes are not zero in memory.
import { describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.js';
import type { CoreExports } from '../../src/core/exports.js';
import { SNAPSHOT_PAGE_BYTES, deadRegions, type CoreSnapshot } from '../../src/core/snapshot.js';
import { Platform } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import { loadScenario } from '../../src/scenario/load.js';

const MS = 1_000_000;

/** Bytes of `s` that differ from what it should hold; and how many dead bytes were non-zero in memory. */
function check(core: Core, s: CoreSnapshot): { wrong: number[]; deadLive: number; partPages: number } {
  const x = (core as unknown as { x: CoreExports }).x;
  const memory = new Uint8Array(x.memory.buffer);
  const dead = new Uint8Array(memory.length);
  for (const [at, bytes] of deadRegions(x, core.limits)) dead.fill(1, at, Math.min(memory.length, at + bytes));
  const wrong: number[] = [];
  let deadLive = 0;
  let partPages = 0;
  for (let i = 0; i < s.pages.length; i++) {
    const page = s.pages[i]!;
    const at = i * SNAPSHOT_PAGE_BYTES;
    let deadHere = 0;
    for (let k = 0; k < SNAPSHOT_PAGE_BYTES; k++) {
      const want = dead[at + k] === 1 ? 0 : memory[at + k]!;
      if (dead[at + k] === 1) {
        deadHere++;
        if (memory[at + k] !== 0) deadLive++;
      }
      if (page[k] !== want && wrong.length < 5) wrong.push(at + k);
    }
    if (deadHere > 0 && deadHere < SNAPSHOT_PAGE_BYTES) partPages++;
  }
  return { wrong, deadLive, partPages };
}

describe('a snapshot\'s dead bytes', () => {
  it('are zeros and every live byte is memory\'s, on partly dead pages too', async () => {
    const platform = await Platform.create(loadScenario('cockpit', { durationNs: 1000 * MS }), new CountingSink());
    platform.boot();
    const core = platform.core as Core;
    let previous: CoreSnapshot | undefined;
    let deadLive = 0;
    for (const t of [200 * MS, 400 * MS, 600 * MS]) {
      platform.advanceTo(t);
      const s = core.snapshot(previous);
      const r = check(core, s);
      expect(r.wrong, `bytes stored wrong at ${t / MS} ms`).toEqual([]);
      expect(r.partPages).toBeGreaterThan(10); // pages a dead region covers in part
      deadLive += r.deadLive;
      previous = s;
    }
    expect(deadLive).toBeGreaterThan(0); // pending rows: dead bytes that are not zero in memory
  }, 60_000);
});

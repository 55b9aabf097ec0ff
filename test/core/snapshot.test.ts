// Core snapshots (issue 10 §3, the core half): the core's memory and globals captured between
// calls and written into a fresh instance continue exactly as the original does (same rows, same
// state digests), and a snapshot of another build or other limits is refused.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.js';
import { EXIT } from '../../src/core/codes.js';
import { SnapshotError, ZERO_PAGE, type CoreSnapshot } from '../../src/core/snapshot.js';
import { coreWasmPath } from '../../src/core/wasm-file.js';
import { coreLimitsFor, Platform } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import { loadScenario } from '../../src/scenario/load.js';
import { makeCore, smallLimits, TraceLog, type Row } from './helpers.js';

const BPS = 500_000;

/** Runs the core alone (no TypeScript platform) to `untilNs`, taking every interrupt it raises. */
function runCoreOnly(core: Core, untilNs: number): number {
  let irqs = 0;
  while (core.run(untilNs) === EXIT.irq) irqs += core.irqTake().length;
  return irqs;
}

/** Three CAN nodes on one bus with frames queued: arbitration runs in the core's timers. */
async function canWorkload(): Promise<{ core: Core; log: TraceLog }> {
  const core = await makeCore();
  const log = new TraceLog(core);
  const bus = core.canBusCreate(BPS);
  const nodes = [0, 1, 2].map(() => core.canAttach({ dev: -1, vm: -1, bus, txQueue: -1, rxQueue: -1 }));
  for (let i = 0; i < 12; i++) core.canSend(nodes[i % 3]!, 0x100 + ((i * 37) % 64), new Uint8Array(i % 9));
  return { core, log };
}

function rowsFrom(log: TraceLog, first: number): Row[] {
  return log.all().slice(first);
}

describe('Core.snapshot / Core.fromSnapshot', () => {
  it('every mutable global of core.wasm is exported as g:<name> (the build step ran)', () => {
    const wat = readFileSync(coreWasmPath().replace(/\.wasm$/, '.wat'), 'utf8');
    const mutable = [...wat.matchAll(/^ \(global \$(\S+) \(mut /gm)].map((m) => `g:${m[1]}`);
    const snap = Core.loadSync(smallLimits(), 1n).snapshot();
    expect(mutable.length).toBeGreaterThan(20);
    expect(snap.globals.map(([name]) => name).sort()).toEqual(mutable.sort());
  });

  it('CAN frames mid-arbitration: the restored core emits the rows an uninterrupted run emits', async () => {
    const whole = await canWorkload();
    runCoreOnly(whole.core, 3_000_000);
    const expected = whole.log.all();

    const cut = await canWorkload();
    runCoreOnly(cut.core, 700_000); // frames still queued and one on the wire
    const before = cut.log.all().length;
    const snap = cut.core.snapshot();
    expect(snap.timeNs).toBe(700_000);
    const restored = await Core.fromSnapshot(smallLimits(), snap);
    const restoredLog = new TraceLog(restored);
    expect(restored.stateDigests()).toEqual(cut.core.stateDigests());

    runCoreOnly(cut.core, 3_000_000);
    runCoreOnly(restored, 3_000_000);
    const after = rowsFrom(cut.log, before);
    expect(after.length).toBeGreaterThan(10);
    expect(restoredLog.all()).toEqual(after);
    expect(cut.log.all()).toEqual(expected); // taking the snapshot changed nothing
    expect(restored.stateDigests()).toEqual(cut.core.stateDigests());
    expect(restored.now()).toBe(3_000_000);
  });

  it('the cockpit core at 1 s, restored, fed the same CAN frames: core-only run to 1.3 s gives identical rows and digests', async () => {
    const scenario = loadScenario('cockpit', { durationNs: 2_000_000_000 });
    const platform = await Platform.create(scenario, new CountingSink());
    platform.boot();
    const core = platform.core as Core;
    platform.advanceTo(500_000_000);
    const early = core.snapshot();
    platform.advanceTo(1_000_000_000);
    const snap = core.snapshot(early);
    // sharing the unchanged pages of `early` gives the same bytes as a snapshot of its own
    const alone = core.snapshot();
    expect(snap.pages.length).toBe(alone.pages.length);
    expect(snap.pages.every((p, i) => Buffer.compare(p, alone.pages[i]!) === 0)).toBe(true);
    const shared = snap.pages.filter((p, i) => p === early.pages[i] && p !== ZERO_PAGE).length;
    const changed = snap.pages.filter((p, i) => p !== early.pages[i]).length;
    expect(shared).toBeGreaterThan(100);
    expect(changed).toBeGreaterThan(0);
    const restored = Core.fromSnapshotSync(coreLimitsFor(scenario), snap);
    expect(restored.stateDigests()).toEqual(core.stateDigests());
    expect(restored.queueStates()).toEqual(core.queueStates());
    expect(restored.coreTimers(1 << 20)).toEqual(core.coreTimers(1 << 20));

    core.traceFlush(); // rows before the snapshot: the original's, not the restored core's
    const a = new TraceLog(core);
    const b = new TraceLog(restored);
    // the external ECUs' nodes (no device) send to the guests' virtio-can devices, which the core
    // serves alone: arbitration, RX into guest buffers through the IOMMU, used rings, interrupts
    const ecus = core.canNodeStates().filter((n) => n.dev === -1).map((n) => n.node);
    expect(ecus.length).toBeGreaterThan(0);
    for (const c of [core, restored]) {
      for (let i = 0; i < 9; i++) c.canSend(ecus[i % ecus.length]!, 0x120 + i, new Uint8Array([i, 1, 2, 3]));
    }
    const irqsA = runCoreOnly(core, 1_300_000_000);
    const irqsB = runCoreOnly(restored, 1_300_000_000);
    expect(irqsB).toBe(irqsA);
    expect(irqsA).toBeGreaterThan(0);
    expect(a.of('can_rx').length).toBeGreaterThan(9);
    expect(b.all()).toEqual(a.all());
    expect(restored.stateDigests()).toEqual(core.stateDigests());
  });

  it('a snapshot is a copy: the core running on changes none of its pages, and taking it changes no memory', async () => {
    const { core } = await canWorkload();
    runCoreOnly(core, 300_000);
    core.traceFlush();
    const live = new Uint8Array(core.linearMemory.buffer);
    const before = live.slice();
    const first = core.snapshot();
    const second = core.snapshot(first); // shares pages with the first
    expect(Buffer.compare(live, before)).toBe(0);
    const copies = second.pages.map((p) => Uint8Array.from(p));
    runCoreOnly(core, 3_000_000);
    expect(Buffer.compare(live, before)).not.toBe(0); // the run went on in that memory
    expect(second.pages.every((p, i) => Buffer.compare(p, copies[i]!) === 0)).toBe(true);
  });

  it('a snapshot drains nothing (a drain would cut a record batch) and holds no pending rows: the restored core emits only the rows after it', async () => {
    const { core, log } = await canWorkload();
    runCoreOnly(core, 500_000);
    const drained = log.drains;
    const pending = core.traceCount();
    expect(pending).toBeGreaterThan(0);
    const snap = core.snapshot();
    expect(log.drains).toBe(drained);
    expect(core.traceCount()).toBe(pending); // the live core keeps its rows, to drain them itself
    const restored = await Core.fromSnapshot(smallLimits(), snap);
    const restoredLog = new TraceLog(restored);
    expect(restored.traceCount()).toBe(0);
    runCoreOnly(core, 3_000_000);
    runCoreOnly(restored, 3_000_000);
    const original = log.all();
    const after = original.filter((r) => Number(r.seq) >= snap.seq);
    expect(after.length).toBeGreaterThan(0);
    expect(original.length - after.length).toBeGreaterThanOrEqual(pending); // the pending ones are before
    expect(restoredLog.all()).toEqual(after);
  });

  it('the restored wrapper knows its queues (drvSubmit checks chain length by queue size)', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    core.vmCreate(0, 1 << 20);
    core.iommuCreate(0, 0);
    core.iommuMapGuest(0, 0, 256, 3);
    const q = core.vqCreate({ vm: 0, dev: 0, index: 0, size: 4, descGpa: 0, availGpa: 4096, usedGpa: 8192, eventIdx: false });
    const restored = await Core.fromSnapshot(smallLimits(), core.snapshot());
    expect(log.all().length).toBeGreaterThan(0); // vqCreate's row went to the sink first
    new TraceLog(restored);
    const five = { out: Array.from({ length: 5 }, (_, i) => ({ gpa: 16384 + 64 * i, len: 64 })), in: [] };
    expect(() => restored.drvSubmit(q, [five])).toThrow(/1\.\.4 buffers/);
    expect(restored.drvSubmit(q, [{ out: [{ gpa: 16384, len: 64 }], in: [] }])).toBe(1);
    expect(restored.queueStates()[q]!.freeDesc).toBe(3);
  });
});

describe('a foreign or damaged core snapshot is refused', () => {
  async function snapshot(): Promise<CoreSnapshot> {
    const { core } = await canWorkload();
    runCoreOnly(core, 400_000);
    return core.snapshot();
  }
  function refusal(limits: ReturnType<typeof smallLimits>, s: CoreSnapshot): SnapshotError {
    try {
      Core.fromSnapshotSync(limits, s);
    } catch (error) {
      expect(error).toBeInstanceOf(SnapshotError);
      return error as SnapshotError;
    }
    throw new Error('the snapshot was accepted');
  }

  it('other limits', async () => {
    const e = refusal(smallLimits({ traceCapacity: 1 << 15 }), await snapshot());
    expect(e.code).toBe('snapshot_foreign');
    expect(e.message).toBe('snapshot taken with limits.traceCapacity = 16384, this core has 32768');
  });
  it('another core version', async () => {
    const s = await snapshot();
    const e = refusal(smallLimits(), { ...s, coreVersion: s.coreVersion + 1 });
    expect(e.code).toBe('snapshot_foreign');
    expect(e.message).toContain(`snapshot of core version ${s.coreVersion + 1}, this core is version ${s.coreVersion}`);
  });
  it('another core.wasm', async () => {
    const s = await snapshot();
    const e = refusal(smallLimits(), { ...s, wasmSha256: '0'.repeat(64) });
    expect(e.code).toBe('snapshot_foreign');
    expect(e.message).toMatch(/^snapshot of core\.wasm 0{16}…, this build is [0-9a-f]{16}…/);
  });
  it('memory shorter than init() makes it, or not whole 64 KiB pages', async () => {
    const s = await snapshot();
    expect(refusal(smallLimits(), { ...s, pages: s.pages.slice(16) }).message)
      .toMatch(/^snapshot memory is \d+ bytes, init\(\) with its limits needs \d+$/);
    expect(refusal(smallLimits(), { ...s, pages: s.pages.slice(1) }).message).toMatch(/is not a whole number of 64 KiB pages$/);
    const short = s.pages.map((p, i) => (i === 3 ? p.subarray(0, 100) : p));
    expect(refusal(smallLimits(), { ...s, pages: short }).message).toBe('snapshot page 3 holds 100 bytes, not 4096');
  });
  it('a global missing, unknown, or out of range', async () => {
    const s = await snapshot();
    expect(refusal(smallLimits(), { ...s, globals: s.globals.slice(1) }).message).toMatch(/holds \d+ core globals, this build has \d+/);
    const renamed = s.globals.map(([n, v], i): [string, string] => [i === 0 ? 'g:nope' : n, v]);
    expect(refusal(smallLimits(), { ...s, globals: renamed }).message).toBe('snapshot global "g:nope" is not in this build');
    const i32 = s.globals.findIndex(([n]) => n === 'g:assembly/layout/queueBase');
    const big = s.globals.map(([n, v], i): [string, string] => [n, i === i32 ? '4294967296' : v]);
    expect(refusal(smallLimits(), { ...s, globals: big }).message).toContain('is beyond i32');
  });
  it('globals that move a table elsewhere than init() puts it', async () => {
    const s = await snapshot();
    const moved = s.globals.map(([n, v]): [string, string] => [n, n === 'g:assembly/layout/stateBase' ? String(Number(v) + 64) : v]);
    expect(refusal(smallLimits(), { ...s, globals: moved }).message).toContain('place the core\'s tables elsewhere');
  });
});

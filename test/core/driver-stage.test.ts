// Issue 10 §2 (the drivers' per-buffer path): chains go to the core from a ChainStage and used
// elements come back in a UsedBatch (typed arrays a driver reuses), and a received buffer is read
// in place (guestView). Each must leave exactly what the ChainSpec / UsedElem[] / guestRead path
// leaves: the same rows in the same batches, heads, answers, ring state and digests, on two
// identical cores, also where a drain falls in the middle.
import { describe, expect, it } from 'vitest';
import { chainStage, usedBatch, type ChainSpec, type ChainStage } from '../../src/core/api.js';
import type { Core } from '../../src/core/core.js';
import { KIND } from '../../src/core/codes.js';
import { setCoreExportsWrapper } from '../../src/core/wasm-file.js';
import { countingExports } from '../../bench/platform-measures.js';
import { makeCore, queueAt, TraceLog, vmWithDevice } from './helpers.js';

// Chains of each shape a driver stages: a message (out), a message with a status byte at the
// end of its slot (out + in, the CAN TX request), an empty receive buffer (in), a 0-byte message.
const SLOT = 80;
const BUF_GPA = 0x10_000;
type Shape = 'out' | 'outIn' | 'in' | 'empty';
const SHAPES: Shape[] = ['out', 'outIn', 'in', 'out', 'empty', 'outIn', 'in', 'out'];

function asSpec(shape: Shape, i: number): ChainSpec {
  const gpa = BUF_GPA + SLOT * i;
  if (shape === 'in') return { out: [], in: [{ gpa, len: SLOT }] };
  const out = [{ gpa, len: shape === 'empty' ? 0 : 12 + i }];
  return { out, in: shape === 'outIn' ? [{ gpa: gpa + SLOT - 1, len: 1 }] : [] };
}

function asStage(shapes: Shape[]): ChainStage {
  const stage = chainStage(shapes.length);
  shapes.forEach((shape, i) => {
    const spec = asSpec(shape, i);
    stage.outGpa[i] = spec.out[0]?.gpa ?? -1;
    stage.outLen[i] = spec.out[0]?.len ?? 0;
    stage.inGpa[i] = spec.in[0]?.gpa ?? -1;
    stage.inLen[i] = spec.in[0]?.len ?? 0;
  });
  stage.count = shapes.length;
  return stage;
}

async function coreWithQueue(size: number): Promise<{ core: Core; q: number; log: TraceLog; batches: number[] }> {
  const core = await makeCore({ traceCapacity: 1024 }, 8n);
  const log = new TraceLog(core);
  const batches: number[] = [];
  const take = (log as unknown as { take(c: unknown, n: number): void }).take.bind(log);
  core.setTraceSink((cols, count) => {
    batches.push(count);
    take(cols, count);
  });
  vmWithDevice(core, 0, 0);
  const { q } = queueAt(core, { vm: 0, dev: 0, size, base: 0x1000, eventIdx: true });
  return { core, q, log, batches };
}

describe('Core.drvSubmitStaged: chains from typed arrays', () => {
  /** `rowsBefore` rows, then SHAPES submitted (and kicked) by the ChainSpec path or the stage. */
  async function submit(rowsBefore: number, staged: boolean, kick: boolean, size = 16) {
    const { core, q, log, batches } = await coreWithQueue(size);
    for (let i = 0; i < rowsBefore; i++) core.emit(0, 0, KIND.sched_run, -1, -1, i, 0, 0);
    let placed: number;
    let notified = false;
    let heads: number[];
    if (staged) {
      const stage = asStage(SHAPES);
      placed = core.drvSubmitStaged(q, stage, kick);
      notified = stage.notified;
      heads = Array.from(stage.heads.subarray(0, placed));
    } else {
      heads = [];
      const specs = SHAPES.map(asSpec);
      if (kick) ({ placed, notified } = core.drvSubmitKick(q, specs, heads));
      else placed = core.drvSubmit(q, specs, heads);
    }
    const rows = log.all();
    return { placed, notified, heads, rows, batches, digests: core.stateDigests(), queues: core.queueStates(), soft: core.traceSoftLimit() };
  }

  it.each([true, false])('gives the rows, batches, heads, answer and ring state of the ChainSpec path (kick %s), for any fill', async (kick) => {
    const soft = (await submit(0, true, kick)).soft;
    const seen = new Set<string>();
    for (let rowsBefore = soft - 14; rowsBefore <= soft; rowsBefore++) {
      const specs = await submit(rowsBefore, false, kick);
      const stage = await submit(rowsBefore, true, kick);
      expect(stage.placed, `rowsBefore ${rowsBefore}`).toBe(SHAPES.length);
      expect(stage.notified).toBe(kick); // EVENT_IDX: the device's avail_event is 0, the first kick notifies
      expect(stage.heads).toEqual(specs.heads);
      expect(stage.notified).toBe(specs.notified);
      expect(stage.batches, `rowsBefore ${rowsBefore}`).toEqual(specs.batches);
      expect(stage.rows).toEqual(specs.rows);
      expect(stage.queues).toEqual(specs.queues);
      expect(stage.digests).toEqual(specs.digests); // guest memory (descriptors, rings) included
      seen.add(JSON.stringify(stage.batches));
    }
    expect(seen.size).toBeGreaterThan(1); // the sweep reaches fills where a drain falls inside
  });

  it('places what fits in the free descriptors and kicks only when something was placed', async () => {
    // size 4: 'out', 'outIn' (2 descriptors), 'in' fill it; the rest do not fit
    const specs = await submit(0, false, true, 4);
    const stage = await submit(0, true, true, 4);
    expect(stage.placed).toBe(3);
    expect([stage.placed, stage.notified, stage.heads]).toEqual([specs.placed, specs.notified, specs.heads]);
    expect(stage.rows).toEqual(specs.rows);
    const { core, q } = await coreWithQueue(2);
    const full = asStage(['outIn', 'out']);
    expect(core.drvSubmitStaged(q, full, true)).toBe(1);
    const [rows, seq] = [core.traceCount(), core.seqNext()];
    const more = asStage(['out']);
    expect(core.drvSubmitStaged(q, more, true)).toBe(0);
    expect(more.notified).toBe(false);
    expect([core.traceCount(), core.seqNext()]).toEqual([rows, seq]); // no vq_notify row
  });

  it('refuses a chain with neither part, as drvSubmit refuses an empty chain', async () => {
    const { core, q } = await coreWithQueue(8);
    const stage = asStage(['out']);
    stage.outGpa[0] = -1;
    expect(() => core.drvSubmitStaged(q, stage, false)).toThrow(/a chain needs 1\.\.8 buffers, got 0/);
    expect(() => core.drvSubmit(q, [{ out: [], in: [] }])).toThrow(/a chain needs 1\.\.8 buffers, got 0/);
  });
});

describe('Core.drvReclaimInto / drvReclaimPairInto: used elements into typed arrays', () => {
  // Core.drvReclaim / drvReclaimPair (objects) are these with the batch turned into objects, so
  // the check that can fail is the one core call of the pair against two calls, with a batch
  // too small on purpose (it grows), at every trace fill around the soft limit.
  /** 3 used chains on qa, 5 on qb, `rowsBefore` rows, then reclaimed into batches, paired or one by one. */
  async function reclaim(rowsBefore: number, paired: boolean) {
    const { core, log, batches } = await coreWithQueue(16);
    const qb = queueAt(core, { vm: 0, dev: 0, index: 1, size: 16, base: 0x3000, eventIdx: true }).q;
    const qa = 0;
    const chain = (i: number): ChainSpec => ({ out: [], in: [{ gpa: BUF_GPA + 64 * i, len: 64 }] });
    core.drvSubmit(qa, [0, 1, 2].map(chain));
    core.drvSubmit(qb, [3, 4, 5, 6, 7].map(chain));
    core.devCompleteAll(qa, 10);
    core.devCompleteAll(qb, 20);
    // evict both rings' pages from the TLB (0x41/0x43 share their slots): tlb_miss rows in the reclaims
    core.guestWrite(0, 0x41_000, new Uint8Array(8));
    core.guestWrite(0, 0x43_000, new Uint8Array(8));
    log.all();
    batches.length = 0;
    for (let i = 0; i < rowsBefore; i++) core.emit(0, 0, KIND.sched_run, -1, -1, i, 0, 0);
    const a = usedBatch(1); // too small on purpose: the batch grows
    const b = usedBatch(16);
    if (paired) core.drvReclaimPairInto(qa, qb, 1 << 16, a, b);
    else {
      expect(core.drvReclaimInto(qa, 1 << 16, a)).toBe(a.count);
      core.drvReclaimInto(qb, 1 << 16, b);
    }
    const elems = (u: typeof a) => Array.from({ length: u.count }, (_, k) => ({ id: u.id[k]!, len: u.len[k]! }));
    const used = [elems(a), elems(b)];
    const rows = log.all();
    return { used, rows, batches, digests: core.stateDigests(), queues: core.queueStates(), soft: core.traceSoftLimit() };
  }

  it('paired in one call: the elements, rows, batches, ring state and digests of two calls, for any fill', async () => {
    const soft = (await reclaim(0, true)).soft;
    const seen = new Set<string>();
    for (let rowsBefore = soft - 10; rowsBefore <= soft; rowsBefore++) {
      const oneByOne = await reclaim(rowsBefore, false);
      const paired = await reclaim(rowsBefore, true);
      expect(paired.used[0]!.map((e) => e.len)).toEqual([10, 10, 10]);
      expect(paired.used[1]!.map((e) => e.len)).toEqual([20, 20, 20, 20, 20]);
      expect(paired.used, `rowsBefore ${rowsBefore}`).toEqual(oneByOne.used);
      expect(paired.batches, `rowsBefore ${rowsBefore}`).toEqual(oneByOne.batches);
      expect(paired.rows).toEqual(oneByOne.rows);
      expect(paired.queues).toEqual(oneByOne.queues);
      expect(paired.digests).toEqual(oneByOne.digests);
      seen.add(JSON.stringify(paired.batches));
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe('Core.guestView: a received buffer read in place', () => {
  it('is the guest memory itself on a TLB hit, and the same bytes, hits and rows as guestRead', async () => {
    const a = await makeCore({}, 2n);
    const b = await makeCore({}, 2n);
    const data = Uint8Array.from({ length: 3000 }, (_, k) => (k * 7) & 0xff);
    for (const c of [a, b]) {
      c.vmCreate(0, 1 << 20);
      c.guestWrite(0, 0x7a00, data); // across the 0x8000 boundary (both pages missed, then filled)
    }
    // first read: page hits (filled by the write); then one after an eviction (0x48 shares 0x8's slot)
    const reads: [number, number][] = [[0x7a00, 3000], [0x7f00, 64], [0x8010, 100]];
    for (const [gpa, len] of reads) {
      const view = a.guestView(0, gpa, len);
      const copy = b.guestRead(0, gpa, len);
      if (typeof view === 'number' || typeof copy === 'number') throw new Error('fault');
      expect(view.buffer).toBe(a.linearMemory.buffer); // in place, not copied
      expect(Array.from(view)).toEqual(Array.from(copy));
    }
    for (const c of [a, b]) c.guestWrite(0, 0x48_000, new Uint8Array(8));
    const view = a.guestView(0, 0x7f00, 0x200);
    const copy = b.guestRead(0, 0x7f00, 0x200);
    expect(view).toEqual(copy); // a miss: the export's copy, with its tlb_miss row
    expect(a.tlbStats(0)).toEqual(b.tlbStats(0));
    expect(a.traceCount()).toBe(b.traceCount());
    expect(a.stateDigests()).toEqual(b.stateDigests());
  });

  it('reads nothing for a zero length, as guestRead: no call, no hit counted', async () => {
    const calls = new Map<string, number>();
    setCoreExportsWrapper((x) => countingExports(x, calls));
    const core = await makeCore({}, 2n);
    setCoreExportsWrapper(null);
    core.vmCreate(0, 1 << 20);
    const hits = core.tlbStats(0).hits;
    calls.clear();
    const view = core.guestView(0, 0x7000, 0);
    expect(typeof view === 'number' ? view : view.length).toBe(0);
    expect([...calls.keys()].filter((k) => k === 'guestRead')).toEqual([]);
    expect(core.tlbStats(0).hits).toBe(hits);
  });

  it('copies when the two pages are not adjacent in host memory, still without a call', async () => {
    const core = await makeCore({}, 2n);
    core.vmCreate(0, 1 << 20);
    const hpa = core.hostAlloc(1);
    core.s2Map(0, 0x9000, hpa, 1, 3); // page 0x9 elsewhere in host memory
    const data = Uint8Array.from({ length: 256 }, (_, k) => k);
    expect(core.guestWrite(0, 0x8f80, data)).toBe(0); // fills both pages' entries
    const hits = core.tlbStats(0).hits;
    expect(core.guestWrite(0, 0x8f80, data)).toBe(0); // both hit: done here, 2 hits per page
    const view = core.guestView(0, 0x8f80, 256);
    if (typeof view === 'number') throw new Error('fault');
    expect(view.buffer).not.toBe(core.linearMemory.buffer);
    expect(Array.from(view)).toEqual(Array.from(data));
    expect(core.tlbStats(0).hits).toBe(hits + 8);
  });
});

// Side-by-side figure for ARCHITECTURE 2: the split-virtqueue cycle in the WASM core (batched,
// one crossing per ~500 k chains; stage-2 + IOMMU translation with TLBs, vq_avail/vq_used trace
// rows and latency bookkeeping included) against
//   - virtqueue-full-ref.ts: plain TypeScript doing the SAME work per chain (the issue's
//     "plain TypeScript implementation of the same algorithm"): `refChainsPerSec`, `ratio`;
//   - virtqueue-ref.ts: the bare ring (identity addressing, no TLB, no trace), for context:
//     `bareRefChainsPerSec`, `bareRatio`.
// Before measuring, a small run checks that core and reference do the same thing (same trace rows
// value for value, same TLB hits/misses, same ring bytes in guest memory); after measuring, that
// both processed the same chains and wrote the same number of rows. Rounds alternate the three
// sides (rotating the order); each side reports its median round (shared, noisy machines).
// With `cc` present the C reference (bench/c/virtqueue.c via virtqueue-c.ts), checked row for row
// against the core first, is timed in a second rotation with the core alone; its ratio is taken
// round by round (the core's round next to the C round), min and median reported.

import { performance } from 'node:perf_hooks';
import { Core } from '../src/core/core.js';
import type { ChainSpec, CoreLimits, QueueConfig } from '../src/core/api.js';
import { RefSplitQueue, refCycle, type RefBuffer } from './virtqueue-ref.js';
import { MmuRef } from './mmu-ref.js';
import { TraceRef } from './trace-ref.js';
import type { TraceColumns } from '../src/core/api.js';
import { RefVirtqueue, chainRecord, refFullCycle, type ChainRecord } from './virtqueue-full-ref.js';
import {
  buildCRef, checkCoreAgainstC, cRefUnavailable, runCRefVerify, timeCRef, type CRef, type CycleRate,
} from './virtqueue-c.js';

const QUEUE_SIZE = 256;
const ROUNDS = 7;
const RAM = 1 << 20;
const VERIFY_CHAINS = 70_001; // more than 65536: the 16-bit ring indices wrap during the check
const LIMITS: CoreLimits = {
  vmCount: 1, hostRamBytes: 2 * RAM, ptPages: 16, queueCount: 1, deviceCount: 1, linkCount: 0,
  switchPortCount: 0, macCount: 0, canNodeCount: 0, frameSlots: 0, frameBytesMax: 1536,
  timerCapacity: 16, traceCapacity: 1 << 20, scratchBytes: 64 * 1024,
};
const QUEUE: QueueConfig = {
  vm: 0, dev: 0, index: 0, size: QUEUE_SIZE, descGpa: 0x1000, availGpa: 0x3000, usedGpa: 0x4000,
  eventIdx: true,
};
const CHAIN: ChainSpec = {
  out: [{ gpa: 0x10_000, len: 64 }],
  in: [{ gpa: 0x11_000, len: 64 }, { gpa: 0x12_000, len: 64 }],
};
/** Guest bytes holding the three rings: desc table .. end of the used ring (avail_event). */
const RINGS_GPA = QUEUE.descGpa;
const RINGS_BYTES = QUEUE.usedGpa + 6 + 8 * QUEUE_SIZE - QUEUE.descGpa;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

interface CoreSide {
  core: Core;
  q: number;
  rowsDrained: number;
}

export function setupCore(nowNs = 0): CoreSide {
  const core = Core.loadSync(LIMITS, 1n);
  const side: CoreSide = { core, q: -1, rowsDrained: 0 };
  // Rows are written, counted, then dropped: the recorder is not measured here.
  core.setTraceSink((_cols, count) => {
    side.rowsDrained += count;
  });
  core.setNow(nowNs);
  core.vmCreate(0, RAM);
  core.iommuCreate(0, 0);
  core.iommuMapGuest(0, 0, RAM / 4096, 3);
  side.q = core.vqCreate(QUEUE);
  return side;
}

interface FullSide {
  mmu: MmuRef;
  trace: TraceRef;
  q: RefVirtqueue;
  rec: ChainRecord;
  out: Uint32Array;
  rowsDrained: number;
  sink: (trace: TraceRef, count: number) => void;
}

/** The same set-up as setupCore, step for step, in the same-algorithm reference. */
function setupFull(nowNs = 0): FullSide {
  const trace = new TraceRef(LIMITS.traceCapacity, LIMITS.scratchBytes);
  trace.now = nowNs;
  const mmu = new MmuRef(LIMITS, trace);
  mmu.vmCreate(0, RAM);
  mmu.iommuCreate(0, 0);
  mmu.iommuMapGuest(0, 0, RAM / 4096, 3);
  const q = new RefVirtqueue(mmu, trace, QUEUE);
  // bench.ts: used pairs go to scratch after the 64-byte-aligned record.
  const out = new Uint32Array(((LIMITS.scratchBytes - 64) >> 3) * 2);
  const side: FullSide = {
    mmu, trace, q, rec: chainRecord(CHAIN), out, rowsDrained: 0, sink: () => {},
  };
  side.sink = (_trace, count) => {
    side.rowsDrained += count;
  };
  return side;
}

function setupBare(): { q: RefSplitQueue; chain: RefBuffer[] } {
  const q = new RefSplitQueue(new Uint8Array(RAM), QUEUE_SIZE, 0x1000, 0x3000, 0x4000);
  const chain = [
    { gpa: 0x10_000, len: 64, write: false },
    { gpa: 0x11_000, len: 64, write: true },
    { gpa: 0x12_000, len: 64, write: true },
  ];
  return { q, chain };
}

const runCore = (c: CoreSide, chains: number) => c.core.benchCycle(c.q, CHAIN, chains);
const runFull = (f: FullSide, chains: number) => refFullCycle(f.q, f.rec, f.out, chains, f.sink);
const rowsOf = (c: { rowsDrained: number }, count: number) => c.rowsDrained + count;

/**
 * Chains/s of one run by the wall clock and by the process's CPU time (process.cpuUsage: the
 * loop is single-threaded, so CPU time is the time the work itself took on a shared machine).
 */
function timed(run: () => number, chains: number): CycleRate {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const done = run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (done !== chains) throw new Error(`bench: ${done} of ${chains} chains completed`);
  return { wall: chains / seconds, cpu: chains / ((cpu.user + cpu.system) / 1e6) };
}

function same(what: string, core: number, ref: number): void {
  if (core === ref) return;
  throw new Error(`bench virtqueue: core and reference differ in ${what}: ${core} vs ${ref}`);
}

type Column = ArrayLike<number | bigint>;

function sameColumns(core: Record<keyof TraceColumns, Column>, ref: TraceColumns): void {
  for (const name of Object.keys(ref) as (keyof TraceColumns)[]) {
    const a = core[name];
    const b = ref[name];
    same(`trace rows in column ${name}`, a.length, b.length);
    for (let i = 0; i < a.length; i++) {
      if (a[i] !== b[i]) {
        const values = `core ${a[i]}, reference ${b[i]}`;
        throw new Error(`bench virtqueue: trace row ${i} column ${name}: ${values}`);
      }
    }
  }
}

/**
 * A small run on fresh instances (virtual time set, rows kept): the same chains, the same rows
 * value for value, the same TLB hits/misses in both contexts, the same ring bytes.
 */
export function verifyVirtqueueRef(chains = VERIFY_CHAINS): { chains: number; rows: number } {
  const nowNs = 1_234_567;
  const c = setupCore(nowNs);
  const f = setupFull(nowNs);
  same('chains completed', runCore(c, chains), runFull(f, chains));
  same('rows drained', c.rowsDrained, f.rowsDrained);
  if (c.rowsDrained !== 0) throw new Error('bench virtqueue: the check run must fit the columns');
  sameColumns(c.core.traceColumns(), f.trace.columns());
  same('stage-2 TLB hits', c.core.tlbStats(0).hits, f.mmu.hits[0]!);
  same('stage-2 TLB misses', c.core.tlbStats(0).misses, f.mmu.misses[0]!);
  same('IOMMU TLB hits', c.core.iommuTlbStats(0).hits, f.mmu.hits[1]!);
  same('IOMMU TLB misses', c.core.iommuTlbStats(0).misses, f.mmu.misses[1]!);
  const rows = c.core.traceCount();
  // Last: guestRead goes through the core's stage-2 (it counts TLB hits).
  const coreRings = c.core.guestRead(0, RINGS_GPA, RINGS_BYTES);
  if (typeof coreRings === 'number') throw new Error(`bench virtqueue: guestRead ${coreRings}`);
  const refRings = f.mmu.guestBytes(0, RINGS_GPA, RINGS_BYTES);
  for (let i = 0; i < RINGS_BYTES; i++) {
    same(`ring byte at gpa 0x${(RINGS_GPA + i).toString(16)}`, coreRings[i]!, refRings[i]!);
  }
  return { chains, rows };
}

/** Core and C reference on the same chains from fresh instances: rows, TLB counts, ring bytes. */
export function verifyVirtqueueC(ref: CRef, chains = VERIFY_CHAINS): { chains: number; rows: number } {
  const nowNs = 1_234_567;
  const c = setupCore(nowNs);
  same('chains completed', runCore(c, chains), chains);
  if (c.rowsDrained !== 0) throw new Error('bench virtqueue: the check run must fit the columns');
  const out = runCRefVerify(ref, chains, nowNs);
  checkCoreAgainstC(c.core, c.rowsDrained, out, { gpa: RINGS_GPA, bytes: RINGS_BYTES });
  return { chains, rows: out.rows };
}

/** The C side of the bench: its rates and the per-round core/C ratios, or why it was skipped. */
export interface VirtqueueCBench {
  skipped?: string;
  cChainsPerSec?: number;
  /** core / C, round by round: min and median. */
  ratioMin?: number;
  ratioMedian?: number;
  /** The same by CPU time (less at the mercy of the shared machine's scheduler). */
  cpuRatioMin?: number;
  cpuRatioMedian?: number;
  rounds?: number;
  /** Every round's rates, core and C side by side. */
  perRound?: { core: CycleRate; c: CycleRate }[];
}

export interface VirtqueueBench {
  coreChainsPerSec: number;
  /** Plain TypeScript, same algorithm (translation + TLB, trace rows, latency bookkeeping). */
  refChainsPerSec: number;
  /** Plain TypeScript, bare ring: identity addressing, no translation, no trace. */
  bareRefChainsPerSec: number;
  /** core / same-algorithm reference. */
  ratio: number;
  /** core / bare-ring reference. */
  bareRatio: number;
  c: VirtqueueCBench;
}

export function benchVirtqueue(opts: { chains?: number } = {}): VirtqueueBench {
  const chains = opts.chains ?? 2_000_000;
  verifyVirtqueueRef();
  const skipped = cRefUnavailable();
  const ref = skipped === null ? buildCRef() : null;
  try {
    if (ref !== null) verifyVirtqueueC(ref);
    return measure(chains, ref, skipped);
  } finally {
    ref?.dispose();
  }
}

function measure(chains: number, ref: CRef | null, skipped: string | null): VirtqueueBench {
  const c = setupCore();
  const f = setupFull();
  const b = setupBare();
  const warm = Math.max(1, chains >> 2);
  timed(() => runCore(c, warm), warm);
  timed(() => runFull(f, warm), warm);
  timed(() => refCycle(b.q, b.chain, warm), warm);
  const coreRows0 = rowsOf(c, c.core.traceCount());
  const fullRows0 = rowsOf(f, f.trace.count);
  const rate = (run: () => number) => () => timed(run, chains);
  const sides = [
    { rates: [] as CycleRate[], rate: rate(() => runCore(c, chains)) },
    { rates: [] as CycleRate[], rate: rate(() => runFull(f, chains)) },
    { rates: [] as CycleRate[], rate: rate(() => refCycle(b.q, b.chain, chains)) },
  ];
  rotate(sides);
  const coreRows = rowsOf(c, c.core.traceCount()) - coreRows0;
  same('rows written while measuring', coreRows, rowsOf(f, f.trace.count) - fullRows0);
  // Warm TLBs: vq_avail + vq_used per chain, no tlb_miss (the C side checks the same of itself).
  same('rows per measured chain x 2', coreRows, 2 * chains * ROUNDS);
  same('stage-2 TLB hits', c.core.tlbStats(0).hits, f.mmu.hits[0]!);
  same('IOMMU TLB hits', c.core.iommuTlbStats(0).hits, f.mmu.hits[1]!);
  // The C comparison in a rotation of its own, core and C alternating: with the TypeScript
  // sides between them, the core's rounds also paid for their garbage and JIT work (V8's
  // background threads count in this process's CPU time), which the C process never does.
  const vsC = [
    { rates: [] as CycleRate[], rate: sides[0]!.rate },
    { rates: [] as CycleRate[], rate: () => timeCRef(ref!, chains, warm) },
  ];
  if (ref !== null) rotate(vsC);
  const wall = (k: number) => sides[k]!.rates.map((r) => r.wall);
  const coreChainsPerSec = median(wall(0));
  const refChainsPerSec = median(wall(1));
  const bareRefChainsPerSec = median(wall(2));
  return {
    coreChainsPerSec, refChainsPerSec, bareRefChainsPerSec,
    ratio: coreChainsPerSec / refChainsPerSec, bareRatio: coreChainsPerSec / bareRefChainsPerSec,
    c: ref === null ? { skipped: skipped ?? 'not built' } : cSide(vsC[0]!.rates, vsC[1]!.rates),
  };
}

/** ROUNDS rounds over the sides, each round starting one side further (shared, noisy machines). */
function rotate(sides: { rates: CycleRate[]; rate: () => CycleRate }[]): void {
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(round + k) % sides.length]!;
      side.rates.push(side.rate());
    }
  }
}

function cSide(coreRates: CycleRate[], cRates: CycleRate[]): VirtqueueCBench {
  const ratios = coreRates.map((r, i) => r.wall / cRates[i]!.wall);
  const cpuRatios = coreRates.map((r, i) => r.cpu / cRates[i]!.cpu);
  return {
    cChainsPerSec: median(cRates.map((r) => r.wall)), rounds: ratios.length,
    ratioMin: Math.min(...ratios), ratioMedian: median(ratios),
    cpuRatioMin: Math.min(...cpuRatios), cpuRatioMedian: median(cpuRatios),
    perRound: coreRates.map((core, i) => ({ core, c: cRates[i]! })),
  };
}

/** The bench lines of the C side (issue 10 §4: target >= 0.8x). */
export function formatVirtqueueC(c: VirtqueueCBench): string {
  if (c.skipped !== undefined) return `  C reference               skipped: ${c.skipped}`;
  const fmt = (x: number) => x.toFixed(2);
  return [
    `  C reference (cc -O2)      ${(c.cChainsPerSec! / 1e6).toFixed(2)} M chains/s` +
      ' (same work, checked row for row)',
    `  WASM virtqueue cycle = ${fmt(c.ratioMedian!)}× the C reference (median of ${c.rounds} rounds,` +
      ` min ${fmt(c.ratioMin!)}×; target >= 0.8×)`,
    `  by CPU time               ${fmt(c.cpuRatioMedian!)}× (min ${fmt(c.cpuRatioMin!)}×)`,
  ].join('\n');
}

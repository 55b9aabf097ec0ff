// The only TypeScript that touches the WASM core: loads build/core.wasm, owns the instance and
// its memory, builds the typed views once after init (the memory never grows afterwards), and
// implements CoreApi over the flat numeric exports of assembly/index.ts. 64-bit values cross as
// BigInt and are converted here (asserting the 2^53 bound); bulk data crosses through scratch.

import type {
  CoreApi, CoreFault, CoreFaultApi, CoreLimits, ChainSpec, ChainStage, Irq, UsedBatch, NetAttach, CanAttach, Perm, QueueConfig, Segment, TlbStats,
  TraceColumns, TraceRow, UsedElem,
} from './api.js';
import type { FrameColumns } from './api.js'; // frames table (issue 12 §1)
import type {
  BusBudgetState, CanBusState, CanMailboxState, CanNodeState, CoreTimer, LinkDirState, LinkState, QueueState,
} from './api.js'; // time travel (issue 9)
import { EVENT_KINDS, EXIT, FAULT_CODES } from './codes.js';
import { CORE_COMPONENTS, usedBatch } from './api.js';
import type { CoreExports } from './exports.js';
import { coreWasmSha256, loadCoreModule, loadCoreModuleSync, type WasmMemory } from './wasm-file.js';
import { PrngView } from './prng-view.js'; // issue 10 §2 step 3
import { captureCore, checkSnapshotFits, restoreCore, SnapshotError, type CoreBuild, type CoreSnapshot } from './snapshot.js'; // issue 10 §3

// STATE fields (assembly/layout.ts ST_*), as Int32Array indices.
/** Core.dirtySince of a core that has taken no snapshot and was not restored (snapshot.ts captureCore). */
const FRESH: unique symbol = Symbol('fresh core');
const ST_TRACE_COUNT = 0;
const ST_TRACE_SOFT = 1;
const ST_SEG_COUNT = 3;
const ST_STOP = 6;
const ST_IRQ_COUNT = 7;
// --- fewer crossings (issue 10 §2): i64 fields as (low, high) u32 halves, and counts
const ST_NOW_LO = 10; //       assembly/layout.ts ST_NOW = 40
const ST_SEQ_LO = 12; //       ST_SEQ = 48
const ST_TIMER_COUNT = 14; //  ST_TIMER_COUNT = 56
const ST_STEP_IRQS = 15; //    ST_STEP_IRQS = 60
const ST_KICK = 16; //         ST_KICK = 64
const ST_RECLAIM_B = 17; //    ST_RECLAIM_B = 68
const TWO_32 = 2 ** 32;
// --- frames table (issue 12 §1): the frames ring's counters (assembly/layout.ts ST_FR_*)
const ST_FR_COUNT = 28; //     ST_FR_COUNT = 112
const ST_FR_BYTES = 29; //     ST_FR_BYTES = 116
const ST_FR_STOP = 30; //      ST_FR_STOP = 120
const ST_RUN_BUDGET = 27; //   ST_RUN_BUDGET = 108
// assembly/mmu/context.ts: CTX (64 B) +0 live, +16 i64 hits; TLB entry (32 B) +4 read tag, +8
// write tag, +12 hpa; 64 direct-mapped entries per context (ctx = vm for stage-2).
const PAGE_BYTES = 4096;
/**
 * Pages a guest copy may span and still be done here on TLB hits (issue 10 §2): two hold any
 * copy of up to 4 KiB (a driver's buffer slots are at most 2 KiB, but 64-byte aligned pools put
 * many of them across a page boundary). Consecutive pages use distinct TLB entries (fewer than
 * TLB_ENTRIES), so the hits found at the probe are the hits the copy makes.
 */
const COPY_PAGES_MAX = 2;
/** The platform's PRNG streams, 0..63 (assembly/layout.ts PRNG_STREAMS; 64.. are the faults'). */
const PLATFORM_STREAMS = 64;
const CTX_WORDS = 16;
const CTX_HITS = 4;
const TLB_ENTRIES = 64;
const TLB_ENTRY_WORDS = 8;
const TE_TAG_READ = 1;
const TE_TAG_WRITE = 2;
const TE_HPA = 3;
/** 2^53, assembly/clock.ts TIME_MAX. */
const TIME_MAX = 2 ** 53;
// Why a batch call stopped (assembly/layout.ts STOP_*).
const STOP_TRACE = 1;
const STOP_SCRATCH = 2;

const CHAIN_HDR = 16;
const CHAIN_BUF = 16;
const SEG_ENTRY = 16;
const U32_MAX = 0xffff_ffff;
/** The core's "ring empty" result (distinct from -1 = -(desc_index_out_of_range)). */
const POP_EMPTY = -65536;

type Sink = (cols: TraceColumns, count: number) => void;
type FramesSink = (cols: FrameColumns, count: number) => void; // frames table (issue 12 §1)

function assertInt(value: number, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`core: ${what} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** A JS number as i64 for the core (integers below 2^53 only). */
function big(value: number, what: string): bigint {
  assertInt(value, what, Number.MIN_SAFE_INTEGER);
  return BigInt(value);
}

/** An i64 from the core as a JS number (asserts it is exactly representable). */
function num(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error(`core: 64-bit value ${value} beyond 2^53 cannot become a number`);
  }
  return Number(value);
}

function faultName(code: number): string {
  return FAULT_CODES[code] ?? `fault ${code}`;
}

let coreBuild: CoreBuild | null = null; // issue 10 §3: Core.build(), once per process

interface QueueInfo {
  size: number;
}

export class Core implements CoreApi, CoreFaultApi {
  readonly limits: CoreLimits;
  readonly version: number;
  private readonly x: CoreExports;
  private readonly memory: WasmMemory;
  // Views over the linear memory: rebuilt by bindViews() when a restore grew it (issue 10 §3).
  private state!: Int32Array;
  private scratch!: Uint8Array;
  private scratchView!: DataView;
  private segView!: DataView;
  private cols!: TraceColumns;
  // issue 10 §2: the 8-byte columns as u32 halves (rows written without BigInt), the state's
  // i64 fields likewise, and entry 0 of the core's timer heap (its earliest time).
  private cols32!: { ts: Uint32Array; seq: Uint32Array; id: Uint32Array; val: Uint32Array };
  private state32!: Uint32Array;
  private timerTop!: Uint32Array;
  private scratch32!: Int32Array;
  // issue 10 §2: the stage-2 contexts and TLBs (u32 words) and all of linear memory as bytes
  private ctx32!: Uint32Array;
  private tlb32!: Uint32Array;
  private heap!: Uint8Array;
  private hostRamBase = 0;
  /** A byte per host RAM page, 1 when written since `dirtySince` (assembly/mmu/hostram.ts markDirty). */
  private dirty!: Uint8Array;
  /**
   * The snapshot the dirty map counts from: the last one this core took or was restored to, or
   * FRESH for a core that has taken none and was not restored (the map counts from instantiation,
   * when linear memory, host RAM with it, was all zeros: WebAssembly.Memory starts zeroed).
   */
  private dirtySince: CoreSnapshot | typeof FRESH = FRESH;
  /** issue 10 §2 step 3: the platform's PRNG streams (0..63) drawn here, over the core's states */
  private prng!: PrngView;
  // issue 10 §2: the host offset of each page of the copy tlbHitPages found (COPY_PAGES_MAX)
  private readonly pieceHost = new Float64Array(COPY_PAGES_MAX);
  /** guestView's copy when the pages are not adjacent in host memory (grown on demand). */
  private viewCopy = new Uint8Array(0);
  /** Word offset in scratch of each chain record drvSubmitStaged encoded. */
  private readonly stagedAt: Int32Array;
  /** Interrupts the last step() took, (vm, dev, queue) triples (copied out of scratch). */
  private readonly stepIrqs: Int32Array;
  private readonly queues: QueueInfo[] = [];
  private sink: Sink | null = null;
  // --- frames table (issue 12 §1): the frames ring's views (null: no ring) and its sink
  private frameCols: FrameColumns | null = null;
  private framesSink: FramesSink | null = null;
  /**
   * Rows (and frame bytes) a restored core counts as pending but does not have: the live run's
   * pending rows at the snapshot's moment, which belong to that run's trace (restoreCore). The
   * first drain after a restore skips them, so the restored run drains where the live one did.
   */
  private phantom = { rows: 0, frames: 0, frameBytes: 0 };
  /** The seed init() got (a snapshot carries it). */
  private seed = 0n;

  private constructor(limits: CoreLimits, x: CoreExports) {
    this.limits = { ...limits };
    this.x = x;
    this.memory = x.memory;
    this.version = x.coreVersion();
    this.stepIrqs = new Int32Array(3 * (limits.queueCount + 1));
    this.stagedAt = new Int32Array((limits.scratchBytes >> 5) + 1);
    this.bindViews();
  }

  private bindViews(): void {
    const { x, limits } = this;
    const buf = this.memory.buffer;
    this.state = new Int32Array(buf, x.stateOffset(), 64);
    this.scratch = new Uint8Array(buf, x.scratchOffset(), limits.scratchBytes);
    this.scratchView = new DataView(buf, x.scratchOffset(), limits.scratchBytes);
    this.segView = new DataView(buf, x.segOffset(), 256 * SEG_ENTRY);
    const cap = limits.traceCapacity;
    const at = (c: number): number => x.traceColumnOffset(c);
    this.cols = {
      ts_ns: new BigInt64Array(buf, at(0), cap),
      seq: new BigInt64Array(buf, at(1), cap),
      vm: new Int16Array(buf, at(2), cap),
      vcpu: new Int16Array(buf, at(3), cap),
      kind: new Uint8Array(buf, at(4), cap),
      dev: new Int16Array(buf, at(5), cap),
      queue: new Int16Array(buf, at(6), cap),
      id: new BigInt64Array(buf, at(7), cap),
      len: new Int32Array(buf, at(8), cap),
      val: new BigInt64Array(buf, at(9), cap),
    };
    const halves = (c: number): Uint32Array => new Uint32Array(buf, at(c), 2 * cap);
    this.cols32 = { ts: halves(0), seq: halves(1), id: halves(7), val: halves(9) };
    this.state32 = new Uint32Array(buf, x.stateOffset(), 64);
    this.timerTop = new Uint32Array(buf, x.timerOffset(), 2);
    this.scratch32 = new Int32Array(buf, x.scratchOffset(), limits.scratchBytes >> 2);
    this.ctx32 = new Uint32Array(buf, x.ctxOffset(), limits.vmCount * CTX_WORDS);
    this.tlb32 = new Uint32Array(buf, x.tlbOffset(), limits.vmCount * TLB_ENTRIES * TLB_ENTRY_WORDS);
    this.heap = new Uint8Array(buf);
    this.hostRamBase = x.hostRamOffset();
    this.dirty = new Uint8Array(buf, x.dirtyOffset() >>> 0, limits.hostRamBytes / PAGE_BYTES); // usize: above 2 GiB it reads negative
    this.frameCols = frameRingViews(x, limits);
    this.prng = new PrngView(new Uint32Array(buf, x.prngOffset() >>> 0, PLATFORM_STREAMS * 8));
  }

  /** Instantiate a core sized by `limits`; `seed` decides every random choice of the run. */
  static async load(limits: CoreLimits, seed: bigint): Promise<Core> {
    checkLimits(limits);
    return Core.start(limits, seed, await loadCoreModule());
  }

  /** Synchronous load (same core; for callers that cannot await, e.g. the benchmark). */
  static loadSync(limits: CoreLimits, seed: bigint): Core {
    checkLimits(limits);
    return Core.start(limits, seed, loadCoreModuleSync());
  }

  private static start(limits: CoreLimits, seed: bigint, x: CoreExports): Core {
    x.frameRingLimits(limits.frameRingRows ?? 0, limits.frameRingBytes ?? 0); // frames table (issue 12 §1)
    x.init(
      limits.vmCount, BigInt(limits.hostRamBytes), limits.ptPages, limits.queueCount,
      limits.deviceCount, limits.linkCount, limits.switchPortCount, limits.macCount,
      limits.canNodeCount, limits.frameSlots, limits.frameBytesMax, limits.timerCapacity,
      limits.traceCapacity, limits.scratchBytes, BigInt.asIntN(64, seed),
    );
    const core = new Core(limits, x);
    core.seed = seed;
    return core;
  }

  // --- snapshots (issue 10 §3): the core's memory and globals as a value, and back ---------------

  /** Which build this is: a snapshot of another build is refused. */
  static build(): CoreBuild {
    coreBuild ??= { coreVersion: loadCoreModuleSync().coreVersion(), wasmSha256: coreWasmSha256() };
    return coreBuild;
  }

  /**
   * The core's whole state now, its pending trace rows left out: they are not drained (a drain
   * cuts a record batch, and a trace must not depend on whether snapshots were taken) and stay
   * this core's to drain; a core restored from the snapshot starts with no pending rows and emits
   * exactly the rows this one emits after the moment (seq >= snapshot.seq). Pages equal to
   * `previous`'s are shared with it (only changed pages are copied).
   */
  snapshot(previous?: CoreSnapshot): CoreSnapshot {
    const build = { coreVersion: this.version, wasmSha256: coreWasmSha256() };
    // the dirty map says which host RAM pages can differ from `previous` only when it counts from
    // it, and (no `previous`) which can be other than zero when it counts from instantiation
    const trusted = previous === undefined ? this.dirtySince === FRESH : previous === this.dirtySince;
    const dirty = trusted ? this.dirty : null;
    const snapshot = captureCore(this.x, build, this.limits, this.seed, previous, dirty);
    this.dirtyFrom(snapshot);
    return snapshot;
  }

  /** The dirty map counts from `snapshot` (taken now, or just restored). */
  private dirtyFrom(snapshot: CoreSnapshot): void {
    this.dirty.fill(0);
    this.dirtySince = snapshot;
  }

  /**
   * A core in the state `snapshot` holds: init() runs with the snapshot's limits and seed (the
   * same checks a fresh core passes), then its memory and globals are written over. The trace
   * sink is the new owner's to set. Refuses (SnapshotError) a snapshot of another build or limits.
   */
  static async fromSnapshot(limits: CoreLimits, snapshot: CoreSnapshot): Promise<Core> {
    checkLimits(limits);
    const x = await loadCoreModule();
    return Core.restoreInto(x, limits, snapshot);
  }

  static fromSnapshotSync(limits: CoreLimits, snapshot: CoreSnapshot): Core {
    checkLimits(limits);
    return Core.restoreInto(loadCoreModuleSync(), limits, snapshot);
  }

  /**
   * Puts `snapshot` into this core, in place (a Platform's devices hold this object): the core
   * must have been built with the snapshot's limits and seed (Platform.create for the trace's
   * scenario does that), and refuses (SnapshotError) a snapshot of another build, limits or seed.
   * The trace sink stays; rows not drained yet are dropped (they belong to the run being replaced).
   */
  restore(snapshot: CoreSnapshot): void {
    checkSnapshotFits(snapshot, { coreVersion: this.version, wasmSha256: coreWasmSha256() }, this.limits);
    if (BigInt(snapshot.seed) !== this.seed) {
      throw new SnapshotError('snapshot_foreign', `snapshot of a run with seed ${snapshot.seed}, this core has seed ${this.seed}`);
    }
    restoreCore(this.x, snapshot);
    this.bindViews();
    this.dirtyFrom(snapshot);
    this.notePhantomRows();
    this.queues.length = 0;
    for (let q = 0; q < this.x.vqCount(); q++) this.queues[q] = { size: this.x.vqStateField(q, 3) };
  }

  private static restoreInto(x: CoreExports, limits: CoreLimits, snapshot: CoreSnapshot): Core {
    checkSnapshotFits(snapshot, { coreVersion: x.coreVersion(), wasmSha256: coreWasmSha256() }, limits);
    const seed = BigInt(snapshot.seed);
    Core.start(limits, seed, x); // init(): the same door a fresh build goes through
    restoreCore(x, snapshot);
    const core = new Core(limits, x); // views over the (possibly grown) memory
    core.seed = seed;
    core.dirtyFrom(snapshot);
    core.notePhantomRows();
    // the wrapper's own state: the queue sizes vqCreate noted (the sink is the new owner's)
    for (let q = 0; q < x.vqCount(); q++) core.queues[q] = { size: x.vqStateField(q, 3) };
    return core;
  }

  // --- trace plumbing -------------------------------------------------------------------------

  /**
   * Before and after every call that can write rows: hand full columns to the sink. Checking
   * before as well keeps "count < soft limit when a core call starts" true even after a sink
   * error, so a step can never overrun the capacity.
   */
  private afterCall(): void {
    if (this.state[ST_TRACE_COUNT]! >= this.state[ST_TRACE_SOFT]! || this.state[ST_FR_STOP] !== 0) this.drain();
  }

  private drain(): void {
    // --- frames table (issue 12 §1): a core that stopped because the frames ring filled gets
    // that ring drained alone, so the events batches end where they end without frames.
    // A run() that spent its step budget drains the events wherever they are, as without frames.
    const framesFull = this.state[ST_FR_STOP] !== 0;
    const budget = this.state[ST_RUN_BUDGET] !== 0;
    this.state[ST_RUN_BUDGET] = 0;
    if (framesFull) this.drainFrames();
    const count = this.state[ST_TRACE_COUNT]!;
    if (count === 0) return;
    if (framesFull && !budget && count < this.state[ST_TRACE_SOFT]!) return;
    const visible = count - this.phantom.rows;
    if (visible > 0) {
      if (this.sink === null) {
        throw new Error('core: trace columns reached the soft limit and no sink is set (Core.setTraceSink)');
      }
      this.sink(this.traceColumns(), visible);
    }
    this.x.traceReset();
    this.phantom.rows = 0;
    this.drainFrames(); // frames leave with every events batch: a crash loses no more of them
  }

  setTraceSink(sink: Sink): void {
    this.sink = sink;
  }
  traceFlush(): void {
    if (this.sink === null) return;
    this.drain();
    this.drainFrames();
  }

  // --- frames table (issue 12 §1) ---------------------------------------------------------------

  framesEnable(on: boolean): void {
    if (on && this.frameCols === null) throw new Error('core: framesEnable: limits.frameRingRows is 0 (no frames ring)');
    this.x.frameRingEnable(on ? 1 : 0);
  }
  setFramesSink(sink: FramesSink): void {
    this.framesSink = sink;
  }
  /**
   * Keep each frame's bytes in the ring (the default) or only its hash (a replay checking the
   * frames batches by their core digests: assembly/trace/frames-ring.ts frameRingKeepBytes). The
   * frames sink's `data` then holds no frame's bytes.
   */
  framesKeepBytes(keep: boolean): void {
    this.x.frameRingKeepBytes(keep ? 1 : 0);
  }
  framesCount(): number {
    return this.state[ST_FR_COUNT]! - this.phantom.frames;
  }
  private drainFrames(): void {
    const count = this.state[ST_FR_COUNT]!;
    if (count === 0 || this.frameCols === null) return;
    const { frames: skip, frameBytes } = this.phantom;
    if (count > skip) this.framesSink?.(frameColumnsOf(this.frameCols, count, skip, frameBytes), count - skip);
    this.x.frameRingReset();
    this.phantom.frames = 0;
    this.phantom.frameBytes = 0;
  }
  traceEmit(row: TraceRow): void {
    this.emit(row.vm, row.vcpu, row.kind, row.dev, row.queue, row.id, row.len, row.val);
  }

  /**
   * One platform row at now(), written straight into the trace columns with the core's next
   * sequence number (issue 10 §2: no call into the core). The same row, checks and drain points
   * as the traceEmit export (assembly/trace/columns.ts traceRowInline), so traces do not change.
   */
  emit(vm: number, vcpu: number, kind: number, dev: number, queue: number, id: number, len: number, val: number): void {
    this.afterCall();
    assertInt(kind, 'traceEmit kind', 1, EVENT_KINDS.length - 1);
    assertInt(id, 'id', Number.MIN_SAFE_INTEGER);
    assertInt(val, 'val', Number.MIN_SAFE_INTEGER);
    const n = this.state[ST_TRACE_COUNT]!;
    if (n >= this.limits.traceCapacity) throw new Error('assert: trace: a step wrote more rows than the reserve');
    const seq = this.seqNext();
    this.writeRow(n, seq, vm, vcpu, kind, dev, queue, id, len, val);
    this.setHalves(ST_SEQ_LO, seq + 1);
    this.state[ST_TRACE_COUNT] = n + 1;
    this.afterCall();
  }

  private writeRow(
    n: number, seq: number, vm: number, vcpu: number, kind: number, dev: number, queue: number, id: number, len: number, val: number,
  ): void {
    const c = this.cols;
    const h = this.cols32;
    const lo = 2 * n;
    h.ts[lo] = this.state32[ST_NOW_LO]!;
    h.ts[lo + 1] = this.state32[ST_NOW_LO + 1]!;
    h.seq[lo] = seq % TWO_32;
    h.seq[lo + 1] = Math.floor(seq / TWO_32);
    // two's complement halves: ToUint32 of a negative number wraps modulo 2^32
    h.id[lo] = id % TWO_32;
    h.id[lo + 1] = Math.floor(id / TWO_32);
    h.val[lo] = val % TWO_32;
    h.val[lo + 1] = Math.floor(val / TWO_32);
    c.len[n] = len;
    c.vm[n] = vm;
    c.vcpu[n] = vcpu;
    c.dev[n] = dev;
    c.queue[n] = queue;
    c.kind[n] = kind;
  }

  /** An i64 field of the state region from its u32 halves (values below 2^53, asserted by the core). */
  private halves(lo: number): number {
    return this.state32[lo + 1]! * TWO_32 + this.state32[lo]!;
  }
  private setHalves(lo: number, value: number): void {
    this.state32[lo] = value % TWO_32;
    this.state32[lo + 1] = Math.floor(value / TWO_32);
  }
  /** Rows pending in the columns (a restored core's phantom rows not counted). */
  traceCount(): number {
    return this.state[ST_TRACE_COUNT]! - this.phantom.rows;
  }
  traceColumns(): TraceColumns {
    const n = this.state[ST_TRACE_COUNT]!;
    const s = this.phantom.rows;
    const c = this.cols;
    return {
      ts_ns: c.ts_ns.subarray(s, n), seq: c.seq.subarray(s, n), vm: c.vm.subarray(s, n),
      vcpu: c.vcpu.subarray(s, n), kind: c.kind.subarray(s, n), dev: c.dev.subarray(s, n),
      queue: c.queue.subarray(s, n), id: c.id.subarray(s, n), len: c.len.subarray(s, n),
      val: c.val.subarray(s, n),
    };
  }

  /** After a restore: the snapshot's pending counts are phantom rows (see `phantom`). */
  private notePhantomRows(): void {
    this.phantom = { rows: this.state[ST_TRACE_COUNT]!, frames: this.state[ST_FR_COUNT]!, frameBytes: this.state[ST_FR_BYTES]! };
  }
  traceReset(): void {
    this.x.traceReset();
  }
  seqNext(): number {
    return this.halves(ST_SEQ_LO);
  }
  /** Rows at which the wrapper drains (capacity minus the per-step reserve). */
  traceSoftLimit(): number {
    return this.state[ST_TRACE_SOFT]!;
  }

  // --- time -------------------------------------------------------------------------------------

  now(): number {
    return this.halves(ST_NOW_LO);
  }
  /** assembly/bus/run.ts setNow, without a call: the clock and the timer heap are in memory. */
  setNow(ns: number): void {
    assertInt(ns, 'setNow ns');
    if (this.timerDueBefore(ns)) throw new Error('assert: setNow: core events pending before ns (call run(ns) first)');
    this.clockSet(ns);
  }
  /** assembly/clock.ts clockSet. */
  private clockSet(ns: number): void {
    if (ns < this.now()) throw new Error('assert: clock: time never goes backwards');
    if (ns > TIME_MAX) throw new Error('assert: clock: virtual time beyond 2^53 ns');
    this.setHalves(ST_NOW_LO, ns);
  }
  /** Time of the core's earliest timed event, -1 when none (assembly/bus/timers.ts timerTopTime). */
  private timerTopNs(): number {
    return this.state[ST_TIMER_COUNT]! === 0 ? -1 : this.timerTop[1]! * TWO_32 + this.timerTop[0]!;
  }
  private timerDueBefore(ns: number): boolean {
    const t = this.timerTopNs();
    return t >= 0 && t < ns;
  }

  /**
   * One engine step (issue 10 §2): what run(untilNs) then irqTake() do, in one call into the core,
   * and in none when no interrupt is pending and no core event is due by untilNs (then the step
   * only moves the clock, as run does). Each interrupt taken goes to onIrq, after the trace check.
   */
  step(untilNs: number, onIrq: (vm: number, dev: number, queue: number) => void): number {
    assertInt(untilNs, 'step untilNs');
    this.afterCall();
    const t = this.timerTopNs();
    if (this.state[ST_IRQ_COUNT] === 0 && (t < 0 || t > untilNs)) {
      if (untilNs < this.now()) throw new Error('assert: run: untilNs before now');
      this.clockSet(untilNs);
      return EXIT.until;
    }
    for (;;) {
      const exit = this.x.step(untilNs);
      if (exit === EXIT.traceFull) {
        this.drain();
        continue;
      }
      const irqs = exit === EXIT.irq ? this.copyStepIrqs() : 0;
      this.afterCall();
      for (let i = 0; i < 3 * irqs; i += 3) onIrq(this.stepIrqs[i]!, this.stepIrqs[i + 1]!, this.stepIrqs[i + 2]!);
      return exit;
    }
  }

  /** The interrupts step() left in scratch, into stepIrqs (a sink or handler may reuse scratch). */
  private copyStepIrqs(): number {
    const n = this.state[ST_STEP_IRQS]!;
    if (n > this.limits.queueCount + 1) throw new Error(`assert: step took ${n} interrupts`);
    for (let i = 0; i < 3 * n; i++) this.stepIrqs[i] = this.scratch32[i]!;
    return n;
  }
  run(untilNs: number): number {
    this.afterCall();
    const until = big(untilNs, 'run untilNs');
    for (;;) {
      const exit = this.x.run(until);
      if (exit === EXIT.traceFull) {
        this.drain();
        continue;
      }
      this.afterCall();
      return exit;
    }
  }
  nextEventNs(): number {
    return num(this.x.nextEventNs());
  }
  irqTake(): Irq[] {
    const n = this.x.irqTake();
    const out: Irq[] = [];
    for (let i = 0; i < n; i++) {
      const at = i * 12;
      out.push({
        vm: this.scratchView.getInt32(at, true),
        dev: this.scratchView.getInt32(at + 4, true),
        queue: this.scratchView.getInt32(at + 8, true),
      });
    }
    return out;
  }

  // --- PRNG -------------------------------------------------------------------------------------

  // Issue 10 §2 step 3: drawn in TypeScript over the states in the core's memory (prng-view.ts),
  // the numbers and the state the exports prngU32 / prngBelow / prngChance give, without a call.

  prngU32(stream: number): number {
    assertInt(stream, 'prng stream', 0, PLATFORM_STREAMS - 1);
    return this.prng.u32(stream);
  }
  prngBelow(stream: number, n: number): number {
    assertInt(stream, 'prng stream', 0, PLATFORM_STREAMS - 1);
    assertInt(n, 'prngBelow n', 1, U32_MAX);
    return this.prng.below(stream, n);
  }
  prngChance(stream: number, numerator: number, den: number): boolean {
    assertInt(stream, 'prng stream', 0, PLATFORM_STREAMS - 1);
    assertInt(den, 'prngChance den', 1, U32_MAX);
    assertInt(numerator, 'prngChance num', 0, den);
    return this.prng.chance(stream, numerator, den);
  }

  // --- memory, stage-2, TLB, IOMMU ----------------------------------------------------------------

  hostAlloc(pages: number): number {
    assertInt(pages, 'hostAlloc pages', 1, 2 ** 31 - 1);
    return num(this.x.hostAlloc(pages));
  }
  vmCreate(vm: number, ramBytes: number): void {
    this.x.vmCreate(vm, big(ramBytes, 'ramBytes'));
  }
  s2Map(vm: number, gpa: number, hpa: number, pages: number, perm: Perm): void {
    this.x.s2Map(vm, big(gpa, 'gpa'), big(hpa, 'hpa'), pages, perm);
  }
  s2Unmap(vm: number, gpa: number, pages: number): void {
    this.x.s2Unmap(vm, big(gpa, 'gpa'), pages);
  }
  s2Protect(vm: number, gpa: number, pages: number, perm: Perm): void {
    this.x.s2Protect(vm, big(gpa, 'gpa'), pages, perm);
  }
  s2Translate(vm: number, gpa: number, write: boolean): number {
    this.afterCall();
    const r = num(this.x.s2Translate(vm, big(gpa, 'gpa'), write ? 1 : 0));
    this.afterCall();
    return r;
  }
  tlbStats(vm: number): TlbStats {
    return { hits: num(this.x.tlbHits(vm)), misses: num(this.x.tlbMisses(vm)) };
  }
  guestWrite(vm: number, gpa: number, data: Uint8Array): number {
    this.afterCall();
    const pages = this.tlbHitPages(vm, gpa, data.length, true);
    if (pages > 0) {
      for (let i = 0; i < pages; i++) this.dirty[(this.pieceHost[i]! - this.hostRamBase) / PAGE_BYTES] = 1; // as dmaPtr marks
      const start = this.pieceHost[0]! + (gpa % PAGE_BYTES);
      if (pages === 1 || this.pieceHost[1] === this.pieceHost[0]! + PAGE_BYTES) {
        this.heap.set(data, start); // pages adjacent in host memory: one copy
        return 0;
      }
      const first = PAGE_BYTES - (gpa % PAGE_BYTES);
      this.heap.set(data.subarray(0, first), start);
      this.heap.set(data.subarray(first), this.pieceHost[1]!);
      return 0;
    }
    const chunk = this.limits.scratchBytes;
    for (let off = 0; off < data.length; off += chunk) {
      const len = Math.min(chunk, data.length - off);
      this.scratch.set(data.subarray(off, off + len));
      const r = this.x.guestWrite(vm, big(gpa + off, 'gpa'), len);
      this.afterCall();
      if (r !== 0) return r;
    }
    return 0;
  }
  guestRead(vm: number, gpa: number, len: number): Uint8Array | number {
    this.afterCall();
    assertInt(len, 'guestRead len');
    const pages = this.tlbHitPages(vm, gpa, len, false);
    if (pages > 0) return this.hitBytes(gpa, len, pages).slice();
    return this.readByExport(vm, gpa, len);
  }
  /** guestRead through the export (a miss, a fault, a long copy): chunks of scratch. */
  private readByExport(vm: number, gpa: number, len: number): Uint8Array | number {
    const out = new Uint8Array(len);
    const chunk = this.limits.scratchBytes;
    for (let off = 0; off < len; off += chunk) {
      const n = Math.min(chunk, len - off);
      const r = this.x.guestRead(vm, big(gpa + off, 'gpa'), n);
      this.afterCall();
      if (r !== 0) return r;
      out.set(this.scratch.subarray(0, n), off);
    }
    return out;
  }
  guestView(vm: number, gpa: number, len: number): Uint8Array | number {
    this.afterCall();
    assertInt(len, 'guestView len');
    const pages = this.tlbHitPages(vm, gpa, len, false);
    if (pages > 0) return this.hitBytes(gpa, len, pages);
    if (len === 0 || len > this.limits.scratchBytes) return this.readByExport(vm, gpa, len); // as guestRead
    // a miss or a fault: the export, its bytes copied out of scratch into viewCopy (a driver's
    // reader may call the core, which reuses scratch) rather than into a new array each time
    const r = this.x.guestRead(vm, big(gpa, 'gpa'), len);
    this.afterCall();
    if (r !== 0) return r;
    return this.copyToView(this.scratch.subarray(0, len));
  }
  /** `bytes` into viewCopy (grown on demand); a view of the copy, valid until the next guestView. */
  private copyToView(bytes: Uint8Array): Uint8Array {
    if (this.viewCopy.length < bytes.length) this.viewCopy = new Uint8Array(Math.max(bytes.length, PAGE_BYTES));
    this.viewCopy.set(bytes);
    return this.viewCopy.subarray(0, bytes.length);
  }
  /**
   * The bytes of a copy tlbHitPages found (`pages` of them): a view of the core's memory when
   * they are adjacent there, else copied into viewCopy (a view of it: valid until the next call).
   */
  private hitBytes(gpa: number, len: number, pages: number): Uint8Array {
    const start = this.pieceHost[0]! + (gpa % PAGE_BYTES);
    if (pages === 1 || this.pieceHost[1] === this.pieceHost[0]! + PAGE_BYTES) return this.heap.subarray(start, start + len);
    if (this.viewCopy.length < len) this.viewCopy = new Uint8Array(Math.max(len, PAGE_BYTES));
    const first = PAGE_BYTES - (gpa % PAGE_BYTES);
    this.viewCopy.set(this.heap.subarray(start, start + first), 0);
    this.viewCopy.set(this.heap.subarray(this.pieceHost[1]!, this.pieceHost[1]! + len - first), first);
    return this.viewCopy.subarray(0, len);
  }
  iommuCreate(dev: number, vm: number): void {
    this.x.iommuCreate(dev, vm);
  }
  iommuMapGuest(dev: number, gpa: number, pages: number, perm: Perm): void {
    this.x.iommuMapGuest(dev, big(gpa, 'gpa'), pages, perm);
  }
  iommuTranslate(dev: number, iova: number, write: boolean): number {
    this.afterCall();
    const r = num(this.x.iommuTranslate(dev, big(iova, 'iova'), write ? 1 : 0));
    this.afterCall();
    return r;
  }
  iommuTlbStats(dev: number): TlbStats {
    return { hits: num(this.x.iommuTlbHits(dev)), misses: num(this.x.iommuTlbMisses(dev)) };
  }

  /**
   * Issue 10 §2: a guest copy whose pages (at most COPY_PAGES_MAX) are all TLB hits needs no call
   * into the core. This is assembly/mmu/stage2.ts guestCopy on hits, done here as the core does
   * it: a probe of every page and then the copy of every page, two hits counted per page, the
   * bytes at hostRamBase + the entry's hpa + the page offset. Returns how many pages, with the
   * hits counted and each page's host offset in pieceHost, or 0 (nothing changed): then the
   * export runs, with its misses, tlb_miss rows and faults. test/core/crossings.test.ts checks
   * both paths leave the same state.
   */
  private tlbHitPages(vm: number, gpa: number, len: number, write: boolean): number {
    // (the export cuts a copy longer than scratch into chunks, each with its own probe)
    if (!(len > 0 && len <= this.limits.scratchBytes && gpa >= 0 && Number.isSafeInteger(gpa))) return 0;
    const offset = gpa % PAGE_BYTES;
    const pages = Math.ceil((offset + len) / PAGE_BYTES);
    if (pages > COPY_PAGES_MAX) return 0;
    if (!(vm >= 0 && vm < this.limits.vmCount && this.ctx32[vm * CTX_WORDS]! !== 0)) return 0;
    const first = (gpa - offset) / PAGE_BYTES;
    for (let i = 0; i < pages; i++) {
      const page = first + i;
      const entry = (vm * TLB_ENTRIES + (page % TLB_ENTRIES)) * TLB_ENTRY_WORDS;
      if (this.tlb32[entry + (write ? TE_TAG_WRITE : TE_TAG_READ)]! !== page + 1) return 0;
      this.pieceHost[i] = this.hostRamBase + this.tlb32[entry + TE_HPA]!;
    }
    const hits = CTX_WORDS * vm + CTX_HITS;
    const count = this.ctx32[hits + 1]! * TWO_32 + this.ctx32[hits]! + 2 * pages;
    this.ctx32[hits] = count % TWO_32;
    this.ctx32[hits + 1] = Math.floor(count / TWO_32);
    return pages;
  }

  // --- VIRTIO split virtqueues ---------------------------------------------------------------------

  vqCreate(cfg: QueueConfig): number {
    this.afterCall();
    const q = this.x.vqCreate(
      cfg.vm, cfg.dev, cfg.index, cfg.size, big(cfg.descGpa, 'descGpa'), big(cfg.availGpa, 'availGpa'),
      big(cfg.usedGpa, 'usedGpa'), cfg.eventIdx ? 1 : 0,
    );
    this.afterCall();
    if (q < 0) {
      throw new Error(
        `vqCreate: the core refused queue ${cfg.index} of device ${cfg.dev} (${faultName(-q)}): size ` +
          `${cfg.size} must be a power of two <= 32768, desc/avail/used aligned 16/2/4 and mapped RW ` +
          `in vm ${cfg.vm}, the device's IOMMU domain created, and traceCapacity >= ` +
          `2 x (2 x size + 320 + scratchBytes / 4096)`,
      );
    }
    this.queues[q] = { size: cfg.size };
    return q;
  }
  private queue(q: number): QueueInfo {
    const info = this.queues[q];
    if (info === undefined) throw new Error(`core: unknown queue ${q}`);
    return info;
  }
  vqFailed(q: number): boolean {
    return this.x.vqFailed(q) === 1;
  }
  /** Fault code that put the queue in the failed state (0 when it is not failed). */
  vqFailCode(q: number): number {
    return this.x.vqFailCode(q);
  }
  vqReset(q: number): void {
    this.afterCall();
    this.x.vqReset(q);
    this.afterCall();
  }

  /** Encode chains[from..] into scratch; returns how many fit. `offsets` gets each record's offset. */
  private encodeChains(q: number, chains: ChainSpec[], from: number, offsets: number[]): number {
    const size = this.queue(q).size;
    const v = this.scratchView;
    let at = 0;
    let i = from;
    for (; i < chains.length; i++) {
      const c = chains[i]!;
      const n = c.out.length + c.in.length;
      if (at + CHAIN_HDR + CHAIN_BUF * n > this.limits.scratchBytes) break;
      if (n < 1 || n > size) throw new Error(`drvSubmit: a chain needs 1..${size} buffers, got ${n}`);
      offsets.push(at);
      v.setUint16(at, c.out.length, true);
      v.setUint16(at + 2, c.in.length, true);
      const indirect = c.indirectGpa !== undefined;
      if (indirect) assertInt(c.indirectGpa!, 'indirectGpa');
      if (indirect && c.indirectGpa! % 16 !== 0) throw new Error('drvSubmit: indirectGpa must be 16-byte aligned');
      v.setUint32(at + 4, indirect ? 1 : 0, true);
      v.setBigInt64(at + 8, BigInt(indirect ? c.indirectGpa! : 0), true);
      at += CHAIN_HDR;
      for (const b of [...c.out, ...c.in]) {
        assertInt(b.gpa, 'buffer gpa');
        assertInt(b.len, 'buffer len', 0, U32_MAX);
        v.setBigInt64(at, BigInt(b.gpa), true);
        v.setUint32(at + 8, b.len, true);
        v.setUint32(at + 12, 0, true);
        at += CHAIN_BUF;
      }
    }
    if (i === from && from < chains.length) throw new Error('drvSubmit: one chain does not fit in scratch');
    return i - from;
  }

  drvSubmit(q: number, chains: ChainSpec[], heads?: number[]): number {
    return this.submitChains(q, chains, heads, false).placed;
  }
  /**
   * drvSubmit then, when chains were placed, drvKick: one call when the trace has room between
   * the two (issue 10 §2), else the two calls with the drain between them. Same rows, batches
   * and ring state as drvSubmit followed by drvKick.
   */
  drvSubmitKick(q: number, chains: ChainSpec[], heads?: number[]): { placed: number; notified: boolean } {
    const { placed, kick } = this.submitChains(q, chains, heads, true);
    if (kick < 0 && placed > 0) return { placed, notified: this.drvKick(q) };
    return { placed, notified: kick === 1 };
  }
  /**
   * The chains through drvSubmit (or drvSubmitKick) in as many calls as scratch and the trace
   * need: a call that stopped for the trace's soft limit is drained and continued. `kick` is
   * drvSubmitKick's last ST_KICK (1 notified, 0 suppressed, -1 not kicked; -1 for drvSubmit).
   */
  private submitChains(q: number, chains: ChainSpec[], heads: number[] | undefined, withKick: boolean): { placed: number; kick: number } {
    this.afterCall();
    let placed = 0;
    let kick = -1;
    const offsets: number[] = [];
    while (placed < chains.length) {
      offsets.length = 0;
      const encoded = this.encodeChains(q, chains, placed, offsets);
      const last = placed + encoded === chains.length ? 1 : 0;
      const r = withKick ? this.x.drvSubmitKick(q, encoded, placed, last) : this.x.drvSubmit(q, encoded);
      const stop = this.state[ST_STOP]!;
      if (withKick) kick = this.state[ST_KICK]!;
      // the core left each placed chain's head where its flags were (assembly/virtio/driver.ts)
      if (heads !== undefined) for (let k = 0; k < r; k++) heads.push(this.scratchView.getUint32(offsets[k]! + 4, true));
      placed += r;
      this.afterCall();
      if (stop === STOP_TRACE) {
        this.drain();
        continue;
      }
      if (r < encoded) break;
    }
    return { placed, kick };
  }
  // --- the drivers' per-buffer path (issue 10 §2): chains from a ChainStage, used elements into
  // a UsedBatch; the same core calls as drvSubmit / drvSubmitKick / drvReclaim(Pair) make.

  drvSubmitStaged(q: number, stage: ChainStage, kick: boolean): number {
    this.afterCall();
    let placed = 0;
    let last = -1;
    const total = stage.count;
    while (placed < total) {
      const encoded = this.encodeStaged(q, stage, placed);
      const final = placed + encoded === total ? 1 : 0;
      const r = kick ? this.x.drvSubmitKick(q, encoded, placed, final) : this.x.drvSubmit(q, encoded);
      const stop = this.state[ST_STOP]!;
      if (kick) last = this.state[ST_KICK]!;
      // the core left each placed chain's head where its flags were (assembly/virtio/driver.ts)
      for (let k = 0; k < r; k++) stage.heads[placed + k] = this.scratch32[this.stagedAt[k]! + 1]!;
      placed += r;
      this.afterCall();
      if (stop === STOP_TRACE) {
        this.drain();
        continue;
      }
      if (r < encoded) break;
    }
    stage.notified = kick && placed > 0 && (last < 0 ? this.drvKick(q) : last === 1);
    return placed;
  }

  /** encodeChains for a stage: chains [from, ...) as scratch records, as many as fit. */
  private encodeStaged(q: number, stage: ChainStage, from: number): number {
    const size = this.queue(q).size;
    const w = this.scratch32;
    const wordsMax = this.limits.scratchBytes >> 2;
    let at = 0; // in words
    let i = from;
    for (; i < stage.count; i++) {
      const hasOut = stage.outGpa[i]! >= 0 ? 1 : 0;
      const hasIn = stage.inGpa[i]! >= 0 ? 1 : 0;
      const n = hasOut + hasIn;
      if (at + 4 + 4 * n > wordsMax) break;
      if (n < 1 || n > size) throw new Error(`drvSubmit: a chain needs 1..${size} buffers, got ${n}`);
      this.stagedAt[i - from] = at;
      w[at] = hasOut | (hasIn << 16); // u16 outCount | u16 inCount
      w[at + 1] = 0; //                   flags: not indirect
      w[at + 2] = 0;
      w[at + 3] = 0;
      at += 4;
      if (hasOut === 1) at = this.encodeBuffer(at, stage.outGpa[i]!, stage.outLen[i]!);
      if (hasIn === 1) at = this.encodeBuffer(at, stage.inGpa[i]!, stage.inLen[i]!);
    }
    if (i === from && from < stage.count) throw new Error('drvSubmit: one chain does not fit in scratch');
    return i - from;
  }

  /** One buffer of a record at word `at` (u64 gpa | u32 len | u32 0); the next word. */
  private encodeBuffer(at: number, gpa: number, len: number): number {
    assertInt(gpa, 'buffer gpa');
    const w = this.scratch32;
    w[at] = gpa % TWO_32;
    w[at + 1] = Math.floor(gpa / TWO_32);
    w[at + 2] = len;
    w[at + 3] = 0;
    return at + 4;
  }

  drvReclaimInto(q: number, max: number, out: UsedBatch): number {
    this.afterCall();
    assertInt(max, 'drvReclaim max');
    out.count = 0;
    if (max === 0) return 0;
    const n = this.x.drvReclaim(q, max);
    this.readUsedInto(out, 0, n);
    this.reclaimRestInto(q, max, out, this.state[ST_STOP]!);
    return out.count;
  }

  drvReclaimPairInto(qa: number, qb: number, max: number, a: UsedBatch, b: UsedBatch): void {
    this.afterCall();
    assertInt(max, 'drvReclaim max');
    a.count = 0;
    b.count = 0;
    if (max === 0) return;
    const n = this.x.drvReclaimPair(qa, qb, max);
    const stop = this.state[ST_STOP]!;
    const nb = this.state[ST_RECLAIM_B]!;
    this.readUsedInto(a, 0, n);
    if (nb < 0) {
      this.reclaimRestInto(qa, max, a, stop);
      this.drvReclaimInto(qb, max, b);
      return;
    }
    this.readUsedInto(b, n, nb);
    this.reclaimRestInto(qb, max, b, stop);
  }

  /** `count` {u32 id, u32 len} pairs from scratch pair `from` on, appended to `out`. */
  private readUsedInto(out: UsedBatch, from: number, count: number): void {
    if (out.count + count > out.id.length) growUsed(out, out.count + count);
    const w = this.scratch32;
    for (let i = from; i < from + count; i++) {
      out.id[out.count] = w[2 * i]!;
      out.len[out.count] = w[2 * i + 1]!;
      out.count++;
    }
  }

  /** reclaimRest for a UsedBatch. */
  private reclaimRestInto(q: number, max: number, out: UsedBatch, stop: number): void {
    for (;;) {
      this.afterCall();
      if (stop === STOP_TRACE) this.drain();
      else if (stop !== STOP_SCRATCH) return;
      if (out.count >= max) return;
      const n = this.x.drvReclaim(q, max - out.count);
      stop = this.state[ST_STOP]!;
      this.readUsedInto(out, 0, n);
    }
  }

  drvKick(q: number): boolean {
    this.afterCall();
    const r = this.x.drvKick(q) === 1;
    this.afterCall();
    return r;
  }
  /** drvReclaimInto as objects, for tests and tools (the drivers use the batch form). */
  drvReclaim(q: number, max: number): UsedElem[] {
    const out = usedBatch(16);
    this.drvReclaimInto(q, max, out);
    return usedElems(out);
  }

  /**
   * drvReclaim(qa) then drvReclaim(qb) (issue 10 §2): one call into the core when qa's batch
   * ended and the trace has room between them (the wrapper's drain point), else the calls of
   * drvReclaim one by one. The same used elements, rows, batches and ring state. As objects:
   * drvReclaimPairInto is the drivers' form.
   */
  drvReclaimPair(qa: number, qb: number, max: number): [UsedElem[], UsedElem[]] {
    const a = usedBatch(16);
    const b = usedBatch(16);
    this.drvReclaimPairInto(qa, qb, max, a, b);
    return [usedElems(a), usedElems(b)];
  }
  drvFreeCount(q: number): number {
    return this.x.drvFreeCount(q);
  }
  drvRawDesc(q: number, index: number, gpa: number, len: number, flags: number, next: number): void {
    this.afterCall();
    assertInt(index, 'desc index', 0, 0xffff);
    assertInt(len, 'desc len', 0, U32_MAX);
    assertInt(flags, 'desc flags', 0, 0xffff);
    assertInt(next, 'desc next', 0, 0xffff);
    this.x.drvRawDesc(q, index, big(gpa, 'gpa'), len, flags, next);
    this.afterCall();
  }
  drvRawPublish(q: number, head: number): void {
    this.afterCall();
    assertInt(head, 'head', 0, 0xffff);
    this.x.drvRawPublish(q, head);
    this.afterCall();
  }

  devPop(q: number): { head: number; segments: Segment[] } | null | number {
    this.afterCall();
    const r = this.x.devPop(q);
    this.afterCall();
    if (r === POP_EMPTY) return null;
    if (r < 0) return -r;
    const segments: Segment[] = [];
    const n = this.state[ST_SEG_COUNT]!;
    for (let i = 0; i < n; i++) {
      const at = i * SEG_ENTRY;
      segments.push({
        host: this.segView.getUint32(at, true),
        len: this.segView.getUint32(at + 4, true),
        writable: this.segView.getUint32(at + 8, true) !== 0,
      });
    }
    return { head: r, segments };
  }
  devPush(q: number, head: number, len: number): void {
    this.afterCall();
    assertInt(head, 'devPush head', 0, this.queue(q).size - 1);
    assertInt(len, 'devPush len', 0, 2 ** 31 - 1);
    this.x.devPush(q, head, len);
    this.afterCall();
  }
  devNotify(q: number): boolean {
    this.afterCall();
    const r = this.x.devNotify(q) === 1;
    this.afterCall();
    return r;
  }
  devDrain(q: number, max: number): { head: number; data: Uint8Array }[] {
    this.afterCall();
    assertInt(max, 'devDrain max');
    const out: { head: number; data: Uint8Array }[] = [];
    while (out.length < max) {
      const n = this.x.devDrain(q, max - out.length);
      const stop = this.state[ST_STOP]!;
      let at = 0;
      for (let i = 0; i < n; i++) {
        const head = this.scratchView.getUint32(at, true);
        const len = this.scratchView.getUint32(at + 4, true);
        out.push({ head, data: this.scratch.slice(at + 8, at + 8 + len) });
        at += (8 + len + 3) & ~3;
      }
      this.afterCall();
      if (stop === STOP_TRACE) this.drain();
      else if (stop !== STOP_SCRATCH) break;
    }
    return out;
  }
  devFill(q: number, data: Uint8Array): number {
    this.afterCall();
    if (data.length > this.limits.scratchBytes) {
      throw new Error(`devFill: ${data.length} bytes exceed scratchBytes (${this.limits.scratchBytes})`);
    }
    this.scratch.set(data);
    const r = this.x.devFill(q, data.length);
    this.afterCall();
    // CoreApi says -1 for "no buffer", which is also -(desc_index_out_of_range): a fault always
    // leaves the queue failed (vqFailed), "no buffer" never does.
    return r === POP_EMPTY ? -1 : r;
  }
  devCompleteAll(q: number, writtenLen: number): number {
    this.afterCall();
    assertInt(writtenLen, 'writtenLen', 0, 2 ** 31 - 1);
    let total = 0;
    for (;;) {
      total += this.x.devCompleteAll(q, writtenLen);
      const stop = this.state[ST_STOP]!;
      this.afterCall();
      if (stop !== STOP_TRACE) return total;
      this.drain();
    }
  }

  /**
   * FOR THE BENCHMARK ONLY: `chains` submit/pop/push/reclaim cycles of one chain inside the core
   * (assembly/virtio/bench.ts). Returns cycles completed (fewer only on a fault).
   */
  benchCycle(q: number, chain: ChainSpec, chains: number): number {
    this.afterCall();
    this.encodeChains(q, [chain], 0, []);
    let done = 0;
    while (done < chains) {
      const r = this.x.benchCycle(q, chains - done);
      done += r;
      this.afterCall();
      if (r === 0) {
        if (this.state[ST_TRACE_COUNT]! === 0) break;
        this.drain();
      }
    }
    return done;
  }

  // --- interconnect -------------------------------------------------------------------------------

  linkCreate(latencyNs: number, bitsPerSecond: number): number {
    return this.x.linkCreate(big(latencyNs, 'latencyNs'), big(bitsPerSecond, 'bitsPerSecond'));
  }
  switchMac(mac: bigint, port: number): void {
    if (mac < 0n || mac > 0xffff_ffff_ffffn) throw new Error(`switchMac: ${mac} is not a 48-bit MAC`);
    this.x.switchMac(mac, port);
  }
  switchPortLink(port: number, link: number, rxDev: number): void {
    this.x.switchPortLink(port, link, rxDev);
  }
  // --- gPTP (issue 11)
  ptpMode(mode: number): void {
    this.x.ptpMode(mode);
  }
  ptpPort(port: number): void {
    this.x.ptpPort(port);
  }
  ptpStamp(dev: number, dir: 0 | 1, type: number, seq: number): number {
    return Number(this.x.ptpStamp(dev, dir, type, seq));
  }
  linkAsymmetry(link: number, asymmetryNs: number): void {
    this.x.linkAsymmetry(link, BigInt(asymmetryNs));
  }
  // --- CanTSyn (issue 11 §2)
  canTsynId(bus: number, canId: number): void {
    assertInt(canId, 'canId', 0, U32_MAX);
    this.x.canTsynId(bus, canId);
  }
  netAttach(a: NetAttach): void {
    this.x.netAttach(a.dev, a.vm, a.txQueue, a.rxQueue, a.port, a.link);
  }
  canBusCreate(bitsPerSecond: number): number {
    return this.x.canBusCreate(big(bitsPerSecond, 'bitsPerSecond'));
  }
  canAttach(a: CanAttach): number {
    return this.x.canAttach(a.dev, a.vm, a.bus, a.txQueue, a.rxQueue);
  }
  canSend(node: number, canId: number, data: Uint8Array): void {
    if (this.canRequest('canSend', node, canId, data) === -2) throw new Error(`canSend: node ${node} has all its TX mailboxes full`);
  }
  /** One transmit request: 0 queued, -2 mailboxes full, -3 bus-off; a bad id or length throws. */
  private canRequest(name: string, node: number, canId: number, data: Uint8Array): number {
    this.afterCall();
    assertInt(canId, 'canId', 0, U32_MAX);
    if (data.length > 8) throw new Error(`${name}: ${data.length} data bytes (classic CAN carries 0..8)`);
    this.scratch.set(data);
    const r = this.x.canSend(node, canId, data.length);
    this.afterCall();
    if (r === -1) throw new Error(`${name}: CAN id 0x${canId.toString(16)} is not a valid 11/29-bit id`);
    return r;
  }
  /** Frames delivered to a CAN node (external ECUs only count them). */
  canRxCount(node: number): number {
    return num(this.x.canRxCount(node));
  }
  busBudget(vm: number, bytesPerPeriod: number, periodNs: number): void {
    this.x.busBudget(vm, big(bytesPerPeriod, 'bytesPerPeriod'), big(periodNs, 'periodNs'));
  }
  busCharge(vm: number, bytes: number): number {
    this.afterCall();
    const r = num(this.x.busCharge(vm, big(bytes, 'bytes')));
    this.afterCall();
    return r;
  }

  // --- seeded faults (issue 9 §5) -----------------------------------------------------------------

  faultAdd(f: CoreFault): number {
    assertInt(f.ppm, 'fault ppm', 0, 1_000_000);
    assertInt(f.atNs, 'fault atNs');
    assertInt(f.endNs, 'fault endNs', f.atNs);
    return this.x.faultAdd(f.type, f.target, f.owner, f.ppm, BigInt(f.atNs), BigInt(f.endNs));
  }
  faultHits(index: number): number {
    return num(this.x.faultHits(index));
  }
  canBusOffEdge(node: number): void {
    this.afterCall();
    this.x.canBusOffEdge(node);
    this.afterCall();
  }
  busBudgetRate(vm: number, bytesPerPeriod: number): number {
    return num(this.x.busBudgetRate(vm, big(bytesPerPeriod, 'bytesPerPeriod')));
  }
  canSendTry(node: number, canId: number, data: Uint8Array): 'sent' | 'full' | 'bus_off' {
    const r = this.canRequest('canSend', node, canId, data);
    return r === -2 ? 'full' : r === -3 ? 'bus_off' : 'sent';
  }

  /** The core's linear memory (tests and zero-copy readers; it never grows after load). */
  get linearMemory(): WasmMemory {
    return this.memory;
  }

  // --- inputs (issue 9): virtual external Ethernet hosts
  switchHostPort(port: number, link: number): void {
    this.x.switchHostPort(port, link);
  }
  hostSend(link: number, frame: Uint8Array): number {
    this.afterCall();
    if (frame.length < 14 || frame.length > this.limits.frameBytesMax) {
      throw new Error(`hostSend: a ${frame.length}-byte frame (an Ethernet frame is 14..${this.limits.frameBytesMax} bytes here)`);
    }
    this.scratch.set(frame);
    const r = this.x.hostSend(link, frame.length);
    this.afterCall();
    return r;
  }
  /** canSend that answers false (and queues nothing) when the node's TX mailboxes are all full. */
  canOffer(node: number, canId: number, data: Uint8Array): boolean {
    return this.canRequest('canOffer', node, canId, data) === 0;
  }
  // --- time travel (issue 9): read-only views of the core's tables (api.ts CoreIntrospection)

  queueStates(): QueueState[] {
    const out: QueueState[] = [];
    const f = (q: number, field: number): number => this.x.vqStateField(q, field);
    for (let q = 0; q < this.x.vqCount(); q++) {
      out.push({
        q, vm: f(q, 0), dev: f(q, 1), index: f(q, 2), size: f(q, 3), availIdx: f(q, 4),
        lastAvail: f(q, 5), usedIdx: f(q, 6), drvLastUsed: f(q, 7), freeDesc: f(q, 8),
        failed: f(q, 9) === 1, failCode: f(q, 10), eventIdx: f(q, 12) === 1,
        descGpa: f(q, 13), availGpa: f(q, 14), usedGpa: f(q, 15),
      });
    }
    return out;
  }
  linkStates(): LinkState[] {
    const out: LinkState[] = [];
    for (let link = 0; link < this.x.linkCount(); link++) {
      const f = (dir: number, field: number): number => num(this.x.linkField(link, dir, field));
      const dir = (d: number): LinkDirState => ({
        onWire: f(d, 0) >= 0, framesQueued: f(d, 1), bytesQueued: f(d, 2), busyUntilNs: f(d, 3),
      });
      out.push({
        link, dev: f(0, 6), port: f(0, 7), latencyNs: f(0, 4), bitsPerSecond: f(0, 5),
        toSwitch: dir(0), fromSwitch: dir(1),
      });
    }
    return out;
  }
  canNodeStates(): CanNodeState[] {
    const out: CanNodeState[] = [];
    for (let node = 0; node < this.x.canNodeCount(); node++) {
      const f = (field: number): number => num(this.x.canNodeField(node, field));
      const mailboxes: CanMailboxState[] = [];
      for (let i = 0; i < f(3); i++) {
        const m = (field: number): number => num(this.x.canMailboxField(node, i, field));
        mailboxes.push({ canId: m(0), dlc: m(1), readyAtNs: m(2), head: m(3) });
      }
      out.push({ node, bus: f(0), dev: f(1), vm: f(2), rxFrames: f(4), txFrames: f(5), mailboxes });
    }
    return out;
  }
  canBusStates(): CanBusState[] {
    const out: CanBusState[] = [];
    for (let bus = 0; bus < this.x.canBusCount(); bus++) {
      const f = (field: number): number => num(this.x.canBusField(bus, field));
      const busy = f(0) !== 0;
      out.push({ bus, busy, sender: busy ? f(1) : -1, canId: busy ? f(2) : 0, bitsPerSecond: f(3) });
    }
    return out;
  }
  busBudgetState(vm: number): BusBudgetState {
    const f = (field: number): number => num(this.x.busBudgetField(vm, field));
    return { on: f(0) === 1, bytesPerPeriod: f(1), periodNs: f(2), tokensBytes: f(3) };
  }
  coreTimers(max: number): CoreTimer[] {
    const all: CoreTimer[] = [];
    for (let i = 0; i < this.x.timerPending(); i++) {
      const f = (field: number): number => num(this.x.timerField(i, field));
      all.push({ timeNs: f(0), seq: f(1), kind: f(2), a: f(3), b: f(4), c: f(5) });
    }
    // heap order is not time order: sort as the core pops them, by (time, seq)
    all.sort((p, q) => p.timeNs - q.timeNs || p.seq - q.seq);
    return all.slice(0, max);
  }
  guestPeek(vm: number, gpa: number, len: number): Uint8Array | number {
    assertInt(len, 'guestPeek len');
    const out = new Uint8Array(len);
    const chunk = this.limits.scratchBytes;
    for (let off = 0; off < len; off += chunk) {
      const n = Math.min(chunk, len - off);
      const r = this.x.guestPeek(vm, big(gpa + off, 'gpa'), n);
      if (r !== 0) return r;
      out.set(this.scratch.subarray(0, n), off);
    }
    return out;
  }
  // --- replay: state digests (issue 9)
  /** One 64-bit digest per CORE_COMPONENTS entry, hashed in the core in one call (no copy). */
  stateDigests(): bigint[] {
    const count = this.x.stateComponentCount();
    if (count !== CORE_COMPONENTS.length) {
      throw new Error(`assert: core digests ${count} components, CORE_COMPONENTS names ${CORE_COMPONENTS.length}`);
    }
    this.x.stateDigestAll();
    return Array.from(new BigUint64Array(this.scratch.buffer, this.scratch.byteOffset, count));
  }
  /** ColumnsDigester: the core's digest of rows [0, count) of its trace columns or frames ring. */
  columnsDigest(table: 'events' | 'frames', count: number): string {
    assertInt(count, 'columnsDigest count');
    return BigInt.asUintN(64, this.x.columnsDigest(table === 'events' ? 0 : 1, count)).toString(16).padStart(16, '0');
  }
  /** XXH64 of `bytes` (at most the scratch region's size) with `seed`, computed by the core. */
  scratchXxh64(bytes: Uint8Array, seed: bigint): bigint {
    if (bytes.length > this.scratch.length) throw new Error(`scratchXxh64: ${bytes.length} bytes, scratch holds ${this.scratch.length}`);
    this.scratch.set(bytes);
    return BigInt.asUintN(64, this.x.scratchXxh64(bytes.length, BigInt.asIntN(64, seed)));
  }
  // --- CanTSyn ECU slaves (issue 11): an external node's receive path for time-sync frames
  canTsynListen(node: number): void {
    this.x.canTsynListen(node);
  }
  canTsynTake(node: number): { data: Uint8Array; rxNs: number } | null {
    const dlc = this.x.canTsynTake(node);
    if (dlc < 0) return null;
    const sdu = BigInt.asUintN(64, this.x.canTsynTakenData());
    const data = new Uint8Array(dlc);
    for (let i = 0; i < dlc; i++) data[i] = Number((sdu >> BigInt(8 * i)) & 0xffn);
    return { data, rxNs: Number(this.x.canTsynTakenNs()) };
  }
  canTsynLost(): number {
    return this.x.canTsynLost();
  }
}

/** A UsedBatch with room for at least `capacity` elements (its elements kept). */
/** A batch's elements as objects. */
function usedElems(batch: UsedBatch): UsedElem[] {
  const out: UsedElem[] = [];
  for (let i = 0; i < batch.count; i++) out.push({ id: batch.id[i]!, len: batch.len[i]! });
  return out;
}

function growUsed(out: UsedBatch, capacity: number): void {
  const size = Math.max(capacity, 2 * out.id.length, 16);
  const id = new Uint32Array(size);
  const len = new Uint32Array(size);
  id.set(out.id.subarray(0, out.count));
  len.set(out.len.subarray(0, out.count));
  out.id = id;
  out.len = len;
}

/** Views of the frames ring (assembly/trace/frames-ring.ts frameRingColumn), null without one. */
function frameRingViews(x: CoreExports, limits: CoreLimits): FrameColumns | null {
  const rows = limits.frameRingRows ?? 0;
  if (rows === 0) return null;
  const buf = x.memory.buffer;
  const at = (c: number): number => x.frameRingColumn(c) >>> 0; // usize: above 2 GiB it reads negative
  return {
    ts_ns: new BigInt64Array(buf, at(0), rows), arrival_ns: new BigInt64Array(buf, at(1), rows),
    seq: new BigInt64Array(buf, at(2), rows), can_id: new Int32Array(buf, at(3), rows),
    len: new Int32Array(buf, at(4), rows), link: new Int16Array(buf, at(5), rows),
    bus: new Int16Array(buf, at(6), rows), port: new Int16Array(buf, at(7), rows),
    vm: new Int16Array(buf, at(8), rows), dev: new Int16Array(buf, at(9), rows),
    can_flags: new Int16Array(buf, at(10), rows), dlc: new Int16Array(buf, at(11), rows),
    kind: new Uint8Array(buf, at(12), rows), dir: new Uint8Array(buf, at(13), rows),
    offsets: new Int32Array(buf, at(14), rows + 1), data: new Uint8Array(buf, at(15), limits.frameRingBytes ?? 0),
  };
}

/**
 * Rows [skip, count) of the ring's views (offsets: from 0, one more than the rows; data: the
 * bytes they use). A restored core's phantom rows (skip > 0, their bytes below `skipBytes`) are
 * left out: the offsets are rebased into a copy (Arrow's offsets start at 0), once per restore.
 */
function frameColumnsOf(c: FrameColumns, count: number, skip = 0, skipBytes = 0): FrameColumns {
  if (skip > 0) return rebasedFrameColumns(c, count, skip, skipBytes);
  const bytes = c.offsets[count]!;
  return {
    ts_ns: c.ts_ns.subarray(0, count), arrival_ns: c.arrival_ns.subarray(0, count), seq: c.seq.subarray(0, count),
    kind: c.kind.subarray(0, count), link: c.link.subarray(0, count), bus: c.bus.subarray(0, count),
    port: c.port.subarray(0, count), dir: c.dir.subarray(0, count), vm: c.vm.subarray(0, count),
    dev: c.dev.subarray(0, count), len: c.len.subarray(0, count), can_id: c.can_id.subarray(0, count),
    can_flags: c.can_flags.subarray(0, count), dlc: c.dlc.subarray(0, count),
    offsets: c.offsets.subarray(0, count + 1), data: c.data.subarray(0, bytes),
  };
}

function rebasedFrameColumns(c: FrameColumns, count: number, skip: number, skipBytes: number): FrameColumns {
  const n = count - skip;
  // the phantom rows' offsets were stored as zeros: row `skip` starts at skipBytes
  const offsets = new Int32Array(n + 1);
  for (let k = 1; k <= n; k++) offsets[k] = c.offsets[skip + k]! - skipBytes;
  const end = c.offsets[count]!;
  return {
    ts_ns: c.ts_ns.subarray(skip, count), arrival_ns: c.arrival_ns.subarray(skip, count), seq: c.seq.subarray(skip, count),
    kind: c.kind.subarray(skip, count), link: c.link.subarray(skip, count), bus: c.bus.subarray(skip, count),
    port: c.port.subarray(skip, count), dir: c.dir.subarray(skip, count), vm: c.vm.subarray(skip, count),
    dev: c.dev.subarray(skip, count), len: c.len.subarray(skip, count), can_id: c.can_id.subarray(skip, count),
    can_flags: c.can_flags.subarray(skip, count), dlc: c.dlc.subarray(skip, count),
    offsets, data: c.data.subarray(skipBytes, end),
  };
}

function checkLimits(l: CoreLimits): void {
  assertInt(l.vmCount, 'limits.vmCount', 1, 16);
  assertInt(l.hostRamBytes, 'limits.hostRamBytes', 4096);
  if (l.hostRamBytes % 4096 !== 0) throw new Error('core: limits.hostRamBytes must be a multiple of 4096');
  assertInt(l.ptPages, 'limits.ptPages', 1);
  for (const k of ['queueCount', 'deviceCount', 'linkCount', 'switchPortCount', 'macCount', 'canNodeCount', 'frameSlots'] as const) {
    assertInt(l[k], `limits.${k}`, 0, 1 << 20);
  }
  assertInt(l.frameBytesMax, 'limits.frameBytesMax', 64, 65536);
  assertInt(l.timerCapacity, 'limits.timerCapacity', 1);
  assertInt(l.traceCapacity, 'limits.traceCapacity', 1024);
  assertInt(l.scratchBytes, 'limits.scratchBytes', 4096);
  assertInt(l.frameRingRows ?? 0, 'limits.frameRingRows', 0, 1 << 24); // frames table (issue 12 §1)
  assertInt(l.frameRingBytes ?? 0, 'limits.frameRingBytes', 0, 1 << 30);
  if (l.scratchBytes % 8 !== 0) throw new Error('core: limits.scratchBytes must be a multiple of 8');
  const timers = 2 * l.frameSlots + l.deviceCount + 19 * l.canNodeCount;
  if (l.timerCapacity < timers) {
    throw new Error(`core: limits.timerCapacity ${l.timerCapacity} < ${timers} (2 x frameSlots + deviceCount + 19 x canNodeCount)`);
  }
}

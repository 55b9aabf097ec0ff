// A VM at run time: its memory, clock, vCPUs, device drivers and the services its guest program
// gets (GuestApi). The VM is the engine target of its guest: timers, CPU jobs done, interrupts
// and the boot reach the program as typed events (issue 10 §1); after each one the VM flushes
// the DLT messages the program logged into the console virtqueue in one batch, as a guest's log
// daemon would.

import { z } from 'zod';
import type { CoreApi } from '../core/api.js';
import { KIND, type DltLevel } from '../core/codes.js';
import type { Engine } from '../engine/engine.js';
import type { StatefulTarget } from '../engine/event-target.js';
import { checkState, count, requireState } from '../engine/state-check.js';
import type { VmConfig } from '../scenario/schema.js';
import type { GuestApi, GuestProgram, LogValue, RawDoors } from '../guests/guest-api.js';
import { GuestMemory, STEAL_PAGE_GPA } from '../guests/guest-memory.js';
import type { QueueDriver } from '../guests/queue-driver.js';
import type { CanDevice } from '../devices/can.js';
import type { NetDevice } from '../devices/net.js';
import { DltLogArena, type GuestLogHeader } from '../devices/dlt-log-writer.js';
import { GuestClock } from './clock.js';
import type { Scheduler, Vcpu } from './scheduler.js';
import type { PtpStack } from '../sync/ptp-stack.js';

/** CPU an interrupt handler costs the guest before its driver callbacks run. */
export const IRQ_COST_NS = 4_000;
/** Bytes of the stolen-time structure per vCPU (Arm DEN0057A: 64-byte aligned). */
const STEAL_RECORD_BYTES = 64;
/** One staging record reused for every publication (guestWrite copies it into the guest). */
const STEAL_RECORD = new Uint8Array(16);
const STEAL_VIEW = new DataView(STEAL_RECORD.buffer);

/** The VM's engine events and job completions (a0, a1 as listed). */
export const VM_OP = {
  start: 0, //   the guest boots (a0: 1 when the VM announces idle vCPUs)
  timer: 1, //   a guest timer fired (a0: tag, a1: arg)
  cpuDone: 2, // a guest CPU job was served (a0: tag, a1: arg)
  irq: 3, //     an interrupt handler's CPU was served (a0: device)
  ptpTimer: 4, // the gPTP stack's timer (issue 11; a0: tag, a1: arg)
  syncTimer: 5, //   the CanTSyn / paravirt stack's timer (issue 11 §2; a0: tag, a1: arg)
  syncCpuDone: 6, // its CPU job was served (a0: tag, a1: arg)
} as const;

/** --- clock sync (issue 11 §2): a CanTSyn or paravirtual-clock stack, in guest-program form. */
export interface ClockSyncStack {
  state: unknown;
  readonly stateSchema: z.ZodType;
  start(): void;
  onTimer(tag: number, arg: number): void;
  onCpuDone?(tag: number, arg: number): void;
}

/** A device's interrupt handler in the guest (driver side). */
export interface InterruptHandler {
  interrupt(): void;
}

const vmSchema = z.strictObject({
  started: z.boolean(),
  vcpusUsed: z.number().int().positive(),
  logsDropped: count,
  deadlineMisses: count,
  /** libdlt message counters, [apid/ctid, counter] in first-use order. */
  dltCounters: z.array(z.tuple([z.string(), z.number().int().min(0).max(255)])),
  clock: z.unknown(),
  program: z.unknown(),
  /** gPTP stack state (issue 11), absent when the VM does not sync its clock */
  ptp: z.unknown().optional(),
  /** CanTSyn / paravirt stack state (issue 11 §2), absent when the VM runs neither */
  clockSync: z.unknown().optional(),
});

export interface VmOptions {
  index: number;
  config: VmConfig;
  core: CoreApi;
  engine: Engine;
  scheduler: Scheduler;
  prngStream: number;
}

export class VmRuntime implements GuestApi, StatefulTarget {
  readonly vmName: string;
  readonly vmIndex: number;
  readonly ecu: string;
  readonly clock: GuestClock;
  readonly memory: GuestMemory;
  readonly vcpus: Vcpu[] = [];
  net: NetDevice | null = null;
  readonly cans: CanDevice[] = [];
  console: QueueDriver | null = null;
  raw: RawDoors;
  /** Console service hook: the hypervisor's back-end, told when the guest notifies. */
  onConsoleNotify: () => void = () => {};
  /** The guest program (null: an idle VM); set once, before boot (setProgram). */
  program: GuestProgram | null = null;
  /** The VM's gPTP stack (issue 11), set once before boot (setPtp); null: the clock runs free. */
  ptp: PtpStack | null = null;
  /** The VM's CanTSyn or paravirtual-clock stack (issue 11 §2), set once before boot. */
  clockSync: ClockSyncStack | null = null;
  /** This VM's engine target id. */
  readonly target: number;
  private started = false;
  private readonly interrupts = new Map<number, InterruptHandler>();
  logsDropped = 0;
  deadlineMisses = 0;
  /** vCPUs that take unpinned work (useVcpus); all of them unless the program says fewer. */
  private vcpusUsed: number;
  /** this event's log calls, encoded (flushed at its end) */
  private readonly pendingLogs = new DltLogArena();
  private readonly counters = new Map<string, number>();
  private readonly core: CoreApi;
  private readonly engine: Engine;
  private readonly scheduler: Scheduler;
  private readonly prngStream: number;
  private readonly sessionId: number;
  /** the header fields of a log call, reused (log() sets the per-call ones) */
  private readonly logHeader: GuestLogHeader;
  /** What the program is called in boot lines (the scenario's program type, or "custom"). */
  private programType = '';

  constructor(options: VmOptions) {
    const { index, config, core } = options;
    this.vmName = config.name;
    this.vmIndex = index;
    this.ecu = config.ecu;
    this.core = core;
    this.engine = options.engine;
    this.scheduler = options.scheduler;
    this.prngStream = options.prngStream;
    this.sessionId = 100 + index;
    this.logHeader = { ecu: this.ecu, sessionId: this.sessionId, timestamp: 0, counter: 0, apid: '', ctid: '', level: 'info' };
    this.target = options.engine.register(`vm ${config.name}`, this);
    this.clock = new GuestClock(config.clock);
    const ramBytes = config.ramMiB * 1024 * 1024;
    core.vmCreate(index, ramBytes);
    this.memory = new GuestMemory(index, ramBytes);
    this.raw = { netTxQueue: -1, ramBytes, scratchGpa: this.memory.alloc(4096, 4096) };
    for (let i = 0; i < config.vcpus; i++) {
      this.vcpus.push(options.scheduler.addVcpu(index, i, config.priority));
    }
    this.vcpusUsed = config.vcpus;
  }

  trueNs(): number {
    return this.engine.now;
  }

  localNs(): number {
    return this.clock.localNs(this.engine.now);
  }

  /**
   * The VM's program, and where frames reach it: each device's receive path is wired once, here
   * (build time), to the program's handler. Frames before the guest has booted are not seen.
   */
  setProgram(program: GuestProgram, type: string): void {
    if (this.program !== null) throw new Error(`assert: vm ${this.vmName} given a program twice`);
    this.program = program;
    this.programType = type;
    this.net?.onReceive((payload) => {
      if (this.started) program.onNetFrame?.(this, payload);
    });
    this.cans.forEach((can, port) =>
      can.onReceive((frame) => {
        if (this.started) program.onCanFrame?.(this, port, frame);
      }),
    );
  }

  // --- gPTP (issue 11): the stack runs beside the program; frames of ethertype 0x88F7 go to it

  setPtp(stack: PtpStack): void {
    if (this.ptp !== null || this.net === null) throw new Error(`assert: vm ${this.vmName}: PTP stack twice or without a net device`);
    this.ptp = stack;
    this.net.onPtpFrame((frame) => {
      if (this.started) stack.onFrame(frame);
    });
  }

  /** The stack's timers (engine events of this VM, so they run in order with everything else). */
  ptpTimer(delayNs: number, tag: number, arg: number): void {
    this.engine.after(delayNs, this.target, VM_OP.ptpTimer, tag, arg);
  }

  // --- CanTSyn / paravirt (issue 11 §2): the stack runs beside the program, on the VM's events

  setClockSync(stack: ClockSyncStack, tsyn?: { can: CanDevice; canId: number; onFrame: (data: Uint8Array) => void }): void {
    if (this.clockSync !== null || this.ptp !== null) throw new Error(`assert: vm ${this.vmName}: two clock-sync stacks`);
    this.clockSync = stack;
    tsyn?.can.onTsynFrame(tsyn.canId, (frame) => {
      if (this.started) tsyn.onFrame(frame.data);
    });
  }

  syncTimer(delayNs: number, tag: number, arg: number): void {
    this.engine.after(delayNs, this.target, VM_OP.syncTimer, tag, arg);
  }

  /** The stack's CPU work (a paravirtual call) on the least-loaded vCPU, as the program's. */
  syncCpu(costNs: number, tag: number, arg: number): void {
    this.scheduler.submit(this.leastLoaded(), costNs, this.target, VM_OP.syncCpuDone, tag, arg);
  }

  /** Device `dev`'s interrupt handler (its driver), run as CPU work on one of the VM's vCPUs. */
  addInterrupt(dev: number, handler: InterruptHandler): void {
    this.interrupts.set(dev, handler);
  }

  /** The core raised device `dev`'s interrupt: the handler costs the guest CPU first. */
  interrupt(dev: number): void {
    this.scheduler.submit(this.leastLoaded(), IRQ_COST_NS, this.target, VM_OP.irq, dev);
  }

  /** Boots the guest at t = 0 (an engine event, so it runs in order with everything else). */
  scheduleStart(announceIdle: boolean): void {
    this.engine.at(0, this.target, VM_OP.start, announceIdle ? 1 : 0);
  }

  fire(op: number, a0: number, a1: number): void {
    const program = this.program;
    switch (op) {
      case VM_OP.start:
        this.started = true;
        if (a0 === 1) this.announceIdleVcpus();
        this.ptp?.start();
        this.clockSync?.start();
        program?.start(this);
        break;
      case VM_OP.timer:
        program?.onTimer?.(this, a0, a1);
        break;
      case VM_OP.cpuDone:
        program?.onCpuDone?.(this, a0, a1);
        break;
      case VM_OP.irq:
        this.interrupts.get(a0)?.interrupt();
        break;
      case VM_OP.ptpTimer:
        this.ptp?.onTimer(a0, a1);
        break;
      case VM_OP.syncTimer:
        this.clockSync?.onTimer(a0, a1);
        break;
      case VM_OP.syncCpuDone:
        this.clockSync?.onCpuDone?.(a0, a1);
        break;
      default:
        throw new Error(`assert: vm event op ${op}`);
    }
    this.flushLogs();
  }

  describe(op: number, a0: number, a1: number): string {
    switch (op) {
      case VM_OP.start:
        return `guest start: vm ${this.vmName}`;
      case VM_OP.timer:
        return `guest timer: vm ${this.vmName}`;
      case VM_OP.cpuDone:
        return `guest job done: vm ${this.vmName} tag ${a0} (${a1})`;
      case VM_OP.irq:
        return `interrupt handler: vm ${this.vmName} dev ${a0}`;
      case VM_OP.ptpTimer:
        return `gPTP timer: vm ${this.vmName} tag ${a0} (${a1})`;
      case VM_OP.syncTimer:
        return `clock-sync timer: vm ${this.vmName} tag ${a0} (${a1})`;
      case VM_OP.syncCpuDone:
        return `clock-sync job done: vm ${this.vmName} tag ${a0} (${a1})`;
    }
    return `vm ${this.vmName} op ${op}`;
  }

  timer(delayNs: number, tag: number, arg = 0): void {
    this.engine.after(delayNs, this.target, VM_OP.timer, tag, arg);
  }

  get vcpuCount(): number {
    return this.vcpus.length;
  }

  /**
   * Limits unpinned work (cpu() and interrupts) to the first `count` vCPUs: a single-threaded
   * program's kernel runs everything on vCPU 0, the others stay idle (README, scenario table).
   */
  useVcpus(count: number): void {
    if (!Number.isInteger(count) || count < 1 || count > this.vcpus.length) {
      throw new Error(`assert: vm ${this.vmName}: uses ${count} of ${this.vcpus.length} vCPUs`);
    }
    this.vcpusUsed = count;
  }

  /** A boot line that says which vCPUs the program leaves idle, so a trace reader need not guess. */
  private announceIdleVcpus(): void {
    const idle = this.vcpus.length - this.vcpusUsed;
    this.log('KERN', 'info', 'SMP', `${this.programType} is single-threaded: idle vcpus`, idle, 'of', this.vcpus.length);
  }

  cpu(costNs: number, tag: number, arg = 0): void {
    this.scheduler.submit(this.leastLoaded(), costNs, this.target, VM_OP.cpuDone, tag, arg);
  }

  /** The least-loaded vCPU the program uses (ties: lowest index), as a guest's run queues pick. */
  private leastLoaded(): Vcpu {
    let target = this.vcpus[0]!;
    for (let i = 1; i < this.vcpusUsed; i++) if (this.vcpus[i]!.jobs.length < target.jobs.length) target = this.vcpus[i]!;
    return target;
  }

  cpuOn(vcpu: number, costNs: number, tag: number, arg = 0): void {
    const target = this.vcpus[vcpu];
    if (target === undefined) throw new Error(`assert: vm ${this.vmName} has no vCPU ${vcpu}`);
    this.scheduler.submit(target, costNs, this.target, VM_OP.cpuDone, tag, arg);
  }

  log(apid: string, level: DltLevel, ctid: string, ...values: LogValue[]): void {
    // libdlt keeps one message counter per context, wrapping at 256.
    const key = `${apid}/${ctid}`;
    const counter = this.counters.get(key) ?? 0;
    this.counters.set(key, (counter + 1) & 0xff);
    // issue 10 §2: written straight into the reused arena (dlt-log-writer.ts), no codec objects
    const h = this.logHeader;
    // DLT timestamps are the ECU's uptime in 0.1 ms (u32), CLOCK_MONOTONIC: slewed by a
    // servo's frequency adjustment, never stepped by it (issue 11; GuestClock.uptimeNs).
    h.timestamp = Math.floor(Math.max(0, this.clock.uptimeNs(this.engine.now)) / 100_000) % 2 ** 32;
    h.counter = counter;
    h.apid = apid;
    h.ctid = ctid;
    h.level = level;
    this.pendingLogs.write(h, values);
  }

  private flushLogs(): void {
    const logs = this.pendingLogs;
    const count = logs.count;
    if (count === 0) return;
    const console = this.console;
    if (console === null) {
      this.logsDropped += count;
      logs.reset();
      return;
    }
    console.reclaim();
    // sendAndKick of the arena's messages: staged in order until the buffers run out
    console.beginStage();
    let staged = 0;
    while (staged < count && console.stageRange(logs.bytes, logs.start(staged), logs.endOf(staged))) staged++;
    logs.reset();
    const queued = console.submitStaged(true);
    this.logsDropped += count - queued;
    if (console.notified) this.onConsoleNotify();
  }

  random(below: number): number {
    return below <= 1 ? 0 : this.core.prngBelow(this.prngStream, below);
  }

  chance(num: number, den: number): boolean {
    return this.core.prngChance(this.prngStream, num, den);
  }

  memoryTraffic(bytes: number): number {
    return this.core.busCharge(this.vmIndex, bytes);
  }

  deadlineMiss(task: number, latenessNs: number): void {
    this.deadlineMisses++;
    this.core.emit(this.vmIndex, -1, KIND.deadline_miss, -1, -1, task, 0, latenessNs);
  }

  /** Arm DEN0057A: publish a vCPU's cumulative stolen time in the guest's steal page. */
  publishSteal(vcpu: Vcpu): void {
    // le32 revision | le32 attributes | le64 stolen_time (ns); written at every vCPU dispatch.
    // (as two le32 halves: no BigInt per publication, issue 10 §2; stealNs < 2^53)
    STEAL_VIEW.setUint32(8, vcpu.stealNs % 2 ** 32, true);
    STEAL_VIEW.setUint32(12, Math.floor(vcpu.stealNs / 2 ** 32), true);
    this.core.guestWrite(this.vmIndex, STEAL_PAGE_GPA + STEAL_RECORD_BYTES * vcpu.index, STEAL_RECORD);
  }

  stealNs(): number {
    return this.vcpus.reduce((sum, v) => sum + v.stealNs, 0);
  }

  // --- state capture (issue 10 §1)

  saveState(): z.infer<typeof vmSchema> {
    return {
      started: this.started,
      vcpusUsed: this.vcpusUsed,
      logsDropped: this.logsDropped,
      deadlineMisses: this.deadlineMisses,
      dltCounters: [...this.counters.entries()],
      clock: this.clock.saveState(),
      program: this.program === null ? null : structuredClone(this.program.state),
      ...(this.ptp === null ? {} : { ptp: structuredClone(this.ptp.state) }),
      ...(this.clockSync === null ? {} : { clockSync: structuredClone(this.clockSync.state) }),
    };
  }

  loadState(value: unknown, path: string): void {
    if (this.pendingLogs.count > 0) throw new Error('assert: VM state restored mid-event');
    const state = checkState(vmSchema, value, path);
    requireState(state.vcpusUsed <= this.vcpus.length, `${path}.vcpusUsed`, `${state.vcpusUsed} of ${this.vcpus.length} vCPUs`);
    const program = this.program;
    if (program === null) requireState(state.program === null, `${path}.program`, 'state for a program this idle VM does not run');
    const programState = program === null ? null : checkState(program.stateSchema, state.program, `${path}.program`);
    const ptp = this.ptp;
    if (ptp === null) requireState(state.ptp === undefined, `${path}.ptp`, 'gPTP state for a VM that does not sync');
    const ptpState = ptp === null ? null : checkState(ptp.stateSchema, state.ptp, `${path}.ptp`);
    const clockSync = this.clockSync;
    if (clockSync === null) requireState(state.clockSync === undefined, `${path}.clockSync`, 'clock-sync state for a VM that runs no CanTSyn / paravirt stack');
    const clockSyncState = clockSync === null ? null : checkState(clockSync.stateSchema, state.clockSync, `${path}.clockSync`);
    this.clock.loadState(state.clock, `${path}.clock`); // the last check: it assigns only when good
    if (program !== null) program.state = programState;
    if (ptp !== null) ptp.state = ptpState!;
    if (clockSync !== null) clockSync.state = clockSyncState;
    this.started = state.started;
    this.vcpusUsed = state.vcpusUsed;
    this.logsDropped = state.logsDropped;
    this.deadlineMisses = state.deadlineMisses;
    this.counters.clear();
    for (const [key, counter] of state.dltCounters) this.counters.set(key, counter);
  }

  /** Nothing half-done: DLT messages are flushed at the end of every guest event. */
  get quiescent(): boolean {
    return this.pendingLogs.count === 0;
  }
}

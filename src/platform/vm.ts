// A VM at run time: its memory, clock, vCPUs, device drivers and the services its guest program
// gets (GuestApi). Guest callbacks run through `guestContext`, which flushes the DLT messages
// the callback logged into the console virtqueue in one batch, as a guest's log daemon would.

import type { CoreApi } from '../core/api.js';
import { KIND, type DltLevel } from '../core/codes.js';
import type { Engine } from '../engine/engine.js';
import type { VmConfig } from '../scenario/schema.js';
import type { CanPort, GuestApi, LogValue, NetPort, RawDoors } from '../guests/guest-api.js';
import { GuestMemory, STEAL_PAGE_GPA } from '../guests/guest-memory.js';
import type { QueueDriver } from '../guests/queue-driver.js';
import { encodeGuestLog } from '../devices/dlt-channel.js';
import { GuestClock } from './clock.js';
import type { Scheduler, Vcpu } from './scheduler.js';

/** CPU an interrupt handler costs the guest before its driver callbacks run. */
export const IRQ_COST_NS = 4_000;
/** Bytes of the stolen-time structure per vCPU (Arm DEN0057A: 64-byte aligned). */
const STEAL_RECORD_BYTES = 64;
/** One staging record reused for every publication (guestWrite copies it into the guest). */
const STEAL_RECORD = new Uint8Array(16);
const STEAL_VIEW = new DataView(STEAL_RECORD.buffer);

export interface VmOptions {
  index: number;
  config: VmConfig;
  core: CoreApi;
  engine: Engine;
  scheduler: Scheduler;
  prngStream: number;
}

export class VmRuntime implements GuestApi {
  readonly vmName: string;
  readonly vmIndex: number;
  readonly ecu: string;
  readonly clock: GuestClock;
  readonly memory: GuestMemory;
  readonly vcpus: Vcpu[] = [];
  net: NetPort | null = null;
  readonly cans: CanPort[] = [];
  console: QueueDriver | null = null;
  raw: RawDoors;
  /** Console service hook: the hypervisor's back-end, told when the guest notifies. */
  onConsoleNotify: () => void = () => {};
  logsDropped = 0;
  deadlineMisses = 0;
  /** vCPUs that take unpinned work (useVcpus); all of them unless the program says fewer. */
  private vcpusUsed: number;
  private readonly pendingLogs: Uint8Array[] = [];
  private readonly counters = new Map<string, number>();
  private readonly core: CoreApi;
  private readonly engine: Engine;
  private readonly scheduler: Scheduler;
  private readonly prngStream: number;
  private readonly sessionId: number;
  /** Names this VM's guest timers in state dumps (built once). */
  private readonly timerLabel: string;

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
    this.timerLabel = `guest timer: vm ${config.name}`;
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

  /** Runs a guest callback and flushes what it logged. */
  guestContext(action: () => void): void {
    action();
    this.flushLogs();
  }

  timer(delayNs: number, action: () => void): void {
    this.engine.after(delayNs, () => this.guestContext(action), this.timerLabel);
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
  announceIdleVcpus(program: string): void {
    const idle = this.vcpus.length - this.vcpusUsed;
    this.log('KERN', 'SMP', 'info', [`${program} is single-threaded: idle vcpus`, idle, 'of', this.vcpus.length]);
  }

  cpu(costNs: number, action: () => void): void {
    // The least-loaded vCPU takes the job (ties: lowest index), as a guest's run queues would.
    let target = this.vcpus[0]!;
    for (let i = 1; i < this.vcpusUsed; i++) if (this.vcpus[i]!.jobs.length < target.jobs.length) target = this.vcpus[i]!;
    this.scheduler.submit(target, { costNs, action: () => this.guestContext(action) });
  }

  cpuOn(vcpu: number, costNs: number, action: () => void): void {
    const target = this.vcpus[vcpu];
    if (target === undefined) throw new Error(`assert: vm ${this.vmName} has no vCPU ${vcpu}`);
    this.scheduler.submit(target, { costNs, action: () => this.guestContext(action) });
  }

  dltApp(apid: string): { log(level: DltLevel, ctid: string, ...values: LogValue[]): void } {
    return { log: (level, ctid, ...values) => this.log(apid, ctid, level, values) };
  }

  private log(apid: string, ctid: string, level: DltLevel, values: LogValue[]): void {
    // libdlt keeps one message counter per context, wrapping at 256.
    const key = `${apid}/${ctid}`;
    const counter = this.counters.get(key) ?? 0;
    this.counters.set(key, (counter + 1) & 0xff);
    this.pendingLogs.push(
      encodeGuestLog({
        ecu: this.ecu,
        sessionId: this.sessionId,
        // DLT timestamps are the ECU's uptime in 0.1 ms (u32): a clock set before boot reads 0.
        timestamp: Math.floor(Math.max(0, this.localNs()) / 100_000) % 2 ** 32,
        counter,
        apid,
        ctid,
        level,
        values,
      }),
    );
  }

  private flushLogs(): void {
    if (this.pendingLogs.length === 0) return;
    const logs = this.pendingLogs.splice(0);
    if (this.console === null) {
      this.logsDropped += logs.length;
      return;
    }
    this.console.reclaim();
    const queued = this.console.send(logs);
    this.logsDropped += logs.length - queued;
    if (queued > 0 && this.console.kick()) this.onConsoleNotify();
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
    this.core.traceEmit({ vm: this.vmIndex, vcpu: -1, kind: KIND.deadline_miss, dev: -1, queue: -1, id: task, len: 0, val: latenessNs });
  }

  /** Arm DEN0057A: publish a vCPU's cumulative stolen time in the guest's steal page. */
  publishSteal(vcpu: Vcpu): void {
    // le32 revision | le32 attributes | le64 stolen_time (ns); written at every vCPU dispatch.
    STEAL_VIEW.setBigUint64(8, BigInt(vcpu.stealNs), true);
    this.core.guestWrite(this.vmIndex, STEAL_PAGE_GPA + STEAL_RECORD_BYTES * vcpu.index, STEAL_RECORD);
  }

  stealNs(): number {
    return this.vcpus.reduce((sum, v) => sum + v.stealNs, 0);
  }
}

// The platform: a scenario turned into a running system. It sizes the core from the scenario
// (the core allocates nothing after init), builds VMs, devices, links, buses and ECUs, and runs
// the engine; everything observable goes to a PlatformSink. Its run-time state is data
// (issue 10 §1): captureState/restoreState (src/platform/state-capture.ts) read and write it.

import type { CoreApi, CoreFaultApi, CoreLimits } from '../core/api.js';
import { Core } from '../core/core.js';
import { Engine } from '../engine/engine.js';
import type { Scenario, VmConfig } from '../scenario/schema.js';
import { deviceEntries } from '../scenario/topology.js';
import type { GuestProgram } from '../guests/guest-api.js';
import { ClusterProgram } from '../guests/cluster.js';
import { GatewayProgram } from '../guests/gateway.js';
import { gatewayRoutes } from '../guests/routes.js';
import { InfotainmentProgram } from '../guests/infotainment.js';
import { HostileProgram } from '../guests/hostile.js';
import { ConsoleDevice } from '../devices/console.js';
import { NetDevice } from '../devices/net.js';
import { CanDevice } from '../devices/can.js';
import { ExternalEcu } from './ecu.js';
import { Scheduler } from './scheduler.js';
import type { PlatformSink } from './sink.js';
import type { InputRow } from '../trace/recorder.js';
import { KIND } from '../core/codes.js';
import { VmRuntime } from './vm.js';
import { inputRoom } from '../inputs/limits.js';
import { emptyFaultTargets, installFaults } from '../faults/install.js';
import type { StatefulTarget } from '../engine/event-target.js';
import { checkState, count } from '../engine/state-check.js';
import { z } from 'zod';
import { capturePlatformState, restorePlatformState, type PlatformState, type RestoreOptions } from './state-capture.js';
import { installEcuSlaves, installSync } from '../sync/install.js';

const MIB = 1024 * 1024;

/** Applies one input's bytes to the platform (registered per input kind with onInput). */
export type InputHandler = (data: Uint8Array, source: string) => void;

/** An input the platform cannot take (a kind nobody handles, bytes its handler refuses). */
export class InputError extends Error {}
/** PRNG streams (the core has 64): 0 platform (paravirt clock jitter, issue 11 §2), 1..16 VMs, 17..63 external ECUs (schema caps both). */
const STREAM_VM_BASE = 1;
const STREAM_ECU_BASE = 17;

export interface RunSummary {
  durationNs: number;
  engineEvents: number;
  dltMessages: number;
  logsDropped: number;
  deadlineMisses: number;
  vms: { name: string; stealNs: number; runNs: number; deadlineMisses: number; logsDropped: number }[];
  ecuFrames: number;
}

function countDevices(s: Scenario, type: string): number {
  return s.vms.reduce((n, vm) => n + vm.devices.filter((d) => d.type === type).length, 0);
}

/** Switch ports the scenario's devices use (0..n-1); external input hosts get the ports after. */
export function switchPortsUsed(s: Scenario): number {
  return Math.max(0, ...deviceEntries(s).map((d) => (d.switchPort ?? -1) + 1));
}

/** Capacities for the core, derived from the scenario (principle 3: size it once). */
export function coreLimitsFor(s: Scenario): CoreLimits {
  const devices = s.vms.reduce((n, vm) => n + vm.devices.length, 0);
  const net = countDevices(s, 'net');
  const can = countDevices(s, 'can');
  const ramBytes = s.vms.reduce((n, vm) => n + vm.ramMiB * MIB, 0);
  // 3-level tables: one leaf page per 2 MiB mapped, plus the upper levels, for the VM's stage-2
  // and for each of its devices' IOMMU domains.
  const ptPages = s.vms.reduce((n, vm) => n + (Math.ceil(vm.ramMiB / 2) + 4) * (1 + vm.devices.length), 16);
  const inputs = inputRoom(s.canBuses.length); // --- inputs (issue 9): see src/inputs/limits.ts
  return {
    vmCount: s.vms.length,
    hostRamBytes: ramBytes + MIB,
    ptPages,
    queueCount: devices * 2 + 4,
    deviceCount: devices + 1,
    linkCount: net + 1 + inputs.links,
    switchPortCount: switchPortsUsed(s) + 1 + inputs.switchPorts,
    macCount: net + 1 + inputs.macs,
    // The core sizes its bus table by canNodeCount too (assembly/layout.ts CANBUS), so a bus
    // without nodes still needs one.
    canNodeCount: Math.max(can + s.ecus.length, s.canBuses.length) + 1 + inputs.canNodes,
    frameSlots: 1024,
    frameBytesMax: 1536,
    timerCapacity: 8192,
    traceCapacity: 1 << 16,
    scratchBytes: 256 * 1024,
    // --- frames table (issue 12 §1): one frame row per link_tx/can_tx event row, so as many
    // rows as the event columns never fill first; 4 MiB of bytes holds ≥ 2730 full-size frames.
    frameRingRows: 1 << 16,
    frameRingBytes: 4 * MIB,
  };
}

/** The platform's own engine event: sample every VM's clock. */
const CLOCK_SAMPLE = 0;
const platformSchema = z.strictObject({ inputSeq: count });

export interface PlatformOptions {
  /**
   * Guest programs of your own (README "Writing a guest program"), by VM name: each makes the
   * program that VM runs instead of the scenario's `program` (called once, at boot or restore).
   */
  programs?: Record<string, (vm: VmConfig) => GuestProgram>;
  /**
   * --- frames table (issue 12 §1): record frames (the sink's frames()); default: when the sink
   * takes them. false is `record --no-frames`.
   */
  frames?: boolean;
}

export class Platform implements StatefulTarget {
  readonly vms: VmRuntime[] = [];
  readonly ecus: ExternalEcu[] = [];
  readonly engine: Engine;
  readonly scheduler: Scheduler;
  /** device -> the VM whose driver handles its interrupts */
  private readonly irqHandlers = new Map<number, VmRuntime>();
  private readonly consoles: ConsoleDevice[] = [];
  private readonly inputHandlers = new Map<string, InputHandler>();
  private inputSeq = 0;
  private prepared = false;
  private booted = false;
  private readonly target: number;
  /** The net device of each VM that vm.net drives (by VM index): where its gPTP stack runs (issue 11). */
  private readonly netPorts = new Map<number, { dev: number; port: number }>();
  /** Where the seeded faults (issue 9 §5) find the links, buses and CAN nodes they name. */
  private readonly faultTargets = emptyFaultTargets();

  private constructor(
    readonly scenario: Scenario,
    readonly core: CoreApi & CoreFaultApi,
    private readonly sink: PlatformSink,
    private readonly options: PlatformOptions,
  ) {
    core.setTraceSink((cols, count) => sink.events(cols, count));
    // --- frames table (issue 12 §1)
    if (sink.frames !== undefined && options.frames !== false) {
      core.setFramesSink((cols, count) => sink.frames!(cols, count));
      core.framesEnable(true);
    }
    this.engine = new Engine({ core, onIrq: (_vm, dev) => this.irq(dev) }); // issue 10 §2: no Irq object
    this.target = this.engine.register('platform', this);
    this.scheduler = new Scheduler({
      engine: this.engine,
      core,
      pcpus: scenario.pcpus,
      sliceNs: scenario.sliceNs,
      onRun: (vcpu) => this.vms[vcpu.vm]!.publishSteal(vcpu),
    });
  }

  static async create(scenario: Scenario, sink: PlatformSink, options: PlatformOptions = {}): Promise<Platform> {
    const core = await Core.load(coreLimitsFor(scenario), BigInt(scenario.seed));
    const platform = new Platform(scenario, core, sink, options);
    platform.build();
    return platform;
  }

  private build(): void {
    const s = this.scenario;
    const { core } = this;
    const buses = new Map(s.canBuses.map((b) => [b.name, core.canBusCreate(b.bitsPerSecond)]));
    for (const [name, bus] of buses) this.faultTargets.canBuses.set(name, bus);
    s.vms.forEach((config, index) => {
      const vm = new VmRuntime({ index, config, core, engine: this.engine, scheduler: this.scheduler, prngStream: STREAM_VM_BASE + index });
      this.vms.push(vm);
      if (config.busBudget) core.busBudget(index, config.busBudget.bytesPerPeriod, config.busBudget.periodNs);
    });
    // Device numbers come from the topology module, which the query layer names them by.
    for (const { dev, vm: index, config: device, switchPort } of deviceEntries(s)) {
      const vm = this.vms[index]!;
      core.iommuCreate(dev, index);
      core.iommuMapGuest(dev, 0, vm.memory.ramBytes / 4096, 3);
      if (device.type === 'console') this.addConsole(vm, dev);
      if (device.type === 'net') this.addNet(vm, dev, device.mac, switchPort!, device.asymmetryNs);
      if (device.type === 'can') this.addCan(vm, dev, device.bus, buses.get(device.bus)!);
    }
    installSync({ scenario: s, core, vms: this.vms, netPorts: this.netPorts, emit: (row) => this.sink.sync?.(row), canBuses: buses });
    s.ecus.forEach((config, i) => {
      const node = core.canAttach({ dev: -1, vm: -1, bus: buses.get(config.bus)!, txQueue: -1, rxQueue: -1 });
      this.faultTargets.canNodes.set(config.name, [{ node, bus: buses.get(config.bus)!, dev: -1, vm: -1 }]);
      this.ecus.push(new ExternalEcu(config, core, this.engine, node, STREAM_ECU_BASE + i));
    });
    installEcuSlaves({ scenario: s, core, vms: this.vms, ecus: this.ecus, trueNs: () => this.engine.now, emit: (row) => this.sink.sync?.(row) }); // --- CanTSyn ECU slaves (issue 11)
  }

  private addConsole(vm: VmRuntime, dev: number): void {
    const console = new ConsoleDevice({ core: this.core, engine: this.engine, sink: this.sink, memory: vm.memory, dev, vm: vm.vmIndex });
    this.consoles.push(console);
    vm.console = console.driver;
    vm.onConsoleNotify = () => console.notify();
    this.wireInterrupt(vm, dev, console);
  }

  private addNet(vm: VmRuntime, dev: number, mac: string, port: number, asymmetryNs: number): void {
    const link = this.core.linkCreate(this.scenario.network.latencyNs, this.scenario.network.bitsPerSecond);
    if (asymmetryNs !== 0) this.core.linkAsymmetry(link, asymmetryNs); // --- clock sync (issue 11)
    this.netPorts.set(vm.vmIndex, { dev, port });
    const net = new NetDevice({ core: this.core, engine: this.engine, memory: vm.memory, dev, mac, port, link });
    this.faultTargets.links.set(mac.toLowerCase(), { link, dev, vm: vm.vmIndex });
    vm.net = net;
    vm.raw.netTxQueue = net.tx.q;
    this.wireInterrupt(vm, dev, net);
  }

  private addCan(vm: VmRuntime, dev: number, busName: string, bus: number): void {
    const can = new CanDevice({ core: this.core, engine: this.engine, memory: vm.memory, dev, bus, busName });
    vm.cans.push(can);
    const nodes = this.faultTargets.canNodes.get(vm.vmName) ?? [];
    nodes.push({ node: can.node, bus, dev, vm: vm.vmIndex });
    this.faultTargets.canNodes.set(vm.vmName, nodes);
    this.wireInterrupt(vm, dev, can);
  }

  private wireInterrupt(vm: VmRuntime, dev: number, handler: { interrupt(): void }): void {
    vm.addInterrupt(dev, handler);
    this.irqHandlers.set(dev, vm);
  }

  /** An interrupt from the core: the guest's handler runs as CPU work on one of its vCPUs. */
  private irq(dev: number): void {
    this.irqHandlers.get(dev)?.interrupt(dev);
  }

  private program(index: number): GuestProgram | null {
    const vm = this.scenario.vms[index]!;
    const own = this.options.programs?.[vm.name];
    if (own !== undefined) return own(vm);
    const p = vm.program;
    switch (p.type) {
      case 'cluster':
        return new ClusterProgram(p);
      case 'infotainment':
        return new InfotainmentProgram(p);
      case 'gateway':
        return new GatewayProgram(p, gatewayRoutes(this.scenario, index));
      case 'hostile':
        return new HostileProgram(p, this.core);
      case 'idle':
        return null;
    }
  }

  private sampleClocks(): void {
    const now = this.engine.now;
    for (const vm of this.vms) {
      const local = vm.clock.localNs(now);
      this.sink.clock({ ts_ns: now, vm: vm.vmIndex, local_ns: local, offset_ns: local - now, drift_ppb: vm.clock.driftPpbAt(now), steal_ns: vm.stealNs(), uptime_ns: vm.clock.uptimeNs(now) });
    }
    this.engine.after(this.scenario.clockSampleNs, this.target, CLOCK_SAMPLE);
  }

  fire(op: number): void {
    if (op !== CLOCK_SAMPLE) throw new Error(`assert: platform event op ${op}`);
    this.sampleClocks();
  }

  describe(op: number): string {
    return op === CLOCK_SAMPLE ? 'clock sample' : `platform op ${op}`;
  }

  /**
   * Wires what boot and restore share, in one order (so engine target ids match): the faults'
   * edge table and core registrations, and each VM's program. `schedule` false (restoring):
   * no event is queued, the captured queue brings them.
   */
  private prepare(schedule: boolean): void {
    if (this.prepared) throw new Error('assert: platform booted or restored twice');
    this.prepared = true;
    if (this.scenario.faults.length > 0) {
      const { scenario, core, engine, scheduler, vms, faultTargets: targets } = this;
      installFaults({ scenario, core, engine, scheduler, vms, targets, schedule });
    }
    if (schedule) this.engine.at(0, this.target, CLOCK_SAMPLE);
    this.vms.forEach((vm, i) => {
      const program = this.program(i);
      if (program === null) {
        if (schedule && (vm.ptp !== null || vm.clockSync !== null)) vm.scheduleStart(false); // an idle VM still syncs its clock (issue 11)
        return;
      }
      const used = program.vcpusUsed(vm.vcpuCount);
      vm.useVcpus(used);
      const custom = this.options.programs?.[vm.vmName] !== undefined;
      vm.setProgram(program, custom ? 'custom' : this.scenario.vms[i]!.program.type);
      if (schedule) vm.scheduleStart(used < vm.vcpuCount);
    });
    if (schedule) for (const ecu of this.ecus) ecu.start();
  }

  /** Boots every guest at t = 0 (schedules their start; nothing runs until advanceTo). */
  boot(): void {
    this.prepare(true);
    this.booted = true;
  }

  // --- state capture (issue 10 §1)

  /**
   * Every piece of TypeScript run-time state as plain, JSON-serialisable data, between events
   * (not from inside one). `core` is the core's own state (WASM memory and globals), opaque here:
   * pass Core.snapshot()'s result and restoreState hands it back (the seam for issue 10 §3).
   */
  captureState(core: unknown = null): PlatformState {
    if (!this.booted) throw new Error('assert: captureState before boot or restore');
    return capturePlatformState(this, core);
  }

  /**
   * Puts a captured state into this platform, which must be freshly created from the same
   * scenario (with the same inputs installed) and not booted. Every field is checked first
   * (StateError names the bad one); options.restoreCore gets the state's `core` part after the
   * platform is wired and before the TypeScript state is loaded. The platform counts as booted.
   */
  restoreState(state: unknown, options: RestoreOptions = {}): void {
    if (this.prepared) throw new Error('assert: restoreState on a platform that was booted or restored');
    this.prepare(false);
    restorePlatformState(this, state, options);
    this.booted = true;
  }

  saveState(): z.infer<typeof platformSchema> {
    return { inputSeq: this.inputSeq };
  }

  loadState(value: unknown, path: string): void {
    this.inputSeq = checkState(platformSchema, value, path).inputSeq;
  }

  /**
   * Runs every event up to and including untilNs (see Engine.runUntil for `stop`). Returns true
   * when `stop` ended it early. Splitting a run into several advanceTo calls never changes it.
   */
  advanceTo(untilNs: number, stop?: () => boolean): boolean {
    if (!this.booted) throw new Error('assert: advanceTo before boot');
    return this.engine.runUntil(untilNs, stop);
  }

  /** Ends the run at the engine's current time: the last event rows go to the sink. */
  finish(): RunSummary {
    this.core.traceFlush();
    return this.summary(this.engine.now);
  }

  /**
   * Registers how inputs of one kind enter the platform (e.g. a CAN frame onto a bus). Sources
   * and replay both end in applyInput, so a recorded input and its replay take the same path.
   */
  onInput(kind: string, handler: InputHandler): void {
    if (this.inputHandlers.has(kind)) throw new Error(`assert: input kind ${kind} registered twice`);
    this.inputHandlers.set(kind, handler);
  }

  /**
   * The only door for outside inputs (ARCHITECTURE principle 1): applied now, at the engine's
   * current time, after every event at or before it has run (the run loop guarantees this); the
   * row goes to the sink's `inputs` table and an `input` event names it.
   */
  applyInput(source: string, kind: string, data: Uint8Array): InputRow {
    const handler = this.inputHandlers.get(kind);
    if (handler === undefined) {
      throw new InputError(`input from ${source}: kind "${kind}" has no handler on this platform (known: ${[...this.inputHandlers.keys()].join(', ') || 'none'})`);
    }
    const row: InputRow = { ts_ns: this.engine.now, seq: this.inputSeq++, source, kind, data };
    this.core.traceEmit({ vm: -1, vcpu: -1, kind: KIND.input, dev: -1, queue: -1, id: Number(row.seq), len: data.length, val: 0 });
    this.sink.input(row);
    handler(data, source);
    return row;
  }

  /** Boots every guest at t = 0 and runs until durationNs of virtual time. */
  run(durationNs: number = this.scenario.durationNs): RunSummary {
    this.boot();
    this.advanceTo(durationNs);
    return this.finish();
  }

  private summary(durationNs: number): RunSummary {
    return {
      durationNs,
      engineEvents: this.engine.eventsRun,
      dltMessages: this.consoles.reduce((n, c) => n + c.messages, 0),
      logsDropped: this.vms.reduce((n, vm) => n + vm.logsDropped, 0),
      deadlineMisses: this.vms.reduce((n, vm) => n + vm.deadlineMisses, 0),
      vms: this.vms.map((vm) => ({
        name: vm.vmName,
        stealNs: vm.stealNs(),
        runNs: vm.vcpus.reduce((n, v) => n + v.runNs, 0),
        deadlineMisses: vm.deadlineMisses,
        logsDropped: vm.logsDropped,
      })),
      ecuFrames: this.ecus.reduce((n, e) => n + e.framesSent, 0),
    };
  }
}

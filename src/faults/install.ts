// Seeded fault injection, the platform side (issue 9 §5). At boot every fault of the scenario is
// turned into what carries it out: faults on the core's data path (links, CAN, used elements) are
// registered in the core, which decides per frame from each fault's own PRNG stream; faults of
// the hypervisor (clocks, vCPU scheduling, memory-bus budgets) become engine events at their
// times. Every fault writes `fault_injected` rows (src/core/codes.ts says what each column holds),
// and a scenario without faults installs nothing: its run is the run it always was.

import type { CoreApi, CoreFaultApi } from '../core/api.js';
import { FAULT_EDGE, FAULT_TYPE, KIND } from '../core/codes.js';
import type { Engine } from '../engine/engine.js';
import type { FaultConfig, Scenario } from '../scenario/schema.js';
import type { Scheduler } from '../platform/scheduler.js';
import type { VmRuntime } from '../platform/vm.js';
import { deviceEntries } from '../scenario/topology.js';

/** Where the platform put what a fault can name. */
export interface FaultTargets {
  /** MAC (lower case) -> the link of that net device, and the device */
  links: Map<string, { link: number; dev: number; vm: number }>;
  /** CAN bus name -> bus index */
  canBuses: Map<string, number>;
  /** VM or ECU name -> its CAN nodes (with the bus, device and VM each row names) */
  canNodes: Map<string, { node: number; bus: number; dev: number; vm: number }[]>;
}

export function emptyFaultTargets(): FaultTargets {
  return { links: new Map(), canBuses: new Map(), canNodes: new Map() };
}

export interface FaultHost {
  scenario: Scenario;
  core: CoreApi & CoreFaultApi;
  engine: Engine;
  scheduler: Scheduler;
  vms: readonly VmRuntime[];
  targets: FaultTargets;
}

interface Where {
  vm: number;
  vcpu?: number;
  dev?: number;
  queue?: number;
}

class Injector {
  constructor(private readonly host: FaultHost) {}

  private row(type: number, where: Where, len: number, val: number): void {
    this.host.core.traceEmit({
      vm: where.vm, vcpu: where.vcpu ?? -1, kind: KIND.fault_injected, dev: where.dev ?? -1,
      queue: where.queue ?? -1, id: type, len, val,
    });
  }

  /** Rows (and actions) at a window's edges; no end edge for a window that lasts the run. */
  private edges(
    f: { at: number; for?: number | undefined }, type: number, where: Where,
    actions: { start?: () => void; end?: () => void; startLen?: number; endLen?: number } = {},
  ): void {
    const { engine } = this.host;
    engine.at(f.at, () => {
      this.row(type, where, actions.startLen ?? 0, FAULT_EDGE.start);
      actions.start?.();
    });
    if (f.for === undefined) return;
    engine.at(f.at + f.for, () => {
      this.row(type, where, actions.endLen ?? 0, FAULT_EDGE.end);
      actions.end?.();
    });
  }

  /** Registers a per-frame fault in the core, active in [at, at + for) (no for: to the end). */
  private coreFault(f: { at: number; for?: number | undefined; ppm: number }, type: number, target: number, owner = -1): void {
    const endNs = f.for === undefined ? Number.MAX_SAFE_INTEGER : f.at + f.for;
    this.host.core.faultAdd({ type, target, owner, ppm: f.ppm, atNs: f.at, endNs });
  }

  private vm(name: string): VmRuntime {
    const vm = this.host.vms.find((v) => v.vmName === name);
    if (vm === undefined) throw new Error(`assert: fault names VM ${name}, which the platform lacks`);
    return vm;
  }

  install(f: FaultConfig): void {
    switch (f.type) {
      case 'link_loss':
      case 'link_corrupt': return this.link(f);
      case 'can_error': return this.canError(f);
      case 'can_bus_off': return this.busOff(f);
      case 'desc_corrupt': return this.descCorrupt(f);
      case 'clock_step': return this.clockStep(f);
      case 'clock_drift': return this.clockDrift(f);
      case 'vcpu_stall': return this.vcpuStall(f);
      case 'bus_cut': return this.busCut(f);
    }
  }

  private link(f: Extract<FaultConfig, { type: 'link_loss' | 'link_corrupt' }>): void {
    const type = FAULT_TYPE[f.type];
    const link = f.mac === undefined ? undefined : this.host.targets.links.get(f.mac.toLowerCase());
    if (f.mac !== undefined && link === undefined) throw new Error(`assert: no link for MAC ${f.mac}`);
    this.coreFault(f, type, link?.link ?? -1);
    const where = link === undefined ? { vm: -1, queue: -1 } : { vm: link.vm, dev: link.dev, queue: link.link };
    this.edges(f, type, where);
  }

  private canError(f: Extract<FaultConfig, { type: 'can_error' }>): void {
    const bus = f.bus === undefined ? -1 : this.host.targets.canBuses.get(f.bus)!;
    const type = FAULT_TYPE.can_error;
    this.coreFault(f, type, bus);
    this.edges(f, type, { vm: -1, queue: bus });
  }

  private busOff(f: Extract<FaultConfig, { type: 'can_bus_off' }>): void {
    const type = FAULT_TYPE.can_bus_off;
    const { core } = this.host;
    for (const n of this.host.targets.canNodes.get(f.node) ?? []) {
      core.faultAdd({ type, target: n.node, owner: -1, ppm: 0, atNs: f.at, endNs: f.at + f.for });
      this.edges(f, type, { vm: n.vm, dev: n.dev, queue: n.bus }, { end: () => core.canBusOffEdge(n.node) });
    }
  }

  private descCorrupt(f: Extract<FaultConfig, { type: 'desc_corrupt' }>): void {
    const vm = this.vm(f.vm);
    const type = FAULT_TYPE.desc_corrupt;
    const entry = deviceEntries(this.host.scenario).find((d) => d.vm === vm.vmIndex && d.index === f.device);
    const dev = f.device === undefined ? -1 : entry!.dev;
    this.coreFault(f, type, dev, vm.vmIndex);
    this.edges(f, type, { vm: vm.vmIndex, dev });
  }

  private clockStep(f: Extract<FaultConfig, { type: 'clock_step' }>): void {
    const vm = this.vm(f.vm);
    vm.clock.addStep(f.at, f.by);
    this.host.engine.at(f.at, () => this.row(FAULT_TYPE.clock_step, { vm: vm.vmIndex }, 0, f.by));
  }

  private clockDrift(f: Extract<FaultConfig, { type: 'clock_drift' }>): void {
    const vm = this.vm(f.vm);
    vm.clock.changeDrift(f.at, f.ppb);
    this.host.engine.at(f.at, () => this.row(FAULT_TYPE.clock_drift, { vm: vm.vmIndex }, 0, f.ppb));
  }

  private vcpuStall(f: Extract<FaultConfig, { type: 'vcpu_stall' }>): void {
    const vm = this.vm(f.vm);
    const vcpu = vm.vcpus[f.vcpu]!;
    const { scheduler } = this.host;
    this.edges(f, FAULT_TYPE.vcpu_stall, { vm: vm.vmIndex, vcpu: f.vcpu }, {
      start: () => scheduler.stall(vcpu),
      end: () => scheduler.unstall(vcpu),
    });
  }

  private busCut(f: Extract<FaultConfig, { type: 'bus_cut' }>): void {
    const vm = this.vm(f.vm);
    const budget = this.host.scenario.vms[vm.vmIndex]!.busBudget!;
    const cutBytes = f.bytesPerPeriod ?? Math.max(1, Math.floor((budget.bytesPerPeriod * f.percent!) / 100));
    const { core } = this.host;
    const i32 = (bytes: number) => Math.min(bytes, 2 ** 31 - 1);
    this.edges(f, FAULT_TYPE.bus_cut, { vm: vm.vmIndex }, {
      start: () => core.busBudgetRate(vm.vmIndex, cutBytes),
      end: () => core.busBudgetRate(vm.vmIndex, budget.bytesPerPeriod),
      startLen: i32(cutBytes),
      endLen: i32(budget.bytesPerPeriod),
    });
  }
}

/**
 * Installs the scenario's faults (call once, at boot, before anything runs), in scenario order:
 * the core numbers its faults, and so their PRNG streams, in that order. Drift changes go last,
 * by time, as GuestClock registers them.
 */
export function installFaults(host: FaultHost): void {
  const injector = new Injector(host);
  const faults = host.scenario.faults;
  for (const f of faults) if (f.type !== 'clock_drift') injector.install(f);
  const drifts = faults.filter((f) => f.type === 'clock_drift');
  for (const f of [...drifts].sort((a, b) => a.at - b.at)) injector.install(f);
}

// Seeded fault injection, the platform side (issue 9 §5). At boot every fault of the scenario is
// turned into what carries it out: faults on the core's data path (links, CAN, used elements) are
// registered in the core, which decides per frame from each fault's own PRNG stream; faults of
// the hypervisor (clocks, vCPU scheduling, memory-bus budgets) become engine events at their
// times. Every fault writes `fault_injected` rows (src/core/codes.ts says what each column holds),
// and a scenario without faults installs nothing: its run is the run it always was.
//
// The hypervisor's fault edges are records (issue 10 §1): a table of edges built from the
// scenario (what row to write, what to do), and engine events that name an edge by its index.
// The table is configuration, rebuilt the same by every platform of the scenario; nothing in it
// changes at run time, so a state capture holds only the queued events.

import type { CoreApi, CoreFaultApi } from '../core/api.js';
import { FAULT_EDGE, FAULT_TYPE, KIND } from '../core/codes.js';
import type { Engine } from '../engine/engine.js';
import type { EventTarget } from '../engine/event-target.js';
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
  /** False when restoring a captured state: the edges are registered, their events come from the state. */
  schedule?: boolean;
}

interface Where {
  vm: number;
  vcpu?: number;
  dev?: number;
  queue?: number;
}

/** What an edge does besides its row (data, so the edge table holds no closure). */
type EdgeAction =
  | { kind: 'none' }
  | { kind: 'stall' | 'unstall'; vm: number; vcpu: number }
  | { kind: 'busOffEnd'; node: number }
  | { kind: 'busRate'; vm: number; bytesPerPeriod: number };

/** One fault edge: the `fault_injected` row it writes and what it does, at its time. */
interface Edge {
  type: number;
  where: Where;
  len: number;
  val: number;
  action: EdgeAction;
}

const NONE: EdgeAction = { kind: 'none' };
/** The fault table's one engine event: edge a0 happens. */
const EDGE = 0;

/** The engine target of every hypervisor-side fault edge. */
class FaultEdges implements EventTarget {
  readonly edges: Edge[] = [];
  readonly target: number;

  constructor(private readonly host: FaultHost) {
    this.target = host.engine.register('faults', this);
  }

  /** Adds an edge and, unless restoring, its event at atNs. */
  add(atNs: number, edge: Edge): void {
    this.edges.push(edge);
    if (this.host.schedule !== false) this.host.engine.at(atNs, this.target, EDGE, this.edges.length - 1);
  }

  fire(op: number, index: number): void {
    const edge = this.edges[index];
    if (op !== EDGE || edge === undefined) throw new Error(`assert: fault event op ${op} edge ${index}`);
    const { where } = edge;
    this.host.core.traceEmit({
      vm: where.vm, vcpu: where.vcpu ?? -1, kind: KIND.fault_injected, dev: where.dev ?? -1,
      queue: where.queue ?? -1, id: edge.type, len: edge.len, val: edge.val,
    });
    this.act(edge.action);
  }

  private act(a: EdgeAction): void {
    const { core, scheduler, vms } = this.host;
    switch (a.kind) {
      case 'none': return;
      case 'stall': return scheduler.stall(vms[a.vm]!.vcpus[a.vcpu]!);
      case 'unstall': return scheduler.unstall(vms[a.vm]!.vcpus[a.vcpu]!);
      case 'busOffEnd':
        core.canBusOffEdge(a.node);
        return;
      case 'busRate':
        core.busBudgetRate(a.vm, a.bytesPerPeriod);
        return;
    }
  }

  describe(op: number, index: number): string {
    const edge = this.edges[index];
    if (op !== EDGE || edge === undefined) return `fault op ${op} (${index})`;
    const name = Object.entries(FAULT_TYPE).find(([, code]) => code === edge.type)?.[0] ?? `type ${edge.type}`;
    return `fault ${name}: vm ${edge.where.vm} ${edge.action.kind === 'none' ? 'row' : edge.action.kind}`;
  }
}

class Injector {
  private readonly table: FaultEdges;

  constructor(private readonly host: FaultHost) {
    this.table = new FaultEdges(host);
  }

  /** Rows (and actions) at a window's edges; no end edge for a window that lasts the run. */
  private edges(
    f: { at: number; for?: number | undefined }, type: number, where: Where,
    actions: { start?: EdgeAction; end?: EdgeAction; startLen?: number; endLen?: number } = {},
  ): void {
    this.table.add(f.at, { type, where, len: actions.startLen ?? 0, val: FAULT_EDGE.start, action: actions.start ?? NONE });
    if (f.for === undefined) return;
    this.table.add(f.at + f.for, { type, where, len: actions.endLen ?? 0, val: FAULT_EDGE.end, action: actions.end ?? NONE });
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
      this.edges(f, type, { vm: n.vm, dev: n.dev, queue: n.bus }, { end: { kind: 'busOffEnd', node: n.node } });
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
    this.table.add(f.at, { type: FAULT_TYPE.clock_step, where: { vm: vm.vmIndex }, len: 0, val: f.by, action: NONE });
  }

  private clockDrift(f: Extract<FaultConfig, { type: 'clock_drift' }>): void {
    const vm = this.vm(f.vm);
    vm.clock.changeDrift(f.at, f.ppb);
    this.table.add(f.at, { type: FAULT_TYPE.clock_drift, where: { vm: vm.vmIndex }, len: 0, val: f.ppb, action: NONE });
  }

  private vcpuStall(f: Extract<FaultConfig, { type: 'vcpu_stall' }>): void {
    const vm = this.vm(f.vm);
    if (vm.vcpus[f.vcpu] === undefined) throw new Error(`assert: fault names vCPU ${f.vcpu} of VM ${f.vm}, which it lacks`);
    this.edges(f, FAULT_TYPE.vcpu_stall, { vm: vm.vmIndex, vcpu: f.vcpu }, {
      start: { kind: 'stall', vm: vm.vmIndex, vcpu: f.vcpu },
      end: { kind: 'unstall', vm: vm.vmIndex, vcpu: f.vcpu },
    });
  }

  private busCut(f: Extract<FaultConfig, { type: 'bus_cut' }>): void {
    const vm = this.vm(f.vm);
    const budget = this.host.scenario.vms[vm.vmIndex]!.busBudget!;
    const cutBytes = f.bytesPerPeriod ?? Math.max(1, Math.floor((budget.bytesPerPeriod * f.percent!) / 100));
    const i32 = (bytes: number) => Math.min(bytes, 2 ** 31 - 1);
    this.edges(f, FAULT_TYPE.bus_cut, { vm: vm.vmIndex }, {
      start: { kind: 'busRate', vm: vm.vmIndex, bytesPerPeriod: cutBytes },
      end: { kind: 'busRate', vm: vm.vmIndex, bytesPerPeriod: budget.bytesPerPeriod },
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

// The platform's state at one moment as plain data (issue 9 §4: `replay --state`). This is the
// one module that knows where state lives: today it reads a platform that re-execution brought
// to the moment; a snapshot restored into a platform will feed the same collectState later.
// Reading never changes the run: the core views count no TLB hit and emit no row
// (assembly/introspect.ts), and nothing here schedules or credits anything.

import type { BusBudgetState, CanBusState, CanNodeState, LinkState, QueueState, TlbStats } from '../core/api.js';
import { FAULT_CODES } from '../core/codes.js';
import type { Platform } from '../platform/platform.js';
import type { Vcpu } from '../platform/scheduler.js';
import { deviceEntries } from '../scenario/topology.js';
import { describeCoreTimer } from './state-core-timers.js';

export interface VcpuState {
  vcpu: number;
  state: 'running' | 'runnable' | 'idle';
  pcpu: number; //        -1 unless running
  priority: number;
  runNs: number; //       CPU time credited at slice ends (what the run summary counts)
  sliceRunNs: number; //  CPU time of the slice in progress, not yet credited (0 unless running)
  sliceEndNs: number; //  when the slice in progress ends (its engine event), -1 unless running
  stealNs: number; //     wait credited when dispatched (the steal the guest has been told)
  waitingNs: number; //   runnable and not running since this long, not yet credited
  jobsQueued: number;
}

export interface VmState {
  vm: number;
  name: string;
  guestClockNs: number; // the guest's clock reading at this moment (offset, drift, steps)
  deadlineMisses: number;
  logsDropped: number;
  vcpus: VcpuState[];
  tlb: TlbStats; //       stage-2 translation context
  busBudget: BusBudgetState | null; // memory-bus token bucket, null when the VM has none
  /** The guest program's run-time fields (its `state`, plain data), null for an idle VM. */
  program: unknown;
}

export interface QueueView extends QueueState {
  waiting: number; //   avail entries the device has not seen yet: availIdx - lastAvail (mod 2^16)
  inFlight: number; //  chains the device holds: lastAvail - usedIdx (mod 2^16)
  fault: string | null; // name of the fault that failed the queue
}

export interface DeviceState {
  dev: number;
  vm: number;
  type: 'console' | 'net' | 'can';
  address: string | null; // MAC of a net device, bus of a CAN device
  tlb: TlbStats; //        IOMMU translation context
  queues: QueueView[];
}

export interface PendingView {
  timeNs: number;
  source: 'engine' | 'core';
  what: string;
}

export interface PlatformState {
  timeNs: number;
  seqNext: number; // sequence number the next event row gets
  vms: VmState[];
  devices: DeviceState[];
  links: LinkState[];
  canBuses: CanBusState[];
  canNodes: CanNodeState[];
  pending: { engineEvents: number; coreEvents: number; next: PendingView[] };
}

export interface CollectOptions {
  /** Pending events listed from each source (engine and core), merged by time. */
  pendingMax?: number;
}

const PENDING_MAX = 10;
const U16 = 0xffff;

export function collectState(platform: Platform, options: CollectOptions = {}): PlatformState {
  const { core, engine } = platform;
  const timeNs = engine.now;
  return {
    timeNs,
    seqNext: core.seqNext(),
    vms: platform.vms.map((vm) => ({
      vm: vm.vmIndex,
      name: vm.vmName,
      guestClockNs: vm.clock.localNs(timeNs),
      deadlineMisses: vm.deadlineMisses,
      logsDropped: vm.logsDropped,
      vcpus: vm.vcpus.map((v) => vcpuState(v, timeNs)),
      tlb: core.tlbStats(vm.vmIndex),
      busBudget: busBudget(platform, vm.vmIndex),
      program: vm.program === null ? null : structuredClone(vm.program.state),
    })),
    devices: devices(platform),
    links: core.linkStates(),
    canBuses: core.canBusStates(),
    canNodes: core.canNodeStates(),
    pending: pending(platform, options.pendingMax ?? PENDING_MAX),
  };
}

function vcpuState(v: Vcpu, nowNs: number): VcpuState {
  return {
    vcpu: v.index,
    state: v.state,
    pcpu: v.pcpu,
    priority: v.priority,
    runNs: v.runNs,
    sliceRunNs: v.state === 'running' ? nowNs - v.sliceStartNs : 0,
    sliceEndNs: v.sliceEndNs,
    stealNs: v.stealNs,
    waitingNs: v.state === 'runnable' ? nowNs - v.runnableSinceNs : 0,
    jobsQueued: v.jobs.length,
  };
}

function busBudget(platform: Platform, vm: number): BusBudgetState | null {
  const budget = platform.core.busBudgetState(vm);
  return budget.on ? budget : null;
}

function devices(platform: Platform): DeviceState[] {
  const queues = platform.core.queueStates().map(queueView);
  return deviceEntries(platform.scenario).map((d) => ({
    dev: d.dev,
    vm: d.vm,
    type: d.type,
    address: d.address,
    tlb: platform.core.iommuTlbStats(d.dev),
    queues: queues.filter((q) => q.dev === d.dev).sort((a, b) => a.index - b.index),
  }));
}

function queueView(q: QueueState): QueueView {
  const readable = q.availIdx >= 0 && q.usedIdx >= 0;
  return {
    ...q,
    waiting: q.availIdx >= 0 ? (q.availIdx - q.lastAvail) & U16 : -1,
    inFlight: readable ? (q.lastAvail - q.usedIdx) & U16 : -1,
    fault: q.failed ? (FAULT_CODES[q.failCode] ?? `fault ${q.failCode}`) : null,
  };
}

function pending(platform: Platform, max: number): PlatformState['pending'] {
  // Each event's target says what it is (a preempted vCPU's slice end says it is stale).
  const engineNext: PendingView[] = platform.engine
    .pendingEvents(max)
    .map((e) => ({ timeNs: e.timeNs, source: 'engine', what: e.label }));
  const coreTimers = platform.core.coreTimers(Infinity);
  const coreNext: PendingView[] = coreTimers
    .slice(0, max)
    .map((t) => ({ timeNs: t.timeNs, source: 'core', what: describeCoreTimer(t) }));
  // At equal times core events run before engine events (src/engine/engine.ts), so they list first.
  const next = [...coreNext, ...engineNext].sort((a, b) => a.timeNs - b.timeNs || order(a) - order(b));
  return { engineEvents: platform.engine.pending, coreEvents: coreTimers.length, next };
}

function order(p: PendingView): number {
  return p.source === 'core' ? 0 : 1;
}

// Cross-field rules of `faults[]` (issue 9 §5): every fault names something that exists (a MAC,
// a CAN bus, a VM or ECU, a device, a vCPU), and its window lies inside the run. Each problem
// names the field path of the fault.

import type { z } from 'zod';
import type { FaultConfig, Scenario } from './schema.js';
import { formatDurationShort } from './duration.js';

/** Each fault draws from a PRNG stream of its own: the core has 16 (assembly/layout.ts FAULT_MAX). */
export const FAULTS_MAX = 16;
const FAULT_SLOTS_MAX = FAULTS_MAX;

type Ctx = z.RefinementCtx;
type Path = (string | number)[];

function issue(ctx: Ctx, path: Path, message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

function macs(s: Scenario): Set<string> {
  const out = new Set<string>();
  for (const vm of s.vms) for (const d of vm.devices) if (d.type === 'net') out.add(d.mac.toLowerCase());
  return out;
}

/** The VM a fault names, or an issue (and undefined). */
function vmOf(s: Scenario, f: { vm: string }, path: Path, ctx: Ctx): Scenario['vms'][number] | undefined {
  const vm = s.vms.find((v) => v.name === f.vm);
  if (vm === undefined) issue(ctx, [...path, 'vm'], `no VM named "${f.vm}" in vms (VMs: ${s.vms.map((v) => v.name).join(', ')})`);
  return vm;
}

function checkTarget(s: Scenario, f: FaultConfig, path: Path, ctx: Ctx): void {
  switch (f.type) {
    case 'link_loss':
    case 'link_corrupt':
      if (f.mac !== undefined && !macs(s).has(f.mac.toLowerCase())) {
        issue(ctx, [...path, 'mac'], `no net device with MAC ${f.mac} (give a MAC of vms[].devices, or none for every link)`);
      }
      return;
    case 'can_error':
      if (f.bus !== undefined && !s.canBuses.some((b) => b.name === f.bus)) {
        issue(ctx, [...path, 'bus'], `no CAN bus named "${f.bus}" in canBuses`);
      }
      return;
    case 'can_bus_off': {
      const vm = s.vms.find((v) => v.name === f.node);
      const isEcu = s.ecus.some((e) => e.name === f.node);
      if (!isEcu && (vm === undefined || !vm.devices.some((d) => d.type === 'can'))) {
        issue(ctx, [...path, 'node'], `no ECU and no VM with a CAN device named "${f.node}"`);
      }
      return;
    }
    case 'desc_corrupt': {
      const vm = vmOf(s, f, path, ctx);
      if (vm !== undefined && f.device !== undefined && f.device >= vm.devices.length) {
        issue(ctx, [...path, 'device'], `VM "${vm.name}" has ${vm.devices.length} device(s), numbered from 0`);
      }
      if (vm !== undefined && vm.devices.length === 0) issue(ctx, [...path, 'vm'], `VM "${vm.name}" has no devices`);
      return;
    }
    case 'vcpu_stall': {
      const vm = vmOf(s, f, path, ctx);
      if (vm !== undefined && f.vcpu >= vm.vcpus) issue(ctx, [...path, 'vcpu'], `VM "${vm.name}" has ${vm.vcpus} vCPU(s), numbered from 0`);
      return;
    }
    case 'bus_cut': {
      const vm = vmOf(s, f, path, ctx);
      if ((f.percent === undefined) === (f.bytesPerPeriod === undefined)) {
        issue(ctx, [...path, 'percent'], 'give exactly one of percent and bytesPerPeriod');
      }
      if (vm !== undefined && vm.busBudget === undefined) {
        issue(ctx, [...path, 'vm'], `VM "${vm.name}" has no busBudget to cut (give it vms[].busBudget)`);
      }
      return;
    }
    case 'clock_step':
    case 'clock_drift':
      vmOf(s, f, path, ctx);
      return;
  }
}

/** A fault's window must start inside the run and end by its end. */
function checkWindow(s: Scenario, f: FaultConfig, path: Path, ctx: Ctx): void {
  const run = formatDurationShort(s.durationNs);
  if (f.at >= s.durationNs) {
    issue(ctx, [...path, 'at'], `starts at ${formatDurationShort(f.at)}, not before the run ends (durationNs ${run})`);
    return;
  }
  if ('for' in f && f.for !== undefined && f.at + f.for > s.durationNs) {
    issue(ctx, [...path, 'for'], `the window ends at ${formatDurationShort(f.at + f.for)}, past the run's end (durationNs ${run})`);
  }
}

/** Slots in the core's fault table a fault takes (assembly/layout.ts FAULT_MAX). */
function coreSlots(s: Scenario, f: FaultConfig): number {
  switch (f.type) {
    case 'clock_step':
    case 'clock_drift':
    case 'vcpu_stall':
    case 'bus_cut':
      return 0;
    case 'can_bus_off': {
      const vm = s.vms.find((v) => v.name === f.node);
      return vm === undefined ? 1 : vm.devices.filter((d) => d.type === 'can').length;
    }
    default:
      return 1;
  }
}

/**
 * Two bus cuts of one VM must not overlap: the end of one restores the VM's own budget, which
 * would undo the other mid-window.
 */
function checkCutOverlap(s: Scenario, ctx: Ctx): void {
  s.faults.forEach((f, i) => {
    if (f.type !== 'bus_cut') return;
    s.faults.slice(0, i).forEach((g, j) => {
      if (g.type !== 'bus_cut' || g.vm !== f.vm) return;
      if (f.at < g.at + g.for && g.at < f.at + f.for) {
        issue(ctx, ['faults', i, 'at'], `overlaps faults[${j}], another bus_cut of VM "${f.vm}" (give them disjoint windows)`);
      }
    });
  });
}

export function checkFaultReferences(s: Scenario, ctx: Ctx): void {
  s.faults.forEach((f, i) => {
    const path = ['faults', i];
    checkTarget(s, f, path, ctx);
    checkWindow(s, f, path, ctx);
  });
  checkCutOverlap(s, ctx);
  const slots = s.faults.reduce((n, f) => n + coreSlots(s, f), 0);
  if (slots > FAULT_SLOTS_MAX) {
    issue(ctx, ['faults'], `need ${slots} fault slots in the core (a can_bus_off of a VM takes one per CAN device), more than its ${FAULT_SLOTS_MAX}`);
  }
}

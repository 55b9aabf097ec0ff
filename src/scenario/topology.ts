// The numbering of a platform's parts — VM index, device index, CAN node — derived from the
// scenario in one place, so the platform that assigns the numbers and the query layer that
// names them (the `vms` and `devices` tables) cannot disagree.

import type { DeviceConfig, Scenario } from './schema.js';

export interface VmEntry {
  vm: number;
  name: string;
  ecu: string;
  vcpus: number;
  priority: number;
  program: string;
}

export interface DeviceEntry {
  dev: number;
  vm: number;
  type: 'console' | 'net' | 'can';
  /** MAC for net devices, bus name for CAN devices, null for consoles. */
  address: string | null;
  config: DeviceConfig;
}

export function vmEntries(s: Pick<Scenario, 'vms'>): VmEntry[] {
  return s.vms.map((vm, index) => ({
    vm: index,
    name: vm.name,
    ecu: vm.ecu,
    vcpus: vm.vcpus,
    priority: vm.priority,
    program: vm.program.type,
  }));
}

/** Devices are numbered VM by VM, in the order each VM lists them. */
export function deviceEntries(s: Pick<Scenario, 'vms'>): DeviceEntry[] {
  const out: DeviceEntry[] = [];
  s.vms.forEach((vm, index) => {
    for (const d of vm.devices) {
      const address = d.type === 'net' ? d.mac : d.type === 'can' ? d.bus : null;
      out.push({ dev: out.length, vm: index, type: d.type, address, config: d });
    }
  });
  return out;
}

// The numbering of a platform's parts — VM index, device index, switch port — derived from the
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
  /** position in its VM's `devices` list */
  index: number;
  type: 'console' | 'net' | 'can';
  /** MAC for net devices, bus name for CAN devices, null for consoles. */
  address: string | null;
  config: DeviceConfig;
  /**
   * Ethernet switch port of a net device: its `port` when given, else the next of 0, 1, 2, …
   * in device order (counting only net devices without one); null for other devices.
   */
  switchPort: number | null;
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
  let nextPort = 0;
  s.vms.forEach((vm, vmIndex) => {
    vm.devices.forEach((d, index) => {
      const address = d.type === 'net' ? d.mac : d.type === 'can' ? d.bus : null;
      const switchPort = d.type === 'net' ? (d.port ?? nextPort++) : null;
      out.push({ dev: out.length, vm: vmIndex, index, type: d.type, address, config: d, switchPort });
    });
  });
  return out;
}

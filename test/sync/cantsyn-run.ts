// CanTSyn and paravirt test scenarios (issue 11 §2): VMs on one CAN bus, idle programs, so the
// only frames on the bus are the time-sync messages (and what a test adds).
import { S } from './run.js';

export interface TsynVm {
  name: string;
  offsetNs?: number;
  driftPpb?: number;
  sync?: Record<string, unknown>;
  program?: Record<string, unknown>;
}

export const BUS_BPS = 500_000;

export function tsynScenario(vms: TsynVm[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'cantsyn',
    seed: 5,
    durationNs: 6 * S,
    canBuses: [{ name: 'body', bitsPerSecond: BUS_BPS }],
    ...extra,
    vms: vms.map((vm, i) => ({
      name: vm.name,
      ecu: `T${i}`,
      clock: {
        offsetNs: vm.offsetNs ?? 0,
        driftPpb: vm.driftPpb ?? 0,
        ...(vm.sync === undefined ? {} : { sync: vm.sync }),
      },
      devices: [{ type: 'console' }, { type: 'can', bus: 'body' }],
      program: vm.program ?? { type: 'idle' },
    })),
  };
}

export const master = (extra: Record<string, unknown> = {}) => ({ protocol: 'cantsyn', role: 'master', bus: 'body', ...extra });
export const slave = (extra: Record<string, unknown> = {}) => ({ protocol: 'cantsyn', role: 'slave', bus: 'body', ...extra });

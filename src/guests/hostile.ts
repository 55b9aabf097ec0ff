// A hostile guest: it publishes broken descriptor chains on its own net TX queue, one attack
// per scheduled time, and resets the queue afterwards (as a driver recovering from
// DEVICE_NEEDS_RESET would). The core must refuse each chain with a recorded fault while
// every other VM carries on.

import type { GuestApi, GuestProgram } from './guest-api.js';
import type { ProgramConfig } from '../scenario/schema.js';
import type { CoreApi } from '../core/api.js';
import { VIRTQ_DESC_F } from '../core/codes.js';

type HostileConfig = Extract<ProgramConfig, { type: 'hostile' }>;
type Attack = HostileConfig['attacks'][number]['kind'];

const { next: F_NEXT, write: F_WRITE, indirect: F_INDIRECT } = VIRTQ_DESC_F;

export interface AttackTarget {
  core: CoreApi;
  vm: number;
  q: number;
  ramBytes: number;
  scratchGpa: number;
}

/** Writes the descriptors for one attack and publishes its head (VIRTIO 1.2 §2.7.5 violations). */
export function craftAttack(target: AttackTarget, kind: Attack): void {
  const { core, vm, q, ramBytes, scratchGpa } = target;
  switch (kind) {
    case 'desc_loop':
      core.drvRawDesc(q, 0, scratchGpa, 64, F_NEXT, 1);
      core.drvRawDesc(q, 1, scratchGpa + 64, 64, F_NEXT, 0);
      break;
    case 'desc_out_of_range':
      core.drvRawDesc(q, 0, scratchGpa, 64, F_NEXT, 9999);
      break;
    case 'addr_outside_guest':
      core.drvRawDesc(q, 0, ramBytes + 0x10_0000, 64, 0, 0);
      break;
    case 'readable_after_writable':
      core.drvRawDesc(q, 0, scratchGpa, 64, F_WRITE | F_NEXT, 1);
      core.drvRawDesc(q, 1, scratchGpa + 64, 64, 0, 0);
      break;
    case 'nested_indirect': {
      // The indirect table at scratchGpa + 256 holds one descriptor that is itself INDIRECT.
      const table = new Uint8Array(16);
      const view = new DataView(table.buffer);
      view.setBigUint64(0, BigInt(scratchGpa), true);
      view.setUint32(8, 16, true);
      view.setUint16(12, F_INDIRECT, true);
      core.guestWrite(vm, scratchGpa + 256, table);
      core.drvRawDesc(q, 0, scratchGpa + 256, 16, F_INDIRECT, 0);
      break;
    }
  }
  core.drvRawPublish(q, 0);
}

export class HostileProgram implements GuestProgram {
  constructor(
    private readonly config: HostileConfig,
    private readonly core: CoreApi,
  ) {}

  vcpusUsed(): number {
    return 1;
  }

  start(api: GuestApi): void {
    const dlt = api.dltApp('ROGU');
    dlt.log('info', 'MAIN', 'rogue guest up,', this.config.attacks.length, 'attacks planned');
    for (const attack of this.config.attacks) {
      api.timer(attack.atNs, () => this.attack(api, attack.kind, dlt));
    }
    const alive = () => {
      dlt.log('verbose', 'MAIN', 'still running');
      api.timer(this.config.logEveryNs, alive);
    };
    api.timer(this.config.logEveryNs, alive);
  }

  private attack(api: GuestApi, kind: Attack, dlt: ReturnType<GuestApi['dltApp']>): void {
    const q = api.raw.netTxQueue;
    if (q < 0) {
      dlt.log('warn', 'MAIN', 'no net device to attack through');
      return;
    }
    api.cpu(10_000, () => {
      this.core.vqReset(q);
      craftAttack({ core: this.core, vm: api.vmIndex, q, ramBytes: api.raw.ramBytes, scratchGpa: api.raw.scratchGpa }, kind);
      this.core.drvKick(q);
      dlt.log('debug', 'MAIN', 'attack published:', kind);
    });
  }
}

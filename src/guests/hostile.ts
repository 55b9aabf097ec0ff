// A hostile guest: it publishes broken descriptor chains on its own net TX queue, one attack
// per scheduled time, and resets the queue afterwards (as a driver recovering from
// DEVICE_NEEDS_RESET would). The core must refuse each chain with a recorded fault while
// every other VM carries on.

import { z } from 'zod';
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

/** Timer and job tags (arg: the attack's index in the config). */
const ATTACK_DUE = 0; //   timer: an attack's time has come
const ATTACK = 1; //       job: publish the attack (after its CPU time)
const ALIVE = 2; //        timer: the periodic "still running" line

const stateSchema = z.strictObject({});

export class HostileProgram implements GuestProgram<z.infer<typeof stateSchema>> {
  readonly stateSchema = stateSchema;
  /** Nothing changes at run time: the attacks are the config's, each armed at boot. */
  state: z.infer<typeof stateSchema> = {};

  constructor(
    private readonly config: HostileConfig,
    private readonly core: CoreApi,
  ) {}

  vcpusUsed(): number {
    return 1;
  }

  start(api: GuestApi): void {
    api.log('ROGU', 'info', 'MAIN', 'rogue guest up,', this.config.attacks.length, 'attacks planned');
    this.config.attacks.forEach((attack, i) => api.timer(attack.atNs, ATTACK_DUE, i));
    api.timer(this.config.logEveryNs, ALIVE);
  }

  onTimer(api: GuestApi, tag: number, attack: number): void {
    if (tag === ALIVE) {
      api.log('ROGU', 'verbose', 'MAIN', 'still running');
      api.timer(this.config.logEveryNs, ALIVE);
      return;
    }
    if (tag !== ATTACK_DUE) return;
    if (api.raw.netTxQueue < 0) {
      api.log('ROGU', 'warn', 'MAIN', 'no net device to attack through');
      return;
    }
    api.cpu(10_000, ATTACK, attack);
  }

  onCpuDone(api: GuestApi, tag: number, attack: number): void {
    if (tag !== ATTACK) return;
    const q = api.raw.netTxQueue;
    const kind = this.config.attacks[attack]!.kind;
    this.core.vqReset(q);
    craftAttack({ core: this.core, vm: api.vmIndex, q, ramBytes: api.raw.ramBytes, scratchGpa: api.raw.scratchGpa }, kind);
    this.core.drvKick(q);
    api.log('ROGU', 'debug', 'MAIN', 'attack published:', kind);
  }
}

// The platform's state at one epoch of virtual time, as digests (issue 9 §2): one per VM (its
// vCPUs' state, run and steal ns, queue depth and pcpu; its guest clock reading; its deadline
// misses and dropped logs; its stage-2 TLB counters), one for the engine (time, events run,
// events pending and the next one's time, the core's next seq) and one per core component,
// hashed by the core over its own tables in one call each (assembly/state-digest.ts).
// Taking them reads state only, so a run with epochs is the run without (run-epochs.ts).

import { createHash } from 'node:crypto';
import { CORE_COMPONENTS, type StateDigester } from '../core/api.js';
import type { Platform } from '../platform/platform.js';

/** Hex digits of a state digest (64 bits). */
const STATE_HEX_CHARS = 16;

export interface EpochDigest {
  /** Epoch number, 1 for the first (epochs start after epochNs of virtual time). */
  epoch: number;
  atNs: number;
  engine: string;
  /** By VM index. */
  vms: string[];
  /** By CORE_COMPONENTS index. */
  core: string[];
}

/** Where two epochs' state first differs: 'engine', 'vm <name>' or 'core <component>'. */
export function firstStateDifference(recorded: EpochDigest, replayed: EpochDigest, vmNames: readonly string[]): string | null {
  if (recorded.engine !== replayed.engine) return 'engine';
  for (let i = 0; i < Math.max(recorded.vms.length, replayed.vms.length); i++) {
    if (recorded.vms[i] !== replayed.vms[i]) return `vm ${vmNames[i] ?? i}`;
  }
  for (let i = 0; i < Math.max(recorded.core.length, replayed.core.length); i++) {
    if (recorded.core[i] !== replayed.core[i]) return `core ${CORE_COMPONENTS[i] ?? i}`;
  }
  return null;
}

export function epochDigest(platform: Platform, epoch: number): EpochDigest {
  const { engine, core } = platform;
  const digester = core as unknown as Partial<StateDigester>;
  if (typeof digester.stateDigests !== 'function') throw new Error('assert: this core cannot digest its state');
  const nextNs = engine.nextEventNs();
  return {
    epoch,
    atNs: engine.now,
    engine: digestNumbers([engine.now, engine.eventsRun, engine.pending, Number.isFinite(nextNs) ? nextNs : -1, core.seqNext()]),
    vms: platform.vms.map((vm) => {
      const values: number[] = [vm.clock.localNs(engine.now), vm.deadlineMisses, vm.logsDropped];
      const tlb = core.tlbStats(vm.vmIndex);
      values.push(tlb.hits, tlb.misses);
      for (const v of vm.vcpus) {
        values.push(VCPU_STATE_CODE[v.state] ?? -1, v.runNs, v.stealNs, v.jobs.length, v.pcpu, v.remainingNs);
      }
      return digestNumbers(values);
    }),
    core: digester.stateDigests().map((d) => d.toString(16).padStart(STATE_HEX_CHARS, '0')),
  };
}

const VCPU_STATE_CODE: Record<string, number> = { idle: 0, runnable: 1, running: 2, blocked: 3 };

function digestNumbers(values: readonly number[]): string {
  return createHash('sha256').update(new Float64Array(values)).digest('hex').slice(0, STATE_HEX_CHARS);
}

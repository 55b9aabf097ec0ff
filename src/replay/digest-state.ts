// The platform's state at one epoch of virtual time, as digests (issue 9 §2): one per VM (its
// vCPUs' state, run and steal ns, queue depth and pcpu; its guest clock reading; its deadline
// misses and dropped logs; its stage-2 TLB counters), one for the engine (time, events run,
// events pending and the next one's time, the core's next seq) and one per core component,
// hashed by the core over its own tables in one call each (assembly/state-digest.ts).
// Taking them reads state only, so a run with epochs is the run without (digest-epochs.ts).

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

/**
 * 64 bits over integers (|n| < 2^53): two 32-bit murmur3-style lanes over each number's low and
 * high words. Not cryptographic, like the core's; sha256 here cost more than the core's whole
 * digest (bench/replay.ts).
 */
function digestNumbers(values: readonly number[]): string {
  let a = 0x9e3779b9;
  let b = 0x85ebca6b ^ values.length;
  for (const n of values) {
    if (!Number.isSafeInteger(n)) throw new Error(`assert: state value ${n} is not a safe integer`);
    const lo = n >>> 0;
    const hi = Math.floor(n / 0x1_0000_0000) | 0;
    a = Math.imul(rotl32(a ^ Math.imul(lo, 0xcc9e2d51), 15), 0x1b873593);
    b = Math.imul(rotl32(b ^ Math.imul(hi ^ lo, 0x85ebca6b), 13), 0xc2b2ae35);
    a = (a + b) | 0;
  }
  return hex32(fmix32(a ^ b)) + hex32(fmix32(b + Math.imul(a, 5)));
}

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hex32(x: number): string {
  return x.toString(16).padStart(8, '0');
}

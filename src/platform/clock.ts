// A VM's local clock as a function of true (virtual) time: boot offset, rate error in parts per
// billion, and steps (an NTP/PTP correction, a manual set). Integer arithmetic only: the drift
// term is split so no intermediate exceeds 2^53 for |drift| <= 1e6 ppb (ARCHITECTURE principle 1).

import type { Scenario } from '../scenario/schema.js';

type ClockConfig = Scenario['vms'][number]['clock'];

const NS_PER_S = 1_000_000_000;

/** floor(a * ppb / 1e9) for a >= 0 without overflowing 2^53. */
export function driftTermNs(trueNs: number, driftPpb: number): number {
  const seconds = Math.floor(trueNs / NS_PER_S);
  const rest = trueNs - seconds * NS_PER_S;
  return seconds * driftPpb + Math.floor((rest * driftPpb) / NS_PER_S);
}

export class GuestClock {
  private readonly steps: { atNs: number; byNs: number }[];

  constructor(private readonly config: ClockConfig) {
    this.steps = [...config.steps].sort((a, b) => a.atNs - b.atNs);
  }

  get driftPpb(): number {
    return this.config.driftPpb;
  }

  /** The guest's clock reading (ns) at a true time. */
  localNs(trueNs: number): number {
    let local = this.config.offsetNs + trueNs + driftTermNs(trueNs, this.config.driftPpb);
    for (const step of this.steps) {
      if (step.atNs > trueNs) break;
      local += step.byNs;
    }
    return local;
  }
}

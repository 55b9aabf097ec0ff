// A VM's local clock as a function of true (virtual) time: boot offset, rate error in parts per
// billion, and steps (an NTP/PTP correction, a manual set). Integer arithmetic only: the drift
// term is split so no intermediate exceeds 2^53 for |drift| <= 1e6 ppb (ARCHITECTURE principle 1).

import { z } from 'zod';
import { StateError, checkState, count, int } from '../engine/state-check.js';
import type { Scenario } from '../scenario/schema.js';

type ClockConfig = Scenario['vms'][number]['clock'];

const NS_PER_S = 1_000_000_000;

/** floor(a * ppb / 1e9) for a >= 0 without overflowing 2^53. */
export function driftTermNs(trueNs: number, driftPpb: number): number {
  const seconds = Math.floor(trueNs / NS_PER_S);
  const rest = trueNs - seconds * NS_PER_S;
  return seconds * driftPpb + Math.floor((rest * driftPpb) / NS_PER_S);
}

/**
 * A stretch of constant drift: from fromNs (true time) the clock reads localAtFromNs (steps
 * aside) and runs at 1 + ppb / 1e9. The first one starts at 0 with the boot offset; a
 * clock_drift fault (issue 9 §5) starts another where the clock stands, so the reading is
 * continuous and only its rate changes.
 */
interface DriftSegment {
  fromNs: number;
  localAtFromNs: number;
  ppb: number;
}

const clockSchema = z.strictObject({
  steps: z.array(z.strictObject({ atNs: count, byNs: int })),
  segments: z.array(z.strictObject({ fromNs: count, localAtFromNs: int, ppb: int })).min(1),
  /** A sync servo's frequency adjustment (issue 11), included in every segment's ppb since set. */
  freqAdjPpb: int.optional(),
});
export type GuestClockState = z.infer<typeof clockSchema>;

export class GuestClock {
  private readonly steps: { atNs: number; byNs: number }[];
  private readonly segments: DriftSegment[];
  /** The servo's frequency adjustment in force (issue 11 §1: adjustable next to the drift). */
  private freqAdjPpb = 0;

  constructor(config: ClockConfig) {
    this.steps = [...config.steps].sort((a, b) => a.atNs - b.atNs);
    this.segments = [{ fromNs: 0, localAtFromNs: config.offsetNs, ppb: config.driftPpb }];
  }

  /** The drift in force now (after every change registered at or before the latest one). */
  get driftPpb(): number {
    return this.segments[this.segments.length - 1]!.ppb;
  }

  /** The drift in force at a true time. */
  driftPpbAt(trueNs: number): number {
    return this.segmentAt(trueNs).ppb;
  }

  /** The guest's clock reading (ns) at a true time. */
  localNs(trueNs: number): number {
    return this.uptimeNs(trueNs) + this.stepsNs(trueNs);
  }

  /**
   * The guest's uptime (ns) at a true time: its CLOCK_MONOTONIC, what DLT stamps (AUTOSAR PRS
   * Log and Trace, the standard header's timestamp: "the time since the ECU started", 0.1 ms;
   * libdlt's dlt_uptime() reads CLOCK_MONOTONIC). It is the clock above without its steps:
   * every drift segment (free-running drift, clock_drift faults, the servo's frequency
   * adjustment: adjtimex ADJ_FREQUENCY slews CLOCK_MONOTONIC too) but no step, neither a
   * servo's, nor the scenario's `clock.steps`, nor a clock_step fault: those set the wall/PTP
   * clock (clock_settime CLOCK_REALTIME, a PHC's adjtime) and leave the monotonic clock alone.
   * It starts at `offsetNs` (the schema's "the guest's local clock at true time 0, its boot
   * offset"): the VM booted that long before the platform's time 0, so its uptime and its
   * clock agree until the first step (a negative offset, a VM whose clock is behind, reads 0
   * on the DLT header, which has no sign).
   */
  uptimeNs(trueNs: number): number {
    const seg = this.segmentAt(trueNs);
    const sinceNs = trueNs - seg.fromNs;
    return seg.localAtFromNs + sinceNs + driftTermNs(sinceNs, seg.ppb);
  }

  /** localNs − uptimeNs at a true time: the sum of every step taken by then (ns). */
  stepsNs(trueNs: number): number {
    let sum = 0;
    for (const step of this.steps) {
      if (step.atNs > trueNs) break;
      sum += step.byNs;
    }
    return sum;
  }

  // --- seeded faults (issue 9 §5): registered before the run, in time order per clock

  /** clock_step: the clock jumps by byNs at atNs (as a scenario step does). */
  addStep(atNs: number, byNs: number): void {
    this.steps.push({ atNs, byNs });
    this.steps.sort((a, b) => a.atNs - b.atNs);
  }

  /** clock_drift: from atNs the clock's free-running drift is ppb; its reading at atNs is unchanged. */
  changeDrift(atNs: number, ppb: number): void {
    this.startSegment(atNs, ppb + this.freqAdjPpb);
  }

  // --- clock sync (issue 11): what a servo does to a clock (clock_adjtime ADJ_FREQUENCY, a step)

  /** The servo's frequency adjustment in force, ppb (0 without sync). */
  get frequencyAdjustPpb(): number {
    return this.freqAdjPpb;
  }

  /** From atNs the clock runs at its free-running drift + adjPpb; its reading is unchanged. */
  adjustFrequency(atNs: number, adjPpb: number): void {
    if (!Number.isInteger(adjPpb)) throw new Error(`assert: frequency adjustment ${adjPpb} ppb is not an integer`);
    if (adjPpb === this.freqAdjPpb) return;
    const freeRunningPpb = this.driftPpb - this.freqAdjPpb;
    this.freqAdjPpb = adjPpb;
    this.startSegment(atNs, freeRunningPpb + adjPpb);
  }

  /** The servo steps the clock by byNs at atNs (>= every step registered so far). */
  stepNow(atNs: number, byNs: number): void {
    if (!Number.isInteger(byNs)) throw new Error(`assert: clock step ${byNs} ns is not an integer`);
    this.addStep(atNs, byNs);
  }

  private startSegment(atNs: number, ppb: number): void {
    const last = this.segments[this.segments.length - 1]!;
    if (atNs < last.fromNs) throw new Error(`assert: drift changes registered out of order (${atNs} < ${last.fromNs})`);
    const sinceNs = atNs - last.fromNs;
    const localAtFromNs = last.localAtFromNs + sinceNs + driftTermNs(sinceNs, last.ppb);
    this.segments.push({ fromNs: atNs, localAtFromNs, ppb });
  }

  /** The last segment starting at or before trueNs (newest first: a servo adds one per update). */
  private segmentAt(trueNs: number): DriftSegment {
    for (let i = this.segments.length - 1; i > 0; i--) {
      const s = this.segments[i]!;
      if (s.fromNs <= trueNs) return s;
    }
    return this.segments[0]!;
  }

  // --- state capture (issue 10 §1): steps and drift stretches, in time order

  saveState(): GuestClockState {
    const state: GuestClockState = { steps: this.steps.map((x) => ({ ...x })), segments: this.segments.map((x) => ({ ...x })) };
    if (this.freqAdjPpb !== 0) state.freqAdjPpb = this.freqAdjPpb;
    return state;
  }

  loadState(value: unknown, path: string): void {
    const state = checkState(clockSchema, value, path);
    const ordered = <T>(xs: T[], at: (x: T) => number) => xs.every((x, i) => i === 0 || at(xs[i - 1]!) <= at(x));
    if (!ordered(state.steps, (x) => x.atNs)) throw new StateError(`${path}.steps: not in time order`);
    if (!ordered(state.segments, (x) => x.fromNs)) throw new StateError(`${path}.segments: not in time order`);
    this.steps.splice(0, this.steps.length, ...state.steps);
    this.segments.splice(0, this.segments.length, ...state.segments);
    this.freqAdjPpb = state.freqAdjPpb ?? 0;
  }
}

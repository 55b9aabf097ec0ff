// The PI clock servo of linuxptp's ptp4l (pi.c, servo.c, clock.c clock_synchronize), as a pure
// function over plain state (issue 11 §1; the state is data so snapshots capture it).
//
// Sign convention as in ptp4l: offset = slave − master (ns, positive: this clock is ahead); the
// servo returns `adj` in ppb and the clock's frequency is set to −adj (clockadj_set_freq(−adj));
// on a jump the clock is stepped by −offset (clockadj_step(−master_offset)).

import { z } from 'zod';
import { powDet } from './det-math.js';

// pi.c: the scales ptp4l uses when pi_proportional_scale / pi_integral_scale are 0 (its default)
export const HWTS_KP_SCALE = 0.7;
export const HWTS_KI_SCALE = 0.3;
export const SWTS_KP_SCALE = 0.1;
export const SWTS_KI_SCALE = 0.001;
// config.c defaults: pi_proportional_exponent −0.3, _norm_max 0.7; pi_integral_exponent 0.4, _norm_max 0.3
const KP_EXPONENT = -0.3;
const KP_NORM_MAX = 0.7;
const KI_EXPONENT = 0.4;
const KI_NORM_MAX = 0.3;
// pi.c: a configured constant replaces the scale, with exponent 0 and these norm maxima
const MAX_KP_NORM_MAX = 1.0;
const MAX_KI_NORM_MAX = 2.0;
/** pi.c FREQ_EST_MARGIN: the two first samples must be a little more than 0.016 / ki apart. */
const FREQ_EST_MARGIN = 0.001;

export interface PiConstants {
  kp: number;
  ki: number;
}

/**
 * pi.c pi_sync_interval: kp = scale · interval^exponent, capped at norm_max / interval (the same
 * for ki); the scales are the hardware or software defaults unless kp / ki are given (then
 * pi_proportional_const / pi_integral_const: exponent 0, norm max 1.0 / 2.0).
 */
export function piConstants(intervalS: number, hardware: boolean, kpConst?: number, kiConst?: number): PiConstants {
  const kpTerm = kpConst !== undefined
    ? { scale: kpConst, exponent: 0, normMax: MAX_KP_NORM_MAX }
    : { scale: hardware ? HWTS_KP_SCALE : SWTS_KP_SCALE, exponent: KP_EXPONENT, normMax: KP_NORM_MAX };
  const kiTerm = kiConst !== undefined
    ? { scale: kiConst, exponent: 0, normMax: MAX_KI_NORM_MAX }
    : { scale: hardware ? HWTS_KI_SCALE : SWTS_KI_SCALE, exponent: KI_EXPONENT, normMax: KI_NORM_MAX };
  const one = (t: { scale: number; exponent: number; normMax: number }) =>
    Math.min(t.scale * powDet(intervalS, t.exponent), t.normMax / intervalS);
  return { kp: one(kpTerm), ki: one(kiTerm) };
}

export interface ServoConfig extends PiConstants {
  /** ptp4l first_step_threshold (default 20 µs): step on the first update beyond it; 0 never. */
  firstStepThresholdNs: number;
  /** ptp4l step_threshold: step (and re-estimate) whenever |offset| exceeds it; 0 never. */
  stepThresholdNs: number;
  /** The largest frequency adjustment, ppb (ptp4l: the clock's max_adj). */
  maxFrequencyPpb: number;
}

export const servoStateSchema = z.strictObject({
  count: z.int().min(0).max(2),
  offset0: z.number(),
  local0: z.number(),
  offset1: z.number(),
  local1: z.number(),
  /** the integral term (pi.c s->drift), ppb */
  drift: z.number(),
  lastFreq: z.number(),
  /** servo.c first_update: cleared by the first jump or lock */
  firstUpdate: z.boolean(),
});
export type ServoState = z.infer<typeof servoStateSchema>;

/** pi_create with fadj = 0 (ptp4l reads the clock's current frequency; ours starts at 0). */
export function servoInit(): ServoState {
  return { count: 0, offset0: 0, local0: 0, offset1: 0, local1: 0, drift: 0, lastFreq: 0, firstUpdate: true };
}

export type ServoOutcome = 'unlocked' | 'jump' | 'locked';

export interface ServoResult {
  outcome: ServoOutcome;
  /** ptp4l's adj (ppb): the clock's frequency becomes −adj. */
  adjPpb: number;
}

const clamp = (v: number, max: number) => Math.max(-max, Math.min(max, v));

/** pi.c pi_sample (weight 1) plus servo.c's first_update bookkeeping; updates `s` in place. */
export function servoSample(s: ServoState, c: ServoConfig, offsetNs: number, localNs: number): ServoResult {
  const result = piSample(s, c, offsetNs, localNs);
  s.lastFreq = result.adjPpb;
  if (result.outcome !== 'unlocked') s.firstUpdate = false;
  return result;
}

function piSample(s: ServoState, c: ServoConfig, offsetNs: number, localNs: number): ServoResult {
  const unlocked: ServoResult = { outcome: 'unlocked', adjPpb: s.lastFreq };
  switch (s.count) {
    case 0:
      s.offset0 = offsetNs;
      s.local0 = localNs;
      s.count = 1;
      return unlocked;
    case 1:
      return secondSample(s, c, offsetNs, localNs);
    default:
      // pi.c: beyond step_threshold the servo resets; the jump happens at its next second sample.
      if (c.stepThresholdNs > 0 && c.stepThresholdNs < Math.abs(offsetNs)) {
        s.count = 0;
        return unlocked;
      }
      return proportionalIntegral(s, c, offsetNs);
  }
}

/** pi.c case 1: estimate the frequency from two samples far enough apart, then lock or jump. */
function secondSample(s: ServoState, c: ServoConfig, offsetNs: number, localNs: number): ServoResult {
  s.offset1 = offsetNs;
  s.local1 = localNs;
  if (s.local0 >= s.local1) {
    s.count = 0;
    return { outcome: 'unlocked', adjPpb: s.lastFreq };
  }
  let localDiffS = (s.local1 - s.local0) / 1e9;
  localDiffS += localDiffS * FREQ_EST_MARGIN;
  const freqEstIntervalS = Math.min(0.016 / c.ki, 1000.0);
  if (localDiffS < freqEstIntervalS) return { outcome: 'unlocked', adjPpb: s.lastFreq };
  s.drift += ((1e9 - s.drift) * (s.offset1 - s.offset0)) / (s.local1 - s.local0);
  s.drift = clamp(s.drift, c.maxFrequencyPpb);
  const beyondFirst = s.firstUpdate && c.firstStepThresholdNs > 0 && c.firstStepThresholdNs < Math.abs(offsetNs);
  const beyondStep = c.stepThresholdNs > 0 && c.stepThresholdNs < Math.abs(offsetNs);
  s.count = 2;
  return { outcome: beyondFirst || beyondStep ? 'jump' : 'locked', adjPpb: s.drift };
}

/** pi.c case 2: ppb = kp·offset + drift + ki·offset; the integral only grows when not clamped. */
function proportionalIntegral(s: ServoState, c: ServoConfig, offsetNs: number): ServoResult {
  const kiTerm = c.ki * offsetNs;
  let ppb = c.kp * offsetNs + s.drift + kiTerm;
  if (ppb < -c.maxFrequencyPpb) ppb = -c.maxFrequencyPpb;
  else if (ppb > c.maxFrequencyPpb) ppb = c.maxFrequencyPpb;
  else s.drift += kiTerm;
  return { outcome: 'locked', adjPpb: ppb };
}

// The PI servo against linuxptp's formulas (pi.c pi_sync_interval, pi_sample), worked by hand,
// and the peer-delay arithmetic of IEEE 802.1AS-2020 §11.2.19.3.
import { describe, expect, it } from 'vitest';
import { expDet, lnDet, powDet } from '../../src/sync/det-math.js';
import { meanLinkDelayNs, medianOf, neighborRateRatio } from '../../src/sync/path-delay.js';
import { piConstants, servoInit, servoSample, type ServoConfig } from '../../src/sync/servo.js';

const config = (over: Partial<ServoConfig> = {}): ServoConfig => ({
  ...piConstants(0.125, true),
  firstStepThresholdNs: 20_000,
  stepThresholdNs: 1_000_000_000,
  maxFrequencyPpb: 500_000,
  ...over,
});

describe('deterministic pow (only + − × ÷)', () => {
  it('agrees with Math.pow / exp / log to the last few bits', () => {
    for (const [x, e] of [[0.125, -0.3], [0.125, 0.4], [1, 0.4], [4, -0.3], [1 / 16, 0.4], [3.7, 2.5]] as const) {
      expect(Math.abs(powDet(x, e) / Math.pow(x, e) - 1)).toBeLessThan(1e-14);
    }
    expect(Math.abs(lnDet(10) - Math.log(10))).toBeLessThan(1e-14);
    expect(Math.abs(expDet(-3.3) / Math.exp(-3.3) - 1)).toBeLessThan(1e-14);
  });
});

describe('piConstants (pi.c pi_sync_interval with config.c defaults)', () => {
  it('hardware, 125 ms: kp = 0.7 × 0.125^−0.3, ki = 0.3 × 0.125^0.4 (below the norm caps 5.6 and 2.4)', () => {
    const { kp, ki } = piConstants(0.125, true);
    expect(kp).toBeCloseTo(0.7 * Math.pow(0.125, -0.3), 12);
    expect(ki).toBeCloseTo(0.3 * Math.pow(0.125, 0.4), 12);
  });
  it('software, 125 ms: the scales 0.1 and 0.001', () => {
    const { kp, ki } = piConstants(0.125, false);
    expect(kp).toBeCloseTo(0.1 * Math.pow(0.125, -0.3), 12);
    expect(ki).toBeCloseTo(0.001 * Math.pow(0.125, 0.4), 12);
  });
  it('4 s: both capped at norm_max / interval (0.7 / 4, 0.3 / 4)', () => {
    const { kp, ki } = piConstants(4, true);
    expect(0.7 * Math.pow(4, -0.3)).toBeGreaterThan(0.7 / 4); // so the cap is what bites
    expect(kp).toBe(0.7 / 4);
    expect(ki).toBe(0.3 / 4);
  });
  it('configured constants replace the scales (exponent 0, caps 1.0 / 2.0 per interval)', () => {
    expect(piConstants(0.125, true, 0.5, 0.05)).toEqual({ kp: 0.5, ki: 0.05 });
    expect(piConstants(1, true, 3, 5)).toEqual({ kp: 1.0, ki: 2.0 });
  });
});

describe('servoSample (pi.c pi_sample)', () => {
  it('two samples 125 ms apart: drift = 1e9 × Δoffset / Δlocal, locked below first_step_threshold', () => {
    const s = servoInit();
    const c = config();
    expect(servoSample(s, c, 1_000, 1e9).outcome).toBe('unlocked');
    const r = servoSample(s, c, 6_000, 1e9 + 125e6);
    // (1e9 − 0) × 5000 / 125e6 = 40000 ppb: the clock gains 40 µs a second
    expect(r).toEqual({ outcome: 'locked', adjPpb: 40_000 });
    expect(s.drift).toBe(40_000);
  });

  it('a second sample sooner than 0.016 / ki (with the 0.1 % margin) waits', () => {
    const s = servoInit();
    const c = config(); // 0.016 / ki = 0.1225 s
    servoSample(s, c, 0, 0);
    expect(servoSample(s, c, 10, 0.12e9).outcome).toBe('unlocked');
    expect(servoSample(s, c, 20, 0.125e9).outcome).toBe('locked');
    expect(s.drift).toBeCloseTo((1e9 * 20) / 0.125e9, 9);
  });

  it('the first update beyond first_step_threshold (20 µs) jumps; later ones do not', () => {
    const s = servoInit();
    const c = config();
    servoSample(s, c, 30_000, 0);
    expect(servoSample(s, c, 30_000, 125e6).outcome).toBe('jump');
    expect(s.firstUpdate).toBe(false);
    const locked = servoSample(s, c, 30_000, 250e6);
    expect(locked.outcome).toBe('locked');
  });

  it('locked: ppb = kp·offset + drift + ki·offset, and the integral keeps ki·offset', () => {
    const s = servoInit();
    const c = config();
    servoSample(s, c, 0, 0);
    servoSample(s, c, 0, 125e6);
    const r = servoSample(s, c, 100, 250e6);
    expect(r.adjPpb).toBeCloseTo(c.kp * 100 + 0 + c.ki * 100, 9);
    expect(s.drift).toBeCloseTo(c.ki * 100, 12);
  });

  it('clamped at maxFrequencyPpb: the integral does not wind up', () => {
    const s = servoInit();
    const c = config({ maxFrequencyPpb: 1000 });
    servoSample(s, c, 0, 0);
    servoSample(s, c, 0, 125e6);
    expect(servoSample(s, c, 1_000_000, 250e6).adjPpb).toBe(1000);
    expect(s.drift).toBe(0);
    expect(servoSample(s, c, -1_000_000, 375e6).adjPpb).toBe(-1000);
  });

  it('beyond step_threshold when locked: unlocked and reset, then the next pair jumps', () => {
    const s = servoInit();
    const c = config({ stepThresholdNs: 1_000_000 });
    servoSample(s, c, 0, 0);
    servoSample(s, c, 0, 125e6);
    expect(servoSample(s, c, -5_000_000, 250e6).outcome).toBe('unlocked');
    expect(s.count).toBe(0);
    expect(servoSample(s, c, -5_000_000, 375e6).outcome).toBe('unlocked');
    expect(servoSample(s, c, -5_000_000, 500e6).outcome).toBe('jump');
  });
});

describe('peer delay (802.1AS-2020 §11.2.19.3)', () => {
  it('meanLinkDelay = ((t4 − t1)·r − (t3 − t2)) / 2', () => {
    // a 2 µs link both ways, the responder's clock 5 µs ahead, 10 µs turnaround there, rates equal
    expect(meanLinkDelayNs({ t1: 0, t2: 2_000 + 5_000, t3: 17_000, t4: 17_000 - 5_000 + 2_000, rateRatio: 1 })).toBe(2_000);
    // the requester runs 100 ppm slow: its 16 µs are 16.0016 µs of the responder's time
    expect(meanLinkDelayNs({ t1: 0, t2: 0, t3: 10_000, t4: 16_000, rateRatio: 1.0001 })).toBeCloseTo((16_000 * 1.0001 - 10_000) / 2, 9);
  });
  it('neighborRateRatio over the kept exchanges; 1 with fewer than two', () => {
    expect(neighborRateRatio([[5, 7]])).toBe(1);
    expect(neighborRateRatio([[0, 0], [1e9, 1e9 - 4000], [2e9, 2e9 - 8000]])).toBeCloseTo(2e9 / (2e9 - 8000), 15);
  });
  it('median: the middle value, the mean of the two middle ones for an even count', () => {
    expect(medianOf([5, 1, 9])).toBe(5);
    expect(medianOf([4, 1, 9, 2])).toBe(3);
    expect(medianOf([7])).toBe(7);
  });
});

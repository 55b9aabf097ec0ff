// A paravirtual host clock (issue 11 §2): the ptp_kvm / virtio-rtc idea. The guest asks the
// hypervisor for its clock through a call (Linux ptp_kvm: the KVM_HC_CLOCK_PAIRING hypercall,
// or Arm's SMCCC PTP_KVM service) that costs vCPU time, and disciplines its clock with the same
// PI servo as gPTP (servo.ts), as phc2sys does with the /dev/ptp device ptp_kvm exposes.
//
// The host clock is true time (the hypervisor's clock is the reference). The call returns the
// host's reading and the guest reads its own clock when the call returns; the host's reading
// was taken 0..jitterNs before that (seeded, from the platform's PRNG stream: the call's exit
// path varies), so offset = local − host is biased by the jitter's mean and spread by it. The
// servo drives the measured offset to 0: the true error settles within −jitterNs..0.

import { z } from 'zod';
import type { GuestClock } from '../platform/clock.js';
import type { ParavirtSyncConfig } from '../scenario/schema.js';
import type { SyncRow } from '../trace/recorder.js';
import { piConstants, servoInit, servoSample, servoStateSchema, type ServoConfig } from './servo.js';

export interface ParavirtHost {
  readonly vmIndex: number;
  readonly clock: GuestClock;
  trueNs(): number;
  timer(delayNs: number, tag: number, arg: number): void;
  /** CPU work of the VM (the call): after costNs of vCPU time, onCpuDone(tag, arg). */
  cpu(costNs: number, tag: number, arg: number): void;
  /** A seeded draw in 0..below−1. */
  random(below: number): number;
  emit(row: SyncRow): void;
}

const TAG = { read: 0 } as const;

const stateSchema = z.strictObject({
  reads: z.int().min(0),
  servo: servoStateSchema,
  servoState: z.enum(['unlocked', 'step', 'locked']),
});
export type ParavirtState = z.infer<typeof stateSchema>;

export class ParavirtStack {
  state: ParavirtState = { reads: 0, servo: servoInit(), servoState: 'unlocked' };
  readonly stateSchema = stateSchema;
  private readonly servoConfig: ServoConfig;

  constructor(private readonly host: ParavirtHost, private readonly config: ParavirtSyncConfig) {
    // The host's reading has no link or stamping noise but the jitter: ptp4l's hardware constants.
    const { kp, ki } = piConstants(config.periodNs / 1e9, true, config.servo.kp, config.servo.ki);
    this.servoConfig = { kp, ki, ...config.servo };
  }

  start(): void {
    this.host.timer(this.config.periodNs, TAG.read, 0);
  }

  /** Period timer: the call starts (its cost is the vCPU's, scheduling delay included). */
  onTimer(tag: number): void {
    if (tag !== TAG.read) throw new Error(`assert: paravirt timer tag ${tag}`);
    this.host.timer(this.config.periodNs, TAG.read, 0);
    this.host.cpu(this.config.costNs, TAG.read, 0);
  }

  /** The call returned: the host's reading and this clock's. */
  onCpuDone(tag: number): void {
    if (tag !== TAG.read) throw new Error(`assert: paravirt job tag ${tag}`);
    const now = this.host.trueNs();
    const hostNs = now - this.host.random(this.config.jitterNs + 1);
    const localNs = this.host.clock.localNs(now);
    const offsetNs = localNs - hostNs;
    const errorBefore = localNs - now;
    const uptimeNs = this.host.clock.uptimeNs(now);
    this.applyServo(offsetNs, localNs);
    this.state.reads++;
    this.host.emit({
      ts_ns: now, vm: this.host.vmIndex, protocol: 'paravirt', exchange: 'sync', seq: this.state.reads & 0x7fffffff,
      t1_ns: hostNs, t2_ns: localNs, t3_ns: null, t4_ns: null, correction_ns: 0, offset_ns: offsetNs,
      path_delay_ns: null, rate_ratio_ppb: 0, state: this.state.servoState,
      freq_adj_ppb: this.host.clock.frequencyAdjustPpb, true_offset_ns: errorBefore, error_ns: errorBefore,
      uptime_ns: uptimeNs, master_vm: -1, ecu: null, // the hypervisor's clock
    });
  }

  /** As gPTP's (ptp-stack.ts applyServo, linuxptp clock.c clock_synchronize). */
  private applyServo(offsetNs: number, localNs: number): void {
    const result = servoSample(this.state.servo, this.servoConfig, offsetNs, localNs);
    if (result.outcome === 'unlocked') {
      this.state.servoState = 'unlocked';
      return;
    }
    const now = this.host.trueNs();
    this.host.clock.adjustFrequency(now, Math.round(-result.adjPpb));
    if (result.outcome === 'jump') {
      this.host.clock.stepNow(now, -Math.round(offsetNs));
      this.state.servoState = 'step';
    } else {
      this.state.servoState = 'locked';
    }
  }
}

// What a guest program can do, and how it is written. Programs are behaviour, not kernels: they
// ask for CPU time, set timers, drive their devices and log DLT messages, all in virtual time.
// Every random choice goes through the guest's own PRNG stream.
//
// A program is a state machine (issue 10 §1, ARCHITECTURE principle 8): its run-time state is
// the plain data in `state` (numbers, strings, small arrays of those), and it reacts to typed
// events — start, a timer fired, a CPU job done, a frame received — by calling the api's actions.
// A timer or a job carries a tag (the program's own small enum) and one number, never a closure,
// so the platform can capture a program mid-run, save it as JSON and restore it (checked by
// `stateSchema`, the one door for untrusted state).

import type { z } from 'zod';
import type { DltLevel } from '../core/codes.js';
import type { CanFrame } from './frames.js';

export type LogValue = string | number | boolean | bigint;

export interface NetPort {
  readonly mac: string;
  /** Queue frames to a destination MAC; returns how many fit in the TX queue. */
  send(dstMac: string, payloads: Uint8Array[]): number;
}

export interface CanPort {
  /** Name of the CAN bus the device is on (the scenario's `canBuses[].name`). */
  readonly bus: string;
  /** Queue CAN frames for transmission; returns how many fit in the TX queue. */
  send(frames: CanFrame[]): number;
}

export interface GuestApi {
  readonly vmName: string;
  readonly vmIndex: number;
  readonly ecu: string;
  /** True (virtual) time in ns — for the simulation's bookkeeping, not the guest's view. */
  trueNs(): number;
  /** The guest's own clock (offset, drift, steps). */
  localNs(): number;
  /** After `delayNs` of true time (a hardware timer interrupt), onTimer(api, tag, arg) runs. */
  timer(delayNs: number, tag: number, arg?: number): void;
  /**
   * Ask for `costNs` of CPU on one of the vCPUs the program uses (the least loaded: a guest
   * kernel's run queues); onCpuDone(api, tag, arg) runs when it has been served.
   */
  cpu(costNs: number, tag: number, arg?: number): void;
  /** The same on vCPU `vcpu` (0 ≤ vcpu < vcpuCount): a thread pinned to a CPU. */
  cpuOn(vcpu: number, costNs: number, tag: number, arg?: number): void;
  /** vCPUs the VM has (the scenario's `vcpus`). */
  readonly vcpuCount: number;
  /** Log a DLT message of application `apid`, context `ctid` (DLT_LOG with verbose arguments). */
  log(apid: string, level: DltLevel, ctid: string, ...values: LogValue[]): void;
  random(below: number): number;
  chance(num: number, den: number): boolean;
  /** Charge memory traffic to the VM's bus budget; returns the imposed delay in ns. */
  memoryTraffic(bytes: number): number;
  deadlineMiss(task: number, latenessNs: number): void;
  readonly net: NetPort | null;
  /** Every CAN device of the VM, in device order; each delivers its bus's frames and sends on it. */
  readonly cans: readonly CanPort[];
  /** The raw driver doors, for programs that misbehave on purpose (hostile guests). */
  readonly raw: RawDoors;
}

export interface RawDoors {
  netTxQueue: number; // core queue index of the net TX queue, -1 if none
  ramBytes: number;
  /** Scratch guest memory a hostile program may use for crafted descriptors (gpa). */
  scratchGpa: number;
}

export interface GuestProgram<S = unknown> {
  /**
   * How many of the VM's `vcpus` the program keeps busy. Work without a vCPU of its own (cpu())
   * and the device interrupts go to those; the others stay idle, and the VM says so at boot.
   */
  vcpusUsed(declared: number): number;
  /** Boot, at t = 0. */
  start(api: GuestApi): void;
  /** A timer set with api.timer fired. */
  onTimer?(api: GuestApi, tag: number, arg: number): void;
  /** A job queued with api.cpu / cpuOn has had its CPU time. */
  onCpuDone?(api: GuestApi, tag: number, arg: number): void;
  /** The net device received a frame (its Ethernet payload; a view, valid during the call). */
  onNetFrame?(api: GuestApi, payload: Uint8Array): void;
  /** CAN device `port` (an index into api.cans) received a frame. */
  onCanFrame?(api: GuestApi, port: number, frame: CanFrame): void;
  /** Every run-time field of the program, as plain data (what a state capture saves). */
  state: S;
  /** Checks a restored `state` (zod); field errors name their path. */
  readonly stateSchema: z.ZodType<S>;
}

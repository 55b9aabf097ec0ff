// What a guest program can do: the services its "kernel" gives it. Programs are behaviour, not
// kernels: they ask for CPU time, set timers, drive their devices and log DLT messages, all in
// virtual time. Every random choice goes through the guest's own PRNG stream.

import type { DltLevel } from '../core/codes.js';
import type { CanFrame } from './frames.js';

export type LogValue = string | number | boolean | bigint;

export interface NetPort {
  readonly mac: string;
  /** Queue frames to a destination MAC; returns how many fit in the TX queue. */
  send(dstMac: string, payloads: Uint8Array[]): number;
  onReceive(handler: (payload: Uint8Array) => void): void;
}

export interface CanPort {
  /** Name of the CAN bus the device is on (the scenario's `canBuses[].name`). */
  readonly bus: string;
  /** Queue CAN frames for transmission; returns how many fit in the TX queue. */
  send(frames: CanFrame[]): number;
  onReceive(handler: (frame: CanFrame) => void): void;
}

export interface GuestApi {
  readonly vmName: string;
  readonly vmIndex: number;
  readonly ecu: string;
  /** True (virtual) time in ns — for the simulation's bookkeeping, not the guest's view. */
  trueNs(): number;
  /** The guest's own clock (offset, drift, steps). */
  localNs(): number;
  /** Run `action` after `delayNs` of true time (a hardware timer interrupt). */
  timer(delayNs: number, action: () => void): void;
  /**
   * Ask for `costNs` of CPU on one of the vCPUs the program uses (the least loaded: a guest
   * kernel's run queues); `action` runs when it has been served.
   */
  cpu(costNs: number, action: () => void): void;
  /** The same on vCPU `vcpu` (0 ≤ vcpu < vcpuCount): a thread pinned to a CPU. */
  cpuOn(vcpu: number, costNs: number, action: () => void): void;
  /** vCPUs the VM has (the scenario's `vcpus`). */
  readonly vcpuCount: number;
  /** Register a DLT application id and context ids (DLT_REGISTER_APP / _CONTEXT). */
  dltApp(apid: string): { log(level: DltLevel, ctid: string, ...values: LogValue[]): void };
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

export interface GuestProgram {
  /**
   * How many of the VM's `vcpus` the program keeps busy. Work without a vCPU of its own (cpu())
   * and the device interrupts go to those; the others stay idle, and the VM says so at boot.
   */
  vcpusUsed(declared: number): number;
  start(api: GuestApi): void;
}

// vCPU scheduling as slices: on each vCPU's thread track a `run` slice from sched_run to
// sched_preempt / sched_block, and a `runnable (steal)` slice for the time it waited runnable
// (from sched_wake or sched_preempt to the next sched_run, whose val is that wait:
// src/platform/scheduler.ts); on each physical CPU's track a slice per run naming the vCPU
// (sched_* rows carry the pCPU in `id`).
//
// A wait is only a slice when it lasts: a vCPU woken and run at the same instant (val 0) gets
// none, so steal slices match `sched_run WHERE val > 0` (queries/sched/steal.sql counts those
// `waits`). The begin of a wait is written once time moves past its start with the vCPU still
// waiting (flushWaits), which keeps the file in time order without knowing the future.

import type { TimelineSink, Track } from './sink.js';
import type { Tracks } from './tracks.js';

export const RUN_SLICE = 'run';
export const STEAL_SLICE = 'runnable (steal)';

interface VcpuState {
  track: Track;
  /** pCPU track of the open run slice, null when not running. */
  cpuTrack: Track | null;
  /** Start of the current runnable wait, −1 when not waiting. */
  runnableSinceNs: number;
  /** The wait's begin is waiting for time to move on (see the file comment). */
  waitPending: boolean;
  stealOpen: boolean;
}

export interface SchedCounts {
  runSlices: number;
  stealSlices: number;
  stealNs: number;
}

export class Scheduling {
  readonly counts: SchedCounts = { runSlices: 0, stealSlices: 0, stealNs: 0 };
  private readonly vcpus = new Map<number, VcpuState>();
  private pending: VcpuState[] = [];

  constructor(
    private readonly tracks: Tracks,
    private readonly sink: TimelineSink,
  ) {}

  wake(tsNs: number, vm: number, vcpu: number): void {
    this.startWait(this.state(vm, vcpu), tsNs);
  }

  run(tsNs: number, vm: number, vcpu: number, pcpu: number): void {
    const st = this.state(vm, vcpu);
    if (st.stealOpen) {
      this.sink.end(tsNs, st.track);
      st.stealOpen = false;
      this.counts.stealSlices += 1;
      this.counts.stealNs += tsNs - st.runnableSinceNs;
    }
    st.waitPending = false; // woken and run at one instant: no wait to show
    st.runnableSinceNs = -1;
    if (st.cpuTrack !== null) this.stopRun(tsNs, st);
    st.cpuTrack = this.tracks.cpu(pcpu);
    this.sink.begin(tsNs, st.track, RUN_SLICE, { pcpu }, null);
    this.sink.begin(tsNs, st.cpuTrack, `${this.tracks.vmName(vm)} vcpu${vcpu}`, { vm, vcpu }, null);
    this.counts.runSlices += 1;
  }

  preempt(tsNs: number, vm: number, vcpu: number): void {
    const st = this.state(vm, vcpu);
    if (st.cpuTrack !== null) this.stopRun(tsNs, st);
    this.startWait(st, tsNs);
  }

  block(tsNs: number, vm: number, vcpu: number): void {
    const st = this.state(vm, vcpu);
    if (st.cpuTrack !== null) this.stopRun(tsNs, st);
  }

  /** Time moves past `nowNs`: the waits that started then and still go on become slices. */
  flushWaits(): void {
    if (this.pending.length === 0) return;
    for (const st of this.pending) {
      if (!st.waitPending) continue;
      st.waitPending = false;
      st.stealOpen = true;
      this.sink.begin(st.runnableSinceNs, st.track, STEAL_SLICE, null, null);
    }
    this.pending = [];
  }

  private startWait(st: VcpuState, tsNs: number): void {
    if (st.stealOpen || st.waitPending) return; // already waiting since earlier
    st.runnableSinceNs = tsNs;
    st.waitPending = true;
    this.pending.push(st);
  }

  private stopRun(tsNs: number, st: VcpuState): void {
    this.sink.end(tsNs, st.cpuTrack!);
    this.sink.end(tsNs, st.track);
    st.cpuTrack = null;
  }

  private state(vm: number, vcpu: number): VcpuState {
    const key = vm * 1024 + vcpu;
    let st = this.vcpus.get(key);
    if (st === undefined) {
      st = { track: this.tracks.vcpu(vm, vcpu), cpuTrack: null, runnableSinceNs: -1, waitPending: false, stealOpen: false };
      this.vcpus.set(key, st);
    }
    return st;
  }
}

// The vCPU scheduler: fixed-priority preemptive, round robin by time slices among equals, over
// fewer physical CPUs than vCPUs. A vCPU that is runnable but not running is being robbed: that
// wait is its steal time (Arm DEN0057A publishes it to the guest; see Platform.publishSteal).
// Guests express CPU demand as jobs (cost in ns of CPU); a job's action runs when its CPU time
// has been served, so preemption and steal delay guest actions as they would on hardware.

import type { CoreApi } from '../core/api.js';
import { KIND } from '../core/codes.js';
import type { Engine } from '../engine/engine.js';

export interface Job {
  costNs: number;
  action: () => void;
}

type VcpuState = 'idle' | 'runnable' | 'running';

export class Vcpu {
  state: VcpuState = 'idle';
  readonly jobs: Job[] = [];
  remainingNs = 0; //  CPU time still owed to the head job
  runnableSinceNs = 0;
  runStartNs = 0;
  sliceStartNs = 0;
  stealNs = 0;
  runNs = 0;
  pcpu = -1;
  generation = 0; //  invalidates the pending slice event when preempted
  stalled = 0; //     vcpu_stall faults holding it (issue 9 §5): never picked to run while > 0
  /** Names its slice event in state dumps (built once, so arming a slice allocates no string). */
  readonly sliceLabel: string;
  /** When the armed slice event fires, -1 when none is live (a preempted slice's event stays
   *  queued as a no-op; state dumps tell the two apart by this). */
  sliceEndNs = -1;

  constructor(
    readonly vm: number,
    readonly index: number,
    readonly globalIndex: number,
    readonly priority: number,
  ) {
    this.sliceLabel = `slice end: vm ${vm} vcpu ${index}`;
  }
}

export interface SchedulerOptions {
  engine: Engine;
  core: CoreApi;
  pcpus: number;
  sliceNs: number;
  jobQueueMax?: number;
  onRun?: (vcpu: Vcpu) => void;
}

export class Scheduler {
  readonly vcpus: Vcpu[] = [];
  private readonly running: (Vcpu | null)[];
  private readonly engine: Engine;
  private readonly core: CoreApi;
  private readonly sliceNs: number;
  private readonly jobQueueMax: number;
  private readonly onRun: (vcpu: Vcpu) => void;
  /** Jobs refused because a vCPU's queue was full (a guest overloading itself). */
  jobsDropped = 0;

  constructor(options: SchedulerOptions) {
    this.engine = options.engine;
    this.core = options.core;
    this.sliceNs = options.sliceNs;
    this.jobQueueMax = options.jobQueueMax ?? 4096;
    this.onRun = options.onRun ?? (() => {});
    this.running = new Array<Vcpu | null>(options.pcpus).fill(null);
  }

  addVcpu(vm: number, index: number, priority: number): Vcpu {
    const vcpu = new Vcpu(vm, index, this.vcpus.length, priority);
    this.vcpus.push(vcpu);
    return vcpu;
  }

  /** Queue CPU work on a vCPU; wakes it. Returns false when the vCPU's job queue is full. */
  submit(vcpu: Vcpu, job: Job): boolean {
    if (vcpu.jobs.length >= this.jobQueueMax) {
      this.jobsDropped++;
      return false;
    }
    vcpu.jobs.push(job);
    if (vcpu.state === 'idle') {
      vcpu.remainingNs = job.costNs;
      vcpu.state = 'runnable';
      vcpu.runnableSinceNs = this.engine.now;
      this.emit(vcpu, KIND.sched_wake, 0);
      this.dispatch();
    }
    return true;
  }

  private emit(vcpu: Vcpu, kind: number, val: number): void {
    this.core.traceEmit({ vm: vcpu.vm, vcpu: vcpu.index, kind, dev: -1, queue: -1, id: vcpu.pcpu, len: 0, val });
  }

  /** Picks the best runnable vCPU: highest priority, then longest waiting, then lowest index. */
  private bestRunnable(): Vcpu | null {
    let best: Vcpu | null = null;
    for (const v of this.vcpus) {
      if (v.state !== 'runnable' || v.stalled > 0) continue;
      if (
        best === null ||
        v.priority > best.priority ||
        (v.priority === best.priority && v.runnableSinceNs < best.runnableSinceNs)
      ) {
        best = v;
      }
    }
    return best;
  }

  private dispatch(): void {
    for (let guard = 0; guard <= this.vcpus.length; guard++) {
      const best = this.bestRunnable();
      if (best === null) return;
      const free = this.running.indexOf(null);
      if (free >= 0) {
        this.start(best, free);
        continue;
      }
      const victim = this.lowestRunning();
      if (victim === null || victim.priority >= best.priority) return;
      this.preempt(victim);
    }
  }

  private lowestRunning(): Vcpu | null {
    let low: Vcpu | null = null;
    for (const v of this.running) {
      if (v !== null && (low === null || v.priority < low.priority)) low = v;
    }
    return low;
  }

  private start(vcpu: Vcpu, pcpu: number): void {
    const now = this.engine.now;
    const waited = now - vcpu.runnableSinceNs;
    vcpu.stealNs += waited;
    vcpu.state = 'running';
    vcpu.pcpu = pcpu;
    vcpu.runStartNs = now;
    this.running[pcpu] = vcpu;
    this.emit(vcpu, KIND.sched_run, waited);
    this.onRun(vcpu);
    this.armSlice(vcpu);
  }

  private armSlice(vcpu: Vcpu, budgetNs: number = this.sliceNs): void {
    const generation = ++vcpu.generation;
    vcpu.sliceStartNs = this.engine.now;
    const delayNs = Math.min(vcpu.remainingNs, budgetNs);
    vcpu.sliceEndNs = this.engine.now + delayNs;
    this.engine.after(delayNs, () => {
      if (vcpu.generation === generation) this.sliceEnd(vcpu);
    }, vcpu.sliceLabel);
  }

  /** Credits the CPU time run since the slice was armed (a slice can end early by preemption). */
  private credit(vcpu: Vcpu): void {
    const ranNs = this.engine.now - vcpu.sliceStartNs;
    vcpu.remainingNs -= ranNs;
    vcpu.runNs += ranNs;
    vcpu.sliceStartNs = this.engine.now;
  }

  private sliceEnd(vcpu: Vcpu): void {
    this.credit(vcpu);
    if (vcpu.remainingNs > 0) {
      this.continueOrYield(vcpu);
      return;
    }
    // The head job's CPU time is served: its action runs now, on this vCPU.
    const job = vcpu.jobs.shift()!;
    job.action();
    const next = vcpu.jobs[0];
    if (next === undefined) {
      this.stop(vcpu, 'idle', KIND.sched_block);
      this.dispatch();
      return;
    }
    vcpu.remainingNs = next.costNs;
    this.continueOrYield(vcpu);
  }

  /** Round robin: after a full slice, yield to a waiting vCPU of equal or higher priority. */
  private continueOrYield(vcpu: Vcpu): void {
    const usedNs = this.engine.now - vcpu.runStartNs;
    const waiting = this.bestRunnable();
    if (waiting !== null && waiting.priority >= vcpu.priority && usedNs >= this.sliceNs) {
      this.stop(vcpu, 'runnable', KIND.sched_preempt);
      this.dispatch();
      return;
    }
    this.armSlice(vcpu, this.sliceNs - (usedNs % this.sliceNs));
  }

  // --- seeded faults (issue 9 §5)

  /**
   * vcpu_stall: the hypervisor stops scheduling `vcpu` (a host-side hiccup, another tenant).
   * A running vCPU is preempted now; a runnable one waits; all that waiting is its steal time.
   */
  stall(vcpu: Vcpu): void {
    vcpu.stalled++;
    if (vcpu.state !== 'running') return;
    this.preempt(vcpu);
    this.dispatch();
  }

  /** A stall is over: with no other holding it, the vCPU competes for a pCPU again. */
  unstall(vcpu: Vcpu): void {
    if (vcpu.stalled <= 0) throw new Error('assert: unstall of a vCPU that is not stalled');
    vcpu.stalled--;
    this.dispatch();
  }

  private preempt(vcpu: Vcpu): void {
    this.credit(vcpu);
    this.stop(vcpu, 'runnable', KIND.sched_preempt);
  }

  private stop(vcpu: Vcpu, state: VcpuState, kind: number): void {
    const ran = this.engine.now - vcpu.runStartNs;
    this.emit(vcpu, kind, ran);
    vcpu.generation++;
    vcpu.sliceEndNs = -1;
    this.running[vcpu.pcpu] = null;
    vcpu.pcpu = -1;
    vcpu.state = state;
    if (state === 'runnable') vcpu.runnableSinceNs = this.engine.now;
  }
}

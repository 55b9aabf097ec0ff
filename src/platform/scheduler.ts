// The vCPU scheduler: fixed-priority preemptive, round robin by time slices among equals, over
// fewer physical CPUs than vCPUs. A vCPU that is runnable but not running is being robbed: that
// wait is its steal time (Arm DEN0057A publishes it to the guest; see Platform.publishSteal).
// Guests express CPU demand as jobs (cost in ns of CPU); a job's owner is told (op, a0, a1) when
// its CPU time has been served, so preemption and steal delay guest actions as they would on
// hardware. Jobs and slice ends are records, not closures (issue 10 §1): see job-queue.ts.

import { z } from 'zod';
import type { CoreApi } from '../core/api.js';
import { KIND } from '../core/codes.js';
import type { Engine } from '../engine/engine.js';
import type { StatefulTarget } from '../engine/event-target.js';
import { checkState, count, int, requireState } from '../engine/state-check.js';
import { JobQueue } from './job-queue.js';

type VcpuState = 'idle' | 'runnable' | 'running';

/** The scheduler's engine events. */
export const SCHED_OP = { sliceEnd: 0 } as const;

export class Vcpu {
  state: VcpuState = 'idle';
  readonly jobs = new JobQueue();
  remainingNs = 0; //  CPU time still owed to the head job
  runnableSinceNs = 0;
  runStartNs = 0;
  sliceStartNs = 0;
  stealNs = 0;
  runNs = 0;
  pcpu = -1;
  generation = 0; //  invalidates the pending slice event when preempted
  stalled = 0; //     vcpu_stall faults holding it (issue 9 §5): never picked to run while > 0
  /** When the armed slice event fires, -1 when none is live (a preempted slice's event stays
   *  queued as a no-op; state dumps tell the two apart by this). */
  sliceEndNs = -1;

  constructor(
    readonly vm: number,
    readonly index: number,
    readonly globalIndex: number,
    readonly priority: number,
  ) {}
}

export interface SchedulerOptions {
  engine: Engine;
  core: CoreApi;
  pcpus: number;
  sliceNs: number;
  jobQueueMax?: number;
  onRun?: (vcpu: Vcpu) => void;
}

const vcpuSchema = z.strictObject({
  state: z.enum(['idle', 'runnable', 'running']),
  remainingNs: count,
  runnableSinceNs: count,
  runStartNs: count,
  sliceStartNs: count,
  stealNs: count,
  runNs: count,
  pcpu: int.min(-1),
  generation: count,
  stalled: count,
  sliceEndNs: int.min(-1),
  jobs: z.array(z.tuple([count, count, count, z.number(), z.number()])),
});
const schedulerSchema = z.strictObject({ jobsDropped: count, vcpus: z.array(vcpuSchema) });
type SchedulerState = z.infer<typeof schedulerSchema>;

export class Scheduler implements StatefulTarget {
  readonly vcpus: Vcpu[] = [];
  private readonly running: (Vcpu | null)[];
  private readonly engine: Engine;
  private readonly core: CoreApi;
  private readonly sliceNs: number;
  private readonly jobQueueMax: number;
  private readonly onRun: (vcpu: Vcpu) => void;
  /** This scheduler's engine target id. */
  readonly target: number;
  /** Jobs refused because a vCPU's queue was full (a guest overloading itself). */
  jobsDropped = 0;

  constructor(options: SchedulerOptions) {
    this.engine = options.engine;
    this.core = options.core;
    this.sliceNs = options.sliceNs;
    this.jobQueueMax = options.jobQueueMax ?? 4096;
    this.onRun = options.onRun ?? (() => {});
    this.running = new Array<Vcpu | null>(options.pcpus).fill(null);
    this.target = this.engine.register('scheduler', this);
  }

  addVcpu(vm: number, index: number, priority: number): Vcpu {
    const vcpu = new Vcpu(vm, index, this.vcpus.length, priority);
    this.vcpus.push(vcpu);
    return vcpu;
  }

  /**
   * Queues CPU work on a vCPU; wakes it. When `costNs` has been served, target `owner` gets
   * (op, a0, a1) as an event. Returns false when the vCPU's job queue is full.
   */
  submit(vcpu: Vcpu, costNs: number, owner: number, op: number, a0 = 0, a1 = 0): boolean {
    if (vcpu.jobs.length >= this.jobQueueMax) {
      this.jobsDropped++;
      return false;
    }
    vcpu.jobs.push(costNs, owner, op, a0, a1);
    if (vcpu.state === 'idle') {
      vcpu.remainingNs = costNs;
      vcpu.state = 'runnable';
      vcpu.runnableSinceNs = this.engine.now;
      this.emit(vcpu, KIND.sched_wake, 0);
      this.dispatch();
    }
    return true;
  }

  fire(op: number, a0: number, a1: number): void {
    if (op !== SCHED_OP.sliceEnd) throw new Error(`assert: scheduler event op ${op}`);
    const vcpu = this.vcpus[a0]!;
    if (vcpu.generation === a1) this.sliceEnd(vcpu);
  }

  describe(op: number, a0: number, a1: number): string {
    const vcpu = this.vcpus[a0];
    if (op !== SCHED_OP.sliceEnd || vcpu === undefined) return `scheduler op ${op} (${a0}, ${a1})`;
    const label = `slice end: vm ${vcpu.vm} vcpu ${vcpu.index}`;
    return vcpu.generation === a1 ? label : `${label} (stale: its slice was preempted; runs as a no-op)`;
  }

  private emit(vcpu: Vcpu, kind: number, val: number): void {
    this.core.emit(vcpu.vm, vcpu.index, kind, -1, -1, vcpu.pcpu, 0, val); // no call, no object (issue 10 §2)
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
    this.engine.after(delayNs, this.target, SCHED_OP.sliceEnd, vcpu.globalIndex, generation);
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
    // The head job's CPU time is served: its owner is told now, on this vCPU.
    const jobs = vcpu.jobs;
    const owner = jobs.headOwner();
    const op = jobs.headOp();
    const a0 = jobs.headA0();
    const a1 = jobs.headA1();
    jobs.shift();
    this.engine.targetOf(owner).fire(op, a0, a1, 0);
    if (jobs.length === 0) {
      this.stop(vcpu, 'idle', KIND.sched_block);
      this.dispatch();
      return;
    }
    vcpu.remainingNs = jobs.headCostNs();
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

  // --- state capture (issue 10 §1)

  saveState(): SchedulerState {
    return {
      jobsDropped: this.jobsDropped,
      vcpus: this.vcpus.map((v) => ({
        state: v.state, remainingNs: v.remainingNs, runnableSinceNs: v.runnableSinceNs, runStartNs: v.runStartNs,
        sliceStartNs: v.sliceStartNs, stealNs: v.stealNs, runNs: v.runNs, pcpu: v.pcpu, generation: v.generation,
        stalled: v.stalled, sliceEndNs: v.sliceEndNs, jobs: v.jobs.records(),
      })),
    };
  }

  loadState(value: unknown, path: string): void {
    const state = checkState(schedulerSchema, value, path);
    const vcpus = `${state.vcpus.length} vCPUs, this platform has ${this.vcpus.length}`;
    requireState(state.vcpus.length === this.vcpus.length, `${path}.vcpus`, vcpus);
    state.vcpus.forEach((v, i) => this.checkVcpu(v, `${path}.vcpus[${i}]`));
    const pcpus = state.vcpus.filter((v) => v.pcpu >= 0).map((v) => v.pcpu);
    requireState(new Set(pcpus).size === pcpus.length, `${path}.vcpus`, `two vCPUs run on one pCPU (${pcpus.join(', ')})`);
    this.running.fill(null);
    this.jobsDropped = state.jobsDropped;
    state.vcpus.forEach((s, i) => {
      const v = this.vcpus[i]!;
      Object.assign(v, { ...s, jobs: v.jobs });
      v.jobs.load(s.jobs);
      if (v.pcpu >= 0) this.running[v.pcpu] = v;
    });
  }

  private checkVcpu(v: z.infer<typeof vcpuSchema>, path: string): void {
    const running = v.state === 'running';
    requireState(v.pcpu < this.running.length, `${path}.pcpu`, `${v.pcpu} is not a pCPU (0..${this.running.length - 1})`);
    requireState(running === v.pcpu >= 0, `${path}.pcpu`, `${v.pcpu} with state ${v.state} (a pCPU only while running)`);
    requireState(running === v.sliceEndNs >= 0, `${path}.sliceEndNs`, `${v.sliceEndNs} with state ${v.state}`);
    requireState((v.state === 'idle') === (v.jobs.length === 0), `${path}.jobs`, `${v.jobs.length} jobs with state ${v.state}`);
    requireState(v.jobs.length <= this.jobQueueMax, `${path}.jobs`, `${v.jobs.length} jobs, at most ${this.jobQueueMax}`);
    const targets = this.engine.targetList.length;
    v.jobs.forEach((job, j) => {
      requireState(job[1] < targets, `${path}.jobs[${j}][1]`, `owner ${job[1]} is not an event target (0..${targets - 1})`);
    });
  }
}

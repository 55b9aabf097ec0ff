// Restoring a captured engine + scheduler and running on gives exactly the run that was never
// interrupted: the same trace rows and the same job completions after the capture. The core is
// a stand-in here (test/platform/fake-core.ts holds no state but its clock), so this checks the
// TypeScript half of issue 10's snapshot contract on its own; the platform tests check the whole
// platform round-trips, and run-on of the whole platform needs the core's snapshot (§3).
import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { StatefulTarget } from '../../src/engine/event-target.js';
import { Scheduler } from '../../src/platform/scheduler.js';
import { fakeCore } from '../platform/fake-core.js';

const US = 1_000;
const END_NS = 40_000 * US;

/**
 * A workload with its state in plain fields: a timer every 300 µs queues a job of 100..1100 µs
 * (from its own MINSTD generator) on one of four vCPUs, and every tenth tick stalls or unstalls vCPU 1.
 */
class Workload implements StatefulTarget {
  state = { lcg: 7, ticks: 0, stalled: false, done: [] as string[] };
  readonly id: number;

  constructor(
    private readonly engine: Engine,
    private readonly scheduler: Scheduler,
  ) {
    this.id = engine.register('workload', this);
  }

  fire(op: number, a0: number): void {
    if (op === 1) {
      this.state.done.push(`${a0}@${this.engine.now}`);
      return;
    }
    const s = this.state;
    s.lcg = (s.lcg * 48271) % 2_147_483_647; // MINSTD: products stay below 2^53
    const vcpu = this.scheduler.vcpus[s.lcg % 4]!;
    this.scheduler.submit(vcpu, 100 * US + (s.lcg % 1000) * US, this.id, 1, ++s.ticks);
    if (s.ticks % 10 === 0) {
      if (s.stalled) this.scheduler.unstall(this.scheduler.vcpus[1]!);
      else this.scheduler.stall(this.scheduler.vcpus[1]!);
      s.stalled = !s.stalled;
    }
    this.engine.after(300 * US, this.id, 0);
  }

  describe(): string {
    return 'workload';
  }

  saveState(): unknown {
    return structuredClone(this.state);
  }

  loadState(value: unknown): void {
    this.state = structuredClone(value) as Workload['state'];
  }
}

function system() {
  const fake = fakeCore();
  const engine = new Engine({ core: fake.core, onIrq: () => {} });
  const scheduler = new Scheduler({ engine, core: fake.core, pcpus: 2, sliceNs: 500 * US });
  [30, 10, 10, 5].forEach((priority, i) => scheduler.addVcpu(i, 0, priority));
  const workload = new Workload(engine, scheduler);
  return { ...fake, engine, scheduler, workload };
}

function rowsText(rows: ReturnType<typeof fakeCore>['rows'], fromNs: number): string[] {
  return rows.filter((r) => r.ts > fromNs).map((r) => `${r.ts} vm${r.vm} k${r.kind} pcpu${r.id} v${r.val}`);
}

describe('engine + scheduler: restore and run on', () => {
  test.each([1_234 * US, 5_000 * US, 12_345 * US])('captured at %i ns, restored into a fresh pair, the rest of the run is the same', (atNs) => {
    const whole = system();
    whole.engine.at(0, whole.workload.id, 0);
    whole.engine.runUntil(END_NS);

    const first = system();
    first.engine.at(0, first.workload.id, 0);
    first.engine.runUntil(atNs);
    const saved = JSON.parse(JSON.stringify({
      engine: first.engine.saveState(), scheduler: first.scheduler.saveState(), workload: first.workload.saveState(),
    }));
    const doneBefore = first.workload.state.done.length;

    const second = system();
    second.scheduler.loadState(saved.scheduler, 'scheduler');
    second.workload.loadState(saved.workload);
    second.engine.loadState(saved.engine);
    second.engine.runUntil(END_NS);

    // Some preemption and stalls happened after the capture, or the comparison would be thin.
    const after = rowsText(whole.rows, atNs);
    expect(after.length).toBeGreaterThan(50);
    expect(rowsText(second.rows, atNs)).toEqual(after);
    expect(second.workload.state.done).toEqual(whole.workload.state.done);
    expect(whole.workload.state.done.length).toBeGreaterThan(doneBefore);
    expect(second.scheduler.saveState()).toEqual(whole.scheduler.saveState());
    expect(second.engine.saveState()).toEqual(whole.engine.saveState());
  });
});

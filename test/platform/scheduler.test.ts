import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { Scheduler } from '../../src/platform/scheduler.js';
import { KIND } from '../../src/core/codes.js';
import { fakeCore } from './fake-core.js';
import { RecordingTarget } from './recording-target.js';

function setup(pcpus: number, sliceNs: number) {
  const fake = fakeCore();
  const engine = new Engine({ core: fake.core, onIrq: () => {} });
  const scheduler = new Scheduler({ engine, core: fake.core, pcpus, sliceNs });
  // Jobs are records: `owner` is told (op, a0) when a job is done; `kick` starts the test at t.
  const owner = new RecordingTarget(engine, 'owner');
  const kick = new RecordingTarget(engine, 'kick');
  const done = (): string[] => owner.fired.map((f) => `${String.fromCharCode(f.a0)}@${f.atNs}`);
  return { ...fake, engine, scheduler, owner, kick, done };
}

describe('vCPU scheduler', () => {
  test('two equal vCPUs on one pCPU share it by slices; the waiting one accrues steal', () => {
    const { engine, scheduler, rows, owner, kick, done } = setup(1, 1_000);
    const a = scheduler.addVcpu(0, 0, 10);
    const b = scheduler.addVcpu(1, 0, 10);
    kick.react = () => {
      scheduler.submit(a, 3_000, owner.id, 0, 'a'.charCodeAt(0));
      scheduler.submit(b, 2_000, owner.id, 0, 'b'.charCodeAt(0));
    };
    engine.at(0, kick.id, 0);
    engine.runUntil(100_000);
    // a runs 0-1000, b 1000-2000, a 2000-3000, b 3000-4000 (done), a 4000-5000 (done).
    expect(done()).toEqual(['b@4000', 'a@5000']);
    // a waited 1000-2000 and 3000-4000; b waited 0-1000 and 2000-3000.
    expect(a.stealNs).toBe(2_000);
    expect(b.stealNs).toBe(2_000);
    const runs = rows.filter((r) => r.kind === KIND.sched_run).map((r) => [r.ts, r.vm, r.val]);
    expect(runs).toEqual([
      [0, 0, 0],
      [1000, 1, 1000],
      [2000, 0, 1000],
      [3000, 1, 1000],
      [4000, 0, 1000],
    ]);
  });

  test('a higher-priority wake preempts at once and the preempted job keeps its remaining time', () => {
    const { engine, scheduler, rows, owner, kick, done } = setup(1, 10_000);
    const low = scheduler.addVcpu(0, 0, 1);
    const high = scheduler.addVcpu(1, 0, 99);
    kick.react = (op) => {
      if (op === 0) scheduler.submit(low, 5_000, owner.id, 0, 'l'.charCodeAt(0));
      else scheduler.submit(high, 1_500, owner.id, 0, 'h'.charCodeAt(0));
    };
    engine.at(0, kick.id, 0);
    engine.at(2_000, kick.id, 1);
    engine.runUntil(50_000);
    expect(done()).toEqual(['h@3500', 'l@6500']);
    expect(low.stealNs).toBe(1_500);
    expect(high.stealNs).toBe(0);
    const preempt = rows.find((r) => r.kind === KIND.sched_preempt)!;
    expect([preempt.ts, preempt.vm, preempt.val]).toEqual([2000, 0, 2000]);
  });

  test('with as many pCPUs as vCPUs nobody waits', () => {
    const { engine, scheduler, owner, kick } = setup(2, 1_000);
    const a = scheduler.addVcpu(0, 0, 10);
    const b = scheduler.addVcpu(1, 0, 10);
    kick.react = () => {
      scheduler.submit(a, 7_000, owner.id, 0);
      scheduler.submit(b, 7_000, owner.id, 0);
    };
    engine.at(0, kick.id, 0);
    engine.runUntil(100_000);
    expect(a.stealNs + b.stealNs).toBe(0);
    expect(a.runNs).toBe(7_000);
  });

  test('jobs queued on a busy vCPU run back to back in order', () => {
    const { engine, scheduler, owner, kick } = setup(1, 1_000_000);
    const a = scheduler.addVcpu(0, 0, 10);
    kick.react = () => {
      for (let i = 0; i < 3; i++) scheduler.submit(a, 100, owner.id, 5, i, 10 * i);
    };
    engine.at(0, kick.id, 0);
    engine.runUntil(10_000);
    // Each job's owner gets its own op and arguments back, in queue order.
    expect(owner.fired).toEqual([
      { atNs: 100, op: 5, a0: 0, a1: 0 },
      { atNs: 200, op: 5, a0: 1, a1: 10 },
      { atNs: 300, op: 5, a0: 2, a1: 20 },
    ]);
  });
});

import { describe, expect, test } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { Scheduler } from '../../src/platform/scheduler.js';
import { KIND } from '../../src/core/codes.js';
import { fakeCore } from './fake-core.js';

function setup(pcpus: number, sliceNs: number) {
  const fake = fakeCore();
  const engine = new Engine({ core: fake.core, onIrq: () => {} });
  const scheduler = new Scheduler({ engine, core: fake.core, pcpus, sliceNs });
  return { ...fake, engine, scheduler };
}

describe('vCPU scheduler', () => {
  test('two equal vCPUs on one pCPU share it by slices; the waiting one accrues steal', () => {
    const { engine, scheduler, rows } = setup(1, 1_000);
    const a = scheduler.addVcpu(0, 0, 10);
    const b = scheduler.addVcpu(1, 0, 10);
    const done: string[] = [];
    engine.at(0, () => {
      scheduler.submit(a, { costNs: 3_000, action: () => done.push(`a@${engine.now}`) });
      scheduler.submit(b, { costNs: 2_000, action: () => done.push(`b@${engine.now}`) });
    });
    engine.runUntil(100_000);
    // a runs 0-1000, b 1000-2000, a 2000-3000, b 3000-4000 (done), a 4000-5000 (done).
    expect(done).toEqual(['b@4000', 'a@5000']);
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
    const { engine, scheduler, rows } = setup(1, 10_000);
    const low = scheduler.addVcpu(0, 0, 1);
    const high = scheduler.addVcpu(1, 0, 99);
    const done: string[] = [];
    engine.at(0, () => scheduler.submit(low, { costNs: 5_000, action: () => done.push(`low@${engine.now}`) }));
    engine.at(2_000, () => scheduler.submit(high, { costNs: 1_500, action: () => done.push(`high@${engine.now}`) }));
    engine.runUntil(50_000);
    expect(done).toEqual(['high@3500', 'low@6500']);
    expect(low.stealNs).toBe(1_500);
    expect(high.stealNs).toBe(0);
    const preempt = rows.find((r) => r.kind === KIND.sched_preempt)!;
    expect([preempt.ts, preempt.vm, preempt.val]).toEqual([2000, 0, 2000]);
  });

  test('with as many pCPUs as vCPUs nobody waits', () => {
    const { engine, scheduler } = setup(2, 1_000);
    const a = scheduler.addVcpu(0, 0, 10);
    const b = scheduler.addVcpu(1, 0, 10);
    engine.at(0, () => {
      scheduler.submit(a, { costNs: 7_000, action: () => {} });
      scheduler.submit(b, { costNs: 7_000, action: () => {} });
    });
    engine.runUntil(100_000);
    expect(a.stealNs + b.stealNs).toBe(0);
    expect(a.runNs).toBe(7_000);
  });

  test('jobs queued on a busy vCPU run back to back in order', () => {
    const { engine, scheduler } = setup(1, 1_000_000);
    const a = scheduler.addVcpu(0, 0, 10);
    const done: number[] = [];
    engine.at(0, () => {
      for (let i = 0; i < 3; i++) scheduler.submit(a, { costNs: 100, action: () => done.push(engine.now) });
    });
    engine.runUntil(10_000);
    expect(done).toEqual([100, 200, 300]);
  });
});

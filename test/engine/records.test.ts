// Engine events and scheduler jobs are records, not closures (issue 10 §1): the queues hold
// numbers in typed arrays, whatever they hold, and a run registers its targets once.
import { describe, expect, test } from 'vitest';
import { EventQueue } from '../../src/engine/event-queue.js';
import { JobQueue } from '../../src/platform/job-queue.js';
import { Platform } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import { loadScenario } from '../../src/scenario/load.js';

const TYPED = [Float64Array, Int32Array];

/** Every own field of `o`: its kind ('number', 'Float64Array', 'function', 'Array', …). */
function fieldKinds(o: object): string[] {
  return Object.values(o).map((v) => (typeof v === 'object' && v !== null ? v.constructor.name : typeof v));
}

describe('the event queue holds records', () => {
  test('10,000 queued events: every field of the queue is a number or a typed array, no function', () => {
    const queue = new EventQueue(1 << 20);
    for (let i = 0; i < 10_000; i++) queue.push(i * 7, i % 5, i % 3, i, -i, 0.5);
    const kinds = fieldKinds(queue);
    expect(kinds.filter((k) => k !== 'number' && !TYPED.some((t) => t.name === k))).toEqual([]);
    expect(queue.size).toBe(10_000);
    // ... and what it holds comes back as the records pushed, in (time, seq) order.
    const records = queue.records();
    expect(records[9_999]).toEqual({ timeNs: 9_999 * 7, seq: 9_999, target: 9_999 % 5, op: 9_999 % 3, a0: 9_999, a1: -9_999, a2: 0.5 });
  });

  test('a job queue of 1,000 jobs: numbers in typed arrays, no function', () => {
    const jobs = new JobQueue();
    for (let i = 0; i < 1_000; i++) jobs.push(100 + i, 2, 1, i, 0);
    expect(fieldKinds(jobs).filter((k) => k !== 'number' && !TYPED.some((t) => t.name === k))).toEqual([]);
    expect(jobs.records()[999]).toEqual([1_099, 2, 1, 999, 0]);
  });

  test('a job queue is FIFO across wrap-around and growth', () => {
    const jobs = new JobQueue();
    const out: number[] = [];
    // Push 10, pop 7, push 30 (wraps the 16-slot ring, then grows it), pop the rest.
    for (let i = 0; i < 10; i++) jobs.push(i, 0, 0, i, 0);
    for (let i = 0; i < 7; i++) {
      out.push(jobs.headA0());
      jobs.shift();
    }
    for (let i = 10; i < 40; i++) jobs.push(i, 0, 0, i, 0);
    while (jobs.length > 0) {
      out.push(jobs.headA0());
      jobs.shift();
    }
    expect(out).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  test('a cockpit run of 1 s runs thousands of engine events (60 Hz frames, 1 ms CAN frames, slices) and registers no target after boot', async () => {
    const platform = await Platform.create(loadScenario('cockpit'), new CountingSink());
    platform.boot();
    const targets = platform.engine.targetList.length;
    platform.advanceTo(1_000_000_000);
    expect(platform.engine.eventsRun).toBeGreaterThan(3_000);
    expect(platform.engine.targetList.length).toBe(targets);
    // What is queued mid-run is numbers only (a JSON round trip keeps every record as it is).
    const pending = platform.engine.pendingRecords();
    expect(pending.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(pending))).toEqual(pending);
  });
});

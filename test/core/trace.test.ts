// Trace columns drain through the sink without losing rows, seq strictly increases, the trace
// does not depend on the trace capacity, and the same calls give the same columns.
import { describe, expect, it } from 'vitest';
import { EXIT, KIND } from '../../src/core/codes.js';
import type { Core } from '../../src/core/core.js';
import { makeCore, vmWithDevice, queueAt, TraceLog, twoHostsOnSwitch, writeU16, type Row } from './helpers.js';

describe('trace drain', () => {
  it('hands more rows than the capacity to the sink, none lost, seq strictly increasing', async () => {
    const core = await makeCore({ traceCapacity: 1024 });
    const log = new TraceLog(core);
    expect(core.traceSoftLimit()).toBeLessThan(1024);
    for (let i = 0; i < 5000; i++) {
      core.traceEmit({ vm: 1, vcpu: 2, kind: KIND.sched_run, dev: -1, queue: -1, id: i, len: 3, val: i * 7 });
    }
    vmWithDevice(core, 0, 0);
    const { q, bufGpa } = queueAt(core, { vm: 0, dev: 0, size: 64, base: 0x1000 });
    const chain = { out: [{ gpa: bufGpa, len: 8 }], in: [{ gpa: bufGpa + 8, len: 8 }] };
    for (let round = 0; round < 40; round++) {
      expect(core.drvSubmit(q, Array(32).fill(chain))).toBe(32);
      expect(core.devCompleteAll(q, 8)).toBe(32);
      expect(core.drvReclaim(q, 64).length).toBe(32);
    }
    const rows = log.all();
    expect(log.drains).toBeGreaterThan(8);
    const emitted = rows.filter((r) => r.kind === KIND.sched_run);
    expect(emitted.map((r) => r.id)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(emitted.every((r) => r.val === r.id * 7 && r.vm === 1 && r.vcpu === 2)).toBe(true);
    expect(rows.filter((r) => r.kind === KIND.vq_avail).length).toBe(1280);
    expect(rows.filter((r) => r.kind === KIND.vq_used).length).toBe(1280);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.seq).toBeGreaterThan(rows[i - 1]!.seq);
    expect(core.traceCount()).toBe(0);
  });

  it('throws a clear error when the columns fill up with no sink', async () => {
    const core = await makeCore({ traceCapacity: 1024 });
    const emit = (): void => core.traceEmit({ vm: 0, vcpu: 0, kind: KIND.input, dev: -1, queue: -1, id: 0, len: 0, val: 0 });
    expect(() => { for (let i = 0; i < 2000; i++) emit(); }).toThrow(/no sink/);
  });
});

/** Two hosts, 48 frames, interrupts suppressed so one run() call crosses the soft limit. */
async function burst(traceCapacity: number, seed = 5n): Promise<{ rows: Row[]; drainsInRun: number; core: Core }> {
  const core = await makeCore({ traceCapacity, frameSlots: 64, timerCapacity: 512 }, seed);
  const log = new TraceLog(core);
  const queues = twoHostsOnSwitch(core).map(({ rx, tx }, vm) => {
    writeU16(core, vm, rx.cfg.availGpa, 1); // VIRTQ_AVAIL_F_NO_INTERRUPT
    writeU16(core, vm, tx.cfg.availGpa, 1);
    return { rx: rx.q, tx: tx.q, availRx: rx.cfg.availGpa, availTx: tx.cfg.availGpa };
  });
  core.drvSubmit(queues[1]!.rx, Array.from({ length: 48 }, (_, i) => ({ out: [], in: [{ gpa: 0x10_000 + i * 0x800, len: 2048 }] })));
  // The seed decides each frame's length (60..99 bytes), so it shows in link and used rows.
  const lens = Array.from({ length: 48 }, () => 12 + 60 + core.prngBelow(0, 40));
  lens.forEach((len, i) => {
    const frame = new Uint8Array(len);
    frame.set([0x02, 0, 0, 0, 0, 0x01], 12);
    core.guestWrite(0, 0x10_000 + i * 0x800, frame);
  });
  core.drvSubmit(queues[0]!.tx, lens.map((len, i) => ({ out: [{ gpa: 0x10_000 + i * 0x800, len }], in: [] })));
  expect(core.drvKick(queues[0]!.tx)).toBe(true);
  const before = log.drains;
  expect(core.run(10_000_000)).toBe(EXIT.until);
  const drainsInRun = log.drains - before;
  return { rows: log.all(), drainsInRun, core };
}

describe('trace and determinism', () => {
  it('run() drains inside one call and the trace does not depend on the capacity', async () => {
    const small = await burst(1024);
    const large = await burst(1 << 16);
    expect(small.drainsInRun).toBeGreaterThan(0);
    expect(small.rows.filter((r) => r.kind === KIND.vq_used).length).toBe(96);
    expect(small.rows).toEqual(large.rows);
  });

  it('the same calls twice give identical columns; another seed changes them', async () => {
    const a = await burst(1 << 16, 11n);
    const b = await burst(1 << 16, 11n);
    const c = await burst(1 << 16, 12n);
    expect(a.rows.length).toBeGreaterThan(500);
    expect(b.rows).toEqual(a.rows);
    expect(c.rows).not.toEqual(a.rows);
  });
});

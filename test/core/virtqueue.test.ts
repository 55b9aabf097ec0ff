// Split virtqueue behaviour through the Core class: index wrap, EVENT_IDX in both directions
// with the exact vring_need_event arithmetic, flag-based suppression, indirect descriptors.
import { describe, expect, it } from 'vitest';
import { KIND } from '../../src/core/codes.js';
import { makeCore, vmWithDevice, queueAt, TraceLog, u16, writeU16 } from './helpers.js';

describe('split virtqueue ring indices', () => {
  it('wraps avail and used idx 65535 -> 0 with the right heads on both sides', async () => {
    const core = await makeCore({ traceCapacity: 1 << 16 });
    const availIds: number[] = [];
    const usedIds: number[] = [];
    core.setTraceSink((cols, count) => {
      for (let i = 0; i < count; i++) {
        if (cols.kind[i] === KIND.vq_avail) availIds.push(Number(cols.id[i]));
        if (cols.kind[i] === KIND.vq_used) usedIds.push(Number(cols.id[i]));
      }
    });
    vmWithDevice(core, 0, 0);
    const { q, cfg, bufGpa } = queueAt(core, { vm: 0, dev: 0, size: 4, base: 0x1000 });
    const chain = { out: [{ gpa: bufGpa, len: 16 }], in: [{ gpa: bufGpa + 64, len: 16 }] };
    const total = 70_000;
    let done = 0;
    let sawWrap = false;
    while (done < total) {
      const n = Math.min(2, total - done);
      expect(core.drvSubmit(q, Array(n).fill(chain))).toBe(n);
      expect(core.devCompleteAll(q, 8)).toBe(n);
      const used = core.drvReclaim(q, 8);
      expect(used.map((u) => u.len)).toEqual(Array(n).fill(8));
      done += n;
      const usedIdx = u16(core, 0, cfg.usedGpa + 2);
      expect(usedIdx).toBe(done & 0xffff);
      expect(u16(core, 0, cfg.availGpa + 2)).toBe(done & 0xffff);
      if (done > 65_536 && usedIdx < 100) sawWrap = true;
    }
    core.traceFlush();
    expect(sawWrap).toBe(true);
    expect(availIds.length).toBe(total);
    expect(usedIds).toEqual(availIds);
    expect(core.drvFreeCount(q)).toBe(4);
  });
});

describe('driver heads', () => {
  it('drvSubmit hands back each placed chain\'s head: the ids the used ring names, and the avail rows', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    vmWithDevice(core, 0, 0);
    const { q, bufGpa } = queueAt(core, { vm: 0, dev: 0, size: 8, base: 0x1000 });
    const one = { out: [{ gpa: bufGpa, len: 16 }], in: [] };
    const three = { out: [{ gpa: bufGpa, len: 16 }, { gpa: bufGpa + 64, len: 16 }], in: [{ gpa: bufGpa + 128, len: 8 }] };
    const heads: number[] = [];
    // 1 + 3 + 1 + 3 descriptors fit in 8; the fifth chain does not: four placed, four heads
    expect(core.drvSubmit(q, [one, three, one, three, one], heads)).toBe(4);
    expect(heads).toEqual([0, 1, 4, 5]);
    core.traceFlush();
    expect(log.rows.filter((r) => r.kind === KIND.vq_avail).map((r) => Number(r.id))).toEqual(heads);
    expect(core.devCompleteAll(q, 0)).toBe(4);
    expect(core.drvReclaim(q, 8).map((u) => u.id)).toEqual(heads);
    // freed descriptors are reused: the next heads come from the free list, not in order
    const again: number[] = [];
    expect(core.drvSubmit(q, [three, one], again)).toBe(2);
    expect(again.length).toBe(2);
    expect(new Set(again).size).toBe(2);
    for (const h of again) expect(h).toBeLessThan(8);
  });
});

describe('VIRTIO_F_EVENT_IDX', () => {
  it('driver -> device: kicks follow vring_need_event(avail_event, new, old)', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    vmWithDevice(core, 0, 0);
    const { q, cfg, bufGpa } = queueAt(core, { vm: 0, dev: 0, size: 8, base: 0x1000, eventIdx: true });
    const availEventGpa = cfg.usedGpa + 4 + 8 * 8;
    const chain = { out: [{ gpa: bufGpa, len: 32 }], in: [] };
    core.drvSubmit(q, [chain]);
    expect(core.drvKick(q)).toBe(true); //          (1 - 0 - 1) = 0 < (1 - 0) = 1
    core.drvSubmit(q, [chain]);
    expect(core.drvKick(q)).toBe(false); //         (2 - 0 - 1) = 1 < 1 is false
    expect(core.devPop(q)).not.toBeNull();
    expect(core.devPop(q)).not.toBeNull();
    expect(core.devPop(q)).toBeNull(); //           empty: the device publishes avail_event = 2
    expect(u16(core, 0, availEventGpa)).toBe(2);
    core.drvSubmit(q, [chain, chain, chain]);
    expect(core.drvKick(q)).toBe(true); //          (5 - 2 - 1) = 2 < (5 - 2) = 3
    writeU16(core, 0, availEventGpa, 7);
    core.drvSubmit(q, [chain]);
    expect(core.drvKick(q)).toBe(false); //         (6 - 7 - 1) mod 2^16 = 65534 < 1 is false
    expect(core.drvKick(q)).toBe(false); //         nothing new since the last kick: no decision
    core.drvSubmit(q, [chain, chain]);
    expect(core.drvKick(q)).toBe(true); //          (8 - 7 - 1) = 0 < 2
    expect(log.of('vq_notify').map((r) => r.id)).toEqual([1, 5, 8]);
    expect(log.of('vq_notify_suppressed').map((r) => r.id)).toEqual([2, 6]);
  });

  it('device -> driver: interrupts follow vring_need_event(used_event, new, old)', async () => {
    const core = await makeCore();
    const log = new TraceLog(core);
    vmWithDevice(core, 0, 0);
    const { q, cfg, bufGpa } = queueAt(core, { vm: 0, dev: 0, size: 8, base: 0x1000, eventIdx: true });
    const usedEventGpa = cfg.availGpa + 4 + 2 * 8;
    const chain = { out: [], in: [{ gpa: bufGpa, len: 32 }] };
    core.drvSubmit(q, Array(8).fill(chain));
    const heads: number[] = [];
    for (let i = 0; i < 8; i++) heads.push((core.devPop(q) as { head: number }).head);
    const push = (): void => core.devPush(q, heads.shift()!, 4);
    push();
    expect(core.devNotify(q)).toBe(true); //   used_event 0: (1 - 0 - 1) = 0 < 1
    expect(core.irqTake()).toEqual([{ vm: 0, dev: 0, queue: q }]);
    push();
    expect(core.devNotify(q)).toBe(false); //  (2 - 0 - 1) = 1 < 1 is false
    expect(core.drvReclaim(q, 8).length).toBe(2); // driver sets used_event = 2
    expect(u16(core, 0, usedEventGpa)).toBe(2);
    push();
    expect(core.devNotify(q)).toBe(true); //   (3 - 2 - 1) = 0 < 1
    writeU16(core, 0, usedEventGpa, 5);
    push();
    push();
    push();
    expect(core.devNotify(q)).toBe(true); //   (6 - 5 - 1) = 0 < (6 - 3) = 3
    push();
    expect(core.devNotify(q)).toBe(false); //  (7 - 5 - 1) = 1 < 1 is false
    expect(core.devNotify(q)).toBe(false); //  nothing new
    expect(log.of('vq_interrupt').map((r) => r.id)).toEqual([1, 3, 6]);
    expect(log.of('vq_interrupt_suppressed').map((r) => r.id)).toEqual([2, 7]);
  });

  it('without EVENT_IDX the ring flags suppress notifications and interrupts', async () => {
    const core = await makeCore();
    vmWithDevice(core, 0, 0);
    const { q, cfg, bufGpa } = queueAt(core, { vm: 0, dev: 0, size: 8, base: 0x1000 });
    const chain = { out: [{ gpa: bufGpa, len: 8 }], in: [] };
    core.drvSubmit(q, [chain]);
    expect(core.drvKick(q)).toBe(true);
    writeU16(core, 0, cfg.usedGpa, 1); //   used.flags = VIRTQ_USED_F_NO_NOTIFY
    core.drvSubmit(q, [chain]);
    expect(core.drvKick(q)).toBe(false);
    core.devPush(q, (core.devPop(q) as { head: number }).head, 0);
    expect(core.devNotify(q)).toBe(true);
    writeU16(core, 0, cfg.availGpa, 1); //  avail.flags = VIRTQ_AVAIL_F_NO_INTERRUPT
    core.devPush(q, (core.devPop(q) as { head: number }).head, 0);
    expect(core.devNotify(q)).toBe(false);
  });
});

describe('indirect descriptors (VIRTIO 1.2 §2.7.5.3)', () => {
  it('places the chain in a table and the device walks it through the IOMMU', async () => {
    const core = await makeCore();
    vmWithDevice(core, 0, 0);
    const { q, cfg, bufGpa } = queueAt(core, { vm: 0, dev: 0, size: 8, base: 0x1000 });
    const table = bufGpa + 0x3000;
    const chain = {
      out: [{ gpa: bufGpa, len: 100 }],
      in: [{ gpa: bufGpa + 0x1ff0, len: 32 }, { gpa: bufGpa + 0x2800, len: 8 }],
      indirectGpa: table,
    };
    expect(core.drvSubmit(q, [chain])).toBe(1);
    expect(core.drvFreeCount(q)).toBe(7); // one descriptor in the main table
    const desc = core.guestRead(0, cfg.descGpa, 16) as Uint8Array;
    const dv = new DataView(desc.buffer);
    expect(Number(dv.getBigUint64(0, true))).toBe(table);
    expect(dv.getUint32(8, true)).toBe(48);
    expect(dv.getUint16(12, true)).toBe(4); // VIRTQ_DESC_F_INDIRECT
    const popped = core.devPop(q) as { head: number; segments: { host: number; len: number; writable: boolean }[] };
    expect(popped.head).toBe(0);
    // The 32-byte writable buffer straddles a page: two segments.
    expect(popped.segments).toEqual([
      { host: core.iommuTranslate(0, bufGpa, false), len: 100, writable: false },
      { host: core.iommuTranslate(0, bufGpa + 0x1ff0, true), len: 16, writable: true },
      { host: core.iommuTranslate(0, bufGpa + 0x2000, true), len: 16, writable: true },
      { host: core.iommuTranslate(0, bufGpa + 0x2800, true), len: 8, writable: true },
    ]);
    core.devPush(q, 0, 40);
    expect(core.drvReclaim(q, 8)).toEqual([{ id: 0, len: 40 }]);
    expect(core.drvFreeCount(q)).toBe(8);
  });

  it('devFill scatters across writable buffers and devDrain gathers readable ones', async () => {
    const core = await makeCore();
    vmWithDevice(core, 0, 0);
    const { q, bufGpa } = queueAt(core, { vm: 0, dev: 0, size: 8, base: 0x1000 });
    const rx = { out: [], in: [{ gpa: bufGpa, len: 5 }, { gpa: bufGpa + 0x100, len: 20 }], indirectGpa: bufGpa + 0x800 };
    core.drvSubmit(q, [rx]);
    const data = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);
    expect(core.devFill(q, data)).toBe(0);
    expect(Array.from(core.guestRead(0, bufGpa, 5) as Uint8Array)).toEqual(Array.from(data.subarray(0, 5)));
    expect(Array.from(core.guestRead(0, bufGpa + 0x100, 7) as Uint8Array)).toEqual(Array.from(data.subarray(5)));
    expect(core.drvReclaim(q, 8)).toEqual([{ id: 0, len: 12 }]);
    expect(core.devFill(q, data)).toBe(-1); // no buffer
    core.guestWrite(0, bufGpa + 0x200, Uint8Array.of(1, 2, 3));
    core.guestWrite(0, bufGpa + 0x300, Uint8Array.of(4, 5));
    core.drvSubmit(q, [{ out: [{ gpa: bufGpa + 0x200, len: 3 }, { gpa: bufGpa + 0x300, len: 2 }], in: [] }]);
    const drained = core.devDrain(q, 8);
    expect(drained.map((d) => Array.from(d.data))).toEqual([[1, 2, 3, 4, 5]]);
  });
});

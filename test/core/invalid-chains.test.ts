// Each invalid chain fails the queue with its own fault code (recorded), later device operations
// are refused without touching guest memory, other queues keep working, and a reset recovers.
import { describe, expect, it } from 'vitest';
import { FAULT, VIRTQ_DESC_F } from '../../src/core/codes.js';
import type { Core } from '../../src/core/core.js';
import { makeCore, vmWithDevice, queueAt, TraceLog, writeU16, PAGE } from './helpers.js';

const { next: NEXT, write: WRITE, indirect: INDIRECT } = VIRTQ_DESC_F;
const SIZE = 8;
const RAM = 2 << 20;

interface Ctx {
  core: Core;
  q: number;
  other: number;
  buf: number;
  availGpa: number;
}

function descBytes(addr: number, len: number, flags: number, next: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt(addr), true);
  v.setUint32(8, len, true);
  v.setUint16(12, flags, true);
  v.setUint16(14, next, true);
  return b;
}

const cases: { name: string; fault: keyof typeof FAULT; build: (c: Ctx) => void }[] = [
  { name: 'head index >= size', fault: 'desc_index_out_of_range', build: (c) => c.core.drvRawPublish(c.q, SIZE + 1) },
  {
    name: 'next index >= size', fault: 'desc_index_out_of_range',
    build: (c) => { c.core.drvRawDesc(c.q, 0, c.buf, 8, NEXT, SIZE); c.core.drvRawPublish(c.q, 0); },
  },
  {
    name: 'loop', fault: 'desc_chain_loop',
    build: (c) => {
      c.core.drvRawDesc(c.q, 0, c.buf, 8, NEXT, 1);
      c.core.drvRawDesc(c.q, 1, c.buf, 8, NEXT, 0);
      c.core.drvRawPublish(c.q, 0);
    },
  },
  {
    name: 'address unmapped', fault: 'addr_unmapped',
    build: (c) => { c.core.drvRawDesc(c.q, 0, RAM + 0x10_0000, 64, 0, 0); c.core.drvRawPublish(c.q, 0); },
  },
  {
    name: 'address beyond 64 bits of sense (2^63 + 4096)', fault: 'addr_unmapped',
    build: (c) => {
      // drvRawDesc takes numbers; write the descriptor bytes directly to reach 2^63.
      const d = new Uint8Array(16);
      const v = new DataView(d.buffer);
      v.setBigUint64(0, (1n << 63n) + 4096n, true);
      v.setUint32(8, 64, true);
      c.core.guestWrite(0, 0x1000, d);
      c.core.drvRawPublish(c.q, 0);
    },
  },
  {
    name: 'device write to a read-only IOMMU page', fault: 'permission',
    build: (c) => {
      c.core.iommuMapGuest(0, c.buf + 4 * PAGE, 1, 1);
      c.core.drvRawDesc(c.q, 0, c.buf + 4 * PAGE, 64, WRITE, 0);
      c.core.drvRawPublish(c.q, 0);
    },
  },
  {
    name: 'readable after writable', fault: 'readable_after_writable',
    build: (c) => {
      c.core.drvRawDesc(c.q, 0, c.buf, 8, WRITE | NEXT, 1);
      c.core.drvRawDesc(c.q, 1, c.buf + 64, 8, 0, 0);
      c.core.drvRawPublish(c.q, 0);
    },
  },
  {
    name: 'nested indirect', fault: 'nested_indirect',
    build: (c) => {
      c.core.guestWrite(0, c.buf + PAGE, descBytes(c.buf + 2 * PAGE, 16, INDIRECT, 0));
      c.core.drvRawDesc(c.q, 0, c.buf + PAGE, 16, INDIRECT, 0);
      c.core.drvRawPublish(c.q, 0);
    },
  },
  {
    name: 'INDIRECT with NEXT', fault: 'indirect_with_next',
    build: (c) => { c.core.drvRawDesc(c.q, 0, c.buf + PAGE, 16, INDIRECT | NEXT, 1); c.core.drvRawPublish(c.q, 0); },
  },
  {
    name: 'indirect table length 0', fault: 'indirect_bad_len',
    build: (c) => { c.core.drvRawDesc(c.q, 0, c.buf + PAGE, 0, INDIRECT, 0); c.core.drvRawPublish(c.q, 0); },
  },
  {
    name: 'indirect table length not a multiple of 16', fault: 'indirect_bad_len',
    build: (c) => { c.core.drvRawDesc(c.q, 0, c.buf + PAGE, 24, INDIRECT, 0); c.core.drvRawPublish(c.q, 0); },
  },
  {
    name: 'loop inside an indirect table', fault: 'desc_chain_loop',
    build: (c) => {
      const t = new Uint8Array(32);
      t.set(descBytes(c.buf, 8, NEXT, 1), 0);
      t.set(descBytes(c.buf, 8, NEXT, 0), 16);
      c.core.guestWrite(0, c.buf + PAGE, t);
      c.core.drvRawDesc(c.q, 0, c.buf + PAGE, 32, INDIRECT, 0);
      c.core.drvRawPublish(c.q, 0);
    },
  },
  {
    name: 'avail idx jumps by more than the queue size', fault: 'avail_idx_jump',
    build: (c) => writeU16(c.core, 0, c.availGpa + 2, SIZE + 1),
  },
  {
    name: 'more segments than the segment table holds', fault: 'chain_too_long',
    build: (c) => { c.core.drvRawDesc(c.q, 0, 0, 257 * PAGE, 0, 0); c.core.drvRawPublish(c.q, 0); },
  },
];

async function setup(): Promise<Ctx & { log: TraceLog }> {
  const core = await makeCore({ hostRamBytes: 4 << 20 });
  const log = new TraceLog(core);
  vmWithDevice(core, 0, 0, RAM);
  const main = queueAt(core, { vm: 0, dev: 0, size: SIZE, base: 0x1000 });
  const other = queueAt(core, { vm: 0, dev: 0, index: 1, size: SIZE, base: 0x8000 });
  return { core, log, q: main.q, other: other.q, buf: 0x10_000, availGpa: main.cfg.availGpa };
}

function goodChain(buf: number): { out: { gpa: number; len: number }[]; in: { gpa: number; len: number }[] } {
  return { out: [{ gpa: buf, len: 16 }], in: [{ gpa: buf + 32, len: 16 }] };
}

describe('invalid descriptor chains fail the queue', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const ctx = await setup();
      const { core, log, q, other, buf } = ctx;
      c.build(ctx);
      expect(core.devPop(q)).toBe(FAULT[c.fault]);
      expect(core.vqFailed(q)).toBe(true);
      expect(core.vqFailCode(q)).toBe(FAULT[c.fault]);
      const faults = log.of('fault');
      expect(faults.at(-1)).toMatchObject({ id: FAULT[c.fault], queue: q, dev: 0, vm: 0 });

      // Refused without touching guest memory: the IOMMU TLB sees no access at all.
      const before = core.iommuTlbStats(0);
      expect(core.devPop(q)).toBe(FAULT.queue_failed);
      expect(core.devCompleteAll(q, 0)).toBe(0);
      expect(core.devNotify(q)).toBe(false);
      expect(core.iommuTlbStats(0)).toEqual(before);
      expect(log.of('fault').at(-1)).toMatchObject({ id: FAULT.queue_failed, queue: q });

      // Another queue of the same device is unaffected.
      expect(core.drvSubmit(other, [goodChain(buf)])).toBe(1);
      expect(core.devPop(other)).toMatchObject({ head: 0 });
      expect(core.vqFailed(other)).toBe(false);

      // A reset (through the same checks as creation) recovers the queue.
      core.vqReset(q);
      expect(core.vqFailed(q)).toBe(false);
      expect(core.drvFreeCount(q)).toBe(SIZE);
      expect(core.drvSubmit(q, [goodChain(buf)])).toBe(1);
      const popped = core.devPop(q);
      expect(popped).toMatchObject({ head: 0 });
      core.devPush(q, 0, 16);
      expect(core.drvReclaim(q, 8)).toEqual([{ id: 0, len: 16 }]);
    });
  }

  it('a misaligned indirect table whose descriptor straddles a page is read correctly', async () => {
    const { core, q, buf } = await setup();
    const table = buf + PAGE - 8; // hostile but legal placement: the descriptor crosses a page
    core.guestWrite(0, buf + 0x100, Uint8Array.of(9, 8, 7));
    core.guestWrite(0, table, descBytes(buf + 0x100, 3, 0, 0));
    core.drvRawDesc(q, 0, table, 16, INDIRECT, 0);
    core.drvRawPublish(q, 0);
    const d = core.devDrain(q, 1);
    expect(d.map((x) => Array.from(x.data))).toEqual([[9, 8, 7]]);
    expect(core.vqFailed(q)).toBe(false);
  });

  it('the core refuses bad queue configurations through the same door', async () => {
    const core = await makeCore();
    vmWithDevice(core, 0, 0);
    const base = { vm: 0, dev: 0, index: 0, descGpa: 0x1000, availGpa: 0x2000, usedGpa: 0x3000, eventIdx: false };
    expect(() => core.vqCreate({ ...base, size: 6 })).toThrow(/bad_queue_config/);
    expect(() => core.vqCreate({ ...base, size: 65536 })).toThrow(/bad_queue_config/);
    expect(() => core.vqCreate({ ...base, size: 8, descGpa: 0x1008 })).toThrow(/bad_queue_config/);
    expect(() => core.vqCreate({ ...base, size: 8, availGpa: 0x2001 })).toThrow(/bad_queue_config/);
    expect(() => core.vqCreate({ ...base, size: 8, usedGpa: 0x3002 })).toThrow(/bad_queue_config/);
    expect(() => core.vqCreate({ ...base, size: 8, usedGpa: (1 << 20) - 16 })).toThrow(/bad_queue_config/);
    expect(() => core.vqCreate({ ...base, size: 8, dev: 1 })).toThrow(/bad_queue_config/); // no IOMMU domain
    expect(core.vqCreate({ ...base, size: 8 })).toBe(0);
  });

  it('a reset that finds the ring unmapped keeps the queue failed', async () => {
    const { core, q } = await setup();
    core.drvRawPublish(q, SIZE + 1);
    expect(core.devPop(q)).toBe(FAULT.desc_index_out_of_range);
    core.s2Unmap(0, 0x1000, 1);
    core.vqReset(q);
    expect(core.vqFailed(q)).toBe(true);
    expect(core.vqFailCode(q)).toBe(FAULT.bad_queue_config);
  });
});

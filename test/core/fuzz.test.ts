// Hostile rings, generated from a fixed seed: whatever a guest writes, the device side either
// returns a chain whose segments lie inside the guest's RAM, or a recorded fault code with the
// queue failed. Never an assert, never a segment outside the VM. (A failing input found here
// becomes a named case in invalid-chains.test.ts.)
import { describe, expect, it } from 'vitest';
import { FAULT, FAULT_CODES, KIND } from '../../src/core/codes.js';
import { makeCore, vmWithDevice, queueAt, TraceLog, writeU16 } from './helpers.js';

/** Small deterministic generator for the test's own choices (not the core's PRNG). */
function lcg(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return Math.floor((x / 2 ** 32) * n);
  };
}

describe('hostile descriptor rings (seeded fuzz)', () => {
  it('every outcome is a well-formed chain or a recorded fault', async () => {
    const RAM = 1 << 20;
    const SIZE = 16;
    const core = await makeCore({ hostRamBytes: 2 << 20, traceCapacity: 1 << 15 });
    const log = new TraceLog(core);
    vmWithDevice(core, 0, 0, RAM);
    const { q, cfg } = queueAt(core, { vm: 0, dev: 0, size: SIZE, base: 0x1000 });
    const ramLo = core.s2Translate(0, 0, false);
    const rnd = lcg(0xc0ffee);
    const outcomes = new Map<string, number>();
    const addr = (): number => [0x10_000 + rnd(0x1000), RAM - 8 + rnd(16), rnd(2 ** 40), 0][rnd(4)]!;
    for (let iter = 0; iter < 3000; iter++) {
      const descs = 1 + rnd(4);
      for (let i = 0; i < descs; i++) {
        core.drvRawDesc(q, rnd(SIZE + 2), addr(), [0, 16, 48, 100, 5000, 2 ** 31][rnd(6)]!, rnd(8), rnd(SIZE + 2));
      }
      if (rnd(4) === 0) {
        const table = new Uint8Array(32);
        const v = new DataView(table.buffer);
        for (let k = 0; k < 2; k++) {
          v.setUint32(k * 16, addr(), true);
          v.setUint32(k * 16 + 8, rnd(200), true);
          v.setUint16(k * 16 + 12, rnd(8), true);
          v.setUint16(k * 16 + 14, rnd(3), true);
        }
        core.guestWrite(0, 0x20_000, table);
      }
      if (rnd(16) === 0) writeU16(core, 0, cfg.availGpa + 2, rnd(65536));
      else core.drvRawPublish(q, rnd(SIZE + 1));
      const r = core.devPop(q);
      if (r === null) {
        outcomes.set('empty', (outcomes.get('empty') ?? 0) + 1);
      } else if (typeof r === 'number') {
        expect(r).toBeGreaterThan(0);
        expect(r).toBeLessThan(FAULT_CODES.length);
        expect(core.vqFailed(q)).toBe(true);
        expect(log.rows.length + core.traceCount()).toBeGreaterThan(0);
        outcomes.set(FAULT_CODES[r]!, (outcomes.get(FAULT_CODES[r]!) ?? 0) + 1);
        core.vqReset(q);
      } else {
        for (const s of r.segments) {
          expect(s.host).toBeGreaterThanOrEqual(ramLo);
          expect(s.host + s.len).toBeLessThanOrEqual(ramLo + RAM);
          expect(s.len).toBeGreaterThan(0);
          expect(s.len).toBeLessThanOrEqual(4096);
        }
        const firstWritable = r.segments.findIndex((s) => s.writable);
        if (firstWritable >= 0) expect(r.segments.slice(firstWritable).every((s) => s.writable)).toBe(true);
        core.devPush(q, r.head, 0);
        outcomes.set('chain', (outcomes.get('chain') ?? 0) + 1);
      }
    }
    if (process.env.FUZZ_VERBOSE) console.log(outcomes);
    const faults = log.all().filter((row) => row.kind === KIND.fault);
    expect(faults.every((row) => row.id > 0 && row.id < FAULT_CODES.length)).toBe(true);
    // The generator reaches the interesting corners, not only one of them.
    for (const name of ['chain', 'desc_index_out_of_range', 'addr_unmapped', 'readable_after_writable', 'avail_idx_jump'] as const) {
      expect(outcomes.get(name) ?? 0, name).toBeGreaterThan(0);
    }
    expect(outcomes.get('queue_failed') ?? 0).toBe(0);
    expect(FAULT.none).toBe(0);
  });
});

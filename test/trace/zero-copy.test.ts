import { describe, expect, it } from 'vitest';
import { eventsBatch } from '../../src/trace/index.js';
import { eventColumns } from './helpers.js';

describe('events are wrapped without copying', () => {
  it('every Arrow column is a view of the same memory as the core column', () => {
    // Columns carved out of one ArrayBuffer at non-zero offsets, like views of WASM memory.
    const memory = new ArrayBuffer(4096);
    const cap = 16;
    let at = 64;
    const take = <T>(make: (b: ArrayBuffer, o: number, n: number) => T, bytes: number): T => {
      const view = make(memory, at, cap);
      at += bytes * cap;
      return view;
    };
    const template = eventColumns([{ ts: 1, kind: 'vq_used', val: 9 }], cap);
    const cols = {
      ts_ns: take((b, o, n) => new BigInt64Array(b, o, n), 8),
      seq: take((b, o, n) => new BigInt64Array(b, o, n), 8),
      id: take((b, o, n) => new BigInt64Array(b, o, n), 8),
      val: take((b, o, n) => new BigInt64Array(b, o, n), 8),
      len: take((b, o, n) => new Int32Array(b, o, n), 4),
      vm: take((b, o, n) => new Int16Array(b, o, n), 2),
      vcpu: take((b, o, n) => new Int16Array(b, o, n), 2),
      dev: take((b, o, n) => new Int16Array(b, o, n), 2),
      queue: take((b, o, n) => new Int16Array(b, o, n), 2),
      kind: take((b, o, n) => new Uint8Array(b, o, n), 1),
    };
    for (const name of Object.keys(cols) as (keyof typeof cols)[]) {
      (cols[name] as unknown as { set(a: ArrayLike<unknown>): void }).set(template[name]);
    }
    const count = 5;
    const batch = eventsBatch(cols, count);
    expect(batch.numRows).toBe(count);
    for (const name of Object.keys(cols) as (keyof typeof cols)[]) {
      const values = batch.getChild(name)!.data[0]!.values as ArrayBufferView;
      const input = cols[name];
      expect(values.buffer, name).toBe(memory);
      expect(values.byteOffset, name).toBe(input.byteOffset);
      expect(values.byteLength, name).toBe(count * input.BYTES_PER_ELEMENT);
    }
    // A write through the input view is visible through the Arrow vector: shared memory.
    cols.val[0] = 12345n;
    expect(batch.getChild('val')!.get(0)).toBe(12345n);
    cols.kind[0] = 7;
    expect(batch.getChild('kind')!.get(0)).toBe('fault');
  });

  it('refuses a count larger than the columns hold', () => {
    const cols = eventColumns([{ ts: 1, kind: 'vq_used' }], 4);
    expect(() => eventsBatch(cols, 5)).toThrow(/holds 4 rows, 5 requested/);
  });
});

// Plain-TypeScript reference of the core's trace columns (assembly/trace/columns.ts), for the
// same-algorithm virtqueue benchmark: ten struct-of-arrays columns, one row per event, a soft
// limit (capacity minus the per-step reserve) where the owner drains, asserts on every write.
//
// The i64 columns (ts, seq, id, val) are written without BigInt: each is an Int32Array over the
// same bytes a BigInt64Array view reads, and a row writes the two little-endian halves
// (lo = v | 0, hi = floor(v / 2^32)), exact for every integer below 2^53. The bytes are the
// core's, so the checks compare them through BigInt64Array views outside the loop.

import type { TraceColumns } from '../src/core/api.js';
import { EVENT_KINDS } from '../src/core/codes.js';

const SEG_MAX = 256; // assembly/layout.ts SEG_MAX
const STEP_ROWS_BASE = SEG_MAX + 64; // assembly/trace/columns.ts STEP_ROWS_BASE
const PAGE_SHIFT = 12;
const KIND_MAX = EVENT_KINDS.length - 1; // Kind.INPUT
const TWO_32 = 4294967296;

export type RefTraceSink = (trace: TraceRef, count: number) => void;

export class TraceRef {
  readonly capacity: number;
  soft = 0;
  count = 0;
  /** Virtual time (assembly/clock.ts now) and the global sequence counter. */
  now = 0;
  seq = 0;
  private readonly scratchBytes: number;
  private readonly ts: Int32Array;
  private readonly seqCol: Int32Array;
  private readonly id: Int32Array;
  private readonly val: Int32Array;
  private readonly len: Int32Array;
  private readonly vm: Int16Array;
  private readonly vcpu: Int16Array;
  private readonly dev: Int16Array;
  private readonly queue: Int16Array;
  private readonly kind: Uint8Array;

  constructor(capacity: number, scratchBytes: number) {
    this.capacity = capacity;
    this.scratchBytes = scratchBytes;
    this.ts = new Int32Array(2 * capacity);
    this.seqCol = new Int32Array(2 * capacity);
    this.id = new Int32Array(2 * capacity);
    this.val = new Int32Array(2 * capacity);
    this.len = new Int32Array(capacity);
    this.vm = new Int16Array(capacity);
    this.vcpu = new Int16Array(capacity);
    this.dev = new Int16Array(capacity);
    this.queue = new Int16Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.reserveFor(0);
  }

  /** Rows one step on a queue of `size` can write (columns.ts stepRowsFor). */
  stepRowsFor(size: number): number {
    return 2 * size + STEP_ROWS_BASE + (this.scratchBytes >> PAGE_SHIFT);
  }

  /** Raise the reserve to cover a queue of `size`; false when the capacity cannot hold it. */
  reserveFor(size: number): boolean {
    const reserve = this.stepRowsFor(size);
    if (reserve > this.capacity / 2) return false;
    const soft = this.capacity - reserve;
    if (soft < this.soft || this.soft === 0) this.soft = soft;
    return true;
  }

  room(): boolean {
    return this.count < this.soft;
  }

  /**
   * Append one row at `now`; -1 marks a column that does not apply. Positional, like the core's
   * traceRow: an options object per row would allocate in the loop.
   */
  row(
    kind: number, vm: number, dev: number, queue: number, id: number, len: number, val: number,
  ): void {
    const n = this.count;
    if (n >= this.capacity) throw new Error('trace: a step wrote more rows than the reserve');
    if (kind <= 0 || kind > KIND_MAX) throw new Error('trace: unknown event kind');
    const w = n << 1;
    const now = this.now;
    const seq = this.seq++;
    this.ts[w] = now | 0;
    this.ts[w + 1] = Math.floor(now / TWO_32);
    this.seqCol[w] = seq | 0;
    this.seqCol[w + 1] = Math.floor(seq / TWO_32);
    this.id[w] = id | 0;
    this.id[w + 1] = Math.floor(id / TWO_32);
    this.val[w] = val | 0;
    this.val[w + 1] = Math.floor(val / TWO_32);
    this.len[n] = len;
    this.vm[n] = vm;
    this.vcpu[n] = -1;
    this.dev[n] = dev;
    this.queue[n] = queue;
    this.kind[n] = kind;
    this.count = n + 1;
  }

  /** Hand the rows to the sink (if any were written) and start over, as Core.drain() does. */
  drain(sink: RefTraceSink): void {
    if (this.count === 0) return;
    sink(this, this.count);
    this.count = 0;
  }

  /** The first `count` rows as BigInt views over the same bytes (checks only, not the loop). */
  columns(): TraceColumns {
    const n = this.count;
    const i64 = (a: Int32Array) => new BigInt64Array(a.buffer, a.byteOffset, n);
    return {
      ts_ns: i64(this.ts), seq: i64(this.seqCol), vm: this.vm.subarray(0, n),
      vcpu: this.vcpu.subarray(0, n), kind: this.kind.subarray(0, n), dev: this.dev.subarray(0, n),
      queue: this.queue.subarray(0, n), id: i64(this.id), len: this.len.subarray(0, n),
      val: i64(this.val),
    };
  }
}

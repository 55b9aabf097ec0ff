// BARE RING reference (no translation, no trace): the split-ring cycle alone, over one Uint8Array
// with a DataView: driver submit of 3-descriptor chains, device pop + bounded walk + push used,
// driver reclaim. Same layout (VIRTIO 1.2 §2.7) and the same ring checks on the device side, but
// guest addresses are offsets into the array (identity "translation" with a bounds check), no
// TLB, no trace rows, no avail-time bookkeeping. It is NOT the core's algorithm (that is
// virtqueue-full-ref.ts); bench/virtqueue.ts reports it as what the ring alone costs in plain TS.
// No BigInt (a 64-bit address is written as two u32 halves).

import { VIRTQ_DESC_F } from '../src/core/codes.js';

const { next: NEXT, write: WRITE, indirect: INDIRECT } = VIRTQ_DESC_F;

export interface RefBuffer {
  gpa: number;
  len: number;
  write: boolean;
}

export class RefSplitQueue {
  private readonly dv: DataView;
  private readonly memBytes: number;
  private readonly next: Uint16Array;
  private readonly chainLen: Uint16Array;
  private readonly segAddr = new Float64Array(256);
  private readonly segLen = new Uint32Array(256);
  private freeHead = 0;
  private freeCount: number;
  private availShadow = 0;
  private lastUsed = 0;
  private lastAvail = 0;
  private usedShadow = 0;
  segCount = 0;
  writableBytes = 0;

  constructor(
    mem: Uint8Array,
    readonly size: number,
    private readonly desc: number,
    private readonly avail: number,
    private readonly used: number,
  ) {
    this.dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    this.memBytes = mem.byteLength;
    this.next = new Uint16Array(size);
    this.chainLen = new Uint16Array(size);
    for (let i = 0; i < size; i++) this.next[i] = (i + 1) % size;
    this.freeCount = size;
  }

  get free(): number {
    return this.freeCount;
  }

  /** Driver: place one chain and its avail entry (idx published by publish()). */
  submit(bufs: RefBuffer[]): number {
    const n = bufs.length;
    const head = this.freeHead;
    let d = head;
    for (let i = 0; i < n; i++) {
      const b = bufs[i]!;
      const at = this.desc + 16 * d;
      this.dv.setUint32(at, b.gpa >>> 0, true);
      this.dv.setUint32(at + 4, Math.floor(b.gpa / 0x1_0000_0000), true);
      this.dv.setUint32(at + 8, b.len, true);
      this.dv.setUint16(at + 12, (i + 1 < n ? NEXT : 0) | (b.write ? WRITE : 0), true);
      this.dv.setUint16(at + 14, this.next[d]!, true);
      if (i + 1 < n) d = this.next[d]!;
    }
    this.freeHead = this.next[d]!;
    this.freeCount -= n;
    this.chainLen[head] = n;
    this.dv.setUint16(this.avail + 4 + 2 * (this.availShadow & (this.size - 1)), head, true);
    this.availShadow = (this.availShadow + 1) & 0xffff;
    return head;
  }

  publish(): void {
    this.dv.setUint16(this.avail + 2, this.availShadow, true);
  }

  private checkRange(addr: number, len: number): boolean {
    return addr >= 0 && addr + len <= this.memBytes;
  }

  /** Device: pop and walk one chain; head, -1 empty, -2 invalid. */
  pop(): number {
    const availIdx = this.dv.getUint16(this.avail + 2, true);
    const pending = (availIdx - this.lastAvail) & 0xffff;
    if (pending === 0) return -1;
    if (pending > this.size) return -2;
    const head = this.dv.getUint16(this.avail + 4 + 2 * (this.lastAvail & (this.size - 1)), true);
    if (head >= this.size) return -2;
    let idx = head;
    let budget = this.size;
    let seenWritable = false;
    this.segCount = 0;
    this.writableBytes = 0;
    for (;;) {
      if (budget-- === 0) return -2;
      const at = this.desc + 16 * idx;
      const addr = this.dv.getUint32(at, true) + this.dv.getUint32(at + 4, true) * 0x1_0000_0000;
      const len = this.dv.getUint32(at + 8, true);
      const flags = this.dv.getUint16(at + 12, true);
      if ((flags & INDIRECT) !== 0) return -2; // the benchmark chains are direct
      const writable = (flags & WRITE) !== 0;
      if (!writable && seenWritable) return -2;
      seenWritable ||= writable;
      if (!this.checkRange(addr, len) || this.segCount === 256) return -2;
      this.segAddr[this.segCount] = addr;
      this.segLen[this.segCount++] = len;
      if (writable) this.writableBytes += len;
      if ((flags & NEXT) === 0) break;
      idx = this.dv.getUint16(at + 14, true);
      if (idx >= this.size) return -2;
    }
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    return head;
  }

  /** Device: write one used element (idx published by publishUsed()). */
  push(head: number, len: number): void {
    const at = this.used + 4 + 8 * (this.usedShadow & (this.size - 1));
    this.dv.setUint32(at, head, true);
    this.dv.setUint32(at + 4, len, true);
    this.usedShadow = (this.usedShadow + 1) & 0xffff;
  }

  publishUsed(): void {
    this.dv.setUint16(this.used + 2, this.usedShadow, true);
  }

  /** Driver: take used elements back and free their descriptors; returns how many. */
  reclaim(): number {
    const usedIdx = this.dv.getUint16(this.used + 2, true);
    let count = 0;
    while (this.lastUsed !== usedIdx && count < this.size) {
      const id = this.dv.getUint32(this.used + 4 + 8 * (this.lastUsed & (this.size - 1)), true);
      const n = this.chainLen[id]!;
      let last = id;
      for (let i = 1; i < n; i++) last = this.next[last]!;
      this.next[last] = this.freeHead;
      this.freeHead = id;
      this.freeCount += n;
      this.chainLen[id] = 0;
      this.lastUsed = (this.lastUsed + 1) & 0xffff;
      count++;
    }
    return count;
  }
}

/** `chains` full cycles in batches as large as the ring allows; returns cycles completed. */
export function refCycle(q: RefSplitQueue, chain: RefBuffer[], chains: number): number {
  let done = 0;
  while (done < chains) {
    const batch = Math.min(chains - done, Math.floor(q.free / chain.length));
    for (let i = 0; i < batch; i++) q.submit(chain);
    q.publish();
    for (;;) {
      const head = q.pop();
      if (head === -1) break;
      if (head < 0) return done;
      q.push(head, q.writableBytes);
    }
    q.publishUsed();
    if (q.reclaim() !== batch) return done;
    done += batch;
  }
  return done;
}

// A guest's driver for one split virtqueue: ring placement, a pool of fixed-size buffers, and
// the bookkeeping that maps used elements back to buffers (by the heads drvSubmit hands back,
// never by reading its own descriptor table: that would be guest memory traffic, and TLB
// misses in the trace, that a real driver does not make). The ring work itself (descriptor
// allocation, avail/used rings, EVENT_IDX) is the core's driver side; this class decides what
// to put in the queue, as a guest kernel's virtio driver would.

import { z } from 'zod';
import type { CoreApi, ChainSpec, UsedElem } from '../core/api.js';
import { checkState, requireState } from '../engine/state-check.js';
import type { GuestMemory } from './guest-memory.js';

/** What a submit-and-kick did: chains queued, and whether the kick notified the device. */
export interface Submitted {
  queued: number;
  notified: boolean;
}

export interface QueueDriverOptions {
  core: CoreApi;
  memory: GuestMemory;
  dev: number;
  index: number; //   queue index within the device
  size: number; //    descriptors (power of two)
  slotBytes: number; // bytes per buffer
  eventIdx?: boolean;
}

/** VIRTIO 1.2 §2.7: descriptor table 16·size (align 16), avail 6+2·size (align 2), used 6+8·size (align 4). */
export function ringBytes(size: number): { desc: number; avail: number; used: number } {
  return { desc: 16 * size, avail: 6 + 2 * size, used: 6 + 8 * size };
}

/** A driver's bookkeeping as plain data (the ring itself is guest memory: the core's snapshot). */
const driverSchema = z.strictObject({
  freeSlots: z.array(z.number().int().nonnegative()),
  slotByHead: z.array(z.number().int().min(-1)),
});
export type QueueDriverState = z.infer<typeof driverSchema>;

export class QueueDriver {
  readonly q: number;
  readonly vm: number;
  private readonly core: CoreApi;
  private readonly poolGpa: number;
  private readonly slotBytes: number;
  private readonly freeSlots: number[] = [];
  private readonly slotCount: number;
  /** the buffer slot behind each in-flight head (Linux keeps desc_state per head too); -1 free */
  private readonly slotByHead: Int32Array;
  private readonly heads: number[] = [];

  constructor(options: QueueDriverOptions) {
    const { core, memory, size, slotBytes } = options;
    const bytes = ringBytes(size);
    this.core = core;
    this.vm = memory.vm;
    this.slotBytes = slotBytes;
    const descGpa = memory.alloc(bytes.desc, 16);
    const availGpa = memory.alloc(bytes.avail, 2);
    const usedGpa = memory.alloc(bytes.used, 4);
    this.slotCount = size;
    this.slotByHead = new Int32Array(size).fill(-1);
    this.poolGpa = memory.alloc(slotBytes * size, 64);
    for (let slot = size - 1; slot >= 0; slot--) this.freeSlots.push(slot);
    this.q = core.vqCreate({
      vm: memory.vm,
      dev: options.dev,
      index: options.index,
      size,
      descGpa,
      availGpa,
      usedGpa,
      eventIdx: options.eventIdx ?? true,
    });
  }

  get freeCount(): number {
    return this.freeSlots.length;
  }

  slotGpa(slot: number): number {
    return this.poolGpa + slot * this.slotBytes;
  }

  /**
   * Queues device-readable messages (each in its own buffer, optionally followed by a
   * device-writable status area of `inBytes` at the end of the same slot). One core call.
   * Returns how many were queued (fewer when buffers run out: the guest's queue is full).
   */
  send(messages: Uint8Array[], inBytes = 0): number {
    return this.submit(this.messageChains(messages, inBytes));
  }

  /** send, then kick when anything was queued: one core call (issue 10 §2). */
  sendAndKick(messages: Uint8Array[], inBytes = 0): Submitted {
    return this.submitAndKick(this.messageChains(messages, inBytes));
  }

  /** Each message written into a free buffer, as a chain (stops when buffers run out). */
  private messageChains(messages: Uint8Array[], inBytes: number): ChainSpec[] {
    const chains: ChainSpec[] = [];
    for (const message of messages) {
      if (message.length + inBytes > this.slotBytes) {
        throw new Error(`assert: message of ${message.length} bytes exceeds the ${this.slotBytes}-byte slot`);
      }
      const slot = this.freeSlots.pop();
      if (slot === undefined) break;
      const gpa = this.slotGpa(slot);
      if (this.core.guestWrite(this.vm, gpa, message) !== 0) throw new Error('assert: driver buffer unmapped');
      const chain: ChainSpec = { out: [{ gpa, len: message.length }], in: [] };
      if (inBytes > 0) chain.in.push({ gpa: gpa + this.slotBytes - inBytes, len: inBytes });
      chains.push(chain);
    }
    return chains;
  }

  /** Posts empty device-writable buffers (receive queues). Returns how many were posted. */
  post(count: number): number {
    return this.submit(this.emptyChains(count));
  }

  /** post, then kick when anything was posted: one core call (issue 10 §2). */
  postAndKick(count: number): Submitted {
    return this.submitAndKick(this.emptyChains(count));
  }

  private emptyChains(count: number): ChainSpec[] {
    const chains: ChainSpec[] = [];
    for (let i = 0; i < count; i++) {
      const slot = this.freeSlots.pop();
      if (slot === undefined) break;
      chains.push({ out: [], in: [{ gpa: this.slotGpa(slot), len: this.slotBytes }] });
    }
    return chains;
  }

  /** One core call; placed chains' slots are remembered by head, the others go back to the pool. */
  private submit(chains: ChainSpec[]): number {
    const heads = this.heads;
    heads.length = 0;
    const queued = this.core.drvSubmit(this.q, chains, heads);
    this.remember(chains, queued);
    return queued;
  }

  private submitAndKick(chains: ChainSpec[]): Submitted {
    this.heads.length = 0;
    const { placed, notified } = this.core.drvSubmitKick(this.q, chains, this.heads);
    this.remember(chains, placed);
    return { queued: placed, notified };
  }

  private remember(chains: ChainSpec[], queued: number): void {
    const heads = this.heads;
    for (let i = 0; i < queued; i++) this.slotByHead[heads[i]!] = this.slotOfChain(chains[i]!);
    for (let i = chains.length - 1; i >= queued; i--) this.freeSlots.push(this.slotOfChain(chains[i]!));
  }

  private slotOfChain(chain: ChainSpec): number {
    return this.slotOf(chain.out[0]?.gpa ?? chain.in[0]!.gpa);
  }

  kick(): boolean {
    return this.core.drvKick(this.q);
  }

  /** Takes completed buffers back; for each, `read` (if given) receives the written bytes. */
  reclaim(read?: (data: Uint8Array, elem: UsedElem) => void, max = 1 << 16): number {
    return this.takeBack(this.core.drvReclaim(this.q, max), read);
  }

  /**
   * reclaim() here, then other.reclaim(read): one core call (issue 10 §2). This queue's buffers
   * are taken back without reading them, so nothing touches the core between the two reclaims.
   */
  reclaimWith(other: QueueDriver, read?: (data: Uint8Array, elem: UsedElem) => void, max = 1 << 16): void {
    const [mine, theirs] = this.core.drvReclaimPair(this.q, other.q, max);
    this.takeBack(mine);
    other.takeBack(theirs, read);
  }

  private takeBack(used: UsedElem[], read?: (data: Uint8Array, elem: UsedElem) => void): number {
    for (const elem of used) {
      const slot = this.slotByHead[elem.id] ?? -1;
      if (slot < 0) throw new Error(`assert: used element names head ${elem.id}, which is not in flight`);
      this.slotByHead[elem.id] = -1;
      if (read !== undefined && elem.len > 0) {
        const data = this.core.guestRead(this.vm, this.slotGpa(slot), Math.min(elem.len, this.slotBytes));
        if (typeof data !== 'number') read(data, elem);
      }
      this.freeSlots.push(slot);
    }
    return used.length;
  }

  private slotOf(gpa: number): number {
    const slot = Math.floor((gpa - this.poolGpa) / this.slotBytes);
    if (slot < 0 || slot >= this.slotCount) throw new Error(`assert: gpa 0x${gpa.toString(16)} is not a pool buffer`);
    return slot;
  }

  saveState(): QueueDriverState {
    return { freeSlots: [...this.freeSlots], slotByHead: Array.from(this.slotByHead) };
  }

  /** Every slot is either free or behind exactly one in-flight head (checked before assigning). */
  loadState(value: unknown, path: string): void {
    const state = checkState(driverSchema, value, path);
    const n = this.slotCount;
    requireState(state.slotByHead.length === n, `${path}.slotByHead`, `${state.slotByHead.length} heads, the queue has ${n}`);
    const seen = new Uint8Array(n);
    const mark = (slot: number, where: string): void => {
      requireState(slot < n, where, `slot ${slot} is not a buffer (0..${n - 1})`);
      requireState(seen[slot] === 0, where, `slot ${slot} is both free and in flight, or twice`);
      seen[slot] = 1;
    };
    state.freeSlots.forEach((slot, i) => mark(slot, `${path}.freeSlots[${i}]`));
    state.slotByHead.forEach((slot, i) => slot >= 0 && mark(slot, `${path}.slotByHead[${i}]`));
    requireState(seen.every((x) => x === 1), path, 'a buffer slot is neither free nor in flight');
    this.freeSlots.length = 0;
    this.freeSlots.push(...state.freeSlots);
    this.slotByHead.set(state.slotByHead);
  }
}

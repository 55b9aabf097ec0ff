// A guest's driver for one split virtqueue: ring placement, a pool of fixed-size buffers, and
// the bookkeeping that maps used elements back to buffers (by the heads drvSubmit hands back,
// never by reading its own descriptor table: that would be guest memory traffic, and TLB
// misses in the trace, that a real driver does not make). The ring work itself (descriptor
// allocation, avail/used rings, EVENT_IDX) is the core's driver side; this class decides what
// to put in the queue, as a guest kernel's virtio driver would.

import { z } from 'zod';
import { chainStage, usedBatch, type ChainStage, type CoreApi, type UsedBatch } from '../core/api.js';
import { checkState, requireState } from '../engine/state-check.js';
import type { GuestMemory } from './guest-memory.js';

/**
 * A received buffer's bytes for a reclaim's reader: valid during the call only (they may be the
 * guest's memory in place, issue 10 §2); `len` is what the device said it wrote.
 */
export type ReadUsed = (data: Uint8Array, len: number) => void;

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

// Issue 10 §2: no object per buffer. The free slots are a stack in a typed array (the order the
// array of numbers had: the same slots, so the same guest addresses and TLB traffic), chains go
// to the core through a ChainStage and used elements come back in a UsedBatch, both reused.
export class QueueDriver {
  readonly q: number;
  readonly vm: number;
  private readonly core: CoreApi;
  private readonly poolGpa: number;
  private readonly slotBytes: number;
  /** free slots [0, freeTop): a stack, the top (last pushed) taken first */
  private readonly freeSlots: Int32Array;
  private freeTop = 0;
  private readonly slotCount: number;
  /** the buffer slot behind each in-flight head (Linux keeps desc_state per head too); -1 free */
  private readonly slotByHead: Int32Array;
  private readonly stage: ChainStage;
  /** the slot of each staged chain */
  private readonly stageSlot: Int32Array;
  private readonly used: UsedBatch;
  /** Whether the last submit-and-kick notified the device. */
  notified = false;

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
    this.freeSlots = new Int32Array(size);
    for (let slot = size - 1; slot >= 0; slot--) this.freeSlots[this.freeTop++] = slot;
    this.stage = chainStage(size);
    this.stageSlot = new Int32Array(size);
    this.used = usedBatch(size);
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
    return this.freeTop;
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
    this.stageMessages(messages, inBytes);
    return this.submitStaged(false);
  }

  /** send, then kick when anything was queued: one core call (issue 10 §2); `notified` says. */
  sendAndKick(messages: Uint8Array[], inBytes = 0): number {
    this.stageMessages(messages, inBytes);
    return this.submitStaged(true);
  }

  private stageMessages(messages: Uint8Array[], inBytes: number): void {
    this.stage.count = 0;
    for (const message of messages) if (!this.stageMessage(message, inBytes)) break;
  }

  /**
   * Starts a batch of messages staged one by one (stageMessage), sent by submitStaged: for a
   * device that builds each message in a buffer of its own it reuses (no array of messages).
   */
  beginStage(): void {
    this.stage.count = 0;
  }

  /** The message written into a free buffer and staged as a chain; false when none is free. */
  stageMessage(message: Uint8Array, inBytes = 0): boolean {
    if (message.length + inBytes > this.slotBytes) {
      throw new Error(`assert: message of ${message.length} bytes exceeds the ${this.slotBytes}-byte slot`);
    }
    if (this.freeTop === 0) return false;
    const slot = this.freeSlots[--this.freeTop]!;
    const gpa = this.slotGpa(slot);
    if (this.core.guestWrite(this.vm, gpa, message) !== 0) throw new Error('assert: driver buffer unmapped');
    const { stage } = this;
    const i = stage.count++;
    this.stageSlot[i] = slot;
    stage.outGpa[i] = gpa;
    stage.outLen[i] = message.length;
    stage.inGpa[i] = inBytes > 0 ? gpa + this.slotBytes - inBytes : -1;
    stage.inLen[i] = inBytes;
    return true;
  }

  /**
   * --- the DLT console path (issue 10 §2, dltcore): stageMessage of bytes[start, end) (a
   * guest's log arena, a net device's frame buffer).
   */
  stageRange(bytes: Uint8Array, start: number, end: number): boolean {
    if (end - start > this.slotBytes) {
      throw new Error(`assert: message of ${end - start} bytes exceeds the ${this.slotBytes}-byte slot`);
    }
    if (this.freeTop === 0) return false;
    const slot = this.freeSlots[--this.freeTop]!;
    const gpa = this.slotGpa(slot);
    // one view (a byte loop without one measured 4 us for a 1200-byte frame, set() 0.1 us)
    const data = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
    if (this.core.guestWrite(this.vm, gpa, data) !== 0) throw new Error('assert: driver buffer unmapped');
    const { stage } = this;
    const i = stage.count++;
    this.stageSlot[i] = slot;
    stage.outGpa[i] = gpa;
    stage.outLen[i] = end - start;
    stage.inGpa[i] = -1;
    stage.inLen[i] = 0;
    return true;
  }

  /** Posts empty device-writable buffers (receive queues). Returns how many were posted. */
  post(count: number): number {
    this.stageEmpty(count);
    return this.submitStaged(false);
  }

  /** post, then kick when anything was posted: one core call (issue 10 §2); `notified` says. */
  postAndKick(count: number): number {
    this.stageEmpty(count);
    return this.submitStaged(true);
  }

  private stageEmpty(count: number): void {
    const { stage } = this;
    stage.count = 0;
    for (let i = 0; i < count && this.freeTop > 0; i++) {
      const slot = this.freeSlots[--this.freeTop]!;
      this.stageSlot[i] = slot;
      stage.outGpa[i] = -1;
      stage.outLen[i] = 0;
      stage.inGpa[i] = this.slotGpa(slot);
      stage.inLen[i] = this.slotBytes;
      stage.count++;
    }
  }

  /**
   * The staged chains in one core call (with the kick when `kick`); placed chains' slots are
   * remembered by head, the others go back to the pool (last staged first, as they were taken).
   */
  submitStaged(kick: boolean): number {
    const { stage } = this;
    const queued = this.core.drvSubmitStaged(this.q, stage, kick); // (an empty stage: no call, a drain check)
    this.notified = kick && stage.notified;
    for (let i = 0; i < queued; i++) this.slotByHead[stage.heads[i]!] = this.stageSlot[i]!;
    for (let i = stage.count - 1; i >= queued; i--) this.freeSlots[this.freeTop++] = this.stageSlot[i]!;
    stage.count = 0;
    return queued;
  }

  kick(): boolean {
    return this.core.drvKick(this.q);
  }

  /** Takes completed buffers back; for each, `read` (if given) receives the written bytes. */
  reclaim(read?: ReadUsed, max = 1 << 16): number {
    this.core.drvReclaimInto(this.q, max, this.used);
    return this.takeBack(read);
  }

  /**
   * reclaim() here, then other.reclaim(read): one core call (issue 10 §2). This queue's buffers
   * are taken back without reading them, so nothing touches the core between the two reclaims.
   */
  reclaimWith(other: QueueDriver, read?: ReadUsed, max = 1 << 16): void {
    this.core.drvReclaimPairInto(this.q, other.q, max, this.used, other.used);
    this.takeBack();
    other.takeBack(read);
  }

  private takeBack(read?: ReadUsed): number {
    const { used } = this;
    const count = used.count;
    for (let k = 0; k < count; k++) {
      const id = used.id[k]!;
      const len = used.len[k]!;
      const slot = this.slotByHead[id] ?? -1;
      if (slot < 0) throw new Error(`assert: used element names head ${id}, which is not in flight`);
      this.slotByHead[id] = -1;
      if (read !== undefined && len > 0) {
        const data = this.core.guestView(this.vm, this.slotGpa(slot), Math.min(len, this.slotBytes));
        if (typeof data !== 'number') read(data, len);
      }
      this.freeSlots[this.freeTop++] = slot;
    }
    used.count = 0;
    return count;
  }

  saveState(): QueueDriverState {
    return { freeSlots: numbersOf(this.freeSlots, this.freeTop), slotByHead: numbersOf(this.slotByHead, this.slotCount) };
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
    this.freeSlots.set(state.freeSlots);
    this.freeTop = state.freeSlots.length;
    this.slotByHead.set(state.slotByHead);
  }
}

/** values[0, count) as plain numbers; a loop (Array.from iterates: an object per element). */
function numbersOf(values: Int32Array, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = values[i]!;
  return out;
}

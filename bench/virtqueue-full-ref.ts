// Plain-TypeScript reference of the SAME algorithm the core runs in assembly/virtio/bench.ts, for
// the side-by-side figure of ARCHITECTURE 2. Function for function it mirrors assembly/virtio/
// (driver.ts, device.ts, walk.ts, queue.ts): per chain the driver writes its descriptors and avail
// slot through the VM's stage-2 (mmu-ref.ts: 3-level walk, 64-entry direct-mapped TLB), stamps the
// avail time and records vq_avail; the device reads the avail slot, walks the chain (budget = queue
// size, every index and flag checked, every buffer page translated through the IOMMU domain into
// the segment table), writes the used element and records vq_used with the latency; the driver
// reads the used element, checks the id and frees the chain. Rows go to typed-array columns
// (trace-ref.ts). Queue state lives in object fields and typed arrays, the way TypeScript would
// hold it; guest memory is one DataView (the core's loads are unaligned-safe, so are DataView's).

import type { ChainSpec, QueueConfig } from '../src/core/api.js';
import { MmuRef, INPUT_LIMIT, PAGE_SIZE, STAGE_BYTES, pageOffset } from './mmu-ref.js';
import type { TraceRef, RefTraceSink } from './trace-ref.js';
import { FAULT, KIND, VIRTQ_DESC_F } from '../src/core/codes.js';

// VIRTIO 1.2 §2.7 (assembly/virtio/spec.ts).
const { next: DESC_F_NEXT, write: DESC_F_WRITE, indirect: DESC_F_INDIRECT } = VIRTQ_DESC_F;
const DESC_SIZE = 16;
const SEG_MAX = 256;
const SEG_WORDS = 4; // {host, len, writable, pad}, as the core's 16-byte segment
const TWO_32 = 4294967296;
/** Empty ring (device.ts POP_EMPTY; not -1, which is -(desc_index_out_of_range)). */
export const POP_EMPTY = -65536;

/** A chain spec as the core's scratch record holds it (driver.ts), built once. */
export interface ChainRecord {
  outCount: number;
  inCount: number;
  indirectGpa: number; // -1: direct chain
  gpa: Float64Array;
  len: Uint32Array;
}

export function chainRecord(spec: ChainSpec): ChainRecord {
  const bufs = [...spec.out, ...spec.in];
  return {
    outCount: spec.out.length,
    inCount: spec.in.length,
    indirectGpa: spec.indirectGpa ?? -1,
    gpa: Float64Array.from(bufs, (b) => b.gpa),
    len: Uint32Array.from(bufs, (b) => b.len),
  };
}

function validQueueSize(size: number): boolean {
  return size >= 1 && size <= 32768 && (size & (size - 1)) === 0;
}

export class RefVirtqueue {
  readonly vm: number;
  readonly dev: number;
  readonly index: number;
  readonly size: number;
  readonly descGpa: number;
  readonly availGpa: number;
  readonly usedGpa: number;
  readonly eventIdx: boolean;
  private readonly devCtx: number;
  private readonly mmu: MmuRef;
  private readonly ram: DataView;
  readonly trace: TraceRef;
  /** Why the last reclaim stopped (layout.ts ST_STOP: 0 done, 1 trace, 2 scratch, 4 fault). */
  stop = 0;
  failed = false;
  failCode = 0;
  // Driver shadow (queue.ts +56..+72) and device shadow (+76..+84).
  private drvAvail = 0;
  private drvLastUsed = 0;
  private freeHead = 0;
  freeCount = 0;
  private devLastAvail = 0;
  private devUsed = 0;
  // QARRAYS: avail time per head (ns), the driver's free-list links, descriptors held per head.
  private readonly availTime: Float64Array;
  private readonly drvNext: Uint16Array;
  private readonly drvLen: Uint16Array;
  // Segment table of the last walk and its counters (walk.ts), published at the end of a walk.
  readonly seg = new Uint32Array(SEG_MAX * SEG_WORDS);
  private segN = 0;
  private readBytes = 0;
  private writeBytes = 0;
  segCount = 0;
  segRead = 0;
  segWrite = 0;
  walkFaultAddr = 0;

  /** vqCreate + queueFromState: the same checks, then reset and zero the ring headers. */
  constructor(mmu: MmuRef, trace: TraceRef, cfg: QueueConfig) {
    this.mmu = mmu;
    this.ram = mmu.ram;
    this.trace = trace;
    this.vm = cfg.vm;
    this.dev = cfg.dev;
    this.index = cfg.index;
    this.size = cfg.size;
    this.descGpa = cfg.descGpa;
    this.availGpa = cfg.availGpa;
    this.usedGpa = cfg.usedGpa;
    this.eventIdx = cfg.eventIdx;
    this.devCtx = mmu.devCtx(cfg.dev);
    this.availTime = new Float64Array(cfg.size);
    this.drvNext = new Uint16Array(cfg.size);
    this.drvLen = new Uint16Array(cfg.size);
    const code = this.configCode();
    if (code !== 0) {
      trace.row(KIND.fault, cfg.vm, cfg.dev, -1, code, cfg.size, cfg.descGpa);
      throw new Error(`RefVirtqueue: configuration refused (fault ${code})`);
    }
    this.shadowReset();
    this.ringHeadersZero();
  }

  private configCode(): number {
    const size = this.size;
    if (!this.mmu.vmLive(this.vm) || !this.mmu.devLive(this.dev)) return FAULT.bad_queue_config;
    if (!validQueueSize(size) || !this.trace.reserveFor(size)) return FAULT.bad_queue_config;
    if (this.descGpa % 16 !== 0 || this.availGpa % 2 !== 0 || this.usedGpa % 4 !== 0) {
      return FAULT.bad_queue_config;
    }
    if (!this.rangeMappedRw(this.descGpa, DESC_SIZE * size)) return FAULT.bad_queue_config;
    if (!this.rangeMappedRw(this.availGpa, 6 + 2 * size)) return FAULT.bad_queue_config;
    if (!this.rangeMappedRw(this.usedGpa, 6 + 8 * size)) return FAULT.bad_queue_config;
    return 0;
  }

  private rangeMappedRw(gpa: number, bytes: number): boolean {
    if (gpa < 0) return false;
    const last = Math.floor((gpa + bytes - 1) / PAGE_SIZE);
    for (let page = Math.floor(gpa / PAGE_SIZE); page <= last; page++) {
      if ((this.mmu.ctxLookup(this.vm, page * PAGE_SIZE) & 7) !== 7) return false;
    }
    return true;
  }

  private shadowReset(): void {
    this.freeCount = this.size;
    for (let d = 0; d < this.size; d++) this.drvNext[d] = d + 1 < this.size ? d + 1 : 0;
  }

  private ringHeadersZero(): void {
    const size = this.size;
    const at = [
      this.availGpa, this.availGpa + 2, this.availGpa + 4 + 2 * size,
      this.usedGpa, this.usedGpa + 2, this.usedGpa + 4 + 8 * size,
    ];
    for (const gpa of at) {
      if (!this.write16(gpa, 0)) throw new Error('queue: ring header unmapped after the check');
    }
  }

  // --- shared helpers (queue.ts) ----------------------------------------------------------------

  private row(kind: number, id: number, len: number, val: number): void {
    this.trace.row(kind, this.vm, this.dev, this.index, id, len, val);
  }

  private failQueue(code: number, detail: number, addr: number): number {
    this.failed = true;
    this.failCode = code;
    this.row(KIND.fault, code, detail, addr);
    return -code;
  }

  private refuseFailed(): number {
    this.row(KIND.fault, FAULT.queue_failed, this.failCode, 0);
    return -FAULT.queue_failed;
  }

  private drvFault(): number {
    this.row(KIND.fault, this.mmu.xlateFault, 0, this.mmu.xlateAddr);
    return -this.mmu.xlateFault;
  }

  private dmaFail(detail: number): number {
    return this.failQueue(this.mmu.xlateFault, detail, this.mmu.xlateAddr);
  }

  private write16(gpa: number, v: number): boolean {
    const p = this.mmu.dmaPtr(this.vm, gpa, true);
    if (p < 0) return false;
    this.ram.setUint16(p, v, true);
    return true;
  }

  // --- driver side (driver.ts) -----------------------------------------------------------------

  private writeDesc(gpa: number, addr: number, len: number, flags: number, next: number): boolean {
    const p = this.mmu.dmaPtr(this.vm, gpa, true);
    if (p < 0) return false;
    const ram = this.ram;
    ram.setInt32(p, addr | 0, true);
    ram.setInt32(p + 4, Math.floor(addr / TWO_32), true);
    ram.setUint32(p + 8, len, true);
    ram.setUint16(p + 12, flags, true);
    ram.setUint16(p + 14, next, true);
    return true;
  }

  /** §2.7.13.1: the record's buffers as descriptors at `table` (>= 0) or along the free list. */
  private writeBuffers(rec: ChainRecord, table: number, first: number): number {
    const outCount = rec.outCount;
    const n = outCount + rec.inCount;
    let d = first;
    for (let i = 0; i < n; i++) {
      let flags = i + 1 < n ? DESC_F_NEXT : 0;
      if (i >= outCount) flags |= DESC_F_WRITE;
      const next = table >= 0 ? i + 1 : this.drvNext[d]!;
      const at = table >= 0 ? table + DESC_SIZE * i : this.descGpa + DESC_SIZE * d;
      if (!this.writeDesc(at, rec.gpa[i]!, rec.len[i]!, flags, next & 0xffff)) return -1;
      if (table < 0 && i + 1 < n) d = next;
    }
    return d;
  }

  /** Place one chain; its head or -(fault code). The free list changes only on success. */
  private placeChain(rec: ChainRecord): number {
    const n = rec.outCount + rec.inCount;
    if (!(n >= 1 && n <= this.size)) throw new Error('drvSubmit: a chain needs 1..size buffers');
    const head = this.freeHead;
    let last = head;
    let used = n;
    if (rec.indirectGpa >= 0) {
      // §2.7.5.3: the table holds the chain; one INDIRECT descriptor points at it.
      if (this.writeBuffers(rec, rec.indirectGpa, 0) < 0) return this.drvFault();
      const at = this.descGpa + DESC_SIZE * head;
      if (!this.writeDesc(at, rec.indirectGpa, n * 16, DESC_F_INDIRECT, 0)) return this.drvFault();
      used = 1;
    } else {
      last = this.writeBuffers(rec, -1, head);
      if (last < 0) return this.drvFault();
    }
    this.freeHead = this.drvNext[last]!;
    this.freeCount -= used;
    this.drvLen[head] = used;
    return head;
  }

  /** Place one record and its avail entry (idx not yet published); head or -(fault code). */
  submitOne(rec: ChainRecord): number {
    const head = this.placeChain(rec);
    if (head < 0) return head;
    const idx = this.drvAvail;
    // §2.7.13.2: ring[idx % size] = head
    const slot = this.availGpa + 4 + 2 * (idx & (this.size - 1));
    if (!this.write16(slot, head)) return this.drvFault();
    const next = (idx + 1) & 0xffff;
    this.drvAvail = next;
    this.availTime[head] = this.trace.now;
    let bytes = 0;
    const n = rec.outCount + rec.inCount;
    for (let i = 0; i < n; i++) bytes += rec.len[i]!;
    this.row(KIND.vq_avail, head, Math.min(bytes, 0x7fffffff), next);
    return head;
  }

  /** §2.7.13.3: publish the shadow avail idx once for the whole batch. */
  publishAvail(): boolean {
    if (this.write16(this.availGpa + 2, this.drvAvail)) return true;
    this.drvFault();
    return false;
  }

  /** Return a chain's descriptors to the free list (walk bounded by the chain's length). */
  private freeChain(head: number): void {
    const n = this.drvLen[head]!;
    let last = head;
    for (let i = 1; i < n; i++) last = this.drvNext[last]!;
    this.drvNext[last] = this.freeHead;
    this.freeHead = head;
    this.freeCount += n;
    this.drvLen[head] = 0;
  }

  /** One used element into out[2k..]: head (>= 0), -1 to skip a bogus one, or -(fault) - 1. */
  private reclaimOne(idx: number, out: Uint32Array, k: number): number {
    const at = this.usedGpa + 4 + 8 * (idx & (this.size - 1));
    const pId = this.mmu.dmaPtr(this.vm, at, false);
    if (pId < 0) return this.drvFault() - 1;
    const pLen = pageOffset(at) <= 0xff8 ? pId + 4 : this.mmu.dmaPtr(this.vm, at + 4, false);
    if (pLen < 0) return this.drvFault() - 1;
    const id = this.ram.getUint32(pId, true);
    if (id >= this.size || this.drvLen[id] === 0) {
      // §2.7.8.3: a used id the driver never made available is refused.
      this.row(KIND.fault, FAULT.desc_index_out_of_range, id | 0, at);
      return -1;
    }
    this.freeChain(id);
    out[2 * k] = id;
    out[2 * k + 1] = this.ram.getUint32(pLen, true);
    return id;
  }

  /** §2.7.14: consume at most min(max, room) used elements; with EVENT_IDX set used_event. */
  drvReclaimTo(max: number, out: Uint32Array, room: number): number {
    const pIdx = this.mmu.dmaPtr(this.vm, this.usedGpa + 2, false);
    this.stop = 0;
    if (pIdx < 0) {
      this.drvFault();
      this.stop = 4;
      return 0;
    }
    const usedIdx = this.ram.getUint16(pIdx, true);
    let last = this.drvLastUsed;
    let count = 0;
    let steps = 0;
    const limit = Math.min(max, room);
    while (last !== usedIdx && count < limit && steps < this.size) {
      if (!this.trace.room()) {
        this.stop = 1;
        break;
      }
      const r = this.reclaimOne(last, out, count);
      if (r < -1) {
        this.stop = 4;
        break;
      }
      if (r >= 0) count++;
      last = (last + 1) & 0xffff;
      steps++;
    }
    if (count === limit && last !== usedIdx) this.stop = 2;
    this.drvLastUsed = last;
    if (this.eventIdx) this.write16(this.availGpa + 4 + 2 * this.size, last);
    return count;
  }

  // --- device side (device.ts, walk.ts) ---------------------------------------------------------

  /** The driver's avail idx, checked (§2.7.6: never more than size ahead); or -(fault). */
  availIdxRead(): number {
    if (this.failed) return this.refuseFailed();
    const p = this.mmu.dmaPtr(this.devCtx, this.availGpa + 2, false);
    if (p < 0) return this.dmaFail(-1);
    const availIdx = this.ram.getUint16(p, true);
    const pending = (availIdx - this.devLastAvail) & 0xffff;
    if (pending > this.size) {
      return this.failQueue(FAULT.avail_idx_jump, availIdx, this.availGpa + 2);
    }
    return availIdx;
  }

  /** Walk the next available chain without consuming it: head, POP_EMPTY or -(fault). */
  popWalkAt(availIdx: number): number {
    if (this.failed) return this.refuseFailed();
    const last = this.devLastAvail;
    if (availIdx === last) return POP_EMPTY;
    const slot = this.availGpa + 4 + 2 * (last & (this.size - 1));
    const ps = this.mmu.dmaPtr(this.devCtx, slot, false);
    if (ps < 0) return this.dmaFail(-1);
    const head = this.ram.getUint16(ps, true);
    const code = this.walkChain(head);
    if (code !== 0) return this.failQueue(code, head, this.walkFaultAddr);
    return head;
  }

  popCommit(): void {
    this.devLastAvail = (this.devLastAvail + 1) & 0xffff;
  }

  private segPublish(): void {
    this.segCount = this.segN;
    this.segRead = this.readBytes;
    this.segWrite = this.writeBytes;
  }

  private walkFail(code: number, addr: number): number {
    this.walkFaultAddr = addr;
    this.segPublish();
    return code;
  }

  /** Translate [addr, addr+len) page by page into segments; 0 or a fault code. */
  private addBuffer(addr: number, len: number, writable: boolean): number {
    if (len === 0) return 0;
    if (!(addr >= 0 && addr < INPUT_LIMIT)) return this.walkFail(FAULT.addr_unmapped, addr);
    let done = 0;
    while (done < len) {
      const at = addr + done;
      const piece = Math.min(len - done, PAGE_SIZE - pageOffset(at));
      if (this.segN >= SEG_MAX) return this.walkFail(FAULT.chain_too_long, at);
      const host = this.mmu.dmaPtr(this.devCtx, at, writable);
      if (host < 0) return this.walkFail(this.mmu.xlateFault, this.mmu.xlateAddr);
      const s = this.segN * SEG_WORDS;
      this.seg[s] = host;
      this.seg[s + 1] = piece;
      this.seg[s + 2] = writable ? 1 : 0;
      this.segN++;
      done += piece;
    }
    if (writable) this.writeBytes += len;
    else this.readBytes += len;
    return 0;
  }

  /** §2.7.5.3.1 checks on a descriptor with INDIRECT set. */
  private checkIndirect(inIndirect: boolean, flags: number, len: number): number {
    if (inIndirect) return FAULT.nested_indirect;
    if ((flags & DESC_F_NEXT) !== 0) return FAULT.indirect_with_next;
    if (len === 0 || (len & 15) !== 0) return FAULT.indirect_bad_len;
    if (len > this.size * 16) return FAULT.indirect_bad_len;
    return 0;
  }

  /** Host offset of the 16 descriptor bytes at `at` (a straddling one is staged), or -1. */
  private descPtr(at: number): number {
    const inPage = PAGE_SIZE - pageOffset(at);
    const p = this.mmu.dmaPtr(this.devCtx, at, false);
    if (p < 0 || inPage >= 16) return p;
    const q = this.mmu.dmaPtr(this.devCtx, at + inPage, false);
    if (q < 0) return -1;
    const bytes = this.mmu.ramBytes;
    const stage = this.mmu.stageAt;
    bytes.copyWithin(stage, p, p + inPage);
    bytes.copyWithin(stage + inPage, q, q + STAGE_BYTES - inPage);
    return stage;
  }

  /** Walk the chain at head: 0 (segments ready) or a fault code with walkFaultAddr set. */
  walkChain(head: number): number {
    const size = this.size;
    const ram = this.ram;
    let table = this.descGpa;
    let tableLen = size;
    let idx = head;
    let budget = size;
    let inIndirect = false;
    let seenWritable = false;
    this.segN = 0;
    this.readBytes = 0;
    this.writeBytes = 0;
    if (idx >= size) return this.walkFail(FAULT.desc_index_out_of_range, idx);
    for (;;) {
      if (budget === 0) return this.walkFail(FAULT.desc_chain_loop, table + DESC_SIZE * idx);
      budget--;
      const at = table + DESC_SIZE * idx;
      const p = this.descPtr(at);
      if (p < 0) return this.walkFail(this.mmu.xlateFault, this.mmu.xlateAddr);
      const addr = ram.getInt32(p + 4, true) * TWO_32 + ram.getUint32(p, true);
      const len = ram.getUint32(p + 8, true);
      const flags = ram.getUint16(p + 12, true);
      const next = ram.getUint16(p + 14, true);
      if ((flags & DESC_F_INDIRECT) !== 0) {
        const code = this.checkIndirect(inIndirect, flags, len);
        if (code !== 0) return this.walkFail(code, at);
        table = addr;
        tableLen = len >>> 4;
        budget = tableLen;
        idx = 0;
        inIndirect = true;
        continue;
      }
      const writable = (flags & DESC_F_WRITE) !== 0;
      // §2.7.4.2: all device-writable descriptors come after the device-readable ones.
      if (!writable && seenWritable) return this.walkFail(FAULT.readable_after_writable, at);
      seenWritable = seenWritable || writable;
      if (len > 0x7fffffff) return this.walkFail(FAULT.chain_too_long, addr);
      const code = this.addBuffer(addr, len, writable);
      if (code !== 0) return code;
      if ((flags & DESC_F_NEXT) === 0) {
        this.segPublish();
        return 0;
      }
      // §2.7.5.1: next must index the table being walked.
      if (next >= tableLen) return this.walkFail(FAULT.desc_index_out_of_range, at);
      idx = next;
    }
  }

  /** §2.7.8: write one used element {id, len}; the idx is published by publishUsed(). */
  pushElem(head: number, len: number): number {
    if (!(head >= 0 && head < this.size)) throw new Error('devPush: head outside the queue');
    const idx = this.devUsed;
    const at = this.usedGpa + 4 + 8 * (idx & (this.size - 1));
    const pId = this.mmu.dmaPtr(this.devCtx, at, true);
    if (pId < 0) return this.dmaFail(head);
    const pLen = pageOffset(at) <= 0xff8 ? pId + 4 : this.mmu.dmaPtr(this.devCtx, at + 4, true);
    if (pLen < 0) return this.dmaFail(head);
    this.ram.setUint32(pId, head, true);
    this.ram.setUint32(pLen, len, true);
    this.devUsed = (idx + 1) & 0xffff;
    this.row(KIND.vq_used, head, len, this.trace.now - this.availTime[head]!);
    return 0;
  }

  /** §2.7.8.2: publish used idx after the elements it covers. */
  publishUsed(): number {
    const p = this.mmu.dmaPtr(this.devCtx, this.usedGpa + 2, true);
    if (p < 0) return this.dmaFail(-1);
    this.ram.setUint16(p, this.devUsed, true);
    return 0;
  }

  /** §2.7.10: with EVENT_IDX, ask to be notified when the driver passes our position. */
  publishAvailEvent(): boolean {
    if (!this.eventIdx || this.failed) return true;
    const p = this.mmu.dmaPtr(this.devCtx, this.usedGpa + 4 + 8 * this.size, true);
    if (p < 0) {
      this.dmaFail(-1);
      return false;
    }
    this.ram.setUint16(p, this.devLastAvail, true);
    return true;
  }
}

/** assembly/virtio/bench.ts benchCycle: cycles of `rec` until chains, a fault or the soft limit. */
function cycleInCore(q: RefVirtqueue, rec: ChainRecord, out: Uint32Array, chains: number): number {
  const trace = q.trace;
  const need = rec.outCount + rec.inCount;
  const room = out.length >> 1;
  if (room < q.size) throw new Error('benchCycle: scratch too small for one ring of used elements');
  let done = 0;
  while (done < chains) {
    // Each chain writes vq_avail + vq_used; leave room for the odd tlb_miss.
    const traceLeft = Math.trunc((trace.soft - trace.count) / 4);
    const batch = Math.min(chains - done, Math.trunc(q.freeCount / need), traceLeft);
    if (batch <= 0) break;
    for (let i = 0; i < batch; i++) if (q.submitOne(rec) < 0) return done;
    if (!q.publishAvail()) return done;
    let popped = 0;
    const availIdx = q.availIdxRead();
    if (availIdx < 0) return done;
    for (;;) {
      const head = q.popWalkAt(availIdx);
      if (head === POP_EMPTY) break;
      if (head < 0) return done;
      q.popCommit();
      if (q.pushElem(head, q.segWrite) !== 0) return done;
      popped++;
    }
    if (q.publishUsed() !== 0 || !q.publishAvailEvent()) return done;
    if (q.drvReclaimTo(popped, out, room) !== popped) return done;
    done += batch;
  }
  return done;
}

/** Core.benchCycle: the same loop, draining the trace columns to `sink` at the soft limit. */
export function refFullCycle(
  q: RefVirtqueue, rec: ChainRecord, out: Uint32Array, chains: number, sink: RefTraceSink,
): number {
  const trace = q.trace;
  if (trace.count >= trace.soft) trace.drain(sink);
  let done = 0;
  while (done < chains) {
    const r = cycleInCore(q, rec, out, chains - done);
    done += r;
    if (trace.count >= trace.soft) trace.drain(sink);
    if (r === 0) {
      if (trace.count === 0) break;
      trace.drain(sink);
    }
  }
  return done;
}

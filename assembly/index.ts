// The WASM core surface: flat numeric exports over linear memory, each with a one-line contract.
// Times, addresses and 64-bit ids are i64 (BigInt in JS); src/core/core.ts converts them to
// numbers. Bulk inputs and outputs go through the scratch region (formats in the files named).
// Asserts (tracevisor invariants, misconfigured limits) stay on and surface as env.abort.
import * as L from './layout';
import { now as clockNow, seqPeek } from './clock';
import { traceInit, traceReset as traceClear, traceRowFull, traceRoom } from './trace/columns';
import { Kind, KIND_LAST } from './trace/kinds';
import * as P from './prng';
import { hostAlloc as hostAllocPages } from './mmu/hostram';
import * as S2 from './mmu/stage2';
import * as IO from './mmu/iommu';
import { translate, ctxHits, ctxMisses, ctxLive } from './mmu/context';
import * as Q from './virtio/queue';
import * as DRV from './virtio/driver';
import * as DEV from './virtio/device';
import { benchCycle as benchCycleImpl } from './virtio/bench';
import * as RUN from './bus/run';
import { timerTopTime } from './bus/timers';
import { irqTake as irqTakeImpl } from './bus/irq';
import { framesInit } from './bus/frames';
import { linkCreate as linkCreateImpl } from './bus/link';
import * as SW from './bus/switch';
import { netAttach as netAttachImpl, netKick } from './bus/net';
import * as CAN from './bus/can';
import { busBudget as busBudgetImpl, busChargeDev } from './bus/budget';
import * as HOST from './bus/host';
import * as FR from './trace/frames-ring'; // frames table (issue 12 §1)

// 2: seeded faults (16 more PRNG streams, the fault table, fault_injected), outside hosts and
// input nodes, state digests and read-only views (issue 9). Replay refuses a trace of another one.
// 3: the frames ring (issue 12 §1): frameRingLimits/Enable/Reset/Column exports, traceRoom
// also waits for frame room.
export const CORE_VERSION: u32 = 3;

/** Version of this export surface. */
export function coreVersion(): u32 { return CORE_VERSION; }

/** Lay out memory from the limits, grow it once, seed the PRNG streams. Call once. */
export function init(
  vmCount: i32, hostRamBytes: i64, ptPages: i32, queueCount: i32, deviceCount: i32,
  linkCount: i32, switchPortCount: i32, macCount: i32, canNodeCount: i32, frameSlots: i32,
  frameBytesMax: i32, timerCapacity: i32, traceCapacity: i32, scratchBytes: i32, seed: i64,
): void {
  assert(vmCount >= 1 && vmCount <= L.VM_MAX, 'init: vmCount must be 1..16');
  const wholePages = hostRamBytes > 0 && (hostRamBytes & (L.PAGE_SIZE - 1)) == 0;
  assert(wholePages, 'init: hostRamBytes must be whole pages');
  assert(ptPages >= 1 && queueCount >= 0 && deviceCount >= 0 && linkCount >= 0, 'init: negative limit');
  assert(switchPortCount >= 0 && macCount >= 0, 'init: negative limit');
  assert(canNodeCount >= 0 && frameSlots >= 0, 'init: negative limit');
  assert(frameBytesMax >= 64 && frameBytesMax <= 65536, 'init: frameBytesMax must be 64..65536');
  assert(timerCapacity >= 1 && traceCapacity >= 1024, 'init: timerCapacity >= 1, traceCapacity >= 1024');
  assert(scratchBytes >= 4096 && (scratchBytes & 7) == 0, 'init: scratchBytes >= 4096, multiple of 8');
  L.setLimits(vmCount, hostRamBytes, ptPages, queueCount, deviceCount, linkCount, switchPortCount,
    macCount, canNodeCount, frameSlots, frameBytesMax, timerCapacity, traceCapacity, scratchBytes);
  // Timed events the core can hold at once: per frame slot at most two (link TX done + arrival,
  // or a delayed start/delivery), one service per device and per CAN node, and per CAN node
  // its mailboxes' worth of arbitration rounds plus one frame on its bus.
  const timersNeeded = 2 * frameSlots + deviceCount + canNodeCount * (L.CAN_MAILBOX_MAX + 3);
  assert(timerCapacity >= timersNeeded,
    'init: timerCapacity < 2 x frameSlots + deviceCount + 19 x canNodeCount');
  L.layoutCompute();
  traceInit();
  assert(L.stGet(L.ST_TRACE_SOFT) > 0, 'init: traceCapacity too small for the per-step reserve');
  P.prngSeed(<u64>seed);
  framesInit();
  FR.frameRingInit(); // frames table (issue 12 §1)
}

// --- layout: where TypeScript builds its views (valid for the life of the instance)
/** Offset of the STATE region (i32 fields, see layout.ts ST_*). */
export function stateOffset(): usize { return L.stateBase; }
/** Offset of the scratch region. */
export function scratchOffset(): usize { return L.scratchBase; }
/** Offset of the segment table (16-byte entries). */
export function segOffset(): usize { return L.segBase; }
/** Offset of trace column c: 0 ts,1 seq,2 vm,3 vcpu,4 kind,5 dev,6 queue,7 id,8 len,9 val. */
export function traceColumnOffset(c: i32): usize {
  switch (c) {
    case 0: return L.colTs;
    case 1: return L.colSeq;
    case 2: return L.colVm;
    case 3: return L.colVcpu;
    case 4: return L.colKind;
    case 5: return L.colDev;
    case 6: return L.colQueue;
    case 7: return L.colId;
    case 8: return L.colLen;
    case 9: return L.colVal;
  }
  assert(false, 'traceColumnOffset: column 0..9');
  return 0;
}
/** Offset of the host RAM pool (hpa 0). */
export function hostRamOffset(): usize { return L.hostRamBase; }
/** Offset of the queues' per-slot arrays (layout.ts QARRAYS; queue q's at q x qarrStride()). */
export function qarrOffset(): usize { return L.qarrBase; }
/** Bytes of one queue's per-slot arrays: time (8 B), next (2 B), length (2 B) per slot, slot-major within each. */
export function qarrStride(): i32 { return L.QARR_STRIDE; }
/** Offset of the dirty-page map (a byte per host RAM page, layout.ts DIRTY). */
export function dirtyOffset(): usize { return L.dirtyBase; }
/** Bytes of linear memory the layout uses. */
export function layoutBytes(): usize { return L.layoutEnd; }

// --- time and the core's own events
/** Current virtual time (ns). */
export function now(): i64 { return clockNow(); }
/** Move the clock to ns >= now; asserts no core event is pending before ns. */
export function setNow(ns: i64): void { RUN.setNow(ns); }
/** Run core events with time <= untilNs; returns EXIT (0 until, 1 irq, 2 trace full / call again). */
export function run(untilNs: i64): i32 { return RUN.run(untilNs); }
/** Time of the next core event, -1 if none. */
export function nextEventNs(): i64 { return timerTopTime(); }
/** Move pending IRQs to scratch as {i32 vm, i32 dev, i32 queue}; returns how many. */
export function irqTake(): i32 { return irqTakeImpl(); }

// --- trace
/** Append a platform row at now() (kind 1..KIND_LAST). */
export function traceEmit(
  vm: i32, vcpu: i32, kind: i32, dev: i32, queue: i32, id: i64, len: i32, val: i64,
): void {
  assert(kind > Kind.NONE && kind <= KIND_LAST, 'traceEmit: unknown kind');
  traceRowFull(kind, vm, vcpu, dev, queue, id, len, val);
}
/** Forget the buffered rows (after TypeScript drained them). */
export function traceReset(): void { traceClear(); }
/** Sequence number the next row or timer will get. */
export function seqNext(): i64 { return seqPeek(); }

// --- PRNG
/** Next 32 random bits of a stream (0..63). */
export function prngU32(stream: i32): u32 { return P.prngU32(stream); }
/** Unbiased 0 <= r < n. */
export function prngBelow(stream: i32, n: u32): u32 { return P.prngBelow(stream, n); }
/** 1 with probability num/den. */
export function prngChance(stream: i32, num: u32, den: u32): i32 {
  return P.prngChance(stream, num, den) ? 1 : 0;
}

// --- memory, stage-2, TLB, IOMMU
/** hpa of `pages` fresh pages of the host pool. */
export function hostAlloc(pages: i32): i64 { return hostAllocPages(pages); }
/** Create VM `vm` with ramBytes of RAM mapped RW at gpa 0. */
export function vmCreate(vm: i32, ramBytes: i64): void { S2.vmCreate(vm, ramBytes); }
/** Map pages gpa -> hpa with perm (bit0 R, bit1 W). */
export function s2Map(vm: i32, gpa: i64, hpa: i64, pages: i32, perm: i32): void {
  S2.s2Map(vm, gpa, hpa, pages, perm);
}
/** Unmap pages and drop their TLB entries. */
export function s2Unmap(vm: i32, gpa: i64, pages: i32): void { S2.s2Unmap(vm, gpa, pages); }
/** Change permissions of mapped pages and drop their TLB entries. */
export function s2Protect(vm: i32, gpa: i64, pages: i32, perm: i32): void {
  S2.s2Protect(vm, gpa, pages, perm);
}
/** Linear offset of gpa, or -(fault code). Uses (and counts) the VM's TLB. */
export function s2Translate(vm: i32, gpa: i64, write: i32): i64 {
  assert(S2.vmLive(vm), 's2Translate: unknown vm');
  return translate(vm, gpa, write != 0);
}
/** TLB hits / misses of VM vm. */
export function tlbHits(vm: i32): i64 {
  assert(S2.vmLive(vm), 'tlbHits: unknown vm');
  return ctxHits(vm);
}
export function tlbMisses(vm: i32): i64 {
  assert(S2.vmLive(vm), 'tlbMisses: unknown vm');
  return ctxMisses(vm);
}
/** Copy scratch[0, len) to guest memory; 0 or -(fault code) (recorded). */
export function guestWrite(vm: i32, gpa: i64, len: i32): i32 {
  assert(len >= 0 && len <= L.scratchBytes, 'guestWrite: len beyond scratch');
  return S2.guestCopy(vm, gpa, L.scratchBase, len, true);
}
/** Copy guest memory to scratch[0, len); 0 or -(fault code) (recorded). */
export function guestRead(vm: i32, gpa: i64, len: i32): i32 {
  assert(len >= 0 && len <= L.scratchBytes, 'guestRead: len beyond scratch');
  return S2.guestCopy(vm, gpa, L.scratchBase, len, false);
}
/** Create device dev's IOMMU domain, owned by vm. */
export function iommuCreate(dev: i32, vm: i32): void { IO.iommuCreate(dev, vm); }
/** Map iova = gpa to what the VM maps gpa to (perm intersected); returns pages mapped. */
export function iommuMapGuest(dev: i32, gpa: i64, pages: i32, perm: i32): i32 {
  return IO.iommuMapGuest(dev, gpa, pages, perm);
}
/** Linear offset of iova, or -(fault code). Uses (and counts) the device's TLB. */
export function iommuTranslate(dev: i32, iova: i64, write: i32): i64 {
  assert(IO.devLive(dev), 'iommuTranslate: unknown device');
  return translate(IO.devCtx(dev), iova, write != 0);
}
export function iommuTlbHits(dev: i32): i64 {
  assert(IO.devLive(dev), 'iommuTlbHits: unknown device');
  return ctxHits(IO.devCtx(dev));
}
export function iommuTlbMisses(dev: i32): i64 {
  assert(IO.devLive(dev), 'iommuTlbMisses: unknown device');
  return ctxMisses(IO.devCtx(dev));
}

// --- VIRTIO split virtqueues
/** Create a queue; its index, or -(fault code) when the configuration is refused. */
export function vqCreate(
  vm: i32, dev: i32, index: i32, size: i32, desc: i64, avail: i64, used: i64, eventIdx: i32,
): i32 {
  return Q.vqCreate(vm, dev, index, size, desc, avail, used, eventIdx != 0);
}
/** 1 if the queue is in the failed state. */
export function vqFailed(q: i32): i32 { checkQueue(q); return Q.qFailed(q) ? 1 : 0; }
/** Fault code that failed the queue (0 if none). */
export function vqFailCode(q: i32): i32 { checkQueue(q); return Q.qGet(q, Q.Q_FAIL_CODE); }
/** Reset both sides through the creation checks; 0 or the fault code. */
export function vqReset(q: i32): i32 { return Q.vqReset(q); }
/** Place `count` chain records from scratch (driver.ts format); returns placed (ST_STOP why). */
export function drvSubmit(q: i32, count: i32): i32 {
  checkQueue(q);
  return DRV.drvSubmit(q, count);
}
/** Notify decision (EVENT_IDX aware); a notified core back-end schedules its service. */
export function drvKick(q: i32): i32 {
  checkQueue(q);
  const notify = DRV.drvKick(q);
  if (notify) backendKick(q);
  return notify ? 1 : 0;
}
/** Reclaim up to max used elements into scratch as {u32 id, u32 len}; returns how many. */
export function drvReclaim(q: i32, max: i32): i32 { checkQueue(q); return DRV.drvReclaim(q, max); }
/** Free descriptors on the driver side. */
export function drvFreeCount(q: i32): i32 { checkQueue(q); return Q.qGet(q, Q.Q_DRV_FREE_COUNT); }
/** Write a raw descriptor (no checks); 0 or -(fault). */
export function drvRawDesc(q: i32, index: i32, gpa: i64, len: u32, flags: i32, next: i32): i32 {
  checkQueue(q);
  return DRV.drvRawDesc(q, index, gpa, len, <u16>flags, <u16>next);
}
/** Publish a raw avail entry (no checks); 0 or -(fault). */
export function drvRawPublish(q: i32, head: i32): i32 {
  checkQueue(q);
  return DRV.drvRawPublish(q, head);
}
/** Pop and walk one chain: head (segments at segOffset), -65536 empty, -(fault). */
export function devPop(q: i32): i32 { checkQueue(q); return DEV.devPop(q); }
/** Push used {head, len} and publish used idx; 0 or -(fault). */
export function devPush(q: i32, head: i32, len: i32): i32 {
  checkQueue(q);
  return DEV.devPush(q, head, len);
}
/** Used-buffer notification decision; 1 = interrupt raised. */
export function devNotify(q: i32): i32 { checkQueue(q); return DEV.devNotify(q) ? 1 : 0; }
/** Drain up to max chains into scratch ({u32 head, u32 len, bytes, pad4}); returns count. */
export function devDrain(q: i32, max: i32): i32 { checkQueue(q); return DEV.devDrain(q, max); }
/** Scatter scratch[0, len) into one chain; head, -65536 no buffer, -(fault). */
export function devFill(q: i32, len: i32): i32 { checkQueue(q); return DEV.devFill(q, len); }
/** Complete every available chain with used(min(writtenLen, writable)); returns count. */
export function devCompleteAll(q: i32, writtenLen: i32): i32 {
  checkQueue(q);
  return DEV.devCompleteAll(q, writtenLen);
}
/** FOR THE BENCHMARK ONLY: submit/pop/push/reclaim cycles of the record at scratch[0]. */
export function benchCycle(q: i32, chains: i32): i32 {
  checkQueue(q);
  return benchCycleImpl(q, chains);
}

function checkQueue(q: i32): void {
  assert(Q.qLive(q) || (q >= 0 && q < Q.queuesCreated()), 'virtqueue: unknown queue');
}

function backendKick(q: i32): void {
  const backend = Q.qGet(q, Q.Q_BACKEND);
  if (backend == Q.BACKEND_NET_TX) netKick(Q.qGet(q, Q.Q_BACKEND_ARG));
  else if (backend == Q.BACKEND_CAN_TX) CAN.canKickNode(Q.qGet(q, Q.Q_BACKEND_ARG));
}

// --- interconnect
/** New link; its index. */
export function linkCreate(latencyNs: i64, bitsPerSecond: i64): i32 {
  return linkCreateImpl(latencyNs, bitsPerSecond);
}
/** Static MAC table entry (mac = 0xAABBCCDDEEFF for aa:bb:cc:dd:ee:ff). */
export function switchMac(mac: i64, port: i32): void { SW.switchMac(<u64>mac, port); }
/** Plug link into switch port; frames out of the port go to rxDev. */
export function switchPortLink(port: i32, link: i32, rxDev: i32): void {
  SW.switchPortLink(port, link, rxDev);
}
/** Serve dev's TX queue from the core and deliver frames into its RX queue. */
export function netAttach(dev: i32, vm: i32, txq: i32, rxq: i32, port: i32, link: i32): void {
  netAttachImpl(dev, vm, txq, rxq, port, link);
}
/** New CAN bus; its index. */
export function canBusCreate(bitsPerSecond: i64): i32 { return CAN.canBusCreate(bitsPerSecond); }
/** Attach a node (dev -1: external ECU); its index. */
export function canAttach(dev: i32, vm: i32, bus: i32, txq: i32, rxq: i32): i32 {
  return CAN.canAttach(dev, vm, bus, txq, rxq);
}
/** External transmit request, sdu in scratch[0, dlc): 0, -1 malformed, -2 mailboxes full. */
export function canSend(node: i32, canId: u32, dlc: i32): i32 {
  return CAN.canSend(node, canId, L.scratchBase, dlc);
}
/** Frames delivered to a node. */
export function canRxCount(node: i32): i64 { return CAN.canRxCount(node); }
/** Token-bucket budget for vm's memory-bus traffic. */
export function busBudget(vm: i32, bytesPerPeriod: i64, periodNs: i64): void {
  busBudgetImpl(vm, bytesPerPeriod, periodNs);
}
/** Charge guest CPU traffic; returns the delay (ns) the budget imposes. */
export function busCharge(vm: i32, bytes: i64): i64 { return busChargeDev(vm, -1, bytes); }

/** 1 if the translation context exists (vm < vmCount: stage-2; else IOMMU of dev ctx-vmCount). */
export function ctxExists(ctx: i32): i32 { return ctxLive(ctx) ? 1 : 0; }

// --- inputs (issue 9): virtual external Ethernet hosts (bus/host.ts)
/** Plug link into switch port as an external host (no device behind it); register its MAC too. */
export function switchHostPort(port: i32, link: i32): void { SW.switchPortLink(port, link, -1); }
/** The host on link sends the frame in scratch[0, len); 0, or -(switch drop reason) (recorded). */
export function hostSend(link: i32, len: i32): i32 {
  assert(len >= 0 && len <= L.scratchBytes, 'hostSend: len beyond scratch');
  return HOST.hostSend(link, L.scratchBase, len);
}

// --- seeded faults (issue 9 §5)
import { faultAdd as faultAddImpl, faultHits as faultHitsImpl } from './inject';
import { canBusOffEdge as canBusOffEdgeImpl } from './bus/can';
import { busBudgetRate as busBudgetRateImpl } from './bus/budget';
/**
 * Register a seeded fault (type: faults.ts FaultType) active in [atNs, endNs) with ppm per frame
 * or element; target = link, CAN bus, CAN node or device (-1 every one; with arg = vm: every
 * device of that vm). Returns its index; it draws from PRNG stream 64 + index.
 */
export function faultAdd(type: i32, target: i32, arg: i32, ppm: i32, atNs: i64, endNs: i64): i32 {
  return faultAddImpl(type, target, arg, ppm, atNs, endNs);
}
/** Times fault i hit so far. */
export function faultHits(i: i32): i64 { return faultHitsImpl(i); }
/** A can_bus_off window of CAN node `node` began or ended: let its bus arbitrate again. */
export function canBusOffEdge(node: i32): void { canBusOffEdgeImpl(node); }
/** bus_cut: vm's memory-bus rate becomes bytesPerPeriod from now; returns the rate before. */
export function busBudgetRate(vm: i32, bytesPerPeriod: i64): i64 {
  return busBudgetRateImpl(vm, bytesPerPeriod);
}
// --- time travel (issue 9): read-only views of the core's tables for state dumps. None of
// these counts a TLB hit, fills a TLB entry or emits a row, so a dump never changes the run.
import * as IN from './introspect';
import { timerCount, timerField as timerFieldImpl } from './bus/timers';
import { linksCreated, linkField as linkFieldImpl } from './bus/link';
import { busBudgetField as busBudgetFieldImpl } from './bus/budget';
/** Queues created (valid q for vqStateField are 0..this-1). */
export function vqCount(): i32 { return Q.queuesCreated(); }
/** Field f of queue q (introspect.ts FQ_*: vm, dev, index, size, avail idx, last avail …). */
export function vqStateField(q: i32, f: i32): i32 { return IN.vqStateField(q, f); }
/** Copy guest memory to scratch[0, len) without TLB or trace; 0 or -(fault code). */
export function guestPeek(vm: i32, gpa: i64, len: i32): i32 { return IN.guestPeek(vm, gpa, len); }
/** Core timed events pending (heap entries). */
export function timerPending(): i32 { return timerCount(); }
/** Field f of timer heap entry i: 0 time, 1 seq, 2 kind, 3 a, 4 b, 5 c. */
export function timerField(i: i32, f: i32): i64 { return timerFieldImpl(i, f); }
/** Links created. */
export function linkCount(): i32 { return linksCreated(); }
/** Field f of link direction (bus/link.ts linkField: wire slot, queued frames, bytes, free at …). */
export function linkField(link: i32, dir: i32, f: i32): i64 { return linkFieldImpl(link, dir, f); }
/** CAN nodes / buses created. */
export function canNodeCount(): i32 { return CAN.canNodesCreated(); }
export function canBusCount(): i32 { return CAN.canBusesCreated(); }
/** Field f of a CAN node, one of its mailboxes, a bus (bus/can.ts canNodeField …). */
export function canNodeField(node: i32, f: i32): i64 { return CAN.canNodeField(node, f); }
export function canMailboxField(node: i32, i: i32, f: i32): i64 { return CAN.canMailboxField(node, i, f); }
export function canBusField(bus: i32, f: i32): i64 { return CAN.canBusField(bus, f); }
/** Field f of vm's memory-bus budget (bus/budget.ts busBudgetField: on, rate, period, tokens). */
export function busBudgetField(vm: i32, f: i32): i64 { return busBudgetFieldImpl(vm, f); }

// --- replay: state digests (issue 9)
import { stateDigestOf, stateDigestsInto, COMP_COUNT } from './state-digest';
/** Components stateDigest knows (assembly/state-digest.ts COMP_*). */
export function stateComponentCount(): i32 { return COMP_COUNT; }
/** 64-bit digest of one component's tables in linear memory (replay epochs; not cryptographic). */
export function stateDigest(component: i32): i64 {
  assert(component >= 0 && component < COMP_COUNT, 'stateDigest: no such component');
  return <i64>stateDigestOf(component);
}
/** Every component's digest into scratch[0, 8 x stateComponentCount()) as u64: one call per epoch. */
export function stateDigestAll(): void {
  assert(L.scratchBytes >= COMP_COUNT * 8, 'stateDigestAll: scratch too small');
  stateDigestsInto(L.scratchBase);
}

// --- fewer crossings (issue 10 §2): the engine's step in one call, and where TypeScript reads the
// clock, the sequence counter and the timer heap without one (layout.ts ST_NOW, ST_SEQ,
// ST_TIMER_COUNT).
/** run(untilNs), then on EXIT_IRQ irqTake() into scratch with the count in ST_STEP_IRQS. */
// untilNs as f64 (exact to 2^53 ns, 104 days): an i64 parameter costs the caller a BigInt per
// call, and step is the engine's one call per core batch (issue 10: garbage per event).
export function step(untilNs: f64): i32 { return RUN.step(<i64>untilNs); }
/** Offset of the timer heap (entry 0, the earliest, at +0: i64 time). */
export function timerOffset(): usize { return L.timerBase; }
/** Offset of the translation contexts (mmu/context.ts CTX, 64 B each; ctx = vm for stage-2). */
export function ctxOffset(): usize { return L.ctxBase; }
/** Offset of the TLBs (mmu/context.ts: 64 entries x 32 B per context). */
export function tlbOffset(): usize { return L.tlbBase; }
/**
 * drvSubmit, then drvKick in the same call when these are the caller's last chains (`last` 1, or
 * fewer placed than asked), chains were placed (`placedBefore` + now) and the trace has room, which
 * is where the caller would have drained between the two calls: the same rows, in the same
 * batches. ST_KICK: 1 notified, 0 suppressed, -1 not kicked (the caller decides). Returns placed.
 */
export function drvSubmitKick(q: i32, count: i32, placedBefore: i32, last: i32): i32 {
  const placed = drvSubmit(q, count);
  const final = L.stGet(L.ST_STOP) != L.STOP_TRACE && (placed < count || last != 0);
  const kick = final && placedBefore + placed > 0 && traceRoom() ? drvKick(q) : -1;
  L.stSet(L.ST_KICK, kick);
  return placed;
}
/**
 * drvReclaim(qa, max), then drvReclaim(qb, max) in the same call when qa's batch ended (STOP_DONE
 * or STOP_FAULT) and the trace has room (where the caller would have drained between them): qb's
 * {u32 id, u32 len} pairs follow qa's in scratch, their count in ST_RECLAIM_B (-1: qb not
 * reclaimed, the caller does it) and ST_STOP says why qb's batch stopped. Returns qa's count.
 */
export function drvReclaimPair(qa: i32, qb: i32, max: i32): i32 {
  checkQueue(qa);
  checkQueue(qb);
  const room = L.scratchBytes >> 3;
  const a = DRV.drvReclaimTo(qa, max, L.scratchBase, room);
  const stopA = L.stGet(L.ST_STOP);
  const ended = stopA == L.STOP_DONE || stopA == L.STOP_FAULT;
  // qb's batch must stop where a call of its own would: with the scratch qa left, its limit is
  // the same, or above the most one call reclaims (a ring's worth).
  const roomB = room - a;
  const sameLimit = min(max, roomB) == min(max, room) || roomB >= Q.qSize(qb);
  let b = -1;
  if (ended && sameLimit && traceRoom()) b = DRV.drvReclaimTo(qb, max, L.scratchBase + (<usize>a << 3), roomB);
  L.stSet(L.ST_RECLAIM_B, b);
  return a;
}

// --- gPTP (issue 11): PTP timestamps and the switch's PTP mode (bus/ptp.ts)
import * as PTP from './bus/ptp';
import { linkSetAsymmetry } from './bus/link';
/** Switch PTP mode: 0 off (PTP multicast dropped as unknown), 1 plain switch (flooded), 2 time-aware bridge. */
export function ptpMode(mode: i32): void { PTP.ptpSetMode(mode); }
/** Mark a switch port as a PTP port (its device runs gPTP: PTP multicast is flooded / answered there). */
export function ptpPort(port: i32): void { PTP.ptpSetPort(port, 1); }
/** True-time timestamp of dev's PTP event message (type, sequenceId), dir 0 tx / 1 rx; -1 if none. */
export function ptpStamp(dev: i32, dir: i32, type: i32, seq: i32): i64 { return PTP.ptpStamp(dev, dir, type, seq); }
/** Path asymmetry of link: switch->device takes asymmetryNs longer than device->switch. */
export function linkAsymmetry(link: i32, asymmetryNs: i64): void { linkSetAsymmetry(link, asymmetryNs); }
// --- frames table (issue 12 §1): the frames ring (trace/frames-ring.ts)
/** Size the frames ring (rows, data bytes); call before init(). 0 rows: no ring. */
export function frameRingLimits(rows: i32, bytes: i32): void { L.setFrameRingLimits(rows, bytes); }
/** Record frames (1) or not (0, record --no-frames). */
export function frameRingEnable(on: i32): void { FR.frameRingEnable(on); }
/** Forget the ring's rows (after TypeScript drained them). */
export function frameRingReset(): void { FR.frameRingReset(); }
/** 1: the ring keeps each frame's bytes (the default); 0: only its hash (frames-ring.ts frameRingKeepBytes). */
export function frameRingKeepBytes(on: i32): void { FR.frameRingKeepBytes(on); }
/** Offset of frames ring column c (frames-ring.ts frameRingColumn: 0 ts … 14 offsets, 15 data). */
export function frameRingColumn(c: i32): usize { return FR.frameRingColumn(c); }

// --- CanTSyn (issue 11 §2): timestamps of a bus's time-sync frames (bus/can.ts, read with ptpStamp)
/** Frames with canId (CAN_EFF_FLAG for 29-bit) on bus are stamped for their senders and receivers. */
export function canTsynId(bus: i32, canId: u32): void { CAN.canTsynId(bus, canId); }

// --- the PRNG without a call (issue 10 §2 step 3, corepath): the streams' xoshiro256** states
/** Offset of the PRNG states (prng.ts: 32 bytes a stream, s0..s3 as le64), for draws done in TypeScript. */
export function prngOffset(): usize { return L.prngBase; }

// --- CanTSyn ECU slaves (issue 11): an external node's receive path for time-sync frames (bus/can.ts)
/** External CAN node `node` keeps its bus's CanTSyn frames (its ECU is a Time Slave). */
export function canTsynListen(node: i32): void { CAN.canTsynListen(node); }
/** node's oldest kept CanTSyn frame: its dlc, or -1 if none; then canTsynTakenNs / canTsynTakenData. */
export function canTsynTake(node: i32): i32 { return CAN.canTsynTake(node); }
/** The taken frame's end of frame at the node, true ns. */
export function canTsynTakenNs(): i64 { return CAN.canTsynTakenNs(); }
/** The taken frame's data bytes, byte 0 the low byte. */
export function canTsynTakenData(): u64 { return CAN.canTsynTakenData(); }
/** Kept frames overwritten before their node took them (the ring holds 32). */
export function canTsynLost(): i32 { return CAN.canTsynLost(); }
// --- replay's batch digests (issue 9's 1.2x target): assembly/trace/columns-digest.ts
import { columnsDigest as columnsDigestImpl } from './trace/columns-digest';
import { xxh64 } from './trace/xxh64';
/** Digest of rows [0, count) of the trace columns (table 0) or the frames ring (table 1). */
export function columnsDigest(table: i32, count: i32): i64 { return <i64>columnsDigestImpl(table, count); }
/** XXH64 of scratch bytes [0, len) with seed (tests check the hash against published values). */
export function scratchXxh64(len: i32, seed: i64): i64 {
  assert(len >= 0 && <usize>len <= <usize>L.scratchBytes, 'scratchXxh64: len outside scratch');
  return <i64>xxh64(L.scratchBase, <usize>len, <u64>seed);
}

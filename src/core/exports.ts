// The raw export surface of build/core.wasm (assembly/index.ts), typed for the wrapper.
// i64 parameters and results are BigInt; u32 results arrive as signed numbers (use >>> 0).

import type { WasmMemory } from './wasm-file.js';

export interface CoreExports {
  readonly memory: WasmMemory;
  coreVersion(): number;
  init(
    vmCount: number, hostRamBytes: bigint, ptPages: number, queueCount: number, deviceCount: number,
    linkCount: number, switchPortCount: number, macCount: number, canNodeCount: number,
    frameSlots: number, frameBytesMax: number, timerCapacity: number, traceCapacity: number,
    scratchBytes: number, seed: bigint,
  ): void;
  stateOffset(): number;
  scratchOffset(): number;
  segOffset(): number;
  traceColumnOffset(column: number): number;
  hostRamOffset(): number;
  dirtyOffset(): number;
  qarrOffset(): number;
  qarrStride(): number;
  layoutBytes(): number;

  now(): bigint;
  setNow(ns: bigint): void;
  run(untilNs: bigint): number;
  nextEventNs(): bigint;
  irqTake(): number;

  traceEmit(vm: number, vcpu: number, kind: number, dev: number, queue: number, id: bigint, len: number, val: bigint): void;
  traceReset(): void;
  seqNext(): bigint;

  prngU32(stream: number): number;
  prngBelow(stream: number, n: number): number;
  prngChance(stream: number, num: number, den: number): number;

  hostAlloc(pages: number): bigint;
  vmCreate(vm: number, ramBytes: bigint): void;
  s2Map(vm: number, gpa: bigint, hpa: bigint, pages: number, perm: number): void;
  s2Unmap(vm: number, gpa: bigint, pages: number): void;
  s2Protect(vm: number, gpa: bigint, pages: number, perm: number): void;
  s2Translate(vm: number, gpa: bigint, write: number): bigint;
  tlbHits(vm: number): bigint;
  tlbMisses(vm: number): bigint;
  guestWrite(vm: number, gpa: bigint, len: number): number;
  guestRead(vm: number, gpa: bigint, len: number): number;
  iommuCreate(dev: number, vm: number): void;
  iommuMapGuest(dev: number, gpa: bigint, pages: number, perm: number): number;
  iommuTranslate(dev: number, iova: bigint, write: number): bigint;
  iommuTlbHits(dev: number): bigint;
  iommuTlbMisses(dev: number): bigint;

  vqCreate(vm: number, dev: number, index: number, size: number, desc: bigint, avail: bigint, used: bigint, eventIdx: number): number;
  vqFailed(q: number): number;
  vqFailCode(q: number): number;
  vqReset(q: number): number;
  drvSubmit(q: number, count: number): number;
  drvKick(q: number): number;
  drvReclaim(q: number, max: number): number;
  drvFreeCount(q: number): number;
  drvRawDesc(q: number, index: number, gpa: bigint, len: number, flags: number, next: number): number;
  drvRawPublish(q: number, head: number): number;
  devPop(q: number): number;
  devPush(q: number, head: number, len: number): number;
  devNotify(q: number): number;
  devDrain(q: number, max: number): number;
  devFill(q: number, len: number): number;
  devCompleteAll(q: number, writtenLen: number): number;
  benchCycle(q: number, chains: number): number;

  linkCreate(latencyNs: bigint, bitsPerSecond: bigint): number;
  switchMac(mac: bigint, port: number): void;
  switchPortLink(port: number, link: number, rxDev: number): void;
  netAttach(dev: number, vm: number, txq: number, rxq: number, port: number, link: number): void;
  canBusCreate(bitsPerSecond: bigint): number;
  canAttach(dev: number, vm: number, bus: number, txq: number, rxq: number): number;
  canSend(node: number, canId: number, dlc: number): number;
  canRxCount(node: number): bigint;
  busBudget(vm: number, bytesPerPeriod: bigint, periodNs: bigint): void;
  busCharge(vm: number, bytes: bigint): bigint;
  ctxExists(ctx: number): number;

  // --- inputs (issue 9): virtual external Ethernet hosts
  switchHostPort(port: number, link: number): void;
  hostSend(link: number, len: number): number;
  // --- seeded faults (issue 9 §5)
  faultAdd(type: number, target: number, arg: number, ppm: number, atNs: bigint, endNs: bigint): number;
  faultHits(i: number): bigint;
  canBusOffEdge(node: number): void;
  busBudgetRate(vm: number, bytesPerPeriod: bigint): bigint;
  // --- time travel (issue 9): read-only views of the core's tables
  vqCount(): number;
  vqStateField(q: number, field: number): number;
  guestPeek(vm: number, gpa: bigint, len: number): number;
  timerPending(): number;
  timerField(i: number, field: number): bigint;
  linkCount(): number;
  linkField(link: number, dir: number, field: number): bigint;
  canNodeCount(): number;
  canBusCount(): number;
  canNodeField(node: number, field: number): bigint;
  canMailboxField(node: number, i: number, field: number): bigint;
  canBusField(bus: number, field: number): bigint;
  busBudgetField(vm: number, field: number): bigint;
  // --- replay: state digests (issue 9)
  stateComponentCount(): number;
  stateDigest(component: number): bigint;
  stateDigestAll(): void;
  // --- fewer crossings (issue 10 §2)
  step(untilNs: number): number;
  timerOffset(): number;
  ctxOffset(): number;
  tlbOffset(): number;
  drvSubmitKick(q: number, count: number, placedBefore: number, last: number): number;
  drvReclaimPair(qa: number, qb: number, max: number): number;
  // --- frames table (issue 12 §1)
  frameRingLimits(rows: number, bytes: number): void;
  frameRingEnable(on: number): void;
  frameRingReset(): void;
  frameRingKeepBytes(on: number): void;
  frameRingColumn(c: number): number;
}
// --- gPTP (issue 11)
export interface CoreExports {
  ptpMode(mode: number): void;
  ptpPort(port: number): void;
  ptpStamp(dev: number, dir: number, type: number, seq: number): bigint;
  linkAsymmetry(link: number, asymmetryNs: bigint): void;
}
// --- CanTSyn (issue 11 §2)
export interface CoreExports {
  canTsynId(bus: number, canId: number): void;
}
// --- the PRNG without a call (issue 10 §2 step 3)
export interface CoreExports {
  prngOffset(): number;
}
// --- CanTSyn ECU slaves (issue 11)
export interface CoreExports {
  canTsynListen(node: number): void;
  canTsynTake(node: number): number;
  canTsynTakenNs(): bigint;
  canTsynTakenData(): bigint;
  canTsynLost(): number;
}
// --- replay's batch digests (issue 9's 1.2x target: assembly/trace/columns-digest.ts)
export interface CoreExports {
  columnsDigest(table: number, count: number): bigint;
  scratchXxh64(len: number, seed: bigint): bigint;
}

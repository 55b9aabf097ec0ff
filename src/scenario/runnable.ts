// "Validation = what runs" (issue #8): the checks that need more than one field, against the
// platform's limits (limits.ts) — the core's memory, the VM's RAM against its drivers' rings,
// bus-budget arithmetic in the core's i64, CAN identifiers by format, the load and mailbox
// demand a CAN bus can carry, the frame traffic a run simulates, gateways that keep up. Each
// problem names a field path and the limit.

import type { z } from 'zod';
import { coreLimitsFor } from '../platform/platform.js';
import type { Scenario, VmConfig } from './schema.js';
import {
  BUS_CHARGE_BYTES_MAX, BUS_SCALED_MAX, CAN_ID_STANDARD_MAX, CAN_LOAD_MAX, CAN_MAILBOX_MAX,
  CORE_MEMORY_BYTES_MAX, DELIVERIES_PER_S_MAX, DURATION_NS_MAX, MIB, canFrameBitsMax, coreMemoryBytes,
} from './limits.js';
import { guestRamNeededBytes } from './guest-ram.js';

type Ctx = z.RefinementCtx;
const NS_PER_S = 1_000_000_000;

export function checkRunnable(s: Scenario, ctx: Ctx): void {
  checkCoreMemory(s, ctx);
  s.vms.forEach((vm, i) => {
    checkGuestRam(vm, i, ctx);
    checkChargeBytes(vm, i, ctx);
    checkBusDebt(vm, i, s.durationNs, ctx);
  });
  checkCanIds(s, ctx);
  s.canBuses.forEach((_bus, i) => checkCanBus(s, i, ctx));
  checkTraffic(s, ctx);
  checkGatewayKeepsUp(s, ctx);
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

/** The whole scenario must fit the core's 32-bit linear memory (assembly/layout.ts). */
function checkCoreMemory(s: Scenario, ctx: Ctx): void {
  const limits = coreLimitsFor(s);
  const bytes = coreMemoryBytes(limits);
  if (bytes <= CORE_MEMORY_BYTES_MAX) return;
  const ramMiB = s.vms.reduce((n, vm) => n + vm.ramMiB, 0);
  ctx.addIssue({
    code: 'custom',
    path: ['vms'],
    message: `needs ${mib(bytes)} of core memory (ramMiB ${ramMiB} in total, plus page tables, queues, ` +
      `trace columns and scratch), more than the core's ${mib(CORE_MEMORY_BYTES_MAX)} ` +
      '(32-bit linear memory): lower ramMiB',
  });
}

/** A VM's RAM must hold the rings and buffer pools its drivers allocate at boot. */
function checkGuestRam(vm: VmConfig, i: number, ctx: Ctx): void {
  const needBytes = guestRamNeededBytes(vm.devices);
  if (needBytes <= vm.ramMiB * MIB) return;
  ctx.addIssue({
    code: 'custom',
    path: ['vms', i, 'ramMiB'],
    message: `${vm.ramMiB} MiB cannot hold its devices' rings and buffers (${needBytes} bytes): ` +
      `at least ${Math.ceil(needBytes / MIB)}`,
  });
}

/**
 * How a VM's program charges its bus budget, at worst: `count` charges over the run, at least
 * `intervalNs` apart, `meanBytes` = num / den each in the long run, `spikeBytes` at most at once.
 */
interface BusCharges {
  count: bigint;
  intervalNs: bigint;
  meanNum: bigint;
  meanDen: bigint;
  spikeBytes: bigint;
}

function busCharges(vm: VmConfig, durationNs: number): BusCharges | null {
  const p = vm.program;
  const b = BigInt;
  switch (p.type) {
    case 'cluster': { // a charge at every frame release; every fullRedrawEvery-th is a full redraw
      const spike = b(p.framebufferBytes) * b(p.fullRedrawFactor);
      const every = b(p.fullRedrawEvery);
      return {
        count: b(Math.floor(durationNs / p.framePeriodNs) + 1), intervalNs: b(p.framePeriodNs),
        meanNum: b(p.framebufferBytes) * (every - 1n + b(p.fullRedrawFactor)), meanDen: every, spikeBytes: spike,
      };
    }
    case 'infotainment': { // bursts come after at least half the nominal interval; all big (4x) at worst
      const interval = Math.floor(p.burstEveryNs / 2);
      const bytes = 4n * b(p.memoryBurstBytes);
      return { count: b(Math.floor(durationNs / interval) + 1), intervalNs: b(interval), meanNum: bytes, meanDen: 1n, spikeBytes: bytes };
    }
    default:
      return null;
  }
}

/**
 * Worst debt of a budget's bucket over a run, scaled (bytes x periodNs) as the core keeps it:
 * a spike, plus per charge what the program charges beyond what refills in between (refill is
 * bytesPerPeriod per periodNs, i.e. bytesPerPeriod scaled units per ns), if that is positive.
 */
function worstDebtScaled(c: BusCharges, bytesPerPeriod: bigint, periodNs: bigint): bigint {
  const growthTimesDen = c.meanNum * periodNs - bytesPerPeriod * c.intervalNs * c.meanDen;
  const growth = growthTimesDen > 0n ? (c.count * growthTimesDen) / c.meanDen : 0n;
  return 2n * c.spikeBytes * periodNs + growth;
}

/** A single bus charge must stay below 2^40 bytes (assembly/bus/budget.ts busCharge asserts it). */
function checkChargeBytes(vm: VmConfig, i: number, ctx: Ctx): void {
  const p = vm.program;
  if (p.type !== 'cluster' || p.framebufferBytes * p.fullRedrawFactor <= BUS_CHARGE_BYTES_MAX) return;
  ctx.addIssue({
    code: 'custom',
    path: ['vms', i, 'program', 'framebufferBytes'],
    message: `a full redraw moves framebufferBytes x fullRedrawFactor = ${p.framebufferBytes * p.fullRedrawFactor} ` +
      'bytes, more than the core charges at once (2^40 - 1): lower one of them',
  });
}

/**
 * assembly/bus/budget.ts keeps the bucket scaled (bytes x periodNs) in an i64 below 2^62 and
 * returns a stall of debt / rate ns that becomes a JS number added to a time (below 2^53). Debt
 * carries over, so a program that charges faster than its budget refills grows it all run.
 */
function checkBusDebt(vm: VmConfig, i: number, durationNs: number, ctx: Ctx): void {
  const budget = vm.busBudget;
  if (budget === undefined) return;
  const rate = BigInt(budget.bytesPerPeriod);
  const period = BigInt(budget.periodNs);
  const path = ['vms', i, 'busBudget'];
  if (rate * period > BigInt(BUS_SCALED_MAX)) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'bytesPerPeriod'],
      message: `bytesPerPeriod x periodNs is ${rate * period}, more than 2^62 (the core's scaled bucket): lower one of them`,
    });
    return;
  }
  const charges = busCharges(vm, durationNs);
  if (charges === null) return;
  const debt = worstDebtScaled(charges, rate, period);
  const stallNs = debt / rate;
  const stallMax = BigInt(Number.MAX_SAFE_INTEGER - 2 * DURATION_NS_MAX);
  if (debt <= BigInt(BUS_SCALED_MAX) && stallNs <= stallMax) return;
  ctx.addIssue({
    code: 'custom',
    path: [...path, 'periodNs'],
    message: `the program may run up a debt of ${debt / period} bytes in ${durationNs} ns (it charges faster ` +
      'than the budget refills); the debt x periodNs or its stall (debt / bytesPerPeriod ns) leaves the ' +
      'core\'s range (2^62, 2^53 ns): raise bytesPerPeriod, lower the traffic or shorten the run',
  });
}

/** ISO 11898-1: an 11-bit identifier is at most 0x7FF; 29-bit ones are bounded by the schema. */
function checkCanIds(s: Scenario, ctx: Ctx): void {
  s.ecus.forEach((ecu, i) => {
    ecu.frames.forEach((f, j) => {
      if (f.extended || f.canId <= CAN_ID_STANDARD_MAX) return;
      ctx.addIssue({
        code: 'custom',
        path: ['ecus', i, 'frames', j, 'canId'],
        message: `0x${f.canId.toString(16).toUpperCase()} does not fit a standard (11-bit) id, at most 0x7FF: ` +
          'set "extended": true for a 29-bit id',
      });
    });
  });
}

/**
 * A bus must carry its ECUs' frames with room to spare, and no ECU may ever hold more frames
 * than its mailboxes (the core refuses a frame to a full node). Load: sum of worst-case frame
 * bits / period against CAN_LOAD_MAX of the bit rate. Mailboxes: a frame waits at most the bus
 * busy period L <= sum(C) / (1 - U) (Davis et al. 2007, §4), so frame j of an ECU has at most
 * ceil((L + jitter_j) / period_j) instances waiting; their sum must fit CAN_MAILBOX_MAX.
 */
function checkCanBus(s: Scenario, busIndex: number, ctx: Ctx): void {
  const bus = s.canBuses[busIndex]!;
  const frames = s.ecus.filter((e) => e.bus === bus.name).flatMap((e) => e.frames);
  if (frames.length === 0) return;
  const bitsPerS = frames.reduce((n, f) => n + (canFrameBitsMax(f.dlc, f.extended) * NS_PER_S) / f.periodNs, 0);
  if (bitsPerS * CAN_LOAD_MAX.den > bus.bitsPerSecond * CAN_LOAD_MAX.num) {
    const percent = (100 * CAN_LOAD_MAX.num) / CAN_LOAD_MAX.den;
    ctx.addIssue({
      code: 'custom',
      path: ['canBuses', busIndex, 'bitsPerSecond'],
      message: `the ECU frames on "${bus.name}" need ${Math.ceil(bitsPerS)} bit/s (CAN 2.0 frame bits with ` +
        `worst-case stuffing / periodNs), more than ${percent} % of ${bus.bitsPerSecond} bit/s: ` +
        'raise bitsPerSecond, or lengthen periodNs',
    });
    return;
  }
  const frameNs = (f: { dlc: number; extended: boolean }) => (canFrameBitsMax(f.dlc, f.extended) * NS_PER_S) / bus.bitsPerSecond;
  const busyNs = frames.reduce((n, f) => n + frameNs(f), 0) / (1 - bitsPerS / bus.bitsPerSecond);
  s.ecus.forEach((ecu, i) => {
    if (ecu.bus !== bus.name) return;
    const waiting = ecu.frames.reduce((n, f) => n + Math.ceil((busyNs + f.jitterNs) / f.periodNs), 0);
    if (waiting <= CAN_MAILBOX_MAX) return;
    ctx.addIssue({
      code: 'custom',
      path: ['ecus', i, 'frames'],
      message: `up to ${waiting} frames may wait at once (bus "${bus.name}" busy up to ${Math.ceil(busyNs)} ns), ` +
        `more than the ${CAN_MAILBOX_MAX} TX mailboxes of an ECU: fewer or slower frames, or a faster bus`,
    });
  });
}

/** Where frame deliveries come from, per second of virtual time, by the field that sets the rate. */
function trafficSources(s: Scenario): { path: (string | number)[]; perS: number }[] {
  const receivers = new Map<string, number>();
  for (const vm of s.vms) {
    for (const d of vm.devices) if (d.type === 'can') receivers.set(d.bus, (receivers.get(d.bus) ?? 0) + 1);
  }
  const canPerS = canFramesPerS(s);
  const sources: { path: (string | number)[]; perS: number }[] = [];
  s.ecus.forEach((ecu, i) => {
    ecu.frames.forEach((f, j) => {
      const perS = (NS_PER_S / f.periodNs) * Math.max(1, receivers.get(ecu.bus) ?? 0);
      sources.push({ path: ['ecus', i, 'frames', j, 'periodNs'], perS });
    });
  });
  s.vms.forEach((vm, i) => {
    const p = vm.program;
    if (p.type === 'infotainment' && p.peer !== undefined) {
      // Bursts come after at least half the nominal interval.
      sources.push({ path: ['vms', i, 'program', 'burstEveryNs'], perS: (p.burstFrames * NS_PER_S) / Math.floor(p.burstEveryNs / 2) });
    }
    if (p.type === 'gateway') {
      const heard = vm.devices.reduce((n, d) => n + (d.type === 'can' ? (canPerS.get(d.bus) ?? 0) : 0), 0);
      sources.push({ path: ['vms', i, 'program', 'forwardTo'], perS: heard * p.forwardTo.length });
    }
  });
  return sources;
}

/**
 * The traffic a 1 s run must simulate is bounded (DELIVERIES_PER_S_MAX) so that every accepted
 * scenario runs in seconds; the message points at the largest source.
 */
function checkTraffic(s: Scenario, ctx: Ctx): void {
  const sources = trafficSources(s);
  const total = sources.reduce((n, src) => n + src.perS, 0);
  if (total <= DELIVERIES_PER_S_MAX) return;
  const largest = sources.reduce((a, b) => (b.perS > a.perS ? b : a));
  ctx.addIssue({
    code: 'custom',
    path: largest.path,
    message: `the scenario asks for ${Math.ceil(total)} frame deliveries per second of virtual time (CAN frames x ` +
      `receivers, Ethernet bursts, gateway forwards), at most ${DELIVERIES_PER_S_MAX}; this field gives ` +
      `${Math.ceil(largest.perS)} of them: lengthen the period or send fewer frames`,
  });
}

/** CAN frames per second each bus carries from its ECUs. */
function canFramesPerS(s: Scenario): Map<string, number> {
  const perS = new Map<string, number>();
  for (const ecu of s.ecus) {
    for (const f of ecu.frames) perS.set(ecu.bus, (perS.get(ecu.bus) ?? 0) + NS_PER_S / f.periodNs);
  }
  return perS;
}

/**
 * A gateway bridges its pending frames in one job of perFrameCostNs each (src/guests/gateway.ts),
 * one job at a time: if the frames it hears take more than a CPU second per second, its queue
 * grows for the whole run (memory without bound on a long run) instead of reaching a steady state.
 */
function checkGatewayKeepsUp(s: Scenario, ctx: Ctx): void {
  const perS = canFramesPerS(s);
  s.vms.forEach((vm, i) => {
    const p = vm.program;
    if (p.type !== 'gateway') return;
    const heard = vm.devices.reduce((n, d) => n + (d.type === 'can' ? (perS.get(d.bus) ?? 0) : 0), 0);
    const busyNsPerS = heard * p.perFrameCostNs;
    if (busyNsPerS <= NS_PER_S) return;
    ctx.addIssue({
      code: 'custom',
      path: ['vms', i, 'program', 'perFrameCostNs'],
      message: `the gateway hears ${Math.ceil(heard)} CAN frames/s at ${p.perFrameCostNs} ns each: ` +
        `${(busyNsPerS / NS_PER_S).toFixed(2)} CPU seconds per second, more than 1 (its queue would grow ` +
        'for the whole run): lower perFrameCostNs or the frame rate',
    });
  });
}

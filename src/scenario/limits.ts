// Every limit a scenario is checked against, in one place, each with where it comes from: the
// core's 32-bit linear memory and i64 arithmetic, the PRNG's u32 draws, the CAN controller's
// mailboxes, the guest drivers' rings. runnable.ts applies them when a scenario loads, so a
// scenario that loads is a scenario that runs (issue #8).

// This module imports nothing at run time, so the CLI's option parsing can use it cheaply.

import type { CoreLimits } from '../core/api.js';

const US = 1_000;
const MS = 1_000_000;
const S = 1_000_000_000;
const PAGE_BYTES = 4096;

// --- time ---------------------------------------------------------------------------------------

/**
 * Longest run (scenario `durationNs`, `--duration`). Every time the platform computes (clock
 * offsets up to ±1e15 ns plus drift, timers, bus-budget debt) stays below 2^53 ns with this bound,
 * and a day of virtual time is already hours of wall time for a busy scenario.
 */
export const DURATION_NS_MAX = 24 * 3_600 * S;

/** Longest guest CPU job (frame, burst, per-frame cost): far above any frame period it models. */
export const COST_NS_MAX = 1 * S;

/**
 * Largest value drawn at random (cost jitter, ECU release jitter, the infotainment's burst
 * interval + 1): the core's prngBelow takes a u32 bound (src/core/core.ts).
 */
export const RANDOM_NS_MAX = 2 ** 32 - 2;

/** Longest network link latency: a link a frame needs more than a second to cross is no link. */
export const LINK_LATENCY_NS_MAX = 1 * S;

/**
 * Shortest periods. Each was chosen so that a 1 s run of the worst accepted scenario (every count
 * at its maximum, every period at its minimum) finishes in seconds of wall time; the property test
 * (test/scenario/property.test.ts) runs such scenarios. Measured figures are in the README.
 */
export const MIN_PERIOD_NS = {
  /** scheduler slice: every slice end is an engine event per busy physical CPU */
  sliceNs: 100 * US,
  /** clock sampling: one `clock` row per VM per sample */
  clockSampleNs: 1 * MS,
  /** guest log intervals (gateway statistics, hostile keep-alive): one DLT message each */
  logEveryNs: 1 * MS,
  /** cluster frame period: a CPU job, a bus charge and a deadline check each */
  framePeriodNs: 1 * MS,
  /** infotainment burst interval: up to 256 Ethernet frames each */
  burstEveryNs: 1 * MS,
  /** external ECU frame period: the CAN load check bounds it too, this bounds engine events */
  ecuFramePeriodNs: 100 * US,
  /** bus budget period: the token bucket's refill granularity */
  busPeriodNs: 1 * US,
} as const;

/**
 * Frame deliveries a scenario may ask for per second of virtual time: CAN frames times the
 * virtio-can devices on their bus (at least 1), Ethernet frames of infotainment bursts, and
 * gateway forwards (each CAN frame it hears, times its forwardTo peers). One delivery is about
 * ten to forty trace rows; measured on a loaded 2-core machine, 100 000 per second runs 1 s of
 * virtual time in about 3 s (README "Scenarios").
 */
export const DELIVERIES_PER_S_MAX = 100_000;

/** Longest bus-budget period: the scaled bucket (bytes x period) must fit the core's i64. */
export const BUS_PERIOD_NS_MAX = 1 * S;

// --- memory ------------------------------------------------------------------------------------

export const MIB = 1024 * 1024;

/**
 * The core's linear memory: wasm32 addresses are 32 bits, and assembly/layout.ts take() asserts
 * the layout ends below 0xFFFF0000 (4 GiB minus the last 64 KiB page).
 */
export const CORE_MEMORY_BYTES_MAX = 0xffff_0000;

/** Room for the core's static data (assert messages) below __heap_base, where the layout starts. */
const CORE_STATIC_BYTES_MAX = 64 * 1024;

/**
 * Bytes of linear memory the core lays out for `limits`: the same regions, sizes and alignments
 * as assembly/layout.ts layoutCompute() (test/scenario/limits.test.ts checks it against the core).
 */
export function coreMemoryBytes(l: CoreLimits): number {
  let cursor = CORE_STATIC_BYTES_MAX;
  const take = (bytes: number, align = 64): void => {
    cursor = Math.ceil(cursor / align) * align + bytes;
  };
  const ctx = l.vmCount + l.deviceCount;
  const frameStride = Math.ceil((48 + 32 + l.frameBytesMax) / 8) * 8; // FRAME_HDR + FRAME_PAD
  take(256); // STATE
  take(l.scratchBytes);
  take(256 * 16); // SEGMENTS: SEG_MAX x SEG_ENTRY
  for (const width of [8, 8, 8, 8, 4, 2, 2, 2, 2, 1]) take(l.traceCapacity * width);
  const tables = [(64 + 16) * 32, ctx * 64, ctx * 64 * 16, l.vmCount * 64, l.deviceCount * 64,
    l.queueCount * 128, l.queueCount * 32768 * 12, l.linkCount * 128, l.switchPortCount * 16,
    l.macCount * 16, l.canNodeCount * 128, l.canNodeCount * (64 + CAN_MAILBOX_MAX * 48),
    l.frameSlots * frameStride, l.timerCapacity * 32, (l.queueCount + 1) * 16,
    16 * 64, // PRNG: 64 + 16 fault streams; FAULT: FAULT_MAX x 64 B (assembly/layout.ts)
    l.deviceCount * (2 * 8 * 16 + 16) + l.switchPortCount * 16]; // PTP (issue 11): stamp rings, bridge ports
  for (const bytes of tables) take(bytes);
  take(l.ptPages * PAGE_BYTES, PAGE_BYTES);
  take(l.hostRamBytes, PAGE_BYTES);
  // --- frames table (issue 12 §1): FRING, 14 columns, the offsets, the rows' hashes and the bytes
  const ringRows = l.frameRingRows ?? 0;
  for (const width of [8, 8, 8, 4, 4, 2, 2, 2, 2, 2, 2, 2, 1, 1]) take(ringRows * width);
  take((ringRows + 1) * 4);
  take(ringRows * 8);
  take(l.frameRingBytes ?? 0);
  take(l.hostRamBytes / PAGE_BYTES); // DIRTY: a byte per host RAM page (snapshots)
  take(0, 65536);
  return cursor;
}

// --- arithmetic ----------------------------------------------------------------------------------

/** The core's bus-budget bucket is kept scaled (bytes x period) below 2^62 (assembly/bus/budget.ts). */
export const BUS_SCALED_MAX = 2 ** 62;

/** The core refuses a single bus charge of 2^40 bytes or more (assembly/bus/budget.ts busCharge). */
export const BUS_CHARGE_BYTES_MAX = 2 ** 40 - 1;

// --- CAN ---------------------------------------------------------------------------------------

/** TX frames a CAN node holds (assembly/layout.ts CAN_MAILBOX_MAX): a full node refuses a frame. */
export const CAN_MAILBOX_MAX = 16;

/** Largest standard (11-bit) and extended (29-bit) identifiers, ISO 11898-1. */
export const CAN_ID_STANDARD_MAX = 0x7ff;
export const CAN_ID_EXTENDED_MAX = 0x1fff_ffff;

/**
 * Largest share of a bus's bit rate the ECUs' frames may take, as a ratio num/den. Below 1 so a
 * bus has idle time to drain the queues a simultaneous release builds; 80 % keeps the bus
 * busy period (CAN_BUSY_FACTOR) at five frame-sets, which the mailbox check then bounds.
 */
export const CAN_LOAD_MAX = { num: 4, den: 5 } as const;

/**
 * Bits on the wire of a classic CAN 2.0 data frame with `dlc` data bytes, worst-case bit
 * stuffing included (Davis, Burns, Bril, Lukkien 2007, "Controller Area Network (CAN)
 * schedulability analysis: refuted, revisited and revised", eq. 1): g + 8·dlc + 13 +
 * ⌊(g + 8·dlc − 1) / 4⌋ with g = 34 (11-bit id) or 54 (29-bit id), which includes the 3-bit
 * interframe space. 8 data bytes: 135 bits standard, 160 extended.
 */
export function canFrameBitsMax(dlc: number, extended: boolean): number {
  const g = extended ? 54 : 34;
  return g + 8 * dlc + 13 + Math.floor((g + 8 * dlc - 1) / 4);
}

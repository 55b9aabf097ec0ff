// A 64-bit digest of one component of the core's state, hashed straight from its tables in
// linear memory (issue 9 §2: replay compares the state at fixed virtual-time epochs). Every byte
// of these tables is a pure function of the run (the core allocates nothing after init and its
// memory starts zeroed), so stale slots hash the same in a recording and its replay.
//
// The hash is not cryptographic: it detects a divergence, it does not resist an adversary (the
// trace files have sha256 in the manifest for that). One lane, 8 bytes per step:
//   h = rotl(h ^ (w * P1), 31) * P2        (the xxhash64 round: digestMix), then XXH64's avalanche (trace/xxh64.ts).
// Regions are 8-byte multiples (every stride is; bases are 64-aligned); a tail is hashed bytewise.
import * as L from './layout';
import { digestMix as mix, xxhAvalanche } from './trace/xxh64';
import { now as clockNow, seqPeek as clockSeq } from './clock';
import { timerCount } from './bus/timers';
import * as Q from './virtio/queue';
import { tlbDigest } from './mmu/context';
import { frameAt, frameData, frameGet, framesFreeTop, framesInUse, framesUseWord, F_IN_USE, F_LEN } from './bus/frames';

const K3: u64 = 0x165667B19E3779F9;

// Component numbers (src/core/api.ts CORE_COMPONENTS lists the same names in this order).
export const COMP_CLOCK: i32 = 0; //   virtual time and the next sequence number
export const COMP_PRNG: i32 = 1; //    every PRNG stream's state
export const COMP_MMU: i32 = 2; //     translation contexts (roots, TLB hit/miss counters) and TLBs
export const COMP_VMS: i32 = 3; //     per-VM table (memory-bus token buckets)
export const COMP_DEVICES: i32 = 4; // per-device table (IOMMU domain, back-end wiring)
export const COMP_QUEUES: i32 = 5; //  queue shadows + the per-slot arrays of each queue's size
export const COMP_LINKS: i32 = 6; //   links and their FIFOs
export const COMP_SWITCH: i32 = 7; //  switch ports and MAC table
export const COMP_CAN: i32 = 8; //     CAN buses, nodes and mailboxes
export const COMP_FRAMES: i32 = 9; //  frame slots: every header, the bytes of those in flight
export const COMP_TIMERS: i32 = 10; // the timer heap (its live entries) and pending IRQs
export const COMP_COUNT: i32 = 11;

function hashRegion(h: u64, base: usize, bytes: usize): u64 {
  const words = bytes & ~(<usize>7);
  let p = base;
  const end = base + words;
  while (p < end) {
    h = mix(h, load<u64>(p));
    p += 8;
  }
  while (p < base + bytes) {
    h = mix(h, <u64>load<u8>(p));
    p += 1;
  }
  return mix(h, <u64>bytes);
}

/** The used part of each queue's per-slot arrays: [0, size) of time, next and length. */
function hashQueueArrays(h: u64): u64 {
  for (let q = 0; q < L.queueCount; q++) {
    const size = <usize>Q.qGet(q, Q.Q_SIZE);
    const base = L.qarrBase + <usize>q * <usize>L.QARR_STRIDE;
    h = hashRegion(h, base + <usize>L.QARR_TIME, size * 8);
    h = hashRegion(h, base + <usize>L.QARR_NEXT, size * 2);
    h = hashRegion(h, base + <usize>L.QARR_LEN, size * 2);
  }
  return h;
}

/**
 * The slots in flight (header and bytes), in slot order, and the free stack's top. A free slot's
 * stale bytes are never read again, and the free stack's order follows from the same allocations
 * and releases the in-flight slots show. Hashing all 1024 x 1.6 KB slots cost ~0.5 ms per epoch,
 * 10 % of the cockpit's run; finding the in-flight ones by every header still ~150 µs per epoch
 * inside a run (cold headers, bench/replay.ts); the in-use bitmap (bus/frames.ts) names them.
 */
function hashFrames(h: u64): u64 {
  h = mix(mix(h, <u64>framesInUse()), <u64>framesFreeTop());
  const words = (L.frameSlots + 63) >> 6;
  for (let w = 0; w < words; w++) {
    let bits = framesUseWord(w);
    while (bits != 0) {
      const slot = (w << 6) + <i32>ctz<u64>(bits);
      bits &= bits - 1;
      assert(frameGet(slot, F_IN_USE) == 1, 'stateDigest: the frames in-use bitmap names a free slot');
      h = mix(h, <u64>slot);
      h = hashRegion(h, frameAt(slot), <usize>L.FRAME_HDR);
      h = hashRegion(h, frameData(slot), <usize>frameGet(slot, F_LEN));
    }
  }
  return h;
}

function hashComponent(c: i32, h: u64): u64 {
  switch (c) {
    case COMP_CLOCK: return mix(mix(h, <u64>clockNow()), <u64>clockSeq());
    case COMP_PRNG: return hashRegion(h, L.prngBase, <usize>L.PRNG_STREAMS * 32);
    case COMP_MMU: {
      h = hashRegion(h, L.ctxBase, <usize>L.ctxCount * <usize>L.CTX_STRIDE);
      return tlbDigest(h); // the entries' old 16-byte words (mmu/context.ts, issue 10 §4)
    }
    case COMP_VMS: return hashRegion(h, L.vmBase, <usize>L.vmCount * <usize>L.VM_STRIDE);
    case COMP_DEVICES: return hashRegion(h, L.devBase, <usize>L.deviceCount * <usize>L.DEV_STRIDE);
    case COMP_QUEUES: {
      h = hashRegion(h, L.queueBase, <usize>L.queueCount * <usize>L.Q_STRIDE);
      return hashQueueArrays(h);
    }
    case COMP_LINKS: return hashRegion(h, L.linkBase, <usize>L.linkCount * <usize>L.LINK_STRIDE);
    case COMP_SWITCH: {
      h = hashRegion(h, L.portBase, <usize>L.portCount * <usize>L.PORT_STRIDE);
      return hashRegion(h, L.macBase, <usize>L.macCount * <usize>L.MAC_STRIDE);
    }
    case COMP_CAN: {
      h = hashRegion(h, L.canBusBase, <usize>L.canNodeCount * <usize>L.CANBUS_STRIDE);
      return hashRegion(h, L.canNodeBase, <usize>L.canNodeCount * <usize>L.CANNODE_STRIDE);
    }
    case COMP_FRAMES: return hashFrames(h);
    case COMP_TIMERS: {
      h = hashRegion(h, L.timerBase, <usize>timerCount() * <usize>L.TIMER_ENTRY);
      const irqs = <usize>L.stGet(L.ST_IRQ_COUNT);
      return hashRegion(h, L.irqBase, irqs * <usize>L.IRQ_ENTRY);
    }
  }
  assert(false, 'stateDigest: no such component');
  return 0;
}

/** Digest of component c (COMP_*), seeded by its number so two equal tables differ. */
export function stateDigestOf(c: i32): u64 {
  return xxhAvalanche(hashComponent(c, K3 + <u64>c));
}

/** Every component's digest, COMP_COUNT u64 at `out` (the scratch region): one call per epoch. */
export function stateDigestsInto(out: usize): void {
  for (let c = 0; c < COMP_COUNT; c++) store<u64>(out + (<usize>c << 3), stateDigestOf(c));
}

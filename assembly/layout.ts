// The memory map of the core. Every region is sized from the limits passed to init(), which
// grows the memory ONCE; nothing moves or grows afterwards, so TypeScript views stay valid
// (ARCHITECTURE principle 3). Offsets are derived here and nowhere else.
//
//  0 ─────────── __heap_base (static data: assert messages)
//  │ STATE      fixed 256 B: counters TypeScript reads without a call (trace count, soft limit,
//  │            clock, sequence counter, timer heap size…)
//  │            and two staging areas (a page-straddling descriptor, one virtio-can message)
//  │ SCRATCH    scratchBytes: TS <-> core staging (chain specs, frames, used elems, IRQs)
//  │ SEGMENTS   SEG_MAX x 16 B: {u32 host, u32 len, u32 writable, u32 pad} of the last popped chain
//  │ TRACE      10 columns x traceCapacity: ts i64 | seq i64 | id i64 | val i64 | len i32 |
//  │            vm i16 | vcpu i16 | dev i16 | queue i16 | kind u8   (8-byte columns first)
//  │ PRNG       (64 + 16) streams x 4 x u64 (xoshiro256** state; 64.. are the fault streams)
//  │ CTX        (vmCount + deviceCount) x 64 B translation contexts (root, hits, misses)
//  │ TLB        (vmCount + deviceCount) x 64 entries x 32 B {u32 tag=page+1, u32 tagRead, u32 tagWrite,
//  │            u32 hpa, u32 perm, u32 host, u32 dirty} (mmu/context.ts)
//  │ VM         vmCount x 64 B (created, memory-bus token bucket)
//  │ DEV        deviceCount x 64 B (IOMMU domain, back-end: net / CAN wiring)
//  │ QUEUE      queueCount x 128 B (config, driver shadow, device shadow, failed state)
//  │ QARRAYS    queueCount x 32768 x (i64 availTime | u16 drvNext | u16 drvChainLen)
//  │ LINK       linkCount x 128 B (two directions, each with a FIFO of frame slots)
//  │ PORT       switchPortCount x 16 B        MAC   macCount x 16 B {u64 mac, i32 port}
//  │ CANBUS     canNodeCount x 128 B (a bus needs a node, so nodes bound buses)
//  │ CANNODE    canNodeCount x (64 B + CAN_MAILBOX_MAX x 48 B mailbox)
//  │ FRAMES     frameSlots x (48 B header + 32 B pad for a virtio header + frameBytesMax)
//  │ TIMERS     timerCapacity x 32 B min-heap {i64 time, i64 seq, i32 kind, i32 a, i32 b, i32 c}
//  │ IRQ        (queueCount + 1) x 16 B pending list {i32 vm, i32 dev, i32 queue}
//  │ FAULT      FAULT_MAX x 64 B seeded faults (inject.ts)
//  │ PTP        deviceCount x 272 B timestamp rings + switchPortCount x 16 B bridge ports (bus/ptp.ts)
//  │ ── 4096-aligned ──
//  │ PTPOOL     ptPages x 4 KiB page-table pages (stage-2 and IOMMU)
//  │ HOSTRAM    hostRamBytes (guest RAM and shared regions; hpa = offset in this pool)
//  │ FRING      frames table (issue 12 §1), after everything so no other region moves:
//  │            frameRingRows x (ts i64 | arrival i64 | seq i64 | canId i32 | len i32 |
//  │            link i16 | bus i16 | port i16 | vm i16 | dev i16 | flags i16 | dlc i16 |
//  │            kind u8 | dir u8) + (frameRingRows + 1) x i32 offsets + frameRingBytes data
//  │ DIRTY      hostRamBytes / 4096 bytes: 1 for each host RAM page written since the last
//  │            snapshot (markDirty; src/core/snapshot.ts compares only those), after the rest
//  │            so no other region moves; never read by the core, and not part of a snapshot
//  end

export const PAGE_SHIFT: i32 = 12;
export const PAGE_SIZE: i32 = 1 << PAGE_SHIFT;
export const WASM_PAGE: i32 = 65536;
export const SEG_MAX: i32 = 256; //           segments per chain (each at most one 4 KiB page)
export const QUEUE_SIZE_MAX: i32 = 32768; //  VIRTIO 1.2 §2.7: Queue Size <= 32768
export const TLB_ENTRIES: i32 = 64; //        direct-mapped, per translation context
export const PRNG_STREAMS: i32 = 64; //       the platform's streams 0..63 (their numbers never change)
export const FAULT_MAX: i32 = 16; //          seeded faults, each with a PRNG stream 64 + its index
export const PRNG_STREAMS_ALL: i32 = PRNG_STREAMS + FAULT_MAX;
export const FAULT_STRIDE: i32 = 64;
export const CAN_MAILBOX_MAX: i32 = 16; //   TX frames a CAN node holds (a controller's mailboxes)
export const LINK_FIFO_MAX: i32 = 64; //      frames waiting behind the one on the wire
export const VM_MAX: i32 = 16;

// STATE region: fields TypeScript reads through an Int32Array view without crossing.
export const ST_TRACE_COUNT: i32 = 0; //  rows in the trace columns
export const ST_TRACE_SOFT: i32 = 4; //   soft limit: drain when count >= soft
export const ST_TRACE_CAP: i32 = 8;
export const ST_SEG_COUNT: i32 = 12; //   segments of the last popped chain
export const ST_SEG_READ: i32 = 16; //    readable bytes of the last popped chain
export const ST_SEG_WRITE: i32 = 20; //   writable bytes of the last popped chain
export const ST_STOP: i32 = 24; //        why the last batch call stopped (STOP_*)
export const ST_IRQ_COUNT: i32 = 28;
export const ST_OUT_LEN: i32 = 32; //     bytes a batch call wrote into scratch
// --- fewer crossings (issue 10 §2): the clock, the sequence counter and the timer heap's size
// live here so TypeScript reads them (and writes its own trace rows) without a call.
export const ST_NOW: i32 = 40; //         i64 virtual time (clock.ts)
export const ST_SEQ: i32 = 48; //         i64 next sequence number (clock.ts)
export const ST_TIMER_COUNT: i32 = 56; // entries in the timer heap (bus/timers.ts)
export const ST_STEP_IRQS: i32 = 60; //   interrupts the last step() moved to scratch
export const ST_KICK: i32 = 64; //        drvSubmitKick's kick: 1 notified, 0 suppressed, -1 none
export const ST_RECLAIM_B: i32 = 68; //   drvReclaimPair: used elements of the second queue, -1 none
export const ST_DESC_STAGE: i32 = 160; // 16 B: a descriptor straddling a page, reassembled
export const ST_CAN_STAGE: i32 = 128; // 32 B staging for one virtio-can message (12 B header + 8 B sdu)
// --- frames table (issue 12 §1): the frames ring's counters (trace/frames-ring.ts)
export const ST_RUN_BUDGET: i32 = 108; // 1: run() returned EXIT_TRACE_FULL for its step budget
export const ST_FR_COUNT: i32 = 112; //   rows in the frames ring
export const ST_FR_BYTES: i32 = 116; //   data bytes in the frames ring (= offsets[count])
export const ST_FR_STOP: i32 = 120; //    1: the ring is past its soft limit, drain before more work
export const ST_FR_ON: i32 = 124; //      1: frames are recorded (record --no-frames leaves 0)
export const ST_FR_NO_BYTES: i32 = 176; // 1: the ring keeps each frame's hash, not its bytes (replay)
export const STATE_BYTES: i32 = 256;

// Why a batch call stopped early; TypeScript loops on STOP_TRACE after draining.
export const STOP_DONE: i32 = 0; //     did everything asked, or the ring is empty
export const STOP_TRACE: i32 = 1; //    trace rows reached the soft limit
export const STOP_SCRATCH: i32 = 2; //  scratch output is full
export const STOP_FULL: i32 = 3; //     no free descriptors (driver side)
export const STOP_FAULT: i32 = 4; //    a fault ended the batch

// Strides of the tables (bytes).
export const CTX_STRIDE: i32 = 64;
export const TLB_ENTRY: i32 = 32; //   mmu/context.ts: tag, read tag, write tag, hpa, perm, host, dirty
export const VM_STRIDE: i32 = 64;
export const DEV_STRIDE: i32 = 64;
export const Q_STRIDE: i32 = 128;
export const LINK_STRIDE: i32 = 128;
export const PORT_STRIDE: i32 = 16;
export const MAC_STRIDE: i32 = 16;
export const CANBUS_STRIDE: i32 = 128;
export const CANNODE_HDR: i32 = 64;
export const MAILBOX_ENTRY: i32 = 48;
export const CANNODE_STRIDE: i32 = CANNODE_HDR + CAN_MAILBOX_MAX * MAILBOX_ENTRY;
export const FRAME_HDR: i32 = 48;
export const FRAME_PAD: i32 = 32; //      room for a 12-byte virtio header in front of a frame
export const TIMER_ENTRY: i32 = 32;
export const IRQ_ENTRY: i32 = 16;
export const SEG_ENTRY: i32 = 16;
export const QARR_TIME: i32 = 0;
export const QARR_NEXT: i32 = QUEUE_SIZE_MAX * 8;
export const QARR_LEN: i32 = QUEUE_SIZE_MAX * 10;
export const QARR_STRIDE: i32 = QUEUE_SIZE_MAX * 12;

// Limits, as given to init().
export let vmCount: i32 = 0;
export let hostRamBytes: i64 = 0;
export let ptPages: i32 = 0;
export let queueCount: i32 = 0;
export let deviceCount: i32 = 0;
export let linkCount: i32 = 0;
export let portCount: i32 = 0;
export let macCount: i32 = 0;
export let canNodeCount: i32 = 0;
export let frameSlots: i32 = 0;
export let frameBytesMax: i32 = 0;
export let timerCapacity: i32 = 0;
export let traceCapacity: i32 = 0;
export let scratchBytes: i32 = 0;
export let frameStride: i32 = 0;
// --- frames table (issue 12 §1): set by frameRingLimits() before init(); 0 rows = no ring
export let frameRingRows: i32 = 0;
export let frameRingBytes: i32 = 0;
export let ctxCount: i32 = 0;

// Region bases (linear-memory offsets), fixed by init().
export let stateBase: usize = 0;
export let scratchBase: usize = 0;
export let segBase: usize = 0;
export let colTs: usize = 0;
export let colSeq: usize = 0;
export let colId: usize = 0;
export let colVal: usize = 0;
export let colLen: usize = 0;
export let colVm: usize = 0;
export let colVcpu: usize = 0;
export let colDev: usize = 0;
export let colQueue: usize = 0;
export let colKind: usize = 0;
export let prngBase: usize = 0;
export let ctxBase: usize = 0;
export let tlbBase: usize = 0;
export let vmBase: usize = 0;
export let devBase: usize = 0;
export let queueBase: usize = 0;
export let qarrBase: usize = 0;
export let linkBase: usize = 0;
export let portBase: usize = 0;
// --- gPTP (issue 11): per device 2 directions x PTP_STAMP_RING x 16 B stamps + 2 x i32 write
// index (padded to 16), per switch port 16 B of bridge state (bus/ptp.ts)
export const PTP_STAMP_RING: i32 = 8;
export const PTP_DEV_STRIDE: i32 = 2 * PTP_STAMP_RING * 16 + 16;
export const PTP_PORT_STRIDE: i32 = 16;
export let ptpBase: usize = 0;
export let macBase: usize = 0;
export let canBusBase: usize = 0;
export let canNodeBase: usize = 0;
export let frameBase: usize = 0;
export let timerBase: usize = 0;
export let irqBase: usize = 0;
export let faultBase: usize = 0;
export let ptPoolBase: usize = 0;
export let hostRamBase: usize = 0;
export let layoutEnd: usize = 0;
export let dirtyBase: usize = 0;
/** One bit per frame slot, set while it is in use (bus/frames.ts): the state digest visits only those. */
export let frameUseBase: usize = 0;
// --- frames table (issue 12 §1): the FRING columns (trace/frames-ring.ts)
export let frTs: usize = 0;
export let frArrival: usize = 0;
export let frSeq: usize = 0;
export let frCanId: usize = 0;
export let frLen: usize = 0;
export let frLink: usize = 0;
export let frBus: usize = 0;
export let frPort: usize = 0;
export let frVm: usize = 0;
export let frDev: usize = 0;
export let frFlags: usize = 0;
export let frDlc: usize = 0;
export let frKind: usize = 0;
export let frDir: usize = 0;
export let frOffsets: usize = 0;
export let frData: usize = 0;
/** Each frame row's XXH64 of its bytes (frames-ring.ts), between the offsets and the data: the
 *  ring's span from column 0 to the data's end stays one region (snapshots leave it out). */
export let frHash: usize = 0;

/** The frames ring's size; called before init() (which lays it out), never after. */
export function setFrameRingLimits(rows: i32, bytes: i32): void {
  assert(stateBase == 0, 'frameRingLimits: call it before init()');
  assert(rows >= 0 && bytes >= 0, 'frameRingLimits: negative size');
  frameRingRows = rows;
  frameRingBytes = bytes;
}

function takeFrameRing(): void {
  const rows = <u64>frameRingRows;
  frTs = take(rows * 8, 64);
  frArrival = take(rows * 8, 64);
  frSeq = take(rows * 8, 64);
  frCanId = take(rows * 4, 64);
  frLen = take(rows * 4, 64);
  frLink = take(rows * 2, 64);
  frBus = take(rows * 2, 64);
  frPort = take(rows * 2, 64);
  frVm = take(rows * 2, 64);
  frDev = take(rows * 2, 64);
  frFlags = take(rows * 2, 64);
  frDlc = take(rows * 2, 64);
  frKind = take(rows, 64);
  frDir = take(rows, 64);
  frOffsets = take((rows + 1) * 4, 64);
  frHash = take(rows * 8, 64);
  frData = take(<u64>frameRingBytes, 64);
}

export function setLimits(
  vms: i32, ramBytes: i64, pts: i32, queues: i32, devices: i32, links: i32, ports: i32, macs: i32,
  canNodes: i32, slots: i32, frameMax: i32, timers: i32, trace: i32, scratch: i32,
): void {
  vmCount = vms;
  hostRamBytes = ramBytes;
  ptPages = pts;
  queueCount = queues;
  deviceCount = devices;
  linkCount = links;
  portCount = ports;
  macCount = macs;
  canNodeCount = canNodes;
  frameSlots = slots;
  frameBytesMax = frameMax;
  timerCapacity = timers;
  traceCapacity = trace;
  scratchBytes = scratch;
}

let cursor: u64 = 0;

function take(bytes: u64, align: u64): usize {
  cursor = (cursor + align - 1) & ~(align - 1);
  const at = cursor;
  cursor += bytes;
  assert(cursor < 0xFFFF0000, 'layout: limits need more than 4 GiB of linear memory');
  return <usize>at;
}

function takeColumns(cap: u64): void {
  colTs = take(cap * 8, 64);
  colSeq = take(cap * 8, 64);
  colId = take(cap * 8, 64);
  colVal = take(cap * 8, 64);
  colLen = take(cap * 4, 64);
  colVm = take(cap * 2, 64);
  colVcpu = take(cap * 2, 64);
  colDev = take(cap * 2, 64);
  colQueue = take(cap * 2, 64);
  colKind = take(cap, 64);
}

function takeTables(): void {
  prngBase = take(<u64>PRNG_STREAMS_ALL * 32, 64);
  ctxBase = take(<u64>ctxCount * CTX_STRIDE, 64);
  tlbBase = take(<u64>ctxCount * TLB_ENTRIES * TLB_ENTRY, 64);
  vmBase = take(<u64>vmCount * VM_STRIDE, 64);
  devBase = take(<u64>deviceCount * DEV_STRIDE, 64);
  queueBase = take(<u64>queueCount * Q_STRIDE, 64);
  qarrBase = take(<u64>queueCount * QARR_STRIDE, 64);
  linkBase = take(<u64>linkCount * LINK_STRIDE, 64);
  portBase = take(<u64>portCount * PORT_STRIDE, 64);
  macBase = take(<u64>macCount * MAC_STRIDE, 64);
  canBusBase = take(<u64>canNodeCount * CANBUS_STRIDE, 64);
  canNodeBase = take(<u64>canNodeCount * CANNODE_STRIDE, 64);
  frameBase = take(<u64>frameSlots * frameStride, 64);
  timerBase = take(<u64>timerCapacity * TIMER_ENTRY, 64);
  irqBase = take(<u64>(queueCount + 1) * IRQ_ENTRY, 64);
  faultBase = take(<u64>FAULT_MAX * FAULT_STRIDE, 64);
  ptpBase = take(<u64>deviceCount * PTP_DEV_STRIDE + <u64>portCount * PTP_PORT_STRIDE, 64); // issue 11
}

/** Compute every region from the limits (already stored) and grow the memory once. */
export function layoutCompute(): void {
  assert(stateBase == 0, 'layout: init() runs once');
  frameStride = (FRAME_HDR + FRAME_PAD + frameBytesMax + 7) & ~7;
  ctxCount = vmCount + deviceCount;
  cursor = <u64>__heap_base;
  stateBase = take(STATE_BYTES, 64);
  assert(stateBase == stateAt(), 'layout: STATE is not where stateAt() says');
  scratchBase = take(<u64>scratchBytes, 64);
  segBase = take(<u64>SEG_MAX * SEG_ENTRY, 64);
  takeColumns(<u64>traceCapacity);
  takeTables();
  ptPoolBase = take(<u64>ptPages << PAGE_SHIFT, PAGE_SIZE);
  hostRamBase = take(<u64>hostRamBytes, PAGE_SIZE);
  takeFrameRing(); // --- frames table (issue 12 §1): last, so no other region moves
  dirtyBase = take(<u64>hostRamBytes >> PAGE_SHIFT, 64); // after it for the same reason
  frameUseBase = take(<u64>((frameSlots + 63) >> 6) << 3, 64); // last too: no region before it moves
  layoutEnd = take(0, WASM_PAGE);
  const need = <i32>(<u64>layoutEnd >> 16);
  const have = memory.size();
  if (need > have) {
    const prev = memory.grow(need - have);
    assert(prev == have, 'layout: memory.grow failed (limits too large for this host)');
  }
}

/**
 * STATE's address, a constant of the build: layoutCompute takes STATE first, right after the
 * static data, so no limit moves it (asserted there; stateBase holds the same value for
 * TypeScript and snapshots). The core's own accesses use this instead of the global (issue 10 §4:
 * V8 loads a wasm global at every use; a constant address is an immediate offset).
 */
@inline export function stateAt(): usize {
  return (<usize>__heap_base + 63) & ~(<usize>63);
}

// STATE accessors.
@inline export function stGet(field: i32): i32 {
  return load<i32>(stateAt() + <usize>field);
}
@inline export function stSet(field: i32, v: i32): void {
  store<i32>(stateAt() + <usize>field, v);
}

// The TypeScript face of the WASM core. `Core` (src/core/core.ts) implements it over the flat
// numeric exports of assembly/index.ts; nothing else in src/ touches the WASM memory or exports.
// Times are integer nanoseconds of virtual time, carried as JS numbers (safe below 2^53 ns,
// about 104 days of virtual time; the core asserts the bound) and as i64 inside the core.

/** Capacities fixed at load: the core allocates nothing after init (ARCHITECTURE principle 3). */
export interface CoreLimits {
  vmCount: number; //          VMs, <= 16
  hostRamBytes: number; //     host pool for guest RAM and shared regions, multiple of 4096
  ptPages: number; //          4 KiB pages for stage-2 and IOMMU page tables
  queueCount: number; //       virtqueues
  deviceCount: number; //      devices (each has an IOMMU domain)
  linkCount: number; //        point-to-point links
  switchPortCount: number; //  Ethernet switch ports
  macCount: number; //         static MAC table entries
  canNodeCount: number; //     CAN controllers (virtio-can devices and external ECUs)
  frameSlots: number; //       in-flight frames (net + CAN) held by the interconnect
  frameBytesMax: number; //    largest frame (e.g. 1518)
  timerCapacity: number; //    core-internal timed events (heap)
  traceCapacity: number; //    event rows held before TypeScript must drain
  scratchBytes: number; //     TS <-> core staging area
  // --- frames table (issue 12 §1): the frames ring (assembly/trace/frames-ring.ts); absent = 0
  frameRingRows?: number; //   frame rows held before TypeScript must drain (0: no ring)
  frameRingBytes?: number; //  frame bytes held before TypeScript must drain
}

export type Perm = 0 | 1 | 2 | 3; // bit0 = read, bit1 = write

export interface Segment {
  host: number; // offset in linear memory
  len: number;
  writable: boolean;
}
export interface ChainSpec {
  out: { gpa: number; len: number }[]; // device-readable buffers, in order
  in: { gpa: number; len: number }[]; //  device-writable buffers, after every readable one
  indirectGpa?: number; //                place the chain in an indirect table at this gpa
}
export interface UsedElem {
  id: number; // head descriptor index
  len: number; // bytes the device wrote
}
// --- the drivers' per-buffer path (issue 10 §2): chains and used elements in typed arrays the
// driver allocates once and reuses, so a submit or a reclaim makes no object per buffer.

/**
 * Chains of at most two buffers each: a device-readable part, then a device-writable part (a
 * gpa < 0 leaves that part out; every chain has at least one). Entries [0, count) are placed.
 */
export interface ChainStage {
  count: number;
  readonly outGpa: Float64Array;
  readonly outLen: Uint32Array;
  readonly inGpa: Float64Array;
  readonly inLen: Uint32Array;
  /** Out: the head descriptor of each placed chain, in order (what used elements name). */
  readonly heads: Int32Array;
  /** Out (drvSubmitStaged with kick): whether the kick notified the device. */
  notified: boolean;
}

/** A stage for up to `capacity` chains. */
export function chainStage(capacity: number): ChainStage {
  return {
    count: 0, outGpa: new Float64Array(capacity), outLen: new Uint32Array(capacity),
    inGpa: new Float64Array(capacity), inLen: new Uint32Array(capacity), heads: new Int32Array(capacity),
    notified: false,
  };
}

/** Used elements a reclaim took, [0, count) of id and len; the arrays grow when a reclaim needs it. */
export interface UsedBatch {
  count: number;
  id: Uint32Array;
  len: Uint32Array;
}

export function usedBatch(capacity: number): UsedBatch {
  return { count: 0, id: new Uint32Array(capacity), len: new Uint32Array(capacity) };
}

export interface QueueConfig {
  vm: number;
  dev: number;
  index: number; // queue index within its device (virtio-net: 0 = receiveq1, 1 = transmitq1)
  size: number; // power of two, <= 32768 (VIRTIO 1.2 §2.7)
  descGpa: number; // 16-byte aligned
  availGpa: number; // 2-byte aligned
  usedGpa: number; // 4-byte aligned
  eventIdx: boolean; // VIRTIO_F_EVENT_IDX negotiated
}
export interface TraceColumns {
  ts_ns: BigInt64Array;
  seq: BigInt64Array;
  vm: Int16Array;
  vcpu: Int16Array;
  kind: Uint8Array;
  dev: Int16Array;
  queue: Int16Array;
  id: BigInt64Array;
  len: Int32Array;
  val: BigInt64Array;
}
export interface TraceRow {
  vm: number;
  vcpu: number;
  kind: number;
  dev: number;
  queue: number;
  id: number;
  len: number;
  val: number;
}
export interface Irq {
  vm: number;
  dev: number;
  queue: number;
}
export interface TlbStats {
  hits: number;
  misses: number;
}

/** Kind of device back-end the core runs for a queue pair (others are served from TypeScript). */
export interface NetAttach {
  dev: number;
  vm: number;
  txQueue: number;
  rxQueue: number;
  port: number; // switch port this device's link plugs into
  link: number; // the device <-> switch link (full duplex)
}
export interface CanAttach {
  dev: number; //  -1 for an external ECU (no virtqueues)
  vm: number; //   -1 for an external ECU
  bus: number;
  txQueue: number; // -1 when dev = -1
  rxQueue: number; // -1 when dev = -1
}

export interface CoreApi {
  readonly limits: CoreLimits;
  readonly version: number;

  // --- virtual time and the core's own timed events (interconnect deliveries, device service)
  now(): number;
  /** Advance the core's clock to ns (>= now) without running anything past it. */
  setNow(ns: number): void;
  /**
   * Run core-internal events with time <= untilNs in (time, seq) order. Returns EXIT.until or
   * EXIT.irq (trace-full exits are drained to the sink inside the wrapper and never surface).
   * On EXIT.irq, now() is the time of the interrupt and later events are still queued.
   */
  run(untilNs: number): number;
  /** Time of the next core-internal event, or -1 when none. */
  nextEventNs(): number;
  irqTake(): Irq[];
  /**
   * One engine step (issue 10 §2): run(untilNs), then every interrupt taken to onIrq(vm, dev,
   * queue) in irqTake's order. Returns EXIT.until or EXIT.irq as run does. At most one call into
   * the core, none when no interrupt is pending and no core event is due by untilNs. now() and
   * seqNext() read the core's memory (no call either).
   */
  step(untilNs: number, onIrq: (vm: number, dev: number, queue: number) => void): number;

  // --- trace columns (struct of arrays in linear memory, drained without copying)
  /**
   * Where full columns go. After every call that can write events, and whenever run() exits
   * with EXIT.traceFull inside the core, the wrapper hands the columns to the sink once the
   * row count passes the soft limit (capacity minus a reserve no single call can exceed), then
   * resets them. The sink must finish with the views before returning (they are reused).
   */
  setTraceSink(sink: (cols: TraceColumns, count: number) => void): void;
  traceFlush(): void; //            hand whatever is buffered to the sink now (end of run)
  traceEmit(row: TraceRow): void; // at now(), seq assigned by the core
  /** traceEmit's row from its fields (no object), written without a call into the core. */
  emit(vm: number, vcpu: number, kind: number, dev: number, queue: number, id: number, len: number, val: number): void;
  traceCount(): number;
  traceColumns(): TraceColumns; //  views of the first traceCount() rows
  traceReset(): void;
  seqNext(): number; //             sequence number the next event will get

  // --- PRNG: xoshiro256** streams split from the seed with splitmix64
  prngU32(stream: number): number;
  prngBelow(stream: number, n: number): number; // unbiased, 0 <= r < n (n >= 1)
  prngChance(stream: number, num: number, den: number): boolean; // integer ratio

  // --- memory, stage-2 MMU, TLB, IOMMU
  hostAlloc(pages: number): number; // host physical address (offset into the host pool)
  vmCreate(vm: number, ramBytes: number): void; // allocates RAM and maps gpa [0, ram) RW
  s2Map(vm: number, gpa: number, hpa: number, pages: number, perm: Perm): void;
  s2Unmap(vm: number, gpa: number, pages: number): void; // invalidates the TLB entries
  s2Protect(vm: number, gpa: number, pages: number, perm: Perm): void; // invalidates too
  /** Linear-memory offset of gpa, or -(fault code) on a translation/permission fault. */
  s2Translate(vm: number, gpa: number, write: boolean): number;
  tlbStats(vm: number): TlbStats;
  guestWrite(vm: number, gpa: number, data: Uint8Array): number; // 0 or -(fault code)
  guestRead(vm: number, gpa: number, len: number): Uint8Array | number;
  iommuCreate(dev: number, vm: number): void;
  iommuMapGuest(dev: number, gpa: number, pages: number, perm: Perm): void; // iova = gpa
  iommuTranslate(dev: number, iova: number, write: boolean): number;
  iommuTlbStats(dev: number): TlbStats;

  // --- VIRTIO 1.2 split virtqueues
  vqCreate(cfg: QueueConfig): number; // queue index; throws on a config the core refuses
  vqFailed(q: number): boolean;
  vqReset(q: number): void;
  /**
   * Driver side: place chains (one core call). Returns how many fit in the free descriptors;
   * `heads`, when given, receives the head descriptor index of each placed chain, in order
   * (what drvReclaim's used elements name).
   */
  drvSubmit(q: number, chains: ChainSpec[], heads?: number[]): number;
  /** Driver side: publish and decide on notification (EVENT_IDX aware). */
  drvKick(q: number): boolean;
  /**
   * drvSubmit, then drvKick when any chain was placed (notified: its answer; false when nothing
   * was placed), in one call into the core when it can be (issue 10 §2).
   */
  drvSubmitKick(q: number, chains: ChainSpec[], heads?: number[]): { placed: number; notified: boolean };
  drvReclaim(q: number, max: number): UsedElem[];
  /** drvReclaim(qa, max) then drvReclaim(qb, max), in one call into the core when it can be (issue 10 §2). */
  drvReclaimPair(qa: number, qb: number, max: number): [UsedElem[], UsedElem[]];
  drvFreeCount(q: number): number;
  // --- the drivers' per-buffer path (issue 10 §2): no object per buffer
  /**
   * drvSubmit (kick false) or drvSubmitKick (kick true) of the stage's chains: the same calls,
   * rows, batches and ring state, with the heads and the kick's answer written into the stage.
   * Returns how many chains were placed.
   */
  drvSubmitStaged(q: number, stage: ChainStage, kick: boolean): number;
  /** drvReclaim into `out` (count = elements taken). */
  drvReclaimInto(q: number, max: number, out: UsedBatch): number;
  /** drvReclaimPair into `a` and `b`. */
  drvReclaimPairInto(qa: number, qb: number, max: number, a: UsedBatch, b: UsedBatch): void;
  /**
   * guestRead without a copy when it can be: the bytes in place in the core's memory when the
   * range is a TLB hit on pages contiguous in host memory, else a copy (the same translation,
   * hits, misses, rows and faults as guestRead). Valid until the guest's memory next changes and
   * the next guestView (a copy is made into one buffer the core reuses).
   */
  guestView(vm: number, gpa: number, len: number): Uint8Array | number;
  /** Hostile-guest door: raw descriptor and avail-ring writes (no checks on the driver side). */
  drvRawDesc(q: number, index: number, gpa: number, len: number, flags: number, next: number): void;
  drvRawPublish(q: number, head: number): void;
  /** Device side: pop one chain and walk it. null when the ring is empty; a number = fault code. */
  devPop(q: number): { head: number; segments: Segment[] } | null | number;
  devPush(q: number, head: number, len: number): void;
  devNotify(q: number): boolean; // EVENT_IDX aware; records vq_interrupt / _suppressed
  /** Device side batch: pop up to max chains, gather each one's readable bytes, push used(0). */
  devDrain(q: number, max: number): { head: number; data: Uint8Array }[];
  /** Device side: pop one chain, scatter data into its writable buffers, push used(len). */
  devFill(q: number, data: Uint8Array): number; // head, -1 when no buffer, -(fault) on fault
  /** Device side batch without data movement (benchmarks, null sinks): complete all available. */
  devCompleteAll(q: number, writtenLen: number): number;

  // --- interconnect: links, Ethernet switch, CAN, memory-bus budgets
  linkCreate(latencyNs: number, bitsPerSecond: number): number;
  switchMac(mac: bigint, port: number): void;
  switchPortLink(port: number, link: number, rxDev: number): void;
  netAttach(a: NetAttach): void; // TX kicks are then served by the core
  canBusCreate(bitsPerSecond: number): number;
  canAttach(a: CanAttach): number; // CAN node index
  canSend(node: number, canId: number, data: Uint8Array): void; // external ECU transmit request
  busBudget(vm: number, bytesPerPeriod: number, periodNs: number): void;
  /** Charge guest CPU memory traffic; returns the delay (ns) the budget imposes (0 if none). */
  busCharge(vm: number, bytes: number): number;

  // --- inputs (issue 9): virtual external Ethernet hosts (assembly/bus/host.ts)
  /**
   * Plug link into switch port as an external host with no device behind it: frames the switch
   * sends there reach the link's far end (link_rx) and leave the simulation. Register the
   * host's MAC with switchMac so frames to it are forwarded there.
   */
  switchHostPort(port: number, link: number): void;
  /**
   * The host on link sends one Ethernet frame (dst | src | ethertype | payload) over its link to
   * the switch. 0, or -(switch drop reason) when the link FIFO or the frame slots are full (the
   * core records a switch_drop row).
   */
  hostSend(link: number, frame: Uint8Array): number;
  /** canSend for a sender that can wait: false (nothing queued) when its mailboxes are full. */
  canOffer(node: number, canId: number, data: Uint8Array): boolean;
}

// --- seeded faults (issue 9 §5)
/** A fault the core injects on its data path (links, CAN, used elements), registered at build. */
export interface CoreFault {
  type: number; //   FAULT_TYPE code (src/core/codes.ts)
  target: number; // link, CAN bus, CAN node or device; -1 = every one (of `owner`, when given)
  owner: number; //  desc_corrupt with target -1: the vm whose devices it covers; else -1
  ppm: number; //    probability per frame / element, parts per million (1e6: every one)
  atNs: number; //   window start (inclusive)
  endNs: number; //  window end (exclusive)
}
export interface CoreFaultApi {
  /** Registers a fault; returns its index (its PRNG stream is 64 + index). */
  faultAdd(fault: CoreFault): number;
  /** Times fault `index` hit so far. */
  faultHits(index: number): number;
  /** A can_bus_off window of CAN node `node` began or ended: its bus arbitrates again. */
  canBusOffEdge(node: number): void;
  /** bus_cut: vm's memory-bus budget moves bytesPerPeriod from now on; returns the rate before. */
  busBudgetRate(vm: number, bytesPerPeriod: number): number;
  /** Like canSend, but a full or bus-off node answers 'full' / 'bus_off' instead of throwing. */
  canSendTry(node: number, canId: number, data: Uint8Array): 'sent' | 'full' | 'bus_off';
}

// --- time travel (issue 9): read-only views of the core's tables, for state dumps. None of
// them counts a TLB hit, fills a TLB entry or emits a row, so looking never changes the run.

/** A virtqueue as both sides see it (indices are the free-running 16-bit ones, VIRTIO 1.2 §2.7). */
export interface QueueState {
  q: number; //          the core's queue slot
  vm: number;
  dev: number;
  index: number; //      queue index within its device
  size: number;
  availIdx: number; //   avail->idx in guest memory (-1 unreadable)
  lastAvail: number; //  the device's last seen avail idx
  usedIdx: number; //    used->idx in guest memory (-1 unreadable)
  drvLastUsed: number; // the driver's last reclaimed used idx
  freeDesc: number; //   free descriptors on the driver side
  failed: boolean;
  failCode: number; //   0 unless failed
  eventIdx: boolean;
  descGpa: number; //    ring addresses in guest memory (for --memory)
  availGpa: number;
  usedGpa: number;
}
export interface LinkDirState {
  onWire: boolean; //        a frame is being serialised
  framesQueued: number; //   frames waiting behind it
  bytesQueued: number;
  busyUntilNs: number; //    when the wire is free, -1 when idle
}
export interface LinkState {
  link: number;
  dev: number; //    device end (-1 none)
  port: number; //   switch port end
  latencyNs: number;
  bitsPerSecond: number;
  toSwitch: LinkDirState;
  fromSwitch: LinkDirState;
}
export interface CanMailboxState {
  canId: number; //  with CAN_EFF_FLAG 0x80000000 for 29-bit ids
  dlc: number;
  readyAtNs: number;
  head: number; //   descriptor head of the virtio-can request, -1 external ECU
}
export interface CanNodeState {
  node: number;
  bus: number;
  dev: number; //    -1 external ECU
  vm: number;
  rxFrames: number;
  txFrames: number;
  mailboxes: CanMailboxState[]; // in arbitration order
}
export interface CanBusState {
  bus: number;
  busy: boolean;
  sender: number; // node sending, -1 when idle
  canId: number; //  on the bus, when busy
  bitsPerSecond: number;
}
export interface BusBudgetState {
  on: boolean;
  bytesPerPeriod: number;
  periodNs: number;
  tokensBytes: number; // at now() (refilled without storing); negative = debt
}
/** A core timed event (assembly/bus/timers.ts): kind T_* and its three arguments. */
export interface CoreTimer {
  timeNs: number;
  seq: number;
  kind: number;
  a: number;
  b: number;
  c: number;
}

export interface CoreIntrospection {
  queueStates(): QueueState[];
  linkStates(): LinkState[];
  canNodeStates(): CanNodeState[];
  canBusStates(): CanBusState[];
  busBudgetState(vm: number): BusBudgetState;
  /** Pending core timed events in (time, seq) order, at most `max`. */
  coreTimers(max: number): CoreTimer[];
  /** Guest memory through the VM's page tables (no TLB, no fault row), or -(fault code). */
  guestPeek(vm: number, gpa: number, len: number): Uint8Array | number;
}

// Declaration merging: CoreApi gains the views without touching its declaration above.
export interface CoreApi extends CoreIntrospection {}

// --- replay: state digests (issue 9)
/**
 * The core components whose tables Core.stateDigests() hashes, in the core's order
 * (assembly/state-digest.ts COMP_*). Replay compares them at every epoch of virtual time.
 */
export const CORE_COMPONENTS = [
  'clock', 'prng', 'mmu', 'vms', 'devices', 'queues', 'links', 'switch', 'can', 'frames', 'timers',
] as const;
export type CoreComponent = (typeof CORE_COMPONENTS)[number];
/** A core that can digest its own state (Core does; test stand-ins need not). */
export interface StateDigester {
  stateDigests(): bigint[];
}

/**
 * A core that digests its own trace columns or frames ring (Core does): the 16 hex digits of
 * rows [0, count), assembly/trace/columns-digest.ts. A recording writes one per events and
 * frames batch (digests.ndjson `core`); a replay compares with it instead of reading the batch.
 */
export interface ColumnsDigester {
  columnsDigest(table: 'events' | 'frames', count: number): string;
}

/**
 * Which definition of columnsDigest a trace's `core` digests follow (digests.ndjson's header
 * `coreDigest`; assembly/trace/columns-digest.ts). 2: frames by each row's hash of its bytes;
 * 1 (a header without it): frames by the bytes. Replay takes the core digests of this one only.
 */
export const CORE_DIGEST_VERSION = 2;

// --- gPTP (issue 11): PTP timestamps and the switch's PTP mode (assembly/bus/ptp.ts)
/** Switch PTP modes: off (the PTP multicast is dropped as before), plain switch, time-aware bridge. */
export const PTP_MODE = { off: 0, plain: 1, bridge: 2 } as const;
export interface CorePtpApi {
  ptpMode(mode: number): void;
  /** The port's device runs gPTP: the switch floods / answers PTP there. */
  ptpPort(port: number): void;
  /** True-time timestamp of dev's PTP event message (type, sequenceId); dir 0 tx, 1 rx; -1 if none. */
  ptpStamp(dev: number, dir: 0 | 1, type: number, seq: number): number;
  /** The switch-to-device direction of link takes asymmetryNs longer than device-to-switch. */
  linkAsymmetry(link: number, asymmetryNs: number): void;
}
export interface CoreApi extends CorePtpApi {}
// --- CanTSyn (issue 11 §2): a bus's time-sync frames are timestamped (assembly/bus/can.ts)
export interface CoreCanTsynApi {
  /**
   * Frames with canId (| CAN_EFF_FLAG for 29-bit) on bus get timestamps in their devices' PTP
   * stamp rings: ptpStamp(dev, 0 tx at the first bit / 1 rx at the end, 0x100 | byte 0, byte 2).
   */
  canTsynId(bus: number, canId: number): void;
}
export interface CoreApi extends CoreCanTsynApi {}
// --- frames table (issue 12 §1): the frames ring's columns, as the frames table's Arrow buffers
/** The first `count` rows of the frames ring: views the core reuses after the sink returns. */
export interface FrameColumns {
  ts_ns: BigInt64Array;
  arrival_ns: BigInt64Array;
  seq: BigInt64Array;
  kind: Uint8Array; //     0 eth, 1 can (src/trace/tables.ts FRAME_KINDS)
  link: Int16Array;
  bus: Int16Array;
  port: Int16Array;
  dir: Uint8Array; //      0 to_switch, 1 from_switch, 2 bus (FRAME_DIRS)
  vm: Int16Array;
  dev: Int16Array;
  len: Int32Array;
  can_id: Int32Array;
  can_flags: Int16Array;
  dlc: Int16Array;
  /** count + 1 offsets into data (Arrow binary layout): row i is data[offsets[i], offsets[i+1]). */
  offsets: Int32Array;
  data: Uint8Array;
}
export interface CoreFrames {
  /** Record frames into the ring from now on (needs limits.frameRingRows > 0), or stop. */
  framesEnable(on: boolean): void;
  /** Keep each frame's bytes in the ring (default) or only its hash (a replay by core digests). */
  framesKeepBytes(keep: boolean): void;
  /** Where drained frame rows go (none set: they are dropped when the ring is drained). */
  setFramesSink(sink: (cols: FrameColumns, count: number) => void): void;
  /** Rows in the frames ring now. */
  framesCount(): number;
}
export interface CoreApi extends CoreFrames {}
// --- CanTSyn ECU slaves (issue 11): an external node's receive path for time-sync frames
export interface CoreCanTsynRxApi {
  /** External CAN node `node` keeps its bus's CanTSyn frames for its ECU (a Time Slave). */
  canTsynListen(node: number): void;
  /** node's oldest kept CanTSyn frame (its data bytes, its end of frame at the node, true ns), or null. */
  canTsynTake(node: number): { data: Uint8Array; rxNs: number } | null;
  /** Kept frames overwritten before their node took them. */
  canTsynLost(): number;
}
export interface CoreApi extends CoreCanTsynRxApi {}

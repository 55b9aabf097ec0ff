// Numeric codes shared by the WASM core (assembly/trace/kinds.ts, assembly/faults.ts) and the
// TypeScript side. The AssemblyScript files are the source the core compiles; this file mirrors
// them for TypeScript, and test/core/codes.test.ts checks that the two lists agree line by line.

/**
 * Event kinds of the `events` table. The code is the dictionary index in the Arrow column.
 *
 * CAN rows (can_arbitration, can_tx, can_rx):
 * - `queue` is the CAN bus index: the position of the bus in the scenario's `canBuses` list
 *   (CAN_BUS_COLUMN). A CAN row has no virtqueue, and without the bus two buses' frames could not
 *   be told apart. `vm`/`dev` are the sending (tx, arbitration) or receiving (rx) node's VM and
 *   device, −1 for an external ECU. (rx_drop and fault rows of a virtio-can device keep `queue` =
 *   the virtqueue, as every queue row does.)
 * - `id` is the can_id as SocketCAN and virtio-can (VIRTIO 1.3 §5.20.6) carry it: bit 31 is
 *   CAN_EFF_FLAG (0x80000000), set for a 29-bit extended identifier (id & 0x1FFFFFFF); without it
 *   the identifier is a standard 11-bit one, always <= 0x7FF (the core refuses anything else as
 *   bad_can_frame, the scenario as a load error). Bits 30 (RTR) and 29 (ERR) are never set: the
 *   core models data frames only. In SQL: `id >= 2147483648` is extended, `id & 536870911` the id.
 */
export const EVENT_KINDS = [
  'none', //                     0  reserved, never written
  'vq_avail', //                 1  driver made a chain available: id=head, len=chain bytes, val=avail idx
  'vq_notify', //                2  driver notified the device: id=avail idx
  'vq_notify_suppressed', //     3  EVENT_IDX suppressed the notification: id=avail idx
  'vq_used', //                  4  device returned a chain: id=head, len=bytes written, val=latency ns
  'vq_interrupt', //             5  device interrupted the driver: id=used idx
  'vq_interrupt_suppressed', //  6  EVENT_IDX suppressed the interrupt: id=used idx
  'fault', //                    7  guest fault refused by the core: id=fault code, len=detail, val=address
  'tlb_miss', //                 8  stage-2 (dev<0) or IOMMU (dev>=0) TLB miss: id=page address, val=levels
  'sched_run', //                9  vCPU starts running: val=ns it waited runnable (steal)
  'sched_preempt', //           10  vCPU preempted: val=ns it ran
  'sched_block', //             11  vCPU blocks (idle): val=ns it ran
  'sched_wake', //              12  vCPU becomes runnable
  'link_tx', //                 13  frame starts on a link: id=link, len=bytes, val=serialisation ns
  'link_rx', //                 14  frame reaches the link's far end: id=link, len=bytes, val=ns since tx
  'switch_forward', //          15  switch forwards a frame: id=output port, len=bytes
  'switch_drop', //             16  switch drops a frame: id=drop reason, len=bytes
  'can_arbitration', //         17  CAN arbitration round: id=winning CAN id, len=contenders, queue=bus
  'can_tx', //                  18  CAN frame on the bus: id=CAN id, len=dlc, val=frame duration ns, queue=bus
  'can_rx', //                  19  CAN frame delivered to a node: id=CAN id, len=dlc, dev=node's device, queue=bus
  'bus_throttle', //            20  memory-bus budget exhausted: len=bytes, val=delay ns
  'rx_drop', //                 21  no receive buffer: len=bytes
  'deadline_miss', //           22  guest task missed its deadline: id=task, val=lateness ns
  'input', //                   23  an outside input entered the platform: id=input row
  'fault_injected', //          24  a seeded fault was injected: id=fault type (FAULT_TYPES), see below
] as const;
/*
 * fault_injected rows (issue 9 §5; src/faults/install.ts, assembly/inject.ts): `id` is the
 * FAULT_TYPES code; `val` says what the row marks (FAULT_EDGE: 0 hit, 1 start, 2 end, 3 refused)
 * except for the clock faults; vm/vcpu/dev/queue say where, len what:
 * - link_loss:    a frame lost on a link (val=0, queue=link, vm/dev=the link's device, len=bytes);
 *                 a window's edges (val=1/2, queue=link, or -1 with vm=-1 for every link)
 * - link_corrupt: a bit flipped in a frame (val=0, queue=link, len=the bit's offset in the frame);
 *                 the receiver's FCS check then drops it: switch_drop fcs_error or rx_drop
 * - can_error:    an error frame destroyed a frame (val=0, queue=bus, vm/dev=sender, len=dlc);
 *                 the sender retransmits it; edges val=1/2 with queue=bus (-1: every bus)
 * - can_bus_off:  window edges (val=1/2, queue=bus, vm/dev=node: -1/-1 for an ECU) and each
 *                 transmit request refused while bus-off (val=3, len=dlc)
 * - desc_corrupt: a used element returned with a wrong id (val=0, vm/dev/queue=the queue, len=the
 *                 head the device meant); the driver then records fault desc_index_out_of_range
 *                 with len = head + queue size; edges val=1/2 with vm and dev (-1: every device)
 * - clock_step:   vm; val=the step (ns, signed); the clock table's offset jumps by it
 * - clock_drift:  vm; val=the new drift (ppb); the clock table's drift_ppb changes to it
 * - vcpu_stall:   window edges (val=1/2, vm, vcpu)
 * - bus_cut:      window edges (val=1/2, vm, len=the bytes per period in force from there)
 */
export type EventKind = (typeof EVENT_KINDS)[number];
export const KIND: { readonly [K in EventKind]: number } = Object.fromEntries(
  EVENT_KINDS.map((name, code) => [name, code]),
) as { [K in EventKind]: number };

/** The events column that carries the CAN bus index in CAN rows (see EVENT_KINDS). */
export const CAN_BUS_COLUMN = 'queue';
/** SocketCAN's CAN_EFF_FLAG: set in a can_id for a 29-bit (extended) identifier. */
export const CAN_EFF_FLAG = 0x8000_0000;
/** Largest standard (11-bit) identifier; an extended one is at most 0x1FFFFFFF. */
export const CAN_SFF_ID_MAX = 0x7ff;
export const CAN_EFF_ID_MAX = 0x1fff_ffff;

/** Fault codes recorded in `events.id` for kind `fault` (one variant per violation). */
export const FAULT_CODES = [
  'none', //                       0
  'desc_index_out_of_range', //    1  VIRTIO 1.2 §2.7.5: next/head index >= queue size
  'desc_chain_loop', //            2  chain longer than the queue size (§2.7.5.2)
  'addr_unmapped', //              3  stage-2 / IOMMU translation fault
  'permission', //                 4  write to a read-only mapping (or read of no-access)
  'readable_after_writable', //    5  §2.7.4.2: device-readable descriptor after a writable one
  'nested_indirect', //            6  §2.7.5.3.1: INDIRECT inside an indirect table
  'indirect_with_next', //         7  §2.7.5.3.1: INDIRECT and NEXT both set
  'indirect_bad_len', //           8  §2.7.5.3.1: table length 0 or not a multiple of 16
  'avail_idx_jump', //             9  avail idx moved more than the queue size (§2.7.6)
  'queue_failed', //              10  operation on a queue in the failed state
  'bad_queue_config', //          11  size not a power of two, misaligned ring (§2.7)
  'buffer_too_small', //          12  receive buffer shorter than the frame
  'bad_can_frame', //             13  virtio-can request malformed
  'chain_too_long', //            14  more segments than the core's segment table holds
] as const;
export type FaultCode = (typeof FAULT_CODES)[number];
export const FAULT: { readonly [K in FaultCode]: number } = Object.fromEntries(
  FAULT_CODES.map((name, code) => [name, code]),
) as { [K in FaultCode]: number };

/** Seeded fault types (`events.id` of kind fault_injected; assembly/faults.ts FaultType). */
export const FAULT_TYPES = [
  'none', //           0
  'link_loss', //      1  Ethernet frames lost on a link (ppm per frame, or a down window)
  'link_corrupt', //   2  a bit flipped in an Ethernet frame (ppm per frame)
  'can_error', //      3  CAN error frames (ppm per frame): destroyed, retransmitted
  'can_bus_off', //    4  a CAN node goes bus-off for a window
  'desc_corrupt', //   5  a device returns a used element with a wrong id (ppm per element)
  'clock_step', //     6  a VM's clock jumps
  'clock_drift', //    7  a VM's clock drift changes
  'vcpu_stall', //     8  the hypervisor does not schedule a vCPU for a window
  'bus_cut', //        9  a VM's memory-bus budget is cut for a window
] as const;
export type FaultType = (typeof FAULT_TYPES)[number];
export const FAULT_TYPE: { readonly [K in FaultType]: number } = Object.fromEntries(
  FAULT_TYPES.map((name, code) => [name, code]),
) as { [K in FaultType]: number };

/** `val` of a fault_injected row: what the row marks (assembly/faults.ts FaultEdge). */
export const FAULT_EDGE = {
  hit: 0, //     one frame / element was hit
  start: 1, //   a window starts (or a point fault takes effect)
  end: 2, //     a window ends
  refused: 3, // a request refused while the fault holds (can_bus_off)
} as const;

/** DLT log levels as dictionary codes of the `dlt.level` column (DLT's own numbering is 1..6). */
export const DLT_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] as const;
export type DltLevel = (typeof DLT_LEVELS)[number];

/** Descriptor flags (VIRTIO 1.2 §2.7.5; the core's copy is assembly/virtio/spec.ts). */
export const VIRTQ_DESC_F = {
  next: 1, //     the chain continues at `next`
  write: 2, //    device-writable buffer
  indirect: 4, // the buffer is a table of descriptors
} as const;

/** Why Core.run() returned. */
export const EXIT = {
  until: 0, //      reached untilNs with nothing pending
  irq: 1, //        one or more interrupts are pending for guests (Core.irqTake)
  traceFull: 2, //  the trace columns are full: drain them (Core.traceReset) and call run again
} as const;

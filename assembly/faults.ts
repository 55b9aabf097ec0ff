// Fault codes recorded in `events.id` for kind FAULT (one variant per violation, as in rust-vmm's
// virtio-queue error enum). src/core/codes.ts FAULT_CODES mirrors this list name for name, in the
// same order; test/core/codes.test.ts checks that they agree.
export const enum Fault {
  NONE = 0,
  DESC_INDEX_OUT_OF_RANGE = 1, //  VIRTIO 1.2 §2.7.5: next/head index >= queue size
  DESC_CHAIN_LOOP = 2, //          §2.7.5.2: chain longer than the queue size
  ADDR_UNMAPPED = 3, //            stage-2 / IOMMU translation fault
  PERMISSION = 4, //               write to a read-only mapping (or read of no-access)
  READABLE_AFTER_WRITABLE = 5, //  §2.7.4.2: device-readable descriptor after a writable one
  NESTED_INDIRECT = 6, //          §2.7.5.3.1: INDIRECT inside an indirect table
  INDIRECT_WITH_NEXT = 7, //       §2.7.5.3.1: INDIRECT and NEXT both set
  INDIRECT_BAD_LEN = 8, //         §2.7.5.3.1: table length 0 or not a multiple of 16
  AVAIL_IDX_JUMP = 9, //           §2.7.6: avail idx moved more than the queue size
  QUEUE_FAILED = 10, //            operation on a queue in the failed state
  BAD_QUEUE_CONFIG = 11, //        §2.7: size not a power of two, misaligned ring
  BUFFER_TOO_SMALL = 12, //        receive buffer shorter than the frame
  BAD_CAN_FRAME = 13, //           virtio-can request malformed
  CHAIN_TOO_LONG = 14, //          more segments than the core's segment table holds
}

// Seeded fault types (issue 9 §5), recorded in `events.id` for kind FAULT_INJECTED.
// src/core/codes.ts FAULT_TYPES mirrors this list; test/core/codes.test.ts checks that they agree.
export const enum FaultType {
  NONE = 0,
  LINK_LOSS = 1, //     Ethernet frames lost on a link
  LINK_CORRUPT = 2, //  a bit flipped in an Ethernet frame
  CAN_ERROR = 3, //     CAN error frame: the frame is destroyed and retransmitted
  CAN_BUS_OFF = 4, //   a CAN node is bus-off for a window
  DESC_CORRUPT = 5, //  a used element returned with a wrong id
  CLOCK_STEP = 6, //    (TypeScript) a VM clock jumps
  CLOCK_DRIFT = 7, //   (TypeScript) a VM clock's drift changes
  VCPU_STALL = 8, //    (TypeScript) a vCPU is not scheduled for a window
  BUS_CUT = 9, //       a VM's memory-bus budget is cut for a window
}
// `val` of a FAULT_INJECTED row (src/core/codes.ts FAULT_EDGE).
export const enum FaultEdge {
  HIT = 0,
  START = 1,
  END = 2,
  REFUSED = 3,
}

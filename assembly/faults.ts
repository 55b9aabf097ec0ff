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

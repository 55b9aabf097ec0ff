// Event kinds of the `events` table (the code is the dictionary index of the Arrow column).
// src/core/codes.ts EVENT_KINDS mirrors this list name for name, in the same order;
// test/core/codes.test.ts checks that they agree.
export const enum Kind {
  NONE = 0, //                     reserved, never written
  VQ_AVAIL = 1, //                 id=head, len=chain bytes, val=avail idx
  VQ_NOTIFY = 2, //                id=avail idx
  VQ_NOTIFY_SUPPRESSED = 3, //     id=avail idx
  VQ_USED = 4, //                  id=head, len=bytes written, val=latency ns
  VQ_INTERRUPT = 5, //             id=used idx
  VQ_INTERRUPT_SUPPRESSED = 6, //  id=used idx
  FAULT = 7, //                    id=fault code, len=detail, val=address
  TLB_MISS = 8, //                 id=page address, val=levels walked
  SCHED_RUN = 9, //                emitted by the platform (traceEmit)
  SCHED_PREEMPT = 10, //           emitted by the platform
  SCHED_BLOCK = 11, //             emitted by the platform
  SCHED_WAKE = 12, //              emitted by the platform
  LINK_TX = 13, //                 id=link, len=bytes, val=serialisation ns
  LINK_RX = 14, //                 id=link, len=bytes, val=ns since tx
  SWITCH_FORWARD = 15, //          id=output port, len=bytes
  SWITCH_DROP = 16, //             id=drop reason, len=bytes
  CAN_ARBITRATION = 17, //         id=winning CAN id, len=contenders, queue=bus
  CAN_TX = 18, //                  id=CAN id, len=dlc, val=frame duration ns, queue=bus
  CAN_RX = 19, //                  id=CAN id, len=dlc, dev=node's device, queue=bus
  BUS_THROTTLE = 20, //            len=bytes, val=delay ns
  RX_DROP = 21, //                 len=bytes
  DEADLINE_MISS = 22, //           emitted by the platform
  INPUT = 23, //                   emitted by the platform
  FAULT_INJECTED = 24, //          id=fault type (faults.ts FaultType), val=FaultEdge
}
/** The last kind: traceRowFull and traceEmit refuse anything above it. */
export const KIND_LAST: i32 = Kind.FAULT_INJECTED;

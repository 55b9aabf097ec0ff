// VIRTIO 1.2 split virtqueue constants (§2.7), with the layouts drawn and the arithmetic spelled
// out. All fields are little-endian; WebAssembly is little-endian, so plain loads/stores match.
//
// Descriptor table (§2.7.5), 16 * size bytes, 16-byte aligned:
//   +0  le64 addr | +8 le32 len | +12 le16 flags | +14 le16 next
//
// Available ring (§2.7.6), 6 + 2 * size bytes, 2-byte aligned; driver-written:
//   +0 le16 flags | +2 le16 idx | +4 le16 ring[size] | +4+2*size le16 used_event (EVENT_IDX)
//
// Used ring (§2.7.8), 6 + 8 * size bytes, 4-byte aligned; device-written:
//   +0 le16 flags | +2 le16 idx | +4 {le32 id, le32 len}[size] | +4+8*size le16 avail_event
//
// Indices are free-running 16-bit counters (§2.7.6: idx wraps naturally at 65536); a ring slot
// is idx & (size - 1), which is exact because size is a power of two.

export const DESC_F_NEXT: u16 = 1; //      §2.7.5: buffer continues via the next field
export const DESC_F_WRITE: u16 = 2; //     §2.7.5: device-writable (otherwise device-readable)
export const DESC_F_INDIRECT: u16 = 4; //  §2.7.5.3: buffer holds a table of descriptors
export const AVAIL_F_NO_INTERRUPT: u16 = 1; // §2.7.7: driver asks for no used-buffer notifications
export const USED_F_NO_NOTIFY: u16 = 1; //     §2.7.10: device asks for no available-buffer notifications

export const DESC_SIZE: i64 = 16;
export const DESC_ALIGN: i64 = 16; //  §2.7 table "Virtqueue Part / Alignment / Size"
export const AVAIL_ALIGN: i64 = 2;
export const USED_ALIGN: i64 = 4;
export const USED_ELEM_SIZE: i64 = 8;

@inline export function descBytes(size: i32): i64 {
  return DESC_SIZE * size;
}
@inline export function availBytes(size: i32): i64 {
  return 6 + 2 * <i64>size;
}
@inline export function usedBytes(size: i32): i64 {
  return 6 + USED_ELEM_SIZE * size;
}
@inline export function availIdxAt(avail: i64): i64 {
  return avail + 2;
}
@inline export function availSlotAt(avail: i64, size: i32, idx: i32): i64 {
  return avail + 4 + 2 * <i64>(idx & (size - 1));
}
@inline export function usedEventAt(avail: i64, size: i32): i64 {
  return avail + 4 + 2 * <i64>size;
}
@inline export function usedIdxAt(used: i64): i64 {
  return used + 2;
}
@inline export function usedSlotAt(used: i64, size: i32, idx: i32): i64 {
  return used + 4 + USED_ELEM_SIZE * <i64>(idx & (size - 1));
}
@inline export function availEventAt(used: i64, size: i32): i64 {
  return used + 4 + USED_ELEM_SIZE * <i64>size;
}

/**
 * §2.7.10 / §2.7.7 (vring_need_event in the spec's helper listing): having moved an index from
 * old to newIdx, notify iff event lies in [old, newIdx), all arithmetic modulo 2^16:
 *   (u16)(newIdx - event - 1) < (u16)(newIdx - old)
 */
@inline export function vringNeedEvent(event: i32, newIdx: i32, old: i32): bool {
  return ((newIdx - event - 1) & 0xFFFF) < ((newIdx - old) & 0xFFFF);
}

/** §2.7: Queue Size is a power of two no larger than 32768. */
@inline export function validQueueSize(size: i32): bool {
  return size >= 1 && size <= 32768 && (size & (size - 1)) == 0;
}

// Frame slots: in-flight frames (net and delayed CAN deliveries) held by the interconnect.
// A free stack threaded through the `next` field; a slot's data starts FRAME_PAD bytes after
// its header so a 12-byte virtio header can be built in front of the frame without a copy.
//  FRAME (48 B header): +0 i32 len | +4 i32 next | +8 i32 srcDev | +12 i32 txq | +16 i32 head
//                       +20 i32 gen (txq generation) | +24 i64 txStart | +32 i32 inUse
//                       +36 i32 gPTP flags | +40 i64 gPTP ingress tx time (bus/ptp.ts)
import { frameBase, frameSlots, frameStride, frameUseBase, FRAME_HDR, FRAME_PAD } from '../layout';

let freeTop: i32 = -1;
let slotsUsed: i32 = 0;

@inline export function frameAt(slot: i32): usize {
  return frameBase + <usize>slot * frameStride;
}
@inline export function frameData(slot: i32): usize {
  return frameAt(slot) + FRAME_HDR + FRAME_PAD;
}
@inline export function frameGet(slot: i32, field: usize): i32 {
  return load<i32>(frameAt(slot) + field);
}
@inline export function frameSet(slot: i32, field: usize, v: i32): void {
  store<i32>(frameAt(slot) + field, v);
}
export const F_LEN: usize = 0;
export const F_NEXT: usize = 4;
export const F_SRC_DEV: usize = 8;
export const F_TXQ: usize = 12;
export const F_HEAD: usize = 16;
export const F_AUX: usize = 20;
export const F_IN_USE: usize = 32;

// The in-use bitmap (layout.ts frameUseBase): bit `slot` mirrors F_IN_USE, so the state digest
// finds the slots in flight from frameSlots / 8 bytes instead of every slot's header (1024
// headers 1.6 KB apart: ~150 µs per epoch inside a run, the largest share of the digests).
@inline function useWord(slot: i32): usize {
  return frameUseBase + (<usize>(slot >> 6) << 3);
}
@inline function useSet(slot: i32): void {
  store<u64>(useWord(slot), load<u64>(useWord(slot)) | (<u64>1 << <u64>(slot & 63)));
}
@inline function useClear(slot: i32): void {
  store<u64>(useWord(slot), load<u64>(useWord(slot)) & ~(<u64>1 << <u64>(slot & 63)));
}
/** Word w of the in-use bitmap (slots 64w .. 64w + 63). */
@inline export function framesUseWord(w: i32): u64 {
  return load<u64>(frameUseBase + (<usize>w << 3));
}

@inline export function frameTxStart(slot: i32): i64 {
  return load<i64>(frameAt(slot), 24);
}
@inline export function frameSetTxStart(slot: i32, t: i64): void {
  store<i64>(frameAt(slot), t, 24);
}

export function framesInit(): void {
  for (let i = frameSlots - 1; i >= 0; i--) {
    frameSet(i, F_NEXT, freeTop);
    frameSet(i, F_IN_USE, 0);
    useClear(i);
    freeTop = i;
  }
}

/** A free slot, or -1 when all are in flight. */
export function frameAlloc(): i32 {
  const slot = freeTop;
  if (slot < 0) return -1;
  freeTop = frameGet(slot, F_NEXT);
  assert(frameGet(slot, F_IN_USE) == 0, 'frames: allocated a slot in use');
  frameSet(slot, F_IN_USE, 1);
  useSet(slot);
  frameSet(slot, F_NEXT, -1);
  frameSet(slot, F_TXQ, -1);
  frameSet(slot, F_HEAD, -1);
  frameSet(slot, F_SRC_DEV, -1);
  frameSet(slot, 36, 0); // gPTP flags (bus/ptp.ts, issue 11)
  slotsUsed++;
  return slot;
}

// Set when a frame slot (or a device's link room) is given back: a device waiting for one may
// then make progress. Waking waiters without a release re-ran their service at the same virtual
// time forever (a livelock found by the cockpit scenario's infotainment bursts).
let releasedFlag: bool = false;

export function framesReleaseMark(): void {
  releasedFlag = true;
}

export function framesReleaseTake(): bool {
  const released = releasedFlag;
  releasedFlag = false;
  return released;
}

export function frameFree(slot: i32): void {
  assert(slot >= 0 && slot < frameSlots, 'frames: slot out of range');
  assert(frameGet(slot, F_IN_USE) == 1, 'frames: double free');
  releasedFlag = true;
  frameSet(slot, F_IN_USE, 0);
  useClear(slot);
  frameSet(slot, F_NEXT, freeTop);
  freeTop = slot;
  slotsUsed--;
}

/**
 * May a sending device take a slot? Devices together use at most half of the slots (at least
 * one): the rest is the switch's store-and-forward memory, which senders must not starve.
 */
export function frameSenderMayAlloc(): bool {
  const free = frameSlots - slotsUsed;
  if (frameSlots == 1) return free == 1;
  return free > (frameSlots >> 1);
}

export function framesInUse(): i32 {
  return slotsUsed;
}

/** Top of the free stack, -1 when every slot is in flight (replay's state digest). */
export function framesFreeTop(): i32 {
  return freeTop;
}

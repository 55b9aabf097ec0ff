// The host RAM pool: guest RAM and shared regions, bump-allocated in 4 KiB pages at set-up.
// A host physical address (hpa) is an offset into this pool; hostRamBase + hpa is linear memory.
import { dirtyBase, hostRamBase, hostRamBytes, PAGE_SHIFT } from '../layout';

let hostUsedBytes: i64 = 0;

/** hpa of `pages` fresh zeroed pages; asserts the pool (a tracevisor limit) holds them. */
export function hostAlloc(pages: i32): i64 {
  assert(pages > 0, 'hostAlloc: pages must be >= 1');
  const bytes = <i64>pages << PAGE_SHIFT;
  assert(hostUsedBytes + bytes <= hostRamBytes, 'hostAlloc: host RAM pool exhausted (hostRamBytes)');
  const hpa = hostUsedBytes;
  hostUsedBytes += bytes;
  return hpa;
}

export function hostUsed(): i64 {
  return hostUsedBytes;
}

@inline export function hostPtr(hpa: i64): usize {
  return hostRamBase + <usize>hpa;
}

/**
 * Notes that the host RAM page holding linear address `host` is written (layout.ts DIRTY): a
 * snapshot compares only the pages marked since the one before (src/core/snapshot.ts). Every
 * write into host RAM marks its page: dmaPtr for a write (which every copy into guest memory
 * takes, in the same call as the write), and a write through a pointer kept from an earlier
 * call (the CAN TX result, bus/can.ts). Marking more than is written is harmless; a write not
 * marked would leave the page out of the next snapshot (test/snapshot/dirty-pages.test.ts
 * checks the map against a full compare at every snapshot of every built-in scenario).
 */
@inline export function markDirty(host: usize): void {
  store<u8>(dirtyAt(host), 1);
}

/** The dirty map's byte for the host RAM page holding linear address `host`. */
@inline export function dirtyAt(host: usize): usize {
  return dirtyBase + ((host - hostRamBase) >> <usize>PAGE_SHIFT);
}

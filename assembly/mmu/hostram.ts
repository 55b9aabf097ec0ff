// The host RAM pool: guest RAM and shared regions, bump-allocated in 4 KiB pages at set-up.
// A host physical address (hpa) is an offset into this pool; hostRamBase + hpa is linear memory.
import { hostRamBase, hostRamBytes, PAGE_SHIFT } from '../layout';

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

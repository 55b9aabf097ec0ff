// IOMMU: one domain per device (context vmCount + dev), same tables and TLB code as stage-2.
// iommuMapGuest snapshots the VM's mapping (iova = gpa): like a real IOMMU, the domain has its own
// tables, so a later stage-2 change does not reach it. The domain's permission is the
// intersection of the requested one and the VM's: a device never gets more than its VM has.
import { vmCount, deviceCount, devBase, DEV_STRIDE, PAGE_SHIFT, PAGE_SIZE } from '../layout';
import { ctxCreate, ctxLive, ctxSetPage, ctxLookup } from './context';
import { pteLeaf, PTE_VALID, PTE_ADDR_MASK } from './pagetable';
import { vmLive } from './stage2';

@inline export function devCtx(dev: i32): i32 {
  return vmCount + dev;
}
@inline export function devAt(dev: i32): usize {
  return devBase + <usize>dev * DEV_STRIDE;
}
@inline export function devLive(dev: i32): bool {
  return dev >= 0 && dev < deviceCount && ctxLive(devCtx(dev));
}
@inline export function devVm(dev: i32): i32 {
  return load<i32>(devAt(dev), 4);
}

export function iommuCreate(dev: i32, vm: i32): void {
  assert(dev >= 0 && dev < deviceCount, 'iommuCreate: dev out of range (deviceCount)');
  assert(vmLive(vm), 'iommuCreate: unknown vm');
  ctxCreate(devCtx(dev), vm, dev);
  store<i32>(devAt(dev), 1);
  store<i32>(devAt(dev), vm, 4);
}

/** Map iova = gpa for `pages` pages; returns how many pages the VM had mapped. */
export function iommuMapGuest(dev: i32, gpa: i64, pages: i32, perm: i32): i32 {
  assert(devLive(dev), 'iommuMapGuest: unknown device');
  assert((gpa & (PAGE_SIZE - 1)) == 0 && pages >= 0, 'iommuMapGuest: gpa not page aligned');
  const vm = devVm(dev);
  let mapped = 0;
  for (let i = 0; i < pages; i++) {
    const addr = gpa + (<i64>i << PAGE_SHIFT);
    const pte = ctxLookup(vm, addr);
    if ((pte & PTE_VALID) == 0) continue;
    const vmPerm = <i32>((pte >> 1) & 3);
    ctxSetPage(devCtx(dev), addr, pteLeaf(<i64>(pte & PTE_ADDR_MASK), perm & vmPerm));
    mapped++;
  }
  return mapped;
}

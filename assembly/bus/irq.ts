// Pending interrupts for guests. One entry per queue at most (a pending interrupt for the same
// queue is not queued twice, like a level-triggered line), so queueCount + 1 entries always fit.
//  IRQ entry (16 B): +0 i32 vm | +4 i32 dev | +8 i32 queue | +12 pad
import { irqBase, queueCount, IRQ_ENTRY, stGet, stSet, ST_IRQ_COUNT, scratchBase, scratchBytes } from '../layout';

@inline function irqAt(i: i32): usize {
  return irqBase + <usize>i * IRQ_ENTRY;
}

@inline export function irqCount(): i32 {
  return stGet(ST_IRQ_COUNT);
}

export function irqRaise(vm: i32, dev: i32, queue: i32): void {
  const n = irqCount();
  for (let i = 0; i < n; i++) {
    if (load<i32>(irqAt(i), 8) == queue) return;
  }
  assert(n < queueCount + 1, 'irq: pending list overflow');
  const p = irqAt(n);
  store<i32>(p, vm);
  store<i32>(p, dev, 4);
  store<i32>(p, queue, 8);
  stSet(ST_IRQ_COUNT, n + 1);
}

/** Copy the pending list to scratch as {i32 vm, i32 dev, i32 queue} and empty it. */
export function irqTake(): i32 {
  const n = irqCount();
  assert(n * 12 <= scratchBytes, 'irq: scratch too small for the pending list');
  for (let i = 0; i < n; i++) {
    const out = scratchBase + <usize>i * 12;
    store<i32>(out, load<i32>(irqAt(i)));
    store<i32>(out, load<i32>(irqAt(i), 4), 4);
    store<i32>(out, load<i32>(irqAt(i), 8), 8);
  }
  stSet(ST_IRQ_COUNT, 0);
  return n;
}

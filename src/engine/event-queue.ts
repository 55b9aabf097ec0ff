// A binary min-heap of timed callbacks ordered by (timeNs, seq). The sequence number is assigned
// at insertion, so two events at the same virtual time always run in the order they were
// scheduled — never in an order that depends on object identity (ARCHITECTURE principle 1).

export type Action = () => void;

interface Entry {
  timeNs: number;
  seq: number;
  action: Action;
  /** What the event is, for state dumps (time travel); a constant string, never built per event. */
  label: string | undefined;
}

/** A pending event as a state dump shows it. */
export interface PendingEvent {
  timeNs: number;
  seq: number;
  label: string;
}

export class EventQueue {
  private readonly heap: Entry[] = [];
  private seqNext = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.heap.length;
  }

  push(timeNs: number, action: Action, label?: string): void {
    if (!Number.isSafeInteger(timeNs) || timeNs < 0) {
      throw new Error(`assert: event time ${timeNs} is not a non-negative safe integer`);
    }
    if (this.heap.length >= this.capacity) {
      throw new Error(`assert: event queue capacity ${this.capacity} exceeded`);
    }
    const entry: Entry = { timeNs, seq: this.seqNext++, action, label };
    this.heap.push(entry);
    this.siftUp(this.heap.length - 1);
  }

  peekTimeNs(): number {
    return this.heap.length === 0 ? Infinity : this.heap[0]!.timeNs;
  }

  pop(): Entry | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** The first `max` pending events in run order (a copy: the heap is not touched). */
  pendingFirst(max: number): PendingEvent[] {
    const sorted = [...this.heap].sort((a, b) => (this.less(a, b) ? -1 : 1));
    return sorted.slice(0, max).map((e) => ({ timeNs: e.timeNs, seq: e.seq, label: e.label ?? 'engine event' }));
  }

  private less(a: Entry, b: Entry): boolean {
    return a.timeNs < b.timeNs || (a.timeNs === b.timeNs && a.seq < b.seq);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.less(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && this.less(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

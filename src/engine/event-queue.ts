// A binary min-heap of event records ordered by (timeNs, seq). The sequence number is assigned
// at insertion, so two events at the same virtual time always run in the order they were
// scheduled — never in an order that depends on object identity (ARCHITECTURE principle 1).
//
// An event is a record, not a closure (ARCHITECTURE principle 8, issue 10 §1): who handles it
// (target, a small integer the engine's registry hands out), what it is (op, an enum of that
// target) and up to three numbers. The records live in struct-of-arrays slots; the heap orders
// slot numbers. Pushing and popping allocate nothing (the arrays double when full, a bounded
// number of times), and the queue serialises as it is (`records`).
//
//   slot s:  timeNs[s] seq[s] target[s] op[s] a0[s] a1[s] a2[s]     heap[i] = a slot number

/** One pending event as plain data: what a state capture holds and a restore takes. */
export interface EventRecord {
  timeNs: number;
  seq: number;
  target: number;
  op: number;
  a0: number;
  a1: number;
  a2: number;
}

const INITIAL_SLOTS = 256;

export class EventQueue {
  private timeNs = new Float64Array(INITIAL_SLOTS);
  private seq = new Float64Array(INITIAL_SLOTS);
  private target = new Int32Array(INITIAL_SLOTS);
  private op = new Int32Array(INITIAL_SLOTS);
  private a0 = new Float64Array(INITIAL_SLOTS);
  private a1 = new Float64Array(INITIAL_SLOTS);
  private a2 = new Float64Array(INITIAL_SLOTS);
  private heap = new Int32Array(INITIAL_SLOTS);
  /** Free slot numbers (a stack); slots in use are exactly those the heap names. */
  private free = new Int32Array(INITIAL_SLOTS);
  private freeCount = INITIAL_SLOTS;
  private count = 0;
  private seqNextValue = 0;

  constructor(private readonly capacity: number) {
    for (let i = 0; i < INITIAL_SLOTS; i++) this.free[i] = INITIAL_SLOTS - 1 - i;
  }

  get size(): number {
    return this.count;
  }

  /** The sequence number the next push gets. */
  get seqNext(): number {
    return this.seqNextValue;
  }

  push(timeNs: number, target: number, op: number, a0: number, a1: number, a2: number): void {
    this.insert(timeNs, this.seqNextValue++, target, op, a0, a1, a2);
  }

  peekTimeNs(): number {
    return this.count === 0 ? Infinity : this.timeNs[this.heap[0]!]!;
  }

  /** Removes the first event; returns its slot, valid until the next push (read it with the getters). */
  popSlot(): number {
    if (this.count === 0) return -1;
    const heap = this.heap;
    const top = heap[0]!;
    this.count--;
    if (this.count > 0) {
      heap[0] = heap[this.count]!;
      this.siftDown(0);
    }
    this.free[this.freeCount++] = top;
    return top;
  }

  slotTimeNs(slot: number): number {
    return this.timeNs[slot]!;
  }
  slotTarget(slot: number): number {
    return this.target[slot]!;
  }
  slotOp(slot: number): number {
    return this.op[slot]!;
  }
  slotA0(slot: number): number {
    return this.a0[slot]!;
  }
  slotA1(slot: number): number {
    return this.a1[slot]!;
  }
  slotA2(slot: number): number {
    return this.a2[slot]!;
  }

  /** Every pending event in run order, as records (a copy: the heap is not touched). */
  records(): EventRecord[] {
    const out: EventRecord[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.recordOf(this.heap[i]!));
    return out.sort((a, b) => a.timeNs - b.timeNs || a.seq - b.seq);
  }

  /**
   * Replaces the queue with `records` and the sequence counter with `seqNext` (restoring a
   * captured state; the caller has checked the records). Run order depends only on (timeNs, seq),
   * so the heap's layout need not be the captured one.
   */
  load(records: readonly EventRecord[], seqNext: number): void {
    this.count = 0;
    this.freeCount = 0;
    for (let s = this.heap.length - 1; s >= 0; s--) this.free[this.freeCount++] = s;
    for (const r of records) this.insert(r.timeNs, r.seq, r.target, r.op, r.a0, r.a1, r.a2);
    this.seqNextValue = seqNext;
  }

  private insert(timeNs: number, seq: number, target: number, op: number, a0: number, a1: number, a2: number): void {
    if (!Number.isSafeInteger(timeNs) || timeNs < 0) {
      throw new Error(`assert: event time ${timeNs} is not a non-negative safe integer`);
    }
    if (this.count >= this.capacity) throw new Error(`assert: event queue capacity ${this.capacity} exceeded`);
    if (this.freeCount === 0) this.grow();
    const slot = this.free[--this.freeCount]!;
    this.timeNs[slot] = timeNs;
    this.seq[slot] = seq;
    this.target[slot] = target;
    this.op[slot] = op;
    this.a0[slot] = a0;
    this.a1[slot] = a1;
    this.a2[slot] = a2;
    this.heap[this.count] = slot;
    this.siftUp(this.count++);
  }

  private recordOf(slot: number): EventRecord {
    return {
      timeNs: this.timeNs[slot]!, seq: this.seq[slot]!, target: this.target[slot]!, op: this.op[slot]!,
      a0: this.a0[slot]!, a1: this.a1[slot]!, a2: this.a2[slot]!,
    };
  }

  /** Doubles every array (the only allocation the queue makes; at most log2(capacity) times). */
  private grow(): void {
    const old = this.heap.length;
    const size = old * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.timeNs = f64(this.timeNs);
    this.seq = f64(this.seq);
    this.target = i32(this.target);
    this.op = i32(this.op);
    this.a0 = f64(this.a0);
    this.a1 = f64(this.a1);
    this.a2 = f64(this.a2);
    this.heap = i32(this.heap);
    this.free = new Int32Array(size);
    this.freeCount = 0;
    for (let s = size - 1; s >= old; s--) this.free[this.freeCount++] = s;
  }

  private less(a: number, b: number): boolean {
    const ta = this.timeNs[a]!;
    const tb = this.timeNs[b]!;
    return ta < tb || (ta === tb && this.seq[a]! < this.seq[b]!);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    let i = index;
    const slot = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(slot, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = slot;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const n = this.count;
    let i = index;
    const slot = heap[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.less(heap[right]!, heap[left]!) ? right : left;
      if (!this.less(heap[child]!, slot)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = slot;
  }
}

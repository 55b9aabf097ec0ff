// A vCPU's queue of CPU jobs, as records: (costNs, owner, op, a0, a1). When a job's CPU time has
// been served the scheduler hands (op, a0, a1) to its owner, an engine target (a VM's guest, a
// device), as if it were an event: no closure is kept (issue 10 §1). Struct-of-arrays in a ring
// that doubles when full, up to the scheduler's jobQueueMax, so queueing allocates nothing.

/** A job as plain data: [costNs, owner, op, a0, a1]. */
export type JobRecord = [costNs: number, owner: number, op: number, a0: number, a1: number];

const INITIAL_JOBS = 16;

export class JobQueue {
  private cost = new Float64Array(INITIAL_JOBS);
  private owner = new Int32Array(INITIAL_JOBS);
  private op = new Int32Array(INITIAL_JOBS);
  private a0 = new Float64Array(INITIAL_JOBS);
  private a1 = new Float64Array(INITIAL_JOBS);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(costNs: number, owner: number, op: number, a0: number, a1: number): void {
    if (this.count === this.cost.length) this.grow();
    const i = (this.head + this.count) % this.cost.length;
    this.cost[i] = costNs;
    this.owner[i] = owner;
    this.op[i] = op;
    this.a0[i] = a0;
    this.a1[i] = a1;
    this.count++;
  }

  /** The head job's fields (the queue must not be empty). */
  headCostNs(): number {
    return this.cost[this.head]!;
  }
  headOwner(): number {
    return this.owner[this.head]!;
  }
  headOp(): number {
    return this.op[this.head]!;
  }
  headA0(): number {
    return this.a0[this.head]!;
  }
  headA1(): number {
    return this.a1[this.head]!;
  }

  shift(): void {
    if (this.count === 0) throw new Error('assert: shift of an empty job queue');
    this.head = (this.head + 1) % this.cost.length;
    this.count--;
  }

  records(): JobRecord[] {
    const out: JobRecord[] = [];
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) % this.cost.length;
      out.push([this.cost[i]!, this.owner[i]!, this.op[i]!, this.a0[i]!, this.a1[i]!]);
    }
    return out;
  }

  load(records: readonly JobRecord[]): void {
    this.head = 0;
    this.count = 0;
    for (const [costNs, owner, op, a0, a1] of records) this.push(costNs, owner, op, a0, a1);
  }

  private grow(): void {
    const size = this.cost.length * 2;
    const order = this.records();
    this.cost = new Float64Array(size);
    this.owner = new Int32Array(size);
    this.op = new Int32Array(size);
    this.a0 = new Float64Array(size);
    this.a1 = new Float64Array(size);
    this.load(order);
  }
}

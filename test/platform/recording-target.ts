// An engine target for tests: registers with the engine and records (time, op, a0, a1) of every
// event it gets, optionally reacting through `react` (to schedule more from inside an event).
import type { Engine } from '../../src/engine/engine.js';
import type { EventTarget } from '../../src/engine/event-target.js';

export interface Fired {
  atNs: number;
  op: number;
  a0: number;
  a1: number;
}

export class RecordingTarget implements EventTarget {
  readonly fired: Fired[] = [];
  readonly id: number;
  react: (op: number, a0: number, a1: number) => void = () => {};

  constructor(
    private readonly engine: Engine,
    name = 'recorder',
  ) {
    this.id = engine.register(name, this);
  }

  fire(op: number, a0: number, a1: number): void {
    this.fired.push({ atNs: this.engine.now, op, a0, a1 });
    this.react(op, a0, a1);
  }

  describe(op: number, a0: number): string {
    return `recorder op ${op} (${a0})`;
  }

  /** What fired, as `op:a0@time` strings. */
  get log(): string[] {
    return this.fired.map((f) => `${f.op}:${f.a0}@${f.atNs}`);
  }
}

// Who handles engine events. A target registers once, at build time, and gets a small stable id
// (registration order, which a scenario fixes): an event names it by that id, so the queue holds
// numbers only and a captured queue means the same thing in a fresh platform of the scenario.

/** A handler of engine events; `op` is an enum of the target's own, a0..a2 its arguments. */
export interface EventTarget {
  /** Runs event `op`. Called by the engine only, at the event's time. */
  fire(op: number, a0: number, a1: number, a2: number): void;
  /** What event `op` is, in words: for state dumps (time travel), never on the hot path. */
  describe(op: number, a0: number, a1: number, a2: number): string;
}

/** A target that holds run-time state: captured as plain data, restored through its checks. */
export interface StatefulTarget extends EventTarget {
  /** The target's run-time state as plain, JSON-serialisable data (a copy). */
  saveState(): unknown;
  /**
   * Puts back what saveState returned, checking shape and ranges first; a bad field throws a
   * StateError naming `path` and the field. Called on a freshly built, unbooted-run platform.
   */
  loadState(state: unknown, path: string): void;
}

export function isStateful(target: EventTarget): target is StatefulTarget {
  return typeof (target as Partial<StatefulTarget>).saveState === 'function';
}

/** A target that only holds state and takes no events (a device whose work runs as CPU jobs). */
export abstract class StateHolder implements StatefulTarget {
  fire(op: number): void {
    throw new Error(`assert: ${this.constructor.name} takes no engine events (op ${op})`);
  }
  describe(op: number): string {
    return `no event (op ${op})`;
  }
  abstract saveState(): unknown;
  abstract loadState(state: unknown, path: string): void;
}

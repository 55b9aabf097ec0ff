// The discrete-event engine: virtual integer nanoseconds, two event sources merged in one order.
// The core keeps its own timed events (interconnect deliveries, device service) because that is
// per-frame work (principle 2); the engine keeps the hypervisor's (vCPU slices, guest timers,
// TypeScript-served devices). Rule for ties: core events at time t run before engine events at
// t; interrupts the core raises are handled at the core's time before anything later.
//
// Engine events are records (time, seq, target, op, a0..a2), never closures (principle 8): a
// target is a registered handler with a small id (src/engine/event-target.ts), so the queue is
// plain numbers that a state capture copies and a restore puts back (saveState/loadState).

import type { CoreApi } from '../core/api.js';
import { EXIT } from '../core/codes.js';
import { EventQueue, type EventRecord } from './event-queue.js';
import type { EventTarget } from './event-target.js';

export type { EventRecord } from './event-queue.js';

/** An interrupt the core raised for a guest (device `dev`'s queue `queue` of VM `vm`). */
export type IrqHandler = (vm: number, dev: number, queue: number) => void;

export interface EngineOptions {
  core: CoreApi;
  onIrq: IrqHandler;
  eventCapacity?: number;
}

/** A pending event as a state dump shows it. */
export interface PendingEvent {
  timeNs: number;
  seq: number;
  label: string;
}

/** The engine's run-time state as plain data. */
export interface EngineState {
  nowNs: number;
  seqNext: number;
  eventsRun: number;
  /** Pending events in run order. */
  events: EventRecord[];
}

/** Targets a platform registers, at most (ids fit the queue's Int32 column with room to spare). */
export const TARGETS_MAX = 1 << 16;

export class Engine {
  private readonly queue: EventQueue;
  private readonly core: CoreApi;
  /** The platform's handler, entered at the interrupt's time (the engine's clock moved first). */
  private readonly onIrq: IrqHandler;
  private readonly targets: EventTarget[] = [];
  private readonly targetNames: string[] = [];
  private nowNs = 0;
  /** Engine (TypeScript) events run so far: the figure the benchmark divides by. */
  eventsRun = 0;
  /** requestStop() was called: the next stop point ends runUntil (cleared as it does). */
  private stopAsked = false;

  constructor(options: EngineOptions) {
    this.core = options.core;
    const onIrq = options.onIrq;
    this.onIrq = (vm, dev, queue) => {
      this.nowNs = this.core.now();
      onIrq(vm, dev, queue);
    };
    this.queue = new EventQueue(options.eventCapacity ?? 1 << 20);
  }

  get now(): number {
    return this.nowNs;
  }

  /**
   * Registers an event target; its id is the registration order. `name` says what it is in state
   * captures (a restore checks the fresh platform registered the same targets in the same order).
   */
  register(name: string, target: EventTarget): number {
    if (this.targets.length >= TARGETS_MAX) throw new Error(`assert: more than ${TARGETS_MAX} event targets`);
    this.targets.push(target);
    this.targetNames.push(name);
    return this.targets.length - 1;
  }

  /** Registered targets' names, by id. */
  get targetList(): readonly string[] {
    return this.targetNames;
  }

  /** The target registered with `id`. */
  targetOf(id: number): EventTarget {
    const target = this.targets[id];
    if (target === undefined) throw new Error(`assert: no event target ${id}`);
    return target;
  }

  /** Schedules event (target, op, a0..a2) at an absolute virtual time (>= now). */
  at(timeNs: number, target: number, op: number, a0 = 0, a1 = 0, a2 = 0): void {
    if (timeNs < this.nowNs) {
      throw new Error(`assert: scheduling at ${timeNs} ns, before now (${this.nowNs} ns)`);
    }
    if (!(target >= 0 && target < this.targets.length)) throw new Error(`assert: event for unregistered target ${target}`);
    this.queue.push(timeNs, target, op, a0, a1, a2);
  }

  after(delayNs: number, target: number, op: number, a0 = 0, a1 = 0, a2 = 0): void {
    this.at(this.nowNs + delayNs, target, op, a0, a1, a2);
  }

  /**
   * Runs both event sources up to and including untilNs. With `stop`, it is asked after every
   * engine event and every batch of interrupts; when it answers true the run stops right there
   * (now() is that event's time, later events stay queued) and runUntil returns true. A later
   * runUntil continues exactly where this one stopped, so stopping never changes the run.
   */
  runUntil(untilNs: number, stop?: () => boolean): boolean {
    const queue = this.queue;
    for (;;) {
      const nextNs = Math.min(queue.peekTimeNs(), untilNs);
      // Issue 10 §2: one call into the core at most (none when no core event is due by nextNs).
      if (this.core.step(nextNs, this.onIrq) === EXIT.irq) {
        this.nowNs = this.core.now();
        if (this.stopped(stop)) return true;
        continue;
      }
      // Time travel (issue 9): rows the core's own events wrote are seen before the next engine
      // event runs, so a --break on one stops at the end of that core.run, not one step later.
      if (this.stopped(stop)) {
        this.nowNs = this.core.now();
        return true;
      }
      if (!(queue.peekTimeNs() <= untilNs)) break;
      this.fireNext();
      if (this.stopped(stop)) return true;
    }
    this.nowNs = untilNs;
    this.core.setNow(untilNs);
    return false;
  }

  /**
   * Ends the running runUntil at its next stop point (after the event or interrupt batch being
   * run), or the next runUntil at its first: what a `stop` answering true there does, for a
   * caller that learns it should stop from inside an event (a replay's verifier finding the
   * first divergence as the core drains its rows) and so needs no question after every event.
   */
  requestStop(): void {
    this.stopAsked = true;
  }

  private stopped(stop: (() => boolean) | undefined): boolean {
    if (this.stopAsked) {
      this.stopAsked = false;
      return true;
    }
    return stop !== undefined && stop();
  }

  /** Pops the first event and runs it (its fields are read before it runs: the slot is reused). */
  private fireNext(): void {
    const queue = this.queue;
    const slot = queue.popSlot();
    const timeNs = queue.slotTimeNs(slot);
    const target = queue.slotTarget(slot);
    const op = queue.slotOp(slot);
    const a0 = queue.slotA0(slot);
    const a1 = queue.slotA1(slot);
    const a2 = queue.slotA2(slot);
    this.nowNs = timeNs;
    this.core.setNow(timeNs);
    this.eventsRun++;
    this.targets[target]!.fire(op, a0, a1, a2);
  }

  /** Time of the next engine (TypeScript) event, Infinity when none: for state dumps. */
  nextEventNs(): number {
    return this.queue.peekTimeNs();
  }

  /** Engine events queued. */
  get pending(): number {
    return this.queue.size;
  }

  /** The next `max` pending engine events in run order, labelled by their targets (state dumps). */
  pendingEvents(max: number): PendingEvent[] {
    return this.queue
      .records()
      .slice(0, max)
      .map((e) => ({ timeNs: e.timeNs, seq: e.seq, label: this.describe(e) }));
  }

  /** Every pending event as a record, in run order. */
  pendingRecords(): EventRecord[] {
    return this.queue.records();
  }

  describe(e: EventRecord): string {
    return this.targetOf(e.target).describe(e.op, e.a0, e.a1, e.a2);
  }

  /** The engine's state as plain data (a copy). */
  saveState(): EngineState {
    return { nowNs: this.nowNs, seqNext: this.queue.seqNext, eventsRun: this.eventsRun, events: this.queue.records() };
  }

  /**
   * Puts back a state saveState returned, already checked against this engine's targets
   * (src/platform/state-restore.ts). The core's clock is the core snapshot's business.
   */
  loadState(state: EngineState): void {
    this.nowNs = state.nowNs;
    this.eventsRun = state.eventsRun;
    this.queue.load(state.events, state.seqNext);
  }
}

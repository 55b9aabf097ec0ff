// The discrete-event engine: virtual integer nanoseconds, two event sources merged in one order.
// The core keeps its own timed events (interconnect deliveries, device service) because that is
// per-frame work (principle 2); the engine keeps the hypervisor's (vCPU slices, guest timers,
// TypeScript-served devices). Rule for ties: core events at time t run before engine events at
// t; interrupts the core raises are handled at the core's time before anything later.

import type { CoreApi, Irq } from '../core/api.js';
import { EXIT } from '../core/codes.js';
import { EventQueue, type Action, type PendingEvent } from './event-queue.js';

export interface EngineOptions {
  core: CoreApi;
  onIrq: (irq: Irq) => void;
  eventCapacity?: number;
}

export class Engine {
  private readonly queue: EventQueue;
  private readonly core: CoreApi;
  private readonly onIrq: (irq: Irq) => void;
  private nowNs = 0;
  /** Engine (TypeScript) events run so far: the figure the benchmark divides by. */
  eventsRun = 0;

  constructor(options: EngineOptions) {
    this.core = options.core;
    this.onIrq = options.onIrq;
    this.queue = new EventQueue(options.eventCapacity ?? 1 << 20);
  }

  get now(): number {
    return this.nowNs;
  }

  /**
   * Schedule an action at an absolute virtual time (>= now). `label` names it in state dumps
   * (time travel); pass a constant string so the hot path builds nothing per event.
   */
  at(timeNs: number, action: Action, label?: string): void {
    if (timeNs < this.nowNs) {
      throw new Error(`assert: scheduling at ${timeNs} ns, before now (${this.nowNs} ns)`);
    }
    this.queue.push(timeNs, action, label);
  }

  after(delayNs: number, action: Action, label?: string): void {
    this.at(this.nowNs + delayNs, action, label);
  }

  /**
   * Runs both event sources up to and including untilNs. With `stop`, it is asked after every
   * engine event and every batch of interrupts; when it answers true the run stops right there
   * (now() is that event's time, later events stay queued) and runUntil returns true. A later
   * runUntil continues exactly where this one stopped, so stopping never changes the run.
   */
  runUntil(untilNs: number, stop?: () => boolean): boolean {
    for (;;) {
      const nextNs = Math.min(this.queue.peekTimeNs(), untilNs);
      if (this.core.run(nextNs) === EXIT.irq) {
        this.nowNs = this.core.now();
        for (const irq of this.core.irqTake()) this.onIrq(irq);
        if (stop?.() === true) return true;
        continue;
      }
      // Time travel (issue 9): rows the core's own events wrote are seen before the next engine
      // event runs, so a --break on one stops at the end of that core.run, not one step later.
      if (stop !== undefined && stop()) {
        this.nowNs = this.core.now();
        return true;
      }
      const entry = this.queue.peekTimeNs() <= untilNs ? this.queue.pop() : undefined;
      if (entry === undefined) break;
      this.nowNs = entry.timeNs;
      this.core.setNow(entry.timeNs);
      this.eventsRun++;
      entry.action();
      if (stop?.() === true) return true;
    }
    this.nowNs = untilNs;
    this.core.setNow(untilNs);
    return false;
  }

  /** Time of the next engine (TypeScript) event, Infinity when none: for state dumps. */
  nextEventNs(): number {
    return this.queue.peekTimeNs();
  }

  /** Engine events queued. */
  get pending(): number {
    return this.queue.size;
  }

  /** The next `max` pending engine events in run order, with their labels (state dumps). */
  pendingEvents(max: number): PendingEvent[] {
    return this.queue.pendingFirst(max);
  }
}

// Counters per fixed interval of true time (INTERVAL_NS): each VM's memory-bus throttle delay
// (sum of bus_throttle.val: queries/bus/throttle.sql) and TLB misses (tlb_miss rows), and each
// link's utilisation (link_tx.val is the frame's serialisation time; the busy time that falls
// in the interval over its length; both directions of a full-duplex link add up, so 0..2).
// A value is written at the interval's start when the interval closes, and only when it
// differs from the counter's previous value (a run of equal intervals is one step); a counter
// track appears with its first non-zero value.

import type { TimelineSink, Track } from './sink.js';
import type { Tracks } from './tracks.js';

/** 10 ms: fine enough to see a 16.7 ms frame period, ~6000 steps per counter in 60 s at most. */
export const INTERVAL_NS = 10_000_000;

interface Counter {
  track: Track;
  /** Sum in the open interval (ns or count). */
  sum: number;
  /** Busy time past the open interval's end (links: a frame still on the wire). */
  carryNs: number;
  /** Divide the sum by the interval (utilisation) or not. */
  ratio: boolean;
  last: number;
}

export class IntervalCounters {
  private readonly counters = new Map<string, Counter>();
  private startNs = 0;

  constructor(
    private readonly tracks: Tracks,
    private readonly sink: TimelineSink,
  ) {}

  throttle(vm: number, delayNs: number): void {
    this.counter(`throttle:${vm}`, () => this.tracks.counter(vm, 'throttle', 'bus throttle delay (ns per 10 ms)', 'ns'), false).sum += delayNs;
  }

  tlbMiss(vm: number): void {
    this.counter(`tlb:${vm}`, () => this.tracks.counter(vm, 'tlb', 'TLB misses (per 10 ms)', 'count'), false).sum += 1;
  }

  linkTx(tsNs: number, link: number, dev: number, serialisationNs: number): void {
    const c = this.counter(`link:${link}`, () => this.tracks.linkCounter(link, dev), true);
    const inInterval = Math.min(serialisationNs, this.startNs + INTERVAL_NS - tsNs);
    c.sum += inInterval;
    c.carryNs += serialisationNs - inInterval;
  }

  /** Closes every interval that ends at or before tsNs. */
  closeUpTo(tsNs: number): void {
    while (tsNs >= this.startNs + INTERVAL_NS) {
      this.emit();
      this.startNs += INTERVAL_NS;
      if (!this.carry() && this.allZero()) this.startNs = Math.max(this.startNs, tsNs - (tsNs % INTERVAL_NS));
    }
  }

  /** The end of the trace: the open interval's values. */
  finish(): void {
    this.emit();
    while (this.carry()) {
      this.startNs += INTERVAL_NS;
      this.emit();
    }
    if (!this.allZero()) {
      this.startNs += INTERVAL_NS;
      this.emit(); // back to zero after the last busy interval
    }
  }

  private emit(): void {
    for (const c of this.counters.values()) {
      const value = c.ratio ? c.sum / INTERVAL_NS : c.sum;
      if (value !== c.last) this.sink.intervalCounter(this.startNs, c.track, value);
      c.last = value;
      c.sum = 0;
    }
    this.sink.endInterval();
  }

  /** Moves busy time carried past the closed interval into the next one; true if any. */
  private carry(): boolean {
    let any = false;
    for (const c of this.counters.values()) {
      if (c.carryNs === 0) continue;
      const inInterval = Math.min(c.carryNs, INTERVAL_NS);
      c.sum += inInterval;
      c.carryNs -= inInterval;
      any = true;
    }
    return any;
  }

  private allZero(): boolean {
    for (const c of this.counters.values()) if (c.last !== 0 || c.sum !== 0) return false;
    return true;
  }

  private counter(key: string, track: () => Track, ratio: boolean): Counter {
    let c = this.counters.get(key);
    if (c === undefined) {
      c = { track: track(), sum: 0, carryNs: 0, ratio, last: 0 };
      this.counters.set(key, c);
    }
    return c;
  }
}

// What the timeline (timeline.ts) tells a writer: tracks, slices, instants, counters and flows,
// in time order. Two writers implement it: the Perfetto protobuf (proto-sink.ts) and the Chrome
// Trace Event JSON (json-sink.ts), so both formats show the same timeline.

/** An argument shown with an event (DebugAnnotation / JSON "args"). */
export type ArgValue = string | number | boolean;
export type Args = Readonly<Record<string, ArgValue>>;

export type TrackRole =
  /** a VM (process track) */
  | { kind: 'process'; pid: number }
  /** a vCPU (thread track) */
  | { kind: 'thread'; pid: number; tid: number }
  /** a named track of slices or instants under a process; `async` lanes hold overlapping work */
  | { kind: 'child'; pid: number; async: boolean }
  | { kind: 'counter'; pid: number; unit: 'ns' | 'count' | 'ratio' };

export interface Track {
  /** Perfetto TrackDescriptor.uuid: 1, 2, 3, … in the order tracks are first used. */
  readonly uuid: number;
  readonly name: string;
  readonly parentUuid: number | null;
  readonly role: TrackRole;
}

export interface TimelineSink {
  /** Describes a track; called once, before the first event on it. */
  track(track: Track): void;
  begin(tsNs: number, track: Track, name: string, args: Args | null, flowIds: readonly number[] | null): void;
  end(tsNs: number, track: Track): void;
  instant(tsNs: number, track: Track, name: string, args: Args | null, flowIds: readonly number[] | null): void;
  /** A counter value at tsNs, in order with the other events (clock samples). */
  counter(tsNs: number, track: Track, value: number): void;
  /**
   * A counter value at the start of the current interval. Per-interval counters are known only
   * when it closes, after its events: a sink writes them ahead of what it buffered since the
   * last endInterval(), so the file stays in time order.
   */
  intervalCounter(tsNs: number, track: Track, value: number): void;
  /** The interval is over: write its counters, then its buffered events. */
  endInterval(): void;
  /** Writes everything left; returns the bytes written in all. */
  close(): number;
}

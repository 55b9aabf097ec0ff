// Structural checks of a decoded Perfetto trace (decode.ts), independent of the writer: every
// event's track is described before it, slices nest per track (a stack), ends come after their
// begins, timestamps never go back, counters only on counter tracks.

import { TYPE_COUNTER, TYPE_INSTANT, TYPE_SLICE_BEGIN, TYPE_SLICE_END, type Descriptor, type Event, type Packet } from './decode.js';

export interface Slice {
  track: bigint;
  name: string;
  beginNs: bigint;
  endNs: bigint | null;
  args: Event['args'];
  flowIds: bigint[];
}

export interface Instant {
  track: bigint;
  name: string;
  tsNs: bigint;
  args: Event['args'];
  flowIds: bigint[];
}

export interface Timeline {
  tracks: Map<bigint, Descriptor>;
  slices: Slice[];
  instants: Instant[];
  counters: Map<bigint, { tsNs: bigint; value: number }[]>;
  /** Problems found; a correct file has none. */
  problems: string[];
}

export function readTimeline(packets: readonly Packet[]): Timeline {
  const t: Timeline = { tracks: new Map(), slices: [], instants: [], counters: new Map(), problems: [] };
  const stacks = new Map<bigint, Slice[]>();
  let lastNs = -1n;
  for (const p of packets) {
    if (p.descriptor !== null) {
      if (t.tracks.has(p.descriptor.uuid)) t.problems.push(`track ${p.descriptor.uuid} described twice`);
      const parent = p.descriptor.parentUuid;
      if (parent !== null && !t.tracks.has(parent)) t.problems.push(`track ${p.descriptor.uuid}: parent ${parent} not described before it`);
      t.tracks.set(p.descriptor.uuid, p.descriptor);
    }
    const e = p.event;
    if (e === null) continue;
    const ts = p.timestamp!;
    if (ts < lastNs) t.problems.push(`timestamp ${ts} after ${lastNs}`);
    lastNs = ts;
    const track = t.tracks.get(e.trackUuid);
    if (track === undefined) {
      t.problems.push(`event on track ${e.trackUuid}, not described before it`);
      continue;
    }
    if ((e.type === TYPE_COUNTER) !== track.counter) t.problems.push(`event type ${e.type} on track ${track.name} (counter ${track.counter})`);
    if (e.type === TYPE_SLICE_BEGIN) {
      if (e.name === null || e.name === '') t.problems.push(`unnamed slice at ${ts}`);
      const s: Slice = { track: e.trackUuid, name: e.name ?? '', beginNs: ts, endNs: null, args: e.args, flowIds: e.flowIds };
      let stack = stacks.get(e.trackUuid);
      if (stack === undefined) stacks.set(e.trackUuid, (stack = []));
      stack.push(s);
      t.slices.push(s);
    } else if (e.type === TYPE_SLICE_END) {
      const s = stacks.get(e.trackUuid)?.pop();
      if (s === undefined) t.problems.push(`end without begin on ${track.name} at ${ts}`);
      else if (ts < s.beginNs) t.problems.push(`slice ${s.name} on ${track.name} ends at ${ts} before its begin ${s.beginNs}`);
      else s.endNs = ts;
    } else if (e.type === TYPE_INSTANT) {
      if (e.name === null || e.name === '') t.problems.push(`unnamed instant at ${ts}`);
      t.instants.push({ track: e.trackUuid, name: e.name ?? '', tsNs: ts, args: e.args, flowIds: e.flowIds });
    } else if (e.type === TYPE_COUNTER) {
      if (e.counterValue === null) t.problems.push(`counter without value on ${track.name}`);
      let series = t.counters.get(e.trackUuid);
      if (series === undefined) t.counters.set(e.trackUuid, (series = []));
      series.push({ tsNs: ts, value: e.counterValue ?? NaN });
    } else {
      t.problems.push(`event type ${e.type}`);
    }
  }
  return t;
}

/** The integral of a step counter: Σ value × time until the next sample (ns·value). */
export function stepIntegral(series: readonly { tsNs: bigint; value: number }[]): number {
  let sum = 0;
  for (let i = 0; i + 1 < series.length; i++) sum += series[i]!.value * Number(series[i + 1]!.tsNs - series[i]!.tsNs);
  return sum;
}

export function trackByName(t: Timeline, name: string, parent?: bigint): Descriptor[] {
  return [...t.tracks.values()].filter((d) => d.name === name && (parent === undefined || d.parentUuid === parent));
}

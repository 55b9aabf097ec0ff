// A trace's rows turned into a timeline for a TimelineSink, in one pass in time order, holding
// only what is open (running vCPUs, requests in flight, the current counter interval): the
// export streams a trace of any length. What each events kind becomes (src/core/codes.ts says
// what its columns mean):
//   sched_*              run / steal slices on vCPU and pCPU tracks (sched.ts)
//   vq_avail → vq_used   async request slices on virtqueue lanes (virtqueues.ts)
//   bus_throttle, tlb_miss, link_tx   per-interval counters (intervals.ts)
//   can_tx               a slice on the bus's track for the frame's time on the wire, the start
//                        of a flow that each VM's can_rx of that frame continues
//   link_tx → link_rx    instants on the link's track joined by a flow
//   fault, deadline_miss, fault_injected, rx_drop   instants on the VM's `events` track
//   switch_drop, input   instants on the hypervisor's `switch` / `inputs` tracks
// not shown: vq_notify*, vq_interrupt* (every request has them), can_arbitration, switch_forward
// and can_rx at external ECUs (every frame reaches every ECU: no news).
// The dlt table gives instants (ecu/apid/ctid/level/payload as args), the clock table each VM's
// clock offset counter. The frames table gives each link_tx its frame's bytes (by seq), so a CAN
// frame's flow continues through the gateway's Ethernet forward to the cluster's receive
// (bridged-flows.ts).

import type { TraceColumns } from '../../core/api.js';
import { FAULT_CODES, FAULT_TYPES, KIND } from '../../core/codes.js';
import { IntervalCounters } from './intervals.js';
import { Scheduling } from './sched.js';
import type { Args, TimelineSink, Track } from './sink.js';
import { Tracks, type Topology } from './tracks.js';
import { Virtqueues } from './virtqueues.js';
import { BridgedFlows, type FrameRow } from './bridged-flows.js';

export class PerfettoExportError extends Error {
  override readonly name = 'PerfettoExportError';
}

/** The events columns, as typed arrays of one record batch (the core's trace columns). */
export type EventColumns = TraceColumns;

/** The frames-table row of a link_tx event (its seq, at its time), or null. */
export type FrameLookup = (seq: bigint, tsNs: number) => FrameRow | null;

export interface DltRow {
  tsNs: number;
  vm: number;
  ecu: string;
  apid: string | null;
  ctid: string | null;
  level: string | null;
  payload: string;
}

export interface ClockRow {
  tsNs: number;
  vm: number;
  offsetNs: number;
}

export interface TimelineCounts {
  events: number;
  runSlices: number;
  stealSlices: number;
  stealNs: number;
  requestSlices: number;
  usedUnmatched: number;
  faults: number;
  deadlineMisses: number;
  faultsInjected: number;
  dltInstants: number;
  clockSamples: number;
  canFrames: number;
  flows: number;
  tracks: number;
}

export const DLT_NAME_CHARS_MAX = 80;
const FAULT_EDGES = ['hit', 'start', 'end', 'refused'];

interface ScheduledEnd {
  tsNs: number;
  track: Track;
}

export class Timeline {
  private readonly tracks: Tracks;
  private readonly sched: Scheduling;
  private readonly queues: Virtqueues;
  private readonly intervals: IntervalCounters;
  private nowNs = 0;
  private readonly ends: ScheduledEnd[] = [];
  private flowNext = 1;
  /** Per CAN bus: the frame on the wire (its id and flow) that can_rx rows belong to. */
  private readonly canFrame = new Map<number, { canId: number; flow: number }>();
  /** Per link: frames on it (tx time, flow, the CAN flows they carry) waiting for their link_rx. */
  private readonly linkFrames = new Map<number, { txNs: number; flow: number; carried: number[] }[]>();
  private readonly bridged = new BridgedFlows();
  private readonly linkTracks: Track[] = [];
  private readonly n = { events: 0, faults: 0, deadlineMisses: 0, faultsInjected: 0, dlt: 0, clock: 0, can: 0 };

  constructor(
    private readonly sink: TimelineSink,
    topology: Topology,
    /** The frames table's rows; none: links' flows end at their rx, CAN flows at the VMs. */
    private readonly frames: FrameLookup = () => null,
  ) {
    this.tracks = new Tracks(sink, topology);
    this.sched = new Scheduling(this.tracks, sink);
    this.queues = new Virtqueues(this.tracks, sink);
    this.intervals = new IntervalCounters(this.tracks, sink);
    for (let vm = 0; vm < topology.vms.length; vm++) this.tracks.process(vm); // every VM, in order
  }

  event(c: EventColumns, i: number): void {
    const ts = Number(c.ts_ns[i]);
    if (ts < this.nowNs) {
      throw new PerfettoExportError(`events are not in time order (row at ${ts} ns after ${this.nowNs} ns); the export needs a recorded trace's order`);
    }
    this.advance(ts);
    this.n.events += 1;
    const vm = c.vm[i]!;
    const kind = c.kind[i]!;
    switch (kind) {
      case KIND.sched_wake: return this.sched.wake(ts, vm, c.vcpu[i]!);
      case KIND.sched_run: return this.sched.run(ts, vm, c.vcpu[i]!, Number(c.id[i]));
      case KIND.sched_preempt: return this.sched.preempt(ts, vm, c.vcpu[i]!);
      case KIND.sched_block: return this.sched.block(ts, vm, c.vcpu[i]!);
      case KIND.vq_avail: return this.queues.avail(ts, vm, c.dev[i]!, c.queue[i]!, Number(c.id[i]), c.len[i]!);
      case KIND.vq_used: return this.used(ts, c, i);
      case KIND.bus_throttle: return this.intervals.throttle(vm, Number(c.val[i]));
      case KIND.tlb_miss: return this.intervals.tlbMiss(vm);
      case KIND.link_tx: return this.linkTx(ts, c, i);
      case KIND.link_rx: return this.linkRx(ts, c, i);
      case KIND.can_tx: return this.canTx(ts, c, i);
      case KIND.can_rx: return this.canRx(ts, c, i);
      case KIND.fault: return this.fault(ts, c, i);
      case KIND.deadline_miss: return this.deadlineMiss(ts, c, i);
      case KIND.fault_injected: return this.faultInjected(ts, c, i);
      case KIND.rx_drop: return this.instant(ts, this.eventsTrack(vm), 'rx drop', { dev: c.dev[i]!, queue: c.queue[i]!, bytes: c.len[i]! });
      case KIND.switch_drop: return this.instant(ts, this.tracks.vmChild(-1, 'switch', 'switch'), 'switch drop', { reason: Number(c.id[i]), bytes: c.len[i]! });
      case KIND.input: return this.instant(ts, this.tracks.vmChild(-1, 'inputs', 'inputs'), 'input', { row: Number(c.id[i]) });
      default: return; // see the file comment
    }
  }

  dlt(row: DltRow): void {
    if (row.tsNs > this.nowNs) this.advance(row.tsNs); // imported logs may step back: instants only
    const track = row.vm >= 0 ? this.tracks.vmChild(row.vm, 'dlt', 'DLT') : this.tracks.ecuDlt(row.ecu);
    const head = `${row.apid ?? '-'}/${row.ctid ?? '-'} `;
    const text = row.payload.length > DLT_NAME_CHARS_MAX ? `${row.payload.slice(0, DLT_NAME_CHARS_MAX)}…` : row.payload;
    const args: Record<string, string> = { ecu: row.ecu, payload: row.payload };
    if (row.apid !== null) args.apid = row.apid;
    if (row.ctid !== null) args.ctid = row.ctid;
    if (row.level !== null) args.level = row.level;
    this.sink.instant(row.tsNs, track, head + text, args, null);
    this.n.dlt += 1;
  }

  clock(row: ClockRow): void {
    if (row.tsNs > this.nowNs) this.advance(row.tsNs);
    this.sink.counter(row.tsNs, this.tracks.counter(row.vm, 'clock', 'clock offset (ns)', 'ns'), row.offsetNs);
    this.n.clock += 1;
  }

  /** The end of the trace: frames still on the wire end, the last interval's counters. */
  finish(): TimelineCounts {
    this.sched.flushWaits();
    for (const e of this.ends.splice(0)) {
      this.intervals.closeUpTo(e.tsNs);
      this.sink.end(e.tsNs, e.track);
    }
    this.intervals.finish();
    return {
      events: this.n.events,
      ...this.sched.counts,
      ...this.queues.counts,
      faults: this.n.faults,
      deadlineMisses: this.n.deadlineMisses,
      faultsInjected: this.n.faultsInjected,
      dltInstants: this.n.dlt,
      clockSamples: this.n.clock,
      canFrames: this.n.can,
      flows: this.flowNext - 1,
      tracks: this.tracks.count,
    };
  }

  /** Time moves to tsNs: what was waiting for it is written first, in time order. */
  private advance(tsNs: number): void {
    if (tsNs === this.nowNs) return;
    this.sched.flushWaits();
    while (this.ends.length > 0 && this.ends[0]!.tsNs <= tsNs) {
      const e = this.ends.shift()!;
      this.intervals.closeUpTo(e.tsNs);
      this.sink.end(e.tsNs, e.track);
    }
    this.intervals.closeUpTo(tsNs);
    this.nowNs = tsNs;
  }

  private used(ts: number, c: EventColumns, i: number): void {
    if (this.queues.used(ts, c.dev[i]!, c.queue[i]!, Number(c.id[i]))) return;
    this.instant(ts, this.eventsTrack(c.vm[i]!), 'vq_used without request', { dev: c.dev[i]!, queue: c.queue[i]!, head: Number(c.id[i]) });
  }

  private canTx(ts: number, c: EventColumns, i: number): void {
    const bus = c.queue[i]!;
    const canId = Number(c.id[i]);
    const flow = this.flowNext++;
    const sender = c.vm[i]! >= 0 ? this.tracks.vmName(c.vm[i]!) : 'ECU';
    this.sink.begin(ts, this.tracks.canBus(bus), canIdText(canId), { can_id: canIdText(canId), dlc: c.len[i]!, sender }, [flow]);
    this.schedule(ts + Number(c.val[i]), this.tracks.canBus(bus));
    this.canFrame.set(bus, { canId, flow });
    this.n.can += 1;
  }

  private canRx(ts: number, c: EventColumns, i: number): void {
    const vm = c.vm[i]!;
    if (vm < 0) return;
    const canId = Number(c.id[i]);
    const frame = this.canFrame.get(c.queue[i]!);
    const flows = frame !== undefined && frame.canId === canId ? [frame.flow] : null;
    if (flows !== null) this.bridged.canReceived(vm, canId, frame!.flow);
    this.sink.instant(ts, this.tracks.vmChild(vm, 'can_rx', 'CAN rx'), `rx ${canIdText(canId)}`, { can_id: canIdText(canId), dlc: c.len[i]!, dev: c.dev[i]! }, flows);
  }

  private linkTx(ts: number, c: EventColumns, i: number): void {
    const link = Number(c.id[i]);
    this.intervals.linkTx(ts, link, c.dev[i]!, Number(c.val[i]));
    const flow = this.flowNext++;
    const row = this.frames(c.seq[i]!, ts);
    const carried = row === null ? [] : this.bridged.carried(c.vm[i]!, row);
    let frames = this.linkFrames.get(link);
    if (frames === undefined) this.linkFrames.set(link, (frames = []));
    frames.push({ txNs: ts, flow, carried });
    const args = { bytes: c.len[i]!, serialisation_ns: Number(c.val[i]) };
    this.sink.instant(ts, this.linkTrack(link, c.dev[i]!), 'tx', args, [flow, ...carried]);
  }

  private linkRx(ts: number, c: EventColumns, i: number): void {
    const link = Number(c.id[i]);
    const txNs = ts - Number(c.val[i]);
    const frames = this.linkFrames.get(link);
    const at = frames === undefined ? -1 : frames.findIndex((f) => f.txNs === txNs);
    const sent = at < 0 ? null : frames!.splice(at, 1)[0]!;
    const flows = sent === null ? null : [sent.flow, ...sent.carried];
    this.sink.instant(ts, this.linkTrack(link, c.dev[i]!), 'rx', { bytes: c.len[i]!, since_tx_ns: Number(c.val[i]) }, flows);
  }

  private fault(ts: number, c: EventColumns, i: number): void {
    const code = Number(c.id[i]);
    const name = FAULT_CODES[code] ?? `code ${code}`;
    const args = { code: name, detail: c.len[i]!, address: `0x${c.val[i]!.toString(16)}`, dev: c.dev[i]!, queue: c.queue[i]! };
    this.instant(ts, this.eventsTrack(c.vm[i]!), `fault ${name}`, args);
    this.n.faults += 1;
  }

  private deadlineMiss(ts: number, c: EventColumns, i: number): void {
    this.instant(ts, this.eventsTrack(c.vm[i]!), 'deadline miss', { task: Number(c.id[i]), lateness_ns: Number(c.val[i]) });
    this.n.deadlineMisses += 1;
  }

  private faultInjected(ts: number, c: EventColumns, i: number): void {
    const type = FAULT_TYPES[Number(c.id[i])] ?? `type ${c.id[i]}`;
    const val = Number(c.val[i]);
    const args: Record<string, string | number> = { type, vm: c.vm[i]!, vcpu: c.vcpu[i]!, dev: c.dev[i]!, queue: c.queue[i]!, len: c.len[i]! };
    // clock faults carry the step or the new drift in val; the others what the row marks
    let name = `injected ${type}`;
    if (type === 'clock_step') args.step_ns = val;
    else if (type === 'clock_drift') args.drift_ppb = val;
    else name += ` ${(args.edge = FAULT_EDGES[val] ?? val)}`;
    this.instant(ts, this.eventsTrack(c.vm[i]!), name, args);
    this.n.faultsInjected += 1;
  }

  private linkTrack(link: number, dev: number): Track {
    return (this.linkTracks[link] ??= this.tracks.link(link, dev));
  }

  private eventsTrack(vm: number): Track {
    return this.tracks.vmChild(vm, 'events', 'faults & deadlines');
  }

  private instant(ts: number, track: Track, name: string, args: Args): void {
    this.sink.instant(ts, track, name, args, null);
  }

  private schedule(tsNs: number, track: Track): void {
    let at = this.ends.length;
    while (at > 0 && this.ends[at - 1]!.tsNs > tsNs) at--;
    this.ends.splice(at, 0, { tsNs, track });
  }
}

/** 0x123 for a standard id, 0x12345678x for an extended one (bit 31: CAN_EFF_FLAG). */
function canIdText(canId: number): string {
  const extended = canId >= 0x8000_0000;
  const id = extended ? canId - 0x8000_0000 : canId;
  return `0x${id.toString(16)}${extended ? 'x' : ''}`;
}

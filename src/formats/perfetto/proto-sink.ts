// The timeline as a Perfetto protobuf trace: a Trace message written as a stream of its field-1
// TracePackets (trace.proto), encoded by protobufjs from the schema file. All packets are on one
// sequence (trusted_packet_sequence_id 1) without interning: every event names itself, so no
// packet depends on incremental state and a cut file stays readable up to the cut.
// The first packet is a ClockSnapshot naming BOOTTIME, the default clock of every later packet's
// timestamp, as the primary trace clock: trace time = tracevisor's true time in ns.

import protobuf from 'protobufjs';
import type { FileOut } from './file-out.js';
import {
  CLOCK_BOOTTIME, perfettoTypes, SEQ_INCREMENTAL_STATE_CLEARED, TYPE_COUNTER, TYPE_INSTANT,
  TYPE_SLICE_BEGIN, TYPE_SLICE_END, UNIT_COUNT, UNIT_TIME_NS,
} from './schema.js';
import type { Args, TimelineSink, Track } from './sink.js';

export const SEQUENCE_ID = 1;
/** Trace.packet is field 1, length-delimited: tag byte (1 << 3) | 2. */
const PACKET_TAG = (1 << 3) | 2;

export class ProtoSink implements TimelineSink {
  private readonly packet = perfettoTypes().packet;
  /** Descriptors and interval counters: written ahead of the interval's events (sink.ts). */
  private front = protobuf.Writer.create();
  private main = protobuf.Writer.create();
  private mainPackets = 0;

  constructor(private readonly out: FileOut) {
    this.put(this.front, {
      trusted_packet_sequence_id: SEQUENCE_ID,
      sequence_flags: SEQ_INCREMENTAL_STATE_CLEARED,
      clock_snapshot: { clocks: [{ clock_id: CLOCK_BOOTTIME, timestamp: 0 }], primary_trace_clock: CLOCK_BOOTTIME },
    });
  }

  track(track: Track): void {
    const d: Record<string, unknown> = { uuid: track.uuid, name: track.name };
    if (track.parentUuid !== null) d.parent_uuid = track.parentUuid;
    const role = track.role;
    if (role.kind === 'process') d.process = { pid: role.pid, process_name: track.name };
    else if (role.kind === 'thread') d.thread = { pid: role.pid, tid: role.tid, thread_name: track.name };
    else if (role.kind === 'counter') d.counter = counterDescriptor(role.unit);
    this.put(this.front, { track_descriptor: d });
  }

  begin(tsNs: number, track: Track, name: string, args: Args | null, flowIds: readonly number[] | null): void {
    this.event(tsNs, event(TYPE_SLICE_BEGIN, track, name, args, flowIds));
  }

  end(tsNs: number, track: Track): void {
    this.event(tsNs, { type: TYPE_SLICE_END, track_uuid: track.uuid });
  }

  instant(tsNs: number, track: Track, name: string, args: Args | null, flowIds: readonly number[] | null): void {
    this.event(tsNs, event(TYPE_INSTANT, track, name, args, flowIds));
  }

  counter(tsNs: number, track: Track, value: number): void {
    this.event(tsNs, counterEvent(track, value));
  }

  intervalCounter(tsNs: number, track: Track, value: number): void {
    this.put(this.front, { timestamp: tsNs, trusted_packet_sequence_id: SEQUENCE_ID, track_event: counterEvent(track, value) });
  }

  endInterval(): void {
    this.out.write(this.front.finish());
    this.front = protobuf.Writer.create();
    if (this.mainPackets > 0) {
      this.out.write(this.main.finish());
      this.main = protobuf.Writer.create();
      this.mainPackets = 0;
    }
  }

  close(): number {
    this.endInterval();
    return this.out.bytes;
  }

  private event(tsNs: number, trackEvent: Record<string, unknown>): void {
    this.put(this.main, { timestamp: tsNs, trusted_packet_sequence_id: SEQUENCE_ID, track_event: trackEvent });
    this.mainPackets += 1;
  }

  private put(writer: protobuf.Writer, packet: Record<string, unknown>): void {
    writer.uint32(PACKET_TAG).fork();
    this.packet.encode(packet, writer);
    writer.ldelim();
  }
}

function event(type: number, track: Track, name: string, args: Args | null, flowIds: readonly number[] | null): Record<string, unknown> {
  const e: Record<string, unknown> = { type, track_uuid: track.uuid, name };
  if (args !== null) e.debug_annotations = annotations(args);
  if (flowIds !== null) e.flow_ids = flowIds;
  return e;
}

function counterEvent(track: Track, value: number): Record<string, unknown> {
  return Number.isInteger(value)
    ? { type: TYPE_COUNTER, track_uuid: track.uuid, counter_value: value }
    : { type: TYPE_COUNTER, track_uuid: track.uuid, double_counter_value: value };
}

function annotations(args: Args): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const name in args) out.push(annotation(name, args[name]!));
  return out;
}

function annotation(name: string, value: string | number | boolean): Record<string, unknown> {
  if (typeof value === 'string') return { name, string_value: value };
  if (typeof value === 'boolean') return { name, bool_value: value };
  return Number.isInteger(value) ? { name, int_value: value } : { name, double_value: value };
}

function counterDescriptor(unit: 'ns' | 'count' | 'ratio'): Record<string, unknown> {
  if (unit === 'ns') return { unit: UNIT_TIME_NS };
  if (unit === 'count') return { unit: UNIT_COUNT };
  return { unit_name: 'fraction of the interval' };
}

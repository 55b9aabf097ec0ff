// An independent reader of .pftrace files for the tests: @bufbuild/protobuf's wire-level
// BinaryReader, by field number, with the numbers written down here from Perfetto's protos
// (google/perfetto protos/perfetto/trace/{trace,trace_packet}.proto, track_event/
// {track_event,track_descriptor,process_descriptor,thread_descriptor,counter_descriptor,
// debug_annotation}.proto) — not from our trace.proto, and not through protobufjs.

import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

export interface Descriptor {
  uuid: bigint;
  parentUuid: bigint | null;
  name: string | null;
  process: { pid: number; name: string | null } | null;
  thread: { pid: number; tid: number; name: string | null } | null;
  counter: boolean;
}

export interface Event {
  type: number;
  trackUuid: bigint;
  name: string | null;
  args: Map<string, string | bigint | number | boolean>;
  flowIds: bigint[];
  counterValue: number | null;
}

export interface Packet {
  timestamp: bigint | null;
  sequenceId: number | null;
  descriptor: Descriptor | null;
  event: Event | null;
  clockSnapshot: boolean;
}

export const TYPE_SLICE_BEGIN = 1;
export const TYPE_SLICE_END = 2;
export const TYPE_INSTANT = 3;
export const TYPE_COUNTER = 4;

/** Calls `field` for each field of the message in `bytes`; it returns false to skip one. */
function fields(bytes: Uint8Array, field: (no: number, wire: WireType, r: BinaryReader) => boolean): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [no, wire] = r.tag();
    if (!field(no, wire, r)) r.skip(wire, no);
  }
}

export function decodeTrace(bytes: Uint8Array): Packet[] {
  const packets: Packet[] = [];
  fields(bytes, (no, wire, r) => {
    if (no !== 1 || wire !== WireType.LengthDelimited) throw new Error(`Trace: unexpected field ${no} (wire ${wire})`);
    packets.push(decodePacket(r.bytes()));
    return true;
  });
  return packets;
}

function decodePacket(bytes: Uint8Array): Packet {
  const p: Packet = { timestamp: null, sequenceId: null, descriptor: null, event: null, clockSnapshot: false };
  fields(bytes, (no, _w, r) => {
    if (no === 8) p.timestamp = BigInt(r.uint64());
    else if (no === 10) p.sequenceId = r.uint32();
    else if (no === 60) p.descriptor = decodeDescriptor(r.bytes());
    else if (no === 11) p.event = decodeEvent(r.bytes());
    else if (no === 6) (r.bytes(), (p.clockSnapshot = true));
    else return false;
    return true;
  });
  return p;
}

function decodeDescriptor(bytes: Uint8Array): Descriptor {
  const d: Descriptor = { uuid: 0n, parentUuid: null, name: null, process: null, thread: null, counter: false };
  fields(bytes, (no, _w, r) => {
    if (no === 1) d.uuid = BigInt(r.uint64());
    else if (no === 5) d.parentUuid = BigInt(r.uint64());
    else if (no === 2) d.name = r.string();
    else if (no === 3) d.process = decodeProcess(r.bytes());
    else if (no === 4) d.thread = decodeThread(r.bytes());
    else if (no === 8) (r.bytes(), (d.counter = true));
    else return false;
    return true;
  });
  return d;
}

function decodeProcess(bytes: Uint8Array): { pid: number; name: string | null } {
  const p = { pid: 0, name: null as string | null };
  fields(bytes, (no, _w, r) => {
    if (no === 1) p.pid = r.int32();
    else if (no === 6) p.name = r.string();
    else return false;
    return true;
  });
  return p;
}

function decodeThread(bytes: Uint8Array): { pid: number; tid: number; name: string | null } {
  const t = { pid: 0, tid: 0, name: null as string | null };
  fields(bytes, (no, _w, r) => {
    if (no === 1) t.pid = r.int32();
    else if (no === 2) t.tid = r.int32();
    else if (no === 5) t.name = r.string();
    else return false;
    return true;
  });
  return t;
}

function decodeEvent(bytes: Uint8Array): Event {
  const e: Event = { type: 0, trackUuid: 0n, name: null, args: new Map(), flowIds: [], counterValue: null };
  fields(bytes, (no, wire, r) => {
    if (no === 9) e.type = r.int32();
    else if (no === 11) e.trackUuid = BigInt(r.uint64());
    else if (no === 23) e.name = r.string();
    else if (no === 30) e.counterValue = Number(r.int64());
    else if (no === 44) e.counterValue = r.double();
    else if (no === 4) decodeAnnotation(r.bytes(), e.args);
    else if (no === 47 && wire === WireType.Bit64) e.flowIds.push(BigInt(r.fixed64()));
    else return false;
    return true;
  });
  return e;
}

function decodeAnnotation(bytes: Uint8Array, into: Map<string, string | bigint | number | boolean>): void {
  let name = '';
  let value: string | bigint | number | boolean = '';
  fields(bytes, (no, _w, r) => {
    if (no === 10) name = r.string();
    else if (no === 2) value = r.bool();
    else if (no === 3) value = BigInt(r.uint64());
    else if (no === 4) value = BigInt(r.int64());
    else if (no === 5) value = r.double();
    else if (no === 6) value = r.string();
    else return false;
    return true;
  });
  into.set(name, value);
}

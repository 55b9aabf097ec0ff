// The Perfetto schema (trace.proto beside this file, shipped in the package: package.json
// "files") parsed once at run time by protobufjs, and the enum values the writer uses.
// keepCase: field names stay as Perfetto spells them (track_uuid), so the writer's objects
// read like the protos they encode.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { packageRoot } from '../../util/package-root.js';

export const PROTO_PATH_IN_PACKAGE = join('src', 'formats', 'perfetto', 'trace.proto');

/** TrackEvent.Type (track_event.proto). */
export const TYPE_SLICE_BEGIN = 1;
export const TYPE_SLICE_END = 2;
export const TYPE_INSTANT = 3;
export const TYPE_COUNTER = 4;
/** BuiltinClock.BUILTIN_CLOCK_BOOTTIME: the default clock of packets without timestamp_clock_id. */
export const CLOCK_BOOTTIME = 6;
/** TracePacket.sequence_flags: SEQ_INCREMENTAL_STATE_CLEARED. */
export const SEQ_INCREMENTAL_STATE_CLEARED = 1;
/** CounterDescriptor.Unit. */
export const UNIT_TIME_NS = 1;
export const UNIT_COUNT = 2;

export interface PerfettoTypes {
  readonly packet: protobuf.Type;
}

let cached: PerfettoTypes | null = null;

export function perfettoTypes(): PerfettoTypes {
  if (cached !== null) return cached;
  const text = readFileSync(join(packageRoot(), PROTO_PATH_IN_PACKAGE), 'utf8');
  const root = protobuf.parse(text, { keepCase: true }).root;
  cached = { packet: root.lookupType('perfetto.protos.TracePacket') };
  return cached;
}

// The DLT channel between a guest and the hypervisor's console back-end: the guest side encodes
// a log call as a DLT v1 verbose message (no storage header, as on a DLT TCP connection); the
// back-end decodes the bytes it drained from the virtqueue into a `dlt` table row. Both sides
// use the project's DLT codec (src/formats/dlt), so what lands in the trace is what a real
// COVESA tool would have read off the wire.
//
// Issue 10 §2: on the recording path these two are the reference, not the hot path. A guest's
// vm.log writes its message with DltLogArena (dlt-log-writer.ts, byte for byte encodeGuestLog's),
// and the back-end renders plain log messages with the DLT kernel (dlt-console-decoder.ts, row
// for row decodeGuestLog's); decodeGuestLog still decodes every other buffer a guest writes.

import { DLT_LEVELS } from '../core/codes.js';
import type { LogValue } from '../guests/guest-api.js';
import type { DltRow } from '../trace/recorder.js';
import type { GuestLogHeader } from './dlt-log-writer.js';
import { type DltArg, encodeMessage, parseMessage, renderPayload, DltType } from '../formats/dlt/index.js';

/** A log call: its header fields (dlt-log-writer.ts) and its values. */
export interface GuestLogRecord extends GuestLogHeader {
  values: LogValue[];
}

/** How a guest's log call maps its values to DLT argument types (as DLT_STRING/INT/... do). */
export function toArg(value: LogValue): DltArg {
  switch (typeof value) {
    case 'string':
      return { kind: 'string', coding: 'utf8', value };
    case 'boolean':
      return { kind: 'bool', value };
    case 'bigint':
      return { kind: 'sint', bits: 64, value };
    case 'number':
      if (!Number.isInteger(value)) return { kind: 'float', bits: 64, value };
      if (value >= -0x8000_0000 && value <= 0x7fff_ffff) return { kind: 'sint', bits: 32, value };
      return { kind: 'sint', bits: 64, value: BigInt(value) };
  }
}

export function encodeGuestLog(r: GuestLogRecord): Uint8Array {
  return encodeMessage(
    {
      ecu: r.ecu,
      sessionId: r.sessionId,
      timestamp: r.timestamp,
      counter: r.counter,
      bigEndian: false,
      extended: {
        verbose: true,
        type: DltType.LOG,
        subtype: DLT_LEVELS.indexOf(r.level) + 1,
        apid: r.apid,
        ctid: r.ctid,
        noar: r.values.length,
      },
      args: r.values.map(toArg),
      payload: new Uint8Array(0),
    },
    { storageHeader: false },
  );
}

/** One drained console buffer → a `dlt` row, or null if it is not a DLT log message. */
export function decodeGuestLog(bytes: Uint8Array, at: { tsNs: number; vm: number }): DltRow | null {
  const msg = parseMessage(bytes);
  if (msg === null || msg.extended === undefined || msg.extended.type !== DltType.LOG) return null;
  const level = DLT_LEVELS[msg.extended.subtype - 1];
  if (level === undefined) return null;
  return {
    ts_ns: at.tsNs,
    local_ts_ns: (msg.timestamp ?? 0) * 100_000,
    vm: at.vm,
    ecu: msg.ecu ?? '',
    apid: msg.extended.apid,
    ctid: msg.extended.ctid,
    session_id: msg.sessionId ?? null,
    type: 'log',
    subtype: level,
    level,
    msg_counter: msg.counter,
    verbose: msg.extended.verbose,
    noar: msg.extended.noar,
    message_id: null,
    payload: renderPayload(msg),
    payload_raw: msg.payload, // a view into this drained buffer; the recorder copies it
    lifecycle: 1, // a recorded VM has one lifecycle (no restarts are simulated yet)
    storage_ts_ns: at.tsNs,
  };
}

/**
 * Message encoder: DltMessage → the bytes libdlt (and dlt-daemon, for its own messages) would
 * send, optionally preceded by the storage header a DLT file stores. Layout in protocol.ts.
 *
 * The optional header fields follow the message: WEID when `ecu` is set, WSID when `sessionId`
 * is, WTMS when `timestamp` is, UEH when `extended` is. The standard-header fields are
 * big-endian whatever MSBF says (PRS_Dlt; dlt_common.c DLT_HTOBE_*); MSBF covers the payload.
 */
import { ByteWriter, writeId } from './bytes.js';
import {
  HTYP_MSBF, HTYP_UEH, HTYP_WEID, HTYP_WSID, HTYP_WTMS, headerSize, MESSAGE_SIZE_MAX,
  MSIN_MSTP_SHIFT, MSIN_MTIN_SHIFT, MSIN_VERB, PROTOCOL_VERSION, HTYP_VERSION_SHIFT,
  STORAGE_HEADER_SIZE, STORAGE_MARKER,
} from './protocol.js';
import type { DltMessage } from './types.js';
import { encodeVerbosePayload } from './verbose-encode.js';

export interface DltEncodeOptions {
  /** prepend the 16-byte storage header (DLT files); false for a TCP stream */
  storageHeader: boolean;
}

/**
 * Encodes one message. The payload is `args` encoded in the message's byte order when `args` is
 * set, else `payload` as is (non-verbose and control payloads: see nonVerbosePayload()).
 * Throws RangeError when a field does not fit (message over 65535 bytes, counter over 255 …).
 */
export function encodeMessage(m: DltMessage, opts: DltEncodeOptions): Uint8Array {
  const payload = m.args !== undefined ? encodeVerbosePayload(m.args, m.bigEndian) : m.payload;
  const htyp = (PROTOCOL_VERSION << HTYP_VERSION_SHIFT) |
    (m.extended !== undefined ? HTYP_UEH : 0) | (m.bigEndian ? HTYP_MSBF : 0) |
    (m.ecu !== undefined ? HTYP_WEID : 0) | (m.sessionId !== undefined ? HTYP_WSID : 0) |
    (m.timestamp !== undefined ? HTYP_WTMS : 0);
  const length = headerSize(htyp) + payload.length;
  if (length > MESSAGE_SIZE_MAX) {
    throw new RangeError(`DLT: message of ${length} bytes exceeds the 16-bit length field`);
  }
  checkRange('counter', m.counter, 0xff);
  const prefix = opts.storageHeader ? STORAGE_HEADER_SIZE : 0;
  const out = new Uint8Array(prefix + length);
  if (opts.storageHeader) writeStorageHeader(out, m);
  const header = new ByteWriter(true, 32);
  header.u8(htyp);
  header.u8(m.counter);
  header.u16(length);
  writeStandardExtras(header, m);
  if (m.extended !== undefined) {
    const e = m.extended;
    checkRange('message type', e.type, 7);
    checkRange('subtype', e.subtype, 15);
    checkRange('noar', e.noar, 0xff);
    header.u8((e.verbose ? MSIN_VERB : 0) | (e.type << MSIN_MSTP_SHIFT) | (e.subtype << MSIN_MTIN_SHIFT));
    header.u8(e.noar);
    header.raw(idBytes(e.apid));
    header.raw(idBytes(e.ctid));
  }
  out.set(header.bytes(), prefix);
  out.set(payload, prefix + length - payload.length);
  return out;
}

/** Encodes messages one after another, as a DLT file (storage headers) or a TCP stream. */
export function encodeMessages(messages: Iterable<DltMessage>, opts: DltEncodeOptions): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const m of messages) {
    const bytes = encodeMessage(m, opts);
    parts.push(bytes);
    size += bytes.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A non-verbose payload: the u32 message id in the message's byte order, then the data. */
export function nonVerbosePayload(messageId: number, data: Uint8Array, bigEndian: boolean): Uint8Array {
  const w = new ByteWriter(bigEndian, 4 + data.length);
  w.u32(messageId);
  w.raw(data);
  return w.bytes();
}

/**
 * A control payload: the u32 service id, for responses the status byte, then the data
 * (dlt-daemon's DltServiceGetSoftwareVersionResponse etc. are laid out this way).
 */
export function controlPayload(
  serviceId: number, data: Uint8Array, opts: { bigEndian: boolean; status?: number },
): Uint8Array {
  const w = new ByteWriter(opts.bigEndian, 5 + data.length);
  w.u32(serviceId);
  if (opts.status !== undefined) w.u8(opts.status);
  w.raw(data);
  return w.bytes();
}

function writeStorageHeader(out: Uint8Array, m: DltMessage): void {
  const s = m.storage ?? { seconds: 0, microseconds: 0, ecu: m.ecu ?? '' };
  out.set(STORAGE_MARKER, 0);
  const w = new ByteWriter(false, 8);
  w.u32(s.seconds);
  w.u32(s.microseconds);
  out.set(w.bytes(), 4);
  writeId(out, 12, s.ecu);
}

function writeStandardExtras(header: ByteWriter, m: DltMessage): void {
  if (m.ecu !== undefined) header.raw(idBytes(m.ecu));
  if (m.sessionId !== undefined) header.u32(m.sessionId);
  if (m.timestamp !== undefined) header.u32(m.timestamp);
}

function idBytes(id: string): Uint8Array {
  const bytes = new Uint8Array(4);
  writeId(bytes, 0, id);
  return bytes;
}

function checkRange(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`DLT: ${what} ${value} is outside 0..${max}`);
  }
}

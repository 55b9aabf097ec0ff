/**
 * The payload text exactly as COVESA's `dlt-convert -a` prints it (dlt_common.c
 * dlt_message_payload / dlt_message_argument_print, libdlt 2.18.8 as Debian ships it), read
 * straight from the bytes like the C code does, quirks included (each checked against the tool
 * in test/dlt):
 *   - an argument that cannot be printed (unknown type, struct, too short, string of length 0)
 *     ends the payload: the text printed so far is kept,
 *     including the space before the failed argument; arrays print as their element type;
 *   - verbose arguments are separated by one space; VARI names and units are not shown;
 *   - bool and 8-bit ints print as %d, wider ints as decimal (64-bit exact), 128-bit ints and
 *     16/128-bit floats as space-separated hex bytes, floats as %g;
 *   - hex-coded UINT prints 0x%02x/%04x/%08x/%016x and binary-coded 0b with a space every 4
 *     bits; both read the value little-endian even in big-endian messages, binary knows only
 *     8 and 16 bits (other widths print nothing and consume nothing), and neither skips VARI;
 *   - strings stop at their first NUL, CR and LF become spaces, an empty length is an error;
 *   - raw data prints as hex bytes joined by "'";
 *   - the text buffer holds 10023 bytes: output past that is cut; a string that does not fit
 *     ends the payload, raw data (or a 128-bit hex value) that does not fit prints nothing
 *     (dlt-convert also logs a warning line to stdout then, which we do not reproduce);
 *   - non-verbose: "<id>, <hex bytes>"; control: service name or service(<id>) (nothing for a
 *     time message with an unknown id), for responses the status name (or %.2x), then the
 *     remaining bytes in hex; fewer than 4 payload bytes read as id 0 and print no bytes;
 *   - a non-verbose payload whose hex does not fit the buffer prints as nothing at all.
 */
import { readF32, readF64, readU16, readU32, readU64, utf8Decode } from './bytes.js';
import {
  DltControlType, DltType, SCOD_ASCII, SCOD_BIN, SCOD_HEX, SCOD_UTF8, TYLE_128, TYLE_16, TYLE_32,
  TYLE_64, TYLE_8, TYPE_BOOL, TYPE_FIXP, TYPE_FLOA, TYPE_RAWD, TYPE_SCOD_MASK, TYPE_SINT,
  TYPE_STRG, TYPE_TRAI, TYPE_TYLE_MASK, TYPE_UINT, TYPE_VARI,
} from './protocol.js';
import { printfG } from './printf-g.js';

/** What the payload rendering needs to know about the message around the payload. */
export interface DltPayloadContext {
  bigEndian: boolean;
  /** absent when the message has no extended header */
  extended?: { verbose: boolean; type: number; subtype: number; noar: number };
}

/** dlt_common.h DLT_CONVERT_TEXTBUFSIZE */
const TEXT_SIZE = 10024;

/** dlt_common.c service_id_name: standard services 1..0x14 by name, others as service(<id>). */
const SERVICE_NAMES = [
  '', 'set_log_level', 'set_trace_status', 'get_log_info', 'get_default_log_level', 'store_config',
  'reset_to_factory_default', 'set_com_interface_status', 'set_com_interface_max_bandwidth',
  'set_verbose_mode', 'set_message_filtering', 'set_timing_packets', 'get_local_time',
  'use_ecu_id', 'use_session_id', 'use_timestamp', 'use_extended_header',
  'set_default_log_level', 'set_default_trace_status', 'get_software_version',
  'message_buffer_overflow',
];
/** dlt_common.c return_type: response status names (5-7 have none and print as hex). */
const STATUS_NAMES: Record<number, string> = {
  0: 'ok', 1: 'not_supported', 2: 'error', 3: 'perm_denied', 4: 'warning', 8: 'no_matching_context_id',
};

/** dlt-convert's name of a control service id, e.g. "get_log_info" or "service(3842)". */
export function controlServiceName(serviceId: number): string {
  return serviceId > 0 && serviceId < SERVICE_NAMES.length ? SERVICE_NAMES[serviceId]! : `service(${serviceId})`;
}

/** dlt-convert's name of a control response status, e.g. "ok", or the byte as %.2x. */
export function controlStatusName(status: number): string {
  return STATUS_NAMES[status] ?? hex2(status);
}

/** The payload as `dlt-convert -a` prints it between the brackets. */
export function renderPayloadBytes(payload: Uint8Array, ctx: DltPayloadContext): string {
  const ext = ctx.extended;
  if (ext === undefined || !ext.verbose) return renderNonVerbose(payload, ctx);
  const out = new TextOut();
  const cur: Cursor = { bytes: payload, pos: 0, left: payload.length, bigEndian: ctx.bigEndian };
  let typeInfo = 0;
  for (let i = 0; i < ext.noar; i++) {
    if (i !== 0) out.add(' ');
    // On a short read the C code keeps the previous type info; every branch then fails anyway.
    if (cur.left >= 4) typeInfo = readU32(payload, take(cur, 4), ctx.bigEndian);
    else cur.left = -1;
    // libdlt 2.18 stops at an argument it cannot print and keeps the text printed so far
    if (!renderArg(out, cur, typeInfo)) break;
  }
  return out.text();
}

function renderNonVerbose(payload: Uint8Array, ctx: DltPayloadContext): string {
  const ext = ctx.extended;
  // Fewer than 4 bytes: the C code keeps id 0 and its length turns negative (-1), which prints
  // no bytes (and passes the size check by unsigned wrap-around).
  const short = payload.length < 4;
  const id = short ? 0 : readU32(payload, 0, ctx.bigEndian);
  let left = short ? -1 : payload.length - 4;
  let pos = 4;
  // does not fit the text buffer: libdlt 2.18 logs a warning and the payload prints empty
  if (!short && TEXT_SIZE < left * 3 + 20) return '';
  let text = '';
  const isControl = ext !== undefined && ext.type === DltType.CONTROL;
  if (isControl) {
    const known = id > 0 && id < SERVICE_NAMES.length;
    if (known || ext.subtype !== DltControlType.TIME) text += controlServiceName(id);
    if (left > 0) text += ', ';
    if (ext.subtype === DltControlType.RESPONSE && left > 0) {
      text += controlStatusName(payload[pos]!);
      pos++;
      left--;
      if (left >= 1) text += ', ';
    }
  } else {
    text += `${id}, `;
  }
  return short ? text : text + hexBytes(payload, pos, pos + left, ' ');
}

/** The C code's (ptr, datalength) pair: `left` goes negative on a short read and stays so. */
interface Cursor {
  bytes: Uint8Array;
  pos: number;
  left: number;
  bigEndian: boolean;
}

function take(cur: Cursor, count: number): number {
  const at = cur.pos;
  cur.pos += count;
  cur.left -= count;
  return at;
}

/** DLT_MSG_READ_VALUE: false (and left = -1) when fewer than `count` bytes are left. */
function canRead(cur: Cursor, count: number): boolean {
  if (cur.left < count) {
    cur.left = -1;
    return false;
  }
  return true;
}

/**
 * The C text buffer: TEXT_SIZE bytes including the NUL, so at most TEXT_SIZE - 1 bytes of text;
 * snprintf cuts whatever does not fit.
 */
class TextOut {
  private parts: string[] = [];
  /** bytes written so far, as the C text buffer counts them */
  size = 0;

  /** `textlength` as dlt_message_argument_print receives it for the next argument */
  get remaining(): number {
    return TEXT_SIZE - this.size;
  }

  add(text: string, byteCount = text.length): void {
    const room = TEXT_SIZE - 1 - this.size;
    if (byteCount > room) {
      const bytes = new TextEncoder().encode(text).subarray(0, Math.max(room, 0));
      text = new TextDecoder().decode(bytes);
      byteCount = bytes.length;
    }
    this.parts.push(text);
    this.size += byteCount;
  }

  text(): string {
    return this.parts.join('');
  }
}

/** One argument, following dlt_message_argument_print's order of tests. */
function renderArg(out: TextOut, cur: Cursor, typeInfo: number): boolean {
  const scod = typeInfo & TYPE_SCOD_MASK;
  const tyle = typeInfo & TYPE_TYLE_MASK;
  const vari = (typeInfo & TYPE_VARI) !== 0;
  if ((typeInfo & TYPE_STRG) !== 0 && (scod === SCOD_ASCII || scod === SCOD_UTF8)) {
    return renderString(out, cur, vari);
  }
  if ((typeInfo & TYPE_BOOL) !== 0) {
    if (vari && !skipName(cur)) return false;
    if (!canRead(cur, 1)) return false;
    out.add(String(cur.bytes[take(cur, 1)]!));
    return true;
  }
  if ((typeInfo & TYPE_UINT) !== 0 && scod === SCOD_BIN) return renderBinary(out, cur, tyle);
  if ((typeInfo & TYPE_UINT) !== 0 && scod === SCOD_HEX) return renderHex(out, cur, tyle);
  if ((typeInfo & (TYPE_SINT | TYPE_UINT)) !== 0) return renderInt(out, cur, typeInfo, vari);
  if ((typeInfo & TYPE_FLOA) !== 0) return renderFloat(out, cur, tyle, vari);
  if ((typeInfo & TYPE_RAWD) !== 0) return renderRaw(out, cur, vari);
  if ((typeInfo & TYPE_TRAI) !== 0) {
    if (!canRead(cur, 2)) return false;
    return readString(out, cur, readU16(cur.bytes, take(cur, 2), cur.bigEndian));
  }
  return false;
}

function renderString(out: TextOut, cur: Cursor, vari: boolean): boolean {
  if (!canRead(cur, 2)) return false;
  const length = readU16(cur.bytes, take(cur, 2), cur.bigEndian);
  if (vari && !skipName(cur)) return false;
  return readString(out, cur, length);
}

/** DLT_MSG_READ_STRING: copy, CR/LF → space, then the C string ends at the first NUL. */
function readString(out: TextOut, cur: Cursor, length: number): boolean {
  if (cur.left < 0 || length <= 0 || out.remaining < length || cur.left < length) return false;
  const at = take(cur, length);
  let end = at;
  while (end < at + length && cur.bytes[end] !== 0) end++;
  const text = utf8Decode(cur.bytes, at, end).replace(/[\r\n]/g, ' ');
  out.add(text, end - at);
  return true;
}

function skipName(cur: Cursor): boolean {
  if (!canRead(cur, 2)) return false;
  const length = readU16(cur.bytes, take(cur, 2), cur.bigEndian);
  if (cur.left < length) return false;
  take(cur, length);
  return true;
}

function renderBinary(out: TextOut, cur: Cursor, tyle: number): boolean {
  const bits = tyle === TYLE_8 ? 8 : tyle === TYLE_16 ? 16 : 0;
  if (bits === 0) return cur.left >= 0; // other widths: nothing printed, nothing consumed
  if (!canRead(cur, bits / 8)) return false;
  const value = bits === 8 ? cur.bytes[take(cur, 1)]! : readU16(cur.bytes, take(cur, 2), false);
  let text = '0b';
  for (let bit = bits - 1; bit >= 0; bit--) {
    text += (value >> bit) & 1 ? '1' : '0';
    if (bit % 4 === 0 && bit !== 0) text += ' ';
  }
  out.add(text);
  return true;
}

function renderHex(out: TextOut, cur: Cursor, tyle: number): boolean {
  const size = tyle === TYLE_8 ? 1 : tyle === TYLE_16 ? 2 : tyle === TYLE_32 ? 4 : tyle === TYLE_64 ? 8 : 0;
  if (size === 0) return cur.left >= 0;
  if (!canRead(cur, size)) return false;
  const at = take(cur, size);
  // read in host (little-endian) order: dlt_common.c does not swap hex-coded values
  const value = size === 8 ? readU64(cur.bytes, at, false)
    : size === 4 ? readU32(cur.bytes, at, false) : size === 2 ? readU16(cur.bytes, at, false) : cur.bytes[at]!;
  out.add(`0x${value.toString(16).padStart(size * 2, '0')}`);
  return true;
}

function renderInt(out: TextOut, cur: Cursor, typeInfo: number, vari: boolean): boolean {
  const tyle = typeInfo & TYPE_TYLE_MASK;
  if (vari && !skipNameAndUnit(cur)) return false;
  if ((typeInfo & TYPE_FIXP) !== 0) {
    if (!canRead(cur, 4)) return false;
    take(cur, 4); // quantisation, not applied by dlt-convert
    const offsetSize = tyle === TYLE_64 ? 8 : tyle === TYLE_128 ? 16 : tyle >= TYLE_8 && tyle <= TYLE_32 ? 4 : 0;
    if (offsetSize === 0 || cur.left < offsetSize) return false;
    take(cur, offsetSize);
  }
  const signed = (typeInfo & TYPE_SINT) !== 0;
  const b = cur.bytes;
  switch (tyle) {
    case TYLE_8: {
      if (!canRead(cur, 1)) return false;
      const v = b[take(cur, 1)]!;
      out.add(String(signed ? (v << 24) >> 24 : v));
      return true;
    }
    case TYLE_16: {
      if (!canRead(cur, 2)) return false;
      const v = readU16(b, take(cur, 2), cur.bigEndian);
      out.add(String(signed ? (v << 16) >> 16 : v));
      return true;
    }
    case TYLE_32: {
      if (!canRead(cur, 4)) return false;
      const v = readU32(b, take(cur, 4), cur.bigEndian);
      out.add(String(signed ? v | 0 : v));
      return true;
    }
    case TYLE_64: {
      if (!canRead(cur, 8)) return false;
      const v = readU64(b, take(cur, 8), cur.bigEndian);
      out.add(String(signed ? BigInt.asIntN(64, v) : v));
      return true;
    }
    case TYLE_128:
      if (cur.left < 16) return false;
      addHex(out, b, take(cur, 16), 16);
      return true;
    default:
      return false;
  }
}

function renderFloat(out: TextOut, cur: Cursor, tyle: number, vari: boolean): boolean {
  if (vari && !skipNameAndUnit(cur)) return false;
  const b = cur.bytes;
  switch (tyle) {
    case TYLE_16:
    case TYLE_128: {
      const size = tyle === TYLE_16 ? 2 : 16;
      if (cur.left < size) return false;
      addHex(out, b, take(cur, size), size);
      return true;
    }
    case TYLE_8:
      if (cur.left < 1) return false;
      addHex(out, b, take(cur, 1), 1);
      return true;
    case TYLE_32: {
      if (!canRead(cur, 4)) return false;
      const at = take(cur, 4);
      out.add(floatText(readF32(b, at, cur.bigEndian), signByte(b, at, 4, cur.bigEndian)));
      return true;
    }
    case TYLE_64: {
      if (!canRead(cur, 8)) return false;
      const at = take(cur, 8);
      out.add(floatText(readF64(b, at, cur.bigEndian), signByte(b, at, 8, cur.bigEndian)));
      return true;
    }
    default:
      return false;
  }
}

/** The byte holding the sign bit: glibc prints "-nan" for a NaN with the sign set. */
function signByte(b: Uint8Array, at: number, size: number, bigEndian: boolean): number {
  return b[bigEndian ? at : at + size - 1]!;
}

function floatText(value: number, signByteValue: number): string {
  if (Number.isNaN(value)) return (signByteValue & 0x80) !== 0 ? '-nan' : 'nan';
  return printfG(value);
}

function renderRaw(out: TextOut, cur: Cursor, vari: boolean): boolean {
  if (!canRead(cur, 2)) return false;
  const length = readU16(cur.bytes, take(cur, 2), cur.bigEndian);
  if (vari && !skipName(cur)) return false;
  if (cur.left < length) return false;
  const at = take(cur, length);
  // too long for the text buffer: libdlt 2.18 logs a warning, prints nothing and goes on
  if (out.remaining >= length * 3) out.add(hexBytes(cur.bytes, at, cur.pos, "'"));
  return true;
}

function skipNameAndUnit(cur: Cursor): boolean {
  if (!canRead(cur, 4)) return false;
  const nameLength = readU16(cur.bytes, take(cur, 2), cur.bigEndian);
  const unitLength = readU16(cur.bytes, take(cur, 2), cur.bigEndian);
  if (cur.left < nameLength) return false;
  take(cur, nameLength);
  if (cur.left < unitLength) return false;
  take(cur, unitLength);
  return true;
}

/** dlt_print_hex_string into the rest of the buffer; when it does not fit it prints nothing. */
function addHex(out: TextOut, b: Uint8Array, at: number, size: number): void {
  if (out.remaining >= size * 3) out.add(hexBytes(b, at, at + size, ' '));
}

function hex2(value: number): string {
  return value.toString(16).padStart(2, '0');
}

function hexBytes(b: Uint8Array, start: number, end: number, delimiter: string): string {
  let text = '';
  for (let i = start; i < end; i++) text += (i > start ? delimiter : '') + hex2(b[i]!);
  return text;
}

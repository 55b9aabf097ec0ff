/**
 * The data model of a DLT v1 message: what the parser produces and the encoder consumes.
 * Numbers that the protocol keeps open (message type 4-7, any subtype) stay numbers, so every
 * message read can be written back byte for byte.
 */

/**
 * Variable info (VARI): an optional name, and for numbers an optional unit. On the wire each is
 * a u16 length (including the NUL) and the text. An argument carries VARI when `name` or `unit`
 * is not undefined; `null` is a length of 0 (libdlt writes a NULL name that way, and its plain
 * dlt_user_log_write_int/uint set VARI with both lengths 0), `''` a length of 1 (just the NUL).
 * Numbers write both lengths, so a number given only a name decodes with `unit: null`.
 */
export interface DltVarInfo {
  name?: string | null;
  unit?: string | null;
}

/** Fixed-point conversion (FIXP) of an integer: physical = raw * quantization + offset. */
export interface DltFixedPoint {
  /** float32 on the wire */
  quantization: number;
  /** int32 on the wire for 8-32 bit values, else as wide as the value (bigint) */
  offset: number | bigint;
}

/** How dlt-convert shows an unsigned integer (SCOD bits of UINT): decimal, 0x…, or 0b…. */
export type DltIntCoding = 'dec' | 'hex' | 'bin';

export interface DltBoolArg {
  kind: 'bool';
  value: boolean;
  /** VARI name, see DltVarInfo */
  name?: string | null;
}

interface DltIntArgBase extends DltVarInfo {
  kind: 'sint' | 'uint';
  /** Only for UINT: libdlt's *_formatted writers set hex or binary. */
  coding?: DltIntCoding;
  fixedPoint?: DltFixedPoint;
}

/** Integers of 8, 16 or 32 bits hold a number, 64 and 128 bits a bigint. */
export interface DltSmallIntArg extends DltIntArgBase {
  bits: 8 | 16 | 32;
  value: number;
}

export interface DltBigIntArg extends DltIntArgBase {
  bits: 64 | 128;
  value: bigint;
}

export type DltIntArg = DltSmallIntArg | DltBigIntArg;

export interface DltFloatArg extends DltVarInfo {
  kind: 'float';
  bits: 32 | 64;
  value: number;
}

/** float16 and float128: no JS number type, kept as their bytes in message order. */
export interface DltFloatBytesArg extends DltVarInfo {
  kind: 'float';
  bits: 16 | 128;
  bytes: Uint8Array;
}

export interface DltStringArg {
  kind: 'string';
  /** Decoded as UTF-8 for both codings (libdlt passes ASCII-coded strings through unchecked). */
  value: string;
  coding: 'ascii' | 'utf8';
  name?: string | null;
}

export interface DltRawArg {
  kind: 'raw';
  value: Uint8Array;
  /**
   * libdlt's raw_formatted marks raw data as hex or binary (SCOD) with a group width (TYLE):
   * DLT_FORMAT_HEX16 → coding 'hex', bits 16. dlt-convert ignores both.
   */
  coding?: DltIntCoding;
  bits?: 8 | 16 | 32 | 64 | 128;
  name?: string | null;
}

/** Trace information (TRAI): a length-prefixed string, e.g. a function name. */
export interface DltTraceInfoArg {
  kind: 'trace';
  value: string;
}

/** An array of booleans or numbers (ARAY, PRS_Dlt): dimensions, then the elements row-major. */
export interface DltArrayArg extends DltVarInfo {
  kind: 'array';
  element: 'bool' | 'sint' | 'uint' | 'float';
  bits: 8 | 16 | 32 | 64;
  dims: number[];
  /** bigint for 64-bit integers, boolean for bool, number otherwise */
  values: Array<number | bigint | boolean>;
}

/** A struct (STRU, PRS_Dlt): a named list of complete arguments. */
export interface DltStructArg {
  kind: 'struct';
  fields: DltArg[];
  name?: string | null;
}

/** One verbose argument. */
export type DltArg =
  | DltBoolArg
  | DltIntArg
  | DltFloatArg
  | DltFloatBytesArg
  | DltStringArg
  | DltRawArg
  | DltTraceInfoArg
  | DltArrayArg
  | DltStructArg;

/** The storage header that DLT files put before every message. */
export interface DltStorageHeader {
  /** receive time, seconds since the Unix epoch */
  seconds: number;
  /** receive time, microseconds within the second */
  microseconds: number;
  /** ECU id the receiver recorded (dlt-receive writes "RECV" unless told otherwise) */
  ecu: string;
}

/** The extended header: present in every verbose message and optional otherwise. */
export interface DltExtendedHeader {
  verbose: boolean;
  /** message type, see DltType (0 log, 1 app_trace, 2 nw_trace, 3 control) */
  type: number;
  /** subtype, see DltLogLevel / DltTraceType / DltNwTraceType / DltControlType */
  subtype: number;
  apid: string;
  ctid: string;
  /** number of arguments as the header says (libdlt also counts them in non-verbose mode) */
  noar: number;
}

/**
 * A DLT message. Optional standard-header fields are present exactly when their HTYP flag is
 * set (WEID → ecu, WSID → sessionId, WTMS → timestamp).
 */
export interface DltMessage {
  storage?: DltStorageHeader;
  ecu?: string;
  sessionId?: number;
  /** device time since start-up, in 0.1 ms units */
  timestamp?: number;
  /** message counter, 0-255 */
  counter: number;
  /** MSBF: payload (not headers) in big-endian byte order */
  bigEndian: boolean;
  extended?: DltExtendedHeader;
  /**
   * Verbose messages: the decoded arguments. When encoding, they are written instead of
   * `payload` if present. Absent when the payload could not be decoded.
   */
  args?: DltArg[];
  /** Non-verbose and control messages: the leading u32 (message id or service id). */
  messageId?: number;
  /**
   * The payload exactly as on the wire: verbose arguments, or message id + data. A view into
   * the parsed buffer where the parser could give one.
   */
  payload: Uint8Array;
}

/**
 * DLT protocol version 1 constants, as written by COVESA's libdlt (dlt_protocol.h) and the
 * AUTOSAR DLT protocol specification (PRS_Dlt). Every layout is drawn next to its constants.
 *
 * A message on the wire (storage files prepend the storage header; TCP streams do not):
 *
 *   storage header (16 B, files only)     "DLT\x01" | le32 seconds | le32 microseconds | ecu[4]
 *   standard header (4 B)                 htyp u8 | counter u8 | length be16 (from htyp to end)
 *     [ecu id 4 B]       if WEID
 *     [session id be32]  if WSID
 *     [timestamp be32]   if WTMS   (0.1 ms units)
 *   extended header (10 B, if UEH)        msin u8 | noar u8 | apid[4] | ctid[4]
 *   payload                               verbose arguments, or (non-verbose) u32 id + data
 */

/** "DLT" 0x01: the storage header's pattern, and our resynchronisation marker. */
export const STORAGE_MARKER = Uint8Array.of(0x44, 0x4c, 0x54, 0x01);
/** "DLS" 0x01: the optional serial header some daemons put before each message on a stream. */
export const SERIAL_MARKER = Uint8Array.of(0x44, 0x4c, 0x53, 0x01);

export const STORAGE_HEADER_SIZE = 16;
export const STANDARD_HEADER_SIZE = 4;
export const EXTENDED_HEADER_SIZE = 10;
export const ID_SIZE = 4;
/** The standard header's length field is 16 bits: no message is longer. */
export const MESSAGE_SIZE_MAX = 0xffff;

// Header type (HTYP), dlt_protocol.h DLT_HTYP_*.
export const HTYP_UEH = 0x01; // use extended header
export const HTYP_MSBF = 0x02; // payload is big-endian (most significant byte first)
export const HTYP_WEID = 0x04; // with ECU id
export const HTYP_WSID = 0x08; // with session id
export const HTYP_WTMS = 0x10; // with timestamp
export const HTYP_VERSION_MASK = 0xe0;
export const HTYP_VERSION_SHIFT = 5;
export const PROTOCOL_VERSION = 1;

/** Size of the optional standard-header fields that the HTYP flags announce. */
export function standardHeaderExtraSize(htyp: number): number {
  return ((htyp & HTYP_WEID) !== 0 ? 4 : 0) + ((htyp & HTYP_WSID) !== 0 ? 4 : 0) +
    ((htyp & HTYP_WTMS) !== 0 ? 4 : 0);
}

/** Bytes from the standard header to the payload, for a given HTYP. */
export function headerSize(htyp: number): number {
  return STANDARD_HEADER_SIZE + standardHeaderExtraSize(htyp) +
    ((htyp & HTYP_UEH) !== 0 ? EXTENDED_HEADER_SIZE : 0);
}

// Message info (MSIN): bit 0 verbose, bits 1-3 message type (MSTP), bits 4-7 type info (MTIN).
export const MSIN_VERB = 0x01;
export const MSIN_MSTP_MASK = 0x0e;
export const MSIN_MSTP_SHIFT = 1;
export const MSIN_MTIN_MASK = 0xf0;
export const MSIN_MTIN_SHIFT = 4;

/** Message types (MSTP). Values 4-7 are reserved; we keep them as numbers. */
export const DltType = { LOG: 0, APP_TRACE: 1, NW_TRACE: 2, CONTROL: 3 } as const;

/** Subtypes (MTIN) of log messages: the log level. */
export const DltLogLevel = { FATAL: 1, ERROR: 2, WARN: 3, INFO: 4, DEBUG: 5, VERBOSE: 6 } as const;
/** Subtypes of application trace messages. */
export const DltTraceType = { VARIABLE: 1, FUNCTION_IN: 2, FUNCTION_OUT: 3, STATE: 4, VFB: 5 } as const;
/**
 * Subtypes of network trace messages. 1-4 as libdlt's DltNetworkTraceType; ETHERNET and SOMEIP
 * are AUTOSAR's later additions (libdlt 2.18 calls 5-7 reserved, and dlt-convert prints 5 as
 * "vfb"). 0x0f marks a resent segment in libdlt.
 */
export const DltNwTraceType = {
  IPC: 1, CAN: 2, FLEXRAY: 3, MOST: 4, ETHERNET: 5, SOMEIP: 6, RESEND: 0x0f,
} as const;
/** Subtypes of control messages. */
export const DltControlType = { REQUEST: 1, RESPONSE: 2, TIME: 3 } as const;

// Type info of a verbose argument (a u32 in the message's byte order), DLT_TYPE_INFO_*.
export const TYPE_TYLE_MASK = 0x0000000f; // length of standard types, see TYLE_*
export const TYPE_BOOL = 0x00000010;
export const TYPE_SINT = 0x00000020;
export const TYPE_UINT = 0x00000040;
export const TYPE_FLOA = 0x00000080;
export const TYPE_ARAY = 0x00000100;
export const TYPE_STRG = 0x00000200;
export const TYPE_RAWD = 0x00000400;
export const TYPE_VARI = 0x00000800; // name (and unit, for numbers) follow
export const TYPE_FIXP = 0x00001000; // quantisation and offset follow
export const TYPE_TRAI = 0x00002000;
export const TYPE_STRU = 0x00004000;
export const TYPE_SCOD_MASK = 0x00038000;

// Type length (TYLE): 1 = 8 bit … 5 = 128 bit.
export const TYLE_8 = 1;
export const TYLE_16 = 2;
export const TYLE_32 = 3;
export const TYLE_64 = 4;
export const TYLE_128 = 5;

// String / integer coding (SCOD): ASCII and UTF-8 for strings, hex and binary for UINT.
export const SCOD_ASCII = 0x00000000;
export const SCOD_UTF8 = 0x00008000;
export const SCOD_HEX = 0x00010000;
export const SCOD_BIN = 0x00018000;

/** Bits per TYLE value; 0 where TYLE is undefined. */
export function tyleBits(tyle: number): number {
  return tyle >= TYLE_8 && tyle <= TYLE_128 ? 8 << (tyle - 1) : 0;
}

/** TYLE value for a width in bits (8…128). */
export function bitsTyle(bits: 8 | 16 | 32 | 64 | 128): number {
  return Math.log2(bits) - 2;
}

// Control messages: service ids (dlt_protocol.h enum dlt_services / dlt_user_services).
export const DltServiceId = {
  SET_LOG_LEVEL: 0x01,
  SET_TRACE_STATUS: 0x02,
  GET_LOG_INFO: 0x03,
  GET_DEFAULT_LOG_LEVEL: 0x04,
  STORE_CONFIG: 0x05,
  RESET_TO_FACTORY_DEFAULT: 0x06,
  SET_COM_INTERFACE_STATUS: 0x07,
  SET_COM_INTERFACE_MAX_BANDWIDTH: 0x08,
  SET_VERBOSE_MODE: 0x09,
  SET_MESSAGE_FILTERING: 0x0a,
  SET_TIMING_PACKETS: 0x0b,
  GET_LOCAL_TIME: 0x0c,
  USE_ECU_ID: 0x0d,
  USE_SESSION_ID: 0x0e,
  USE_TIMESTAMP: 0x0f,
  USE_EXTENDED_HEADER: 0x10,
  SET_DEFAULT_LOG_LEVEL: 0x11,
  SET_DEFAULT_TRACE_STATUS: 0x12,
  GET_SOFTWARE_VERSION: 0x13,
  MESSAGE_BUFFER_OVERFLOW: 0x14,
  UNREGISTER_CONTEXT: 0xf01,
  CONNECTION_INFO: 0xf02,
  TIMEZONE: 0xf03,
  MARKER: 0xf04,
  OFFLINE_LOGSTORAGE: 0xf05,
  PASSIVE_NODE_CONNECT: 0xf06,
  PASSIVE_NODE_CONNECTION_STATUS: 0xf07,
  SET_ALL_LOG_LEVEL: 0xf08,
  SET_ALL_TRACE_STATUS: 0xf09,
} as const;

/** Control response status, the first payload byte after the service id. */
export const DltServiceStatus = {
  OK: 0, NOT_SUPPORTED: 1, ERROR: 2, PERM_DENIED: 3, WARNING: 4, NO_MATCHING_CONTEXT_ID: 8,
} as const;

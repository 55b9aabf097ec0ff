/**
 * DLT (COVESA/AUTOSAR Diagnostic Log and Trace) protocol version 1: our own codec.
 *
 *   encodeMessage / encodeMessages        DltMessage → bytes identical to libdlt's
 *   encodeVerbosePayload / decode…        verbose arguments ↔ bytes, both byte orders
 *   DltParser                             fast reader over a buffer or chunks, with damage stats
 *   renderPayload / renderConvertLine     text exactly as `dlt-convert -a` prints it
 */
export type {
  DltArg, DltArrayArg, DltBigIntArg, DltBoolArg, DltExtendedHeader, DltFixedPoint, DltFloatArg,
  DltFloatBytesArg, DltIntArg, DltIntCoding, DltMessage, DltRawArg, DltSmallIntArg,
  DltStorageHeader, DltStringArg, DltStructArg, DltTraceInfoArg, DltVarInfo,
} from './types.js';
export {
  DltControlType, DltLogLevel, DltNwTraceType, DltServiceId, DltServiceStatus, DltTraceType,
  DltType, MESSAGE_SIZE_MAX, STORAGE_HEADER_SIZE,
} from './protocol.js';
export { encodeVerbosePayload } from './verbose-encode.js';
export { decodeVerbosePayload, type DltVerboseDecodeResult } from './verbose-decode.js';
export {
  controlPayload, encodeMessage, encodeMessages, nonVerbosePayload, type DltEncodeOptions,
} from './message-encode.js';
export { DltFrame } from './frame.js';
export {
  DltParser, type DltFraming, type DltParserOptions, type DltParseStats,
} from './parser.js';
export { parseMessage, parseMessages, type DltParseResult } from './parse-messages.js';
export { decodeControlPayload, type DltControlPayload } from './control.js';
export { controlServiceName, controlStatusName } from './render-payload.js';
export {
  messageSubtypeName, messageTypeName, renderConvertFields, renderConvertLine, renderPayload,
  type DltConvertFields, type DltRenderOptions,
} from './render-line.js';
export { printfG } from './printf-g.js';

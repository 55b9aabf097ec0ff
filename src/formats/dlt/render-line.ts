/**
 * The whole line `dlt-convert -a` prints for a message (dlt-convert.c main, dlt_common.c
 * dlt_message_header_flags), split into fields so tests can compare field by field:
 *
 *   <index> <YYYY/MM/DD HH:MM:SS.uuuuuu> <timestamp %10u | ----------> <counter %.3d> <ecu>
 *     <apid> <ctid> <type> <subtype> <V|N> <noar> [<payload>]
 *
 * Ids print as 4 characters padded with '-' ("----" when absent); without an extended header
 * the type fields read "--- --- N -". The time is the storage header's, in UTC here (run
 * dlt-convert with TZ=UTC to compare) unless an offset is given.
 * (libdlt 2.18.8's dlt-convert always prints a payload, if need be an empty or partial one.)
 */
import { encodeVerbosePayload } from './verbose-encode.js';
import { DltFrame } from './frame.js';
import { DltType } from './protocol.js';
import { renderPayloadBytes, type DltPayloadContext } from './render-payload.js';
import type { DltMessage } from './types.js';

/** dlt_common.c message_type, log_info, trace_type, nw_trace_type, control_type. */
const TYPE_NAMES = ['log', 'app_trace', 'nw_trace', 'control', '', '', '', ''];
const SUBTYPE_NAMES: Record<number, readonly string[]> = {
  [DltType.LOG]: ['', 'fatal', 'error', 'warn', 'info', 'debug', 'verbose'],
  [DltType.APP_TRACE]: ['', 'variable', 'func_in', 'func_out', 'state', 'vfb'],
  [DltType.NW_TRACE]: ['', 'ipc', 'can', 'flexray', 'most', 'vfb'],
  [DltType.CONTROL]: ['', 'request', 'response', 'time'],
};

/** dlt-convert's name of a message type ("" for the reserved 4-7). */
export function messageTypeName(type: number): string {
  return TYPE_NAMES[type] ?? '';
}

/** dlt-convert's name of a subtype ("" where it has none, e.g. nw_trace 6). */
export function messageSubtypeName(type: number, subtype: number): string {
  return SUBTYPE_NAMES[type]?.[subtype] ?? '';
}

/** The fields of a `dlt-convert -a` line, each as printed. */
export interface DltConvertFields {
  /** "YYYY/MM/DD HH:MM:SS.uuuuuu" */
  time: string;
  /** "%10u" of the timestamp, or "----------" */
  timestamp: string;
  /** "%.3d" of the counter */
  counter: string;
  ecu: string;
  apid: string;
  ctid: string;
  /** "log" …, "---" without extended header */
  type: string;
  /** "info" …, "---" without extended header */
  subtype: string;
  /** "V" or "N" */
  mode: string;
  /** "%d" of noar, "-" without extended header */
  noar: string;
  /** between the brackets */
  payload: string;
}

export interface DltRenderOptions {
  /** added to the storage time before formatting; dlt-convert uses the local time zone */
  utcOffsetSeconds?: number;
}

/** Everything the line needs, from a DltMessage or a parser frame. */
interface LineSource extends DltPayloadContext {
  storage?: { seconds: number; microseconds: number; ecu: string };
  ecu?: string;
  timestamp?: number;
  counter: number;
  apid?: string;
  ctid?: string;
  payload: Uint8Array;
}

/** The fields of the line dlt-convert -a prints for this message. */
export function renderConvertFields(m: DltMessage | DltFrame, opts: DltRenderOptions = {}): DltConvertFields {
  const s = lineSource(m);
  const ext = s.extended;
  return {
    time: formatStorageTime(s.storage?.seconds ?? 0, s.storage?.microseconds ?? 0, opts.utcOffsetSeconds ?? 0),
    timestamp: s.timestamp === undefined ? '----------' : String(s.timestamp).padStart(10, ' '),
    counter: String(s.counter).padStart(3, '0'),
    ecu: printId(s.ecu ?? s.storage?.ecu ?? ''),
    apid: ext !== undefined && s.apid !== '' ? printId(s.apid ?? '') : '----',
    ctid: ext !== undefined && s.ctid !== '' ? printId(s.ctid ?? '') : '----',
    type: ext === undefined ? '---' : messageTypeName(ext.type),
    subtype: ext === undefined ? '---' : messageSubtypeName(ext.type, ext.subtype),
    mode: ext?.verbose === true ? 'V' : 'N',
    noar: ext === undefined ? '-' : String(ext.noar),
    payload: renderPayloadBytes(s.payload, s),
  };
}

/** The payload text as dlt-convert -a prints it between the brackets. */
export function renderPayload(m: DltMessage | DltFrame): string {
  const s = lineSource(m);
  return renderPayloadBytes(s.payload, s);
}

/** The exact line `dlt-convert -a` writes for the message at `index`, with its "\n". */
export function renderConvertLine(m: DltMessage | DltFrame, index: number, opts: DltRenderOptions = {}): string {
  const f = renderConvertFields(m, opts);
  const header = `${index} ${f.time} ${f.timestamp} ${f.counter} ${f.ecu} ${f.apid} ${f.ctid} ` +
    `${f.type} ${f.subtype} ${f.mode} ${f.noar} `;
  return `${header}[${f.payload}]\n`;
}

function lineSource(m: DltMessage | DltFrame): LineSource {
  if (m instanceof DltFrame) {
    return {
      storage: m.hasStorageHeader
        ? { seconds: m.storageSeconds, microseconds: m.storageMicroseconds, ecu: m.storageEcu! }
        : undefined,
      ecu: m.ecu,
      timestamp: m.timestamp < 0 ? undefined : m.timestamp,
      counter: m.counter,
      bigEndian: m.bigEndian,
      extended: m.msin < 0 ? undefined
        : { verbose: m.verbose, type: m.type, subtype: m.subtype, noar: m.noar },
      apid: m.apid,
      ctid: m.ctid,
      payload: m.payload(),
    };
  }
  return {
    ...m,
    apid: m.extended?.apid,
    ctid: m.extended?.ctid,
    payload: m.args !== undefined ? encodeVerbosePayload(m.args, m.bigEndian) : m.payload,
  };
}

/** dlt_print_id: 4 characters, the id up to its first NUL, padded with '-'. */
function printId(id: string): string {
  const cut = id.indexOf('\0');
  return (cut === -1 ? id : id.slice(0, cut)).slice(0, 4).padEnd(4, '-');
}

/** Consecutive messages share their second: the date text is cached for the last one. */
let lastSecondsKey = NaN;
let lastSecondsText = '';

/** strftime("%Y/%m/%d %H:%M:%S") of the seconds, then ".%.6d" of the microseconds (an int32). */
function formatStorageTime(seconds: number, microseconds: number, utcOffsetSeconds: number): string {
  const key = seconds + utcOffsetSeconds;
  if (key !== lastSecondsKey) {
    const d = new Date(key * 1000);
    const two = (n: number): string => String(n).padStart(2, '0');
    lastSecondsText = `${d.getUTCFullYear()}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCDate())} ` +
      `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
    lastSecondsKey = key;
  }
  const micros = microseconds | 0;
  const microText = micros < 0 ? `-${String(-micros).padStart(6, '0')}` : String(micros).padStart(6, '0');
  return `${lastSecondsText}.${microText}`;
}

/**
 * DltFrame: one parsed message as numbers and offsets into the parser's buffer. The parser
 * reuses a single frame for every message (no allocation per message on the hot path); strings,
 * arguments and DltMessage objects are made only when asked for.
 */
import { idKey, readId, readU32 } from './bytes.js';
import {
  DltType, HTYP_MSBF, HTYP_UEH, HTYP_WEID, HTYP_WSID, HTYP_WTMS, MSIN_MSTP_MASK,
  MSIN_MSTP_SHIFT, MSIN_MTIN_MASK, MSIN_MTIN_SHIFT, MSIN_VERB, STANDARD_HEADER_SIZE,
  STORAGE_HEADER_SIZE,
} from './protocol.js';
import type { DltMessage } from './types.js';
import { decodeVerbosePayload } from './verbose-decode.js';

/**
 * Ids repeat (a trace has a handful of ECUs, apps and contexts), so their strings are cached by
 * their 4 bytes as a u32. Bounded: cleared when full, so hostile input cannot grow it.
 */
const ID_CACHE_SIZE_MAX = 4096;
const idCache = new Map<number, string>();

/** The id at `offset` as a string, from the cache when seen before. */
export function cachedId(bytes: Uint8Array, offset: number): string {
  const key = idKey(bytes, offset);
  let id = idCache.get(key);
  if (id === undefined) {
    if (idCache.size >= ID_CACHE_SIZE_MAX) idCache.clear();
    id = readId(bytes, offset);
    idCache.set(key, id);
  }
  return id;
}

export class DltFrame {
  /** the buffer holding the message; valid until the parser is given more input */
  bytes: Uint8Array = new Uint8Array(0);
  /** where the message starts in `bytes` (its storage header, if it has one) */
  offset = 0;
  /** bytes of the message including the storage header */
  size = 0;
  /** whether a storage header precedes the standard header */
  hasStorageHeader = false;
  storageSeconds = 0;
  storageMicroseconds = 0;
  /** offset of the standard header in `bytes` */
  headerOffset = 0;
  htyp = 0;
  counter = 0;
  /** the standard header's length field: bytes from the standard header to the end */
  length = 0;
  /** -1 when absent (no WSID) */
  sessionId = -1;
  /** 0.1 ms units; -1 when absent (no WTMS) */
  timestamp = -1;
  /** -1 when there is no extended header */
  msin = -1;
  noar = 0;
  /** offset of the payload in `bytes` */
  payloadOffset = 0;
  payloadLength = 0;
  /** true when `bytes` is the caller's buffer (views stay valid), false for a parser's own */
  bytesAreCallers = true;

  get bigEndian(): boolean {
    return (this.htyp & HTYP_MSBF) !== 0;
  }

  get hasExtendedHeader(): boolean {
    return (this.htyp & HTYP_UEH) !== 0;
  }

  get verbose(): boolean {
    return this.msin >= 0 && (this.msin & MSIN_VERB) !== 0;
  }

  /** message type (DltType), -1 without extended header */
  get type(): number {
    return this.msin < 0 ? -1 : (this.msin & MSIN_MSTP_MASK) >> MSIN_MSTP_SHIFT;
  }

  /** subtype (log level …), -1 without extended header */
  get subtype(): number {
    return this.msin < 0 ? -1 : (this.msin & MSIN_MTIN_MASK) >> MSIN_MTIN_SHIFT;
  }

  /** ECU id of the standard header (WEID), else undefined */
  get ecu(): string | undefined {
    return (this.htyp & HTYP_WEID) !== 0
      ? cachedId(this.bytes, this.headerOffset + STANDARD_HEADER_SIZE) : undefined;
  }

  /** ECU id of the storage header, else undefined */
  get storageEcu(): string | undefined {
    return this.hasStorageHeader ? cachedId(this.bytes, this.offset + 12) : undefined;
  }

  /** the ECU id dlt-convert shows: the header's if WEID, else the storage header's */
  get displayEcu(): string {
    return this.ecu ?? this.storageEcu ?? '';
  }

  get apid(): string | undefined {
    return this.msin < 0 ? undefined : cachedId(this.bytes, this.payloadOffset - 8);
  }

  get ctid(): string | undefined {
    return this.msin < 0 ? undefined : cachedId(this.bytes, this.payloadOffset - 4);
  }

  /** the payload as a view into `bytes` (valid as long as `bytes` is) */
  payload(): Uint8Array {
    return this.bytes.subarray(this.payloadOffset, this.payloadOffset + this.payloadLength);
  }

  /** the whole message, storage header included, as a view into `bytes` */
  messageBytes(): Uint8Array {
    return this.bytes.subarray(this.offset, this.offset + this.size);
  }

  /**
   * Materialises the message. Payload (and raw arguments) are views of the caller's buffer when
   * the parser was given one buffer, copies when it assembled the input from chunks.
   */
  toMessage(): DltMessage {
    const payload = this.bytesAreCallers ? this.payload() : this.payload().slice();
    const m: DltMessage = { counter: this.counter, bigEndian: this.bigEndian, payload };
    if (this.hasStorageHeader) {
      m.storage = {
        seconds: this.storageSeconds, microseconds: this.storageMicroseconds, ecu: this.storageEcu!,
      };
    }
    if ((this.htyp & HTYP_WEID) !== 0) m.ecu = this.ecu!;
    if ((this.htyp & HTYP_WSID) !== 0) m.sessionId = this.sessionId;
    if ((this.htyp & HTYP_WTMS) !== 0) m.timestamp = this.timestamp;
    if (this.msin >= 0) {
      m.extended = {
        verbose: this.verbose, type: this.type, subtype: this.subtype,
        apid: this.apid!, ctid: this.ctid!, noar: this.noar,
      };
    }
    if (this.verbose) {
      const decoded = decodeVerbosePayload(payload, this.noar, this.bigEndian);
      if (decoded.error === undefined) m.args = decoded.args;
    } else if (payload.length >= 4) {
      m.messageId = readU32(payload, 0, this.bigEndian);
    }
    return m;
  }

  /** true for control messages (type 3 with an extended header) */
  get isControl(): boolean {
    return this.type === DltType.CONTROL;
  }

  /** Fills the header fields from the standard header at `h`; the parser checked the bounds. */
  readHeaders(h: number): void {
    const b = this.bytes;
    const htyp = b[h]!;
    this.headerOffset = h;
    this.htyp = htyp;
    this.counter = b[h + 1]!;
    this.length = (b[h + 2]! << 8) | b[h + 3]!;
    let p = h + STANDARD_HEADER_SIZE + ((htyp & HTYP_WEID) !== 0 ? 4 : 0);
    if ((htyp & HTYP_WSID) !== 0) {
      this.sessionId = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
      p += 4;
    } else {
      this.sessionId = -1;
    }
    if ((htyp & HTYP_WTMS) !== 0) {
      this.timestamp = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
      p += 4;
    } else {
      this.timestamp = -1;
    }
    if ((htyp & HTYP_UEH) !== 0) {
      this.msin = b[p]!;
      this.noar = b[p + 1]!;
      p += 10;
    } else {
      this.msin = -1;
      this.noar = 0;
    }
    this.payloadOffset = p;
    this.payloadLength = h + this.length - p;
  }

  /** Fills the storage-header fields from the storage header at `s`. */
  readStorageHeader(s: number): void {
    const b = this.bytes;
    this.hasStorageHeader = true;
    this.storageSeconds = (b[s + 4]! | (b[s + 5]! << 8) | (b[s + 6]! << 16) | (b[s + 7]! << 24)) >>> 0;
    this.storageMicroseconds = (b[s + 8]! | (b[s + 9]! << 8) | (b[s + 10]! << 16) |
      (b[s + 11]! << 24)) >>> 0;
    this.headerOffset = s + STORAGE_HEADER_SIZE;
  }
}

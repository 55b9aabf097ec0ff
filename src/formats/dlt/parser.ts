/**
 * DltParser: the hot path for importing DLT data. Reads messages from one buffer, or from
 * chunks (keeping a partial message between them), and yields one reused DltFrame per message.
 *
 * Framing:
 *   'storage'  DLT files: every message starts with a 16-byte storage header "DLT\x01" …
 *   'stream'   what dlt-daemon sends to a TCP client such as dlt-receive: standard headers
 *              back to back (an optional "DLS\x01" serial header before each is skipped)
 *
 * Damage (never thrown, counted in `stats`): a message is accepted when its header is plausible
 * (protocol version 1, a length that covers its own headers) and it fits. If the bytes after it
 * do not start another message, its length may lie: then it is rejected when a storage marker
 * lies inside its claimed extent (length too long), or when it is verbose and its arguments do
 * not fill its payload exactly (length too short). Rejected and unparseable bytes are skipped
 * up to the next storage marker ('storage') or the next plausible header ('stream').
 * Known limit: a lying length that happens to end exactly on a later message's start cannot be
 * told from an intact message, and swallows the messages in between.
 *
 * Progress: every iteration of the loop in next() either returns a message, or moves `pos`
 * forward by at least one byte, or returns null; `pos` never moves back. So next() ends.
 */
import { DltFrame } from './frame.js';
import {
  headerSize, HTYP_UEH, HTYP_VERSION_SHIFT, MSIN_VERB, PROTOCOL_VERSION, STORAGE_HEADER_SIZE,
} from './protocol.js';
import { verbosePayloadSize } from './verbose-size.js';

export type DltFraming = 'storage' | 'stream';

export interface DltParserOptions {
  framing: DltFraming;
  /**
   * Streaming: the buffer push() and fill() use, instead of one the parser grows. It never
   * grows: kept bytes + a chunk must fit (a chunk + PUSH_HEADROOM always does). The import's
   * WASM kernel (kernel.ts) gives its input region, so the rows it reads are where fill() put them.
   */
  buffer?: Uint8Array;
}

/** What the parser met; the caller reports it (e.g. "3 damaged messages, 120 bytes skipped"). */
export interface DltParseStats {
  /** messages yielded */
  messages: number;
  /** input bytes that were not part of a yielded message (garbage, damaged messages, tails) */
  skippedBytes: number;
  /** message starts that were found but rejected (bad header, lying length, truncated) */
  damagedMessages: number;
}

const MARKER_0 = 0x44; // 'D'
const MARKER_1 = 0x4c; // 'L'
const MARKER_2 = 0x54; // 'T'  ('S' for the serial header)
const MARKER_3 = 0x01;
const SERIAL_2 = 0x53;
const MIN_STORAGE_MESSAGE = STORAGE_HEADER_SIZE + 4;
/** Bytes kept back by a streaming parser when it skips: a marker may straddle two chunks. */
const MARKER_OVERLAP = 3;
/**
 * Extra room when the streaming buffer grows: what a chunk can leave behind (a partial message,
 * at most 16 + 65535 bytes, and the 4 bytes of the next marker) fits without growing again.
 */
export const PUSH_HEADROOM = 80 * 1024;

/** headerSize() of the low five HTYP bits (the ones that add headers) */
const HEADER_SIZE = Uint8Array.from({ length: 32 }, (_, htyp) => headerSize(htyp));

export class DltParser {
  readonly stats: DltParseStats = { messages: 0, skippedBytes: 0, damagedMessages: 0 };
  readonly framing: DltFraming;
  private readonly frame = new DltFrame();
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private end = 0;
  /** no more input will come: decide on the tail instead of waiting */
  private final = true;
  private streaming = false;
  /** `buf` is the parser's own (reusable), not the caller's buffer from over() */
  private ownsBuffer = false;
  /** `buf` is the caller's fixed buffer (option `buffer`): never replaced */
  private readonly fixedBuffer: boolean;
  /** 'stream' framing: false after a loss of sync until a message is accepted again */
  private inSync = true;
  private readonly isStorage: boolean;

  constructor(opts: DltParserOptions) {
    this.framing = opts.framing;
    this.isStorage = opts.framing === 'storage';
    this.fixedBuffer = opts.buffer !== undefined;
    if (opts.buffer !== undefined) {
      this.buf = opts.buffer;
      this.ownsBuffer = true;
    }
  }

  /** Parses a complete buffer: frames are views into it, valid as long as it is. */
  static over(bytes: Uint8Array, opts: DltParserOptions): DltParser {
    const parser = new DltParser(opts);
    parser.buf = bytes;
    parser.end = bytes.length;
    parser.frame.bytesAreCallers = true;
    return parser;
  }

  /**
   * Streaming: appends a chunk. Call next() until it returns null before pushing again; frames
   * returned before a push are invalid after it.
   */
  push(chunk: Uint8Array): void {
    const kept = this.makeRoom(chunk.length);
    this.buf.set(chunk, kept);
    this.end = kept + chunk.length;
  }

  /**
   * Moves the unparsed tail to the front of the parser's own buffer, growing it when `extra`
   * more bytes would not fit; returns the tail's length (where new bytes go).
   */
  private makeRoom(extra: number): number {
    if (!this.streaming) this.startStreaming();
    const kept = this.end - this.pos;
    const needed = kept + extra;
    if (this.ownsBuffer && this.buf.length >= needed) {
      // frames from before this push are invalid by contract, so the buffer is reused: a long
      // import allocates nothing per chunk
      this.buf.copyWithin(0, this.pos, this.end);
    } else {
      this.assertMayGrow(needed);
      const grown = new Uint8Array(needed + PUSH_HEADROOM);
      grown.set(this.buf.subarray(this.pos, this.end), 0);
      this.buf = grown;
      this.ownsBuffer = true;
    }
    this.pos = 0;
    this.end = kept;
    this.frame.bytesAreCallers = false;
    return kept;
  }

  /**
   * Streaming without the copy of push(): `read(into, at, max)` puts up to `max` bytes into
   * the parser's own buffer at `at` (e.g. fs.readSync from a file) and returns how many; 0
   * means the end of the input, and finish() is implied. Returns the bytes read. The same
   * contract as push(): frames returned before are invalid after.
   */
  fill(read: (into: Uint8Array, at: number, max: number) => number, chunkBytes: number): number {
    const kept = this.makeRoom(chunkBytes);
    const n = read(this.buf, kept, chunkBytes);
    if (n < 0 || n > chunkBytes) throw new Error(`assert: read returned ${n} of at most ${chunkBytes} bytes`);
    this.end = kept + n;
    if (n === 0) this.finish();
    return n;
  }

  private assertMayGrow(needed: number): void {
    if (this.fixedBuffer) {
      throw new Error(`assert: DltParser's fixed buffer (${this.buf.length} B) cannot take ${needed} B`);
    }
  }

  /** Streaming: no more chunks will come; next() now settles the partial message, if any. */
  finish(): void {
    this.final = true;
  }

  private startStreaming(): void {
    this.streaming = true;
    this.final = false;
  }

  /** Bytes held back waiting for more input (a partial message). */
  get pendingBytes(): number {
    return this.end - this.pos;
  }

  /** Where the next message is looked for in the buffer (streaming: the buffer given as option). */
  get position(): number {
    return this.pos;
  }

  /** The end of the input in the buffer. */
  get limit(): number {
    return this.end;
  }

  /** No more input comes after `limit`. */
  get atFinalInput(): boolean {
    return this.final;
  }

  /**
   * Moves past `count` messages that someone else framed in [position, to) exactly as next()
   * would have accepted them (the import kernel's fast path, assembly/dlt/frame.ts): the stats
   * come out as if next() had returned them. The frame is not updated.
   */
  skipFramed(to: number, count: number): void {
    if (!this.isStorage || to < this.pos || to > this.end || count < 0 || (count === 0) !== (to === this.pos)) {
      throw new Error(`assert: skipFramed(${to}, ${count}) from ${this.pos} in [0, ${this.end})`);
    }
    this.pos = to;
    this.stats.messages += count;
  }

  /** Every remaining message, as a generator over the reused frame. */
  *frames(): Generator<DltFrame> {
    for (let f = this.next(); f !== null; f = this.next()) yield f;
  }

  /** The next message, or null when the input is used up (or, streaming, needs more). */
  next(): DltFrame | null {
    return this.isStorage ? this.nextStorage() : this.nextStream();
  }

  private nextStorage(): DltFrame | null {
    const b = this.buf;
    for (;;) {
      const pos = this.pos;
      const avail = this.end - pos;
      if (avail < 4) return this.tail(false);
      if (b[pos] !== MARKER_0 || b[pos + 1] !== MARKER_1 || b[pos + 2] !== MARKER_2 ||
        b[pos + 3] !== MARKER_3) {
        this.skipToMarker(pos + 1);
        if (this.pos === pos) return null; // streaming: waiting for the rest of a marker
        continue;
      }
      if (avail < MIN_STORAGE_MESSAGE) return this.tail(true);
      const h = pos + STORAGE_HEADER_SIZE;
      const htyp = b[h]!;
      const length = (b[h + 2]! << 8) | b[h + 3]!;
      if (!plausibleHeader(htyp, length)) {
        this.reject(pos + 1);
        continue;
      }
      const e = h + length;
      if (!this.final && e + 4 > this.end) return null; // need the message and the next marker
      if (e <= this.end && (e === this.end || (e + 4 <= this.end && isMarkerAt(b, e)))) {
        return this.accept(pos, e);
      }
      const inside = findMarker(b, pos + 4, this.end);
      if (inside !== -1 && inside < e) {
        this.reject(inside); // the length runs over the next message: it lies
        continue;
      }
      if (e > this.end) return this.tail(true); // truncated last message
      if (!this.payloadFits(h, htyp, e)) {
        this.reject(pos + 1); // the length is too short for the arguments: it lies
        continue;
      }
      return this.accept(pos, e); // intact; what follows is garbage, skipped next time
    }
  }

  private nextStream(): DltFrame | null {
    const b = this.buf;
    for (;;) {
      const pos = this.pos;
      const avail = this.end - pos;
      if (avail < 4) return this.tail(false);
      if (b[pos] === MARKER_0 && b[pos + 1] === MARKER_1 && b[pos + 2] === SERIAL_2 &&
        b[pos + 3] === MARKER_3) {
        this.pos = pos + 4; // serial header: framing, not data
        continue;
      }
      const htyp = b[pos]!;
      const length = (b[pos + 2]! << 8) | b[pos + 3]!;
      if (!plausibleHeader(htyp, length)) {
        this.loseSync(pos + 1);
        continue;
      }
      const e = pos + length;
      if (!this.final && e + 4 > this.end) return null;
      if (e > this.end) return this.tail(true);
      const atBoundary = e === this.end || (e + 4 <= this.end && this.plausibleStreamStart(e));
      if (atBoundary || (this.inSync && this.payloadFits(pos, htyp, e))) {
        this.inSync = true;
        return this.accept(pos, e);
      }
      this.loseSync(pos + 1);
    }
  }

  private plausibleStreamStart(at: number): boolean {
    const b = this.buf;
    if (b[at] === MARKER_0 && b[at + 1] === MARKER_1 && b[at + 2] === SERIAL_2 && b[at + 3] === MARKER_3) {
      return true;
    }
    return plausibleHeader(b[at]!, (b[at + 2]! << 8) | b[at + 3]!);
  }

  /** Verbose messages can be checked: their arguments must fill the payload exactly. */
  private payloadFits(h: number, htyp: number, e: number): boolean {
    if ((htyp & HTYP_UEH) === 0) return true;
    const payloadStart = h + headerSize(htyp);
    const msin = this.buf[payloadStart - 10]!;
    if ((msin & MSIN_VERB) === 0) return true;
    const noar = this.buf[payloadStart - 9]!;
    const bigEndian = (htyp & 0x02) !== 0;
    return verbosePayloadSize(this.buf, payloadStart, e, noar, bigEndian) === e - payloadStart;
  }

  private accept(start: number, e: number): DltFrame {
    const f = this.frame;
    f.bytes = this.buf;
    f.offset = start;
    f.size = e - start;
    if (this.isStorage) {
      f.readStorageHeader(start);
      f.readHeaders(start + STORAGE_HEADER_SIZE);
    } else {
      f.hasStorageHeader = false;
      f.readHeaders(start);
    }
    this.pos = e;
    this.stats.messages++;
    return f;
  }

  /** A message start that is not a message: count it and skip to `resumeAt`'s next marker. */
  private reject(resumeAt: number): void {
    this.stats.damagedMessages++;
    const before = this.pos;
    this.skipToMarker(resumeAt);
    if (this.pos === before) {
      // streaming and no marker yet: drop the rejected start's first byte at least
      this.stats.skippedBytes++;
      this.pos = before + 1;
    }
  }

  private loseSync(resumeAt: number): void {
    if (this.inSync) this.stats.damagedMessages++;
    this.inSync = false;
    this.stats.skippedBytes += resumeAt - this.pos;
    this.pos = resumeAt;
  }

  /** Moves `pos` to the next storage marker at or after `from`, counting the skipped bytes. */
  private skipToMarker(from: number): void {
    const found = findMarker(this.buf, from, this.end);
    let to = found;
    if (found === -1) to = this.final ? this.end : Math.max(this.pos, this.end - MARKER_OVERLAP);
    this.stats.skippedBytes += to - this.pos;
    this.pos = to;
  }

  /**
   * Fewer bytes than a message needs. Streaming: wait for more. Final: skip them, and count a
   * damaged message if they start one.
   */
  private tail(startsMessage: boolean): null {
    if (!this.final) return null;
    const rest = this.end - this.pos;
    if (rest > 0) {
      if (startsMessage) this.stats.damagedMessages++;
      this.stats.skippedBytes += rest;
      this.pos = this.end;
    }
    return null;
  }
}

/** Version 1 and a length that at least covers the headers the HTYP announces. */
function plausibleHeader(htyp: number, length: number): boolean {
  return htyp >>> HTYP_VERSION_SHIFT === PROTOCOL_VERSION && length >= HEADER_SIZE[htyp & 0x1f]!;
}

function isMarkerAt(b: Uint8Array, at: number): boolean {
  return b[at] === MARKER_0 && b[at + 1] === MARKER_1 && b[at + 2] === MARKER_2 && b[at + 3] === MARKER_3;
}

/** Offset of the first "DLT\x01" starting in [from, end - 4], or -1. */
export function findMarker(b: Uint8Array, from: number, end: number): number {
  let at = from;
  for (;;) {
    at = b.indexOf(MARKER_0, at);
    if (at === -1 || at + 4 > end) return -1;
    if (b[at + 1] === MARKER_1 && b[at + 2] === MARKER_2 && b[at + 3] === MARKER_3) return at;
    at++;
  }
}

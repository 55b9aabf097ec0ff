/**
 * Raw DLT streams into the storage-file import. A raw stream is what dlt-daemon sends a TCP
 * client (captured with nc, say) and what `record --dlt-port` serves: standard
 * headers back to back (an optional "DLS\x01" serial header before each), no storage header.
 * The import reads storage-framed bytes (one parser rule, one WASM kernel), so this reader
 * frames the stream (DltParser 'stream') and hands each message on behind a storage header it
 * writes, as dlt-receive -o does when it stores what it receives:
 *
 *   storage time   the stream holds no receive times, so they come from the file order: the
 *                  i-th message (from 0) is stored at `startUs` + i µs (distinct and rising, so
 *                  ts_ns keeps the order, and a merge with other files sorts by it)
 *   storage ECU    the message's ECU id (WEID), else "RECV", dlt-receive's default ECU id for
 *                  the storage header (DLT_RECEIVE_ECU_ID in dlt-receive.c)
 *
 * Damage (garbage, lying lengths) is the stream parser's: counted in `stats`, never thrown.
 */
import type { DltFrame } from './frame.js';
import { DltParser, type DltParseStats } from './parser.js';
import {
  HTYP_WEID, ID_SIZE, MESSAGE_SIZE_MAX, STANDARD_HEADER_SIZE, STORAGE_HEADER_SIZE, STORAGE_MARKER,
} from './protocol.js';
import { writeId } from './bytes.js';

export type ReadInto = (into: Uint8Array, at: number, max: number) => number;

/** dlt-receive's storage ECU id for messages without their own (dlt-receive.c). */
export const RAW_STORAGE_ECU_DEFAULT = 'RECV';
/** Storage header seconds are a u32 (protocol.ts): the latest start the header can carry. */
export const RAW_START_US_MAX = (2 ** 32 - 1) * 1e6;

export class RawStreamReader {
  private readonly parser = new DltParser({ framing: 'stream' });
  /** storage-framed bytes made and not yet read: [outStart, outEnd) */
  private readonly out: Uint8Array;
  private outStart = 0;
  private outEnd = 0;
  private index = 0;
  private ended = false;
  /** raw bytes read from the input */
  bytesRead = 0;

  constructor(
    private readonly readRaw: ReadInto,
    private readonly startUs: number,
    private readonly chunkBytes: number,
  ) {
    if (!Number.isSafeInteger(startUs) || startUs < 0 || startUs > RAW_START_US_MAX) {
      throw new Error(`raw start must be whole µs from 0 to ${RAW_START_US_MAX}, got ${startUs}`);
    }
    // what is kept (< one read's max ≤ chunkBytes) plus the largest message with its header
    this.out = new Uint8Array(chunkBytes + STORAGE_HEADER_SIZE + MESSAGE_SIZE_MAX);
  }

  /** Damage in the raw stream (messages here are the stream's; the import counts its own). */
  get stats(): DltParseStats {
    return this.parser.stats;
  }

  /** The `read` of DltParser.fill(): up to `max` storage-framed bytes at `at`; 0 at the end. */
  read(into: Uint8Array, at: number, max: number): number {
    while (this.outEnd - this.outStart < max && this.produce());
    const n = Math.min(max, this.outEnd - this.outStart);
    into.set(this.out.subarray(this.outStart, this.outStart + n), at);
    this.outStart += n;
    return n;
  }

  /** Appends the next message to `out`, reading more raw bytes as needed; false at the end. */
  private produce(): boolean {
    for (;;) {
      const f = this.parser.next();
      if (f !== null) {
        this.append(f);
        return true;
      }
      if (this.ended) return false;
      const n = this.parser.fill(this.readRaw, this.chunkBytes);
      if (n === 0) this.ended = true;
      else this.bytesRead += n;
    }
  }

  private append(f: DltFrame): void {
    const size = STORAGE_HEADER_SIZE + f.size;
    if (this.outEnd + size > this.out.length) {
      this.out.copyWithin(0, this.outStart, this.outEnd);
      this.outEnd -= this.outStart;
      this.outStart = 0;
    }
    if (this.outEnd + size > this.out.length) throw new Error('assert: raw stream output overflow');
    const o = this.outEnd;
    const us = this.startUs + this.index++;
    const b = this.out;
    b.set(STORAGE_MARKER, o);
    writeLe32(b, o + 4, Math.floor(us / 1e6));
    writeLe32(b, o + 8, us % 1e6);
    if ((f.htyp & HTYP_WEID) !== 0) {
      const ecuAt = f.headerOffset + STANDARD_HEADER_SIZE;
      b.set(f.bytes.subarray(ecuAt, ecuAt + ID_SIZE), o + 12);
    } else {
      writeId(b, o + 12, RAW_STORAGE_ECU_DEFAULT);
    }
    b.set(f.bytes.subarray(f.offset, f.offset + f.size), o + STORAGE_HEADER_SIZE);
    this.outEnd = o + size;
  }
}

function writeLe32(b: Uint8Array, at: number, value: number): void {
  b[at] = value & 0xff;
  b[at + 1] = (value >>> 8) & 0xff;
  b[at + 2] = (value >>> 16) & 0xff;
  b[at + 3] = (value >>> 24) & 0xff;
}

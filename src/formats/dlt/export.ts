/**
 * Export of a trace's `dlt` table as a DLT storage file, in table order, that COVESA's tools
 * read (dlt-convert -a prints every field as it was; dlt-viewer opens it). Each row becomes
 * storage header + standard header + extended header + payload_raw:
 *
 *   storage time   storage_ts_ns (imported logs: the original header's; recorded runs: ts_ns,
 *                  virtual time since the run started, so the file starts at 1970-01-01),
 *                  cut to whole microseconds, the header's resolution
 *   storage ECU    storage_ecu, else ecu
 *   HTYP           htyp as received; recorded rows (htyp NULL) get what the guests send:
 *                  extended header, ECU id, session id when there is one, timestamp, and
 *                  little-endian payloads
 *   timestamp      local_ts_ns / 100 000 (0.1 ms)
 *   MSIN           verbose, type and subtype (the subtype's name, or its number, back to bits)
 *
 * So importing an exported trace gives back every column but `vm` (DLT has no VMs: −1) and
 * the nanoseconds below the microsecond of ts_ns; exporting an imported file gives back the
 * file's bytes (its intact messages, in storage order).
 * Rows that DLT cannot carry (a payload over the 16-bit length) stop the export with an error.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Data, RecordBatch } from 'apache-arrow';
import { Trace } from '../../trace/reader.js';
import { TABLES } from '../../trace/schema.js';
import {
  headerSize, HTYP_UEH, HTYP_VERSION_SHIFT, HTYP_WEID, HTYP_WSID, HTYP_WTMS,
  MESSAGE_SIZE_MAX, MSIN_MSTP_SHIFT, MSIN_MTIN_SHIFT, MSIN_VERB, PROTOCOL_VERSION,
  STORAGE_HEADER_SIZE, STORAGE_MARKER,
} from './protocol.js';
import { messageSubtypeName } from './render-line.js';

export class DltExportError extends Error {
  override readonly name = 'DltExportError';
}

export interface DltExportResult {
  messages: number;
  bytes: number;
}

/** HTYP of a recorded guest message (src/devices/dlt-channel.ts encodes them so). */
function recordedHtyp(hasSession: boolean, hasExtended: boolean): number {
  return (PROTOCOL_VERSION << HTYP_VERSION_SHIFT) | HTYP_WEID | HTYP_WTMS |
    (hasSession ? HTYP_WSID : 0) | (hasExtended ? HTYP_UEH : 0);
}
const WRITE_BUFFER_BYTES = 1 << 20;
const decoder = new TextDecoder();

/** subtype text → MTIN, per message type: the names dlt-convert prints. */
const SUBTYPE_CODES: Array<Map<string, number>> = [0, 1, 2, 3].map((type) => {
  const codes = new Map<string, number>();
  for (let sub = 0; sub < 16; sub++) {
    const name = messageSubtypeName(type, sub);
    if (name !== '' && !codes.has(name)) codes.set(name, sub);
  }
  return codes;
});

/** Writes the `dlt` table of the trace at `traceDir` to `outPath` (via a temporary file). */
/** `onMessages` is called after each batch with the messages written so far (progress). */
export function exportDltFile(traceDir: string, outPath: string, onMessages?: (messages: number) => void): DltExportResult {
  const trace = Trace.open(traceDir);
  const temp = `${outPath}.tmp-${process.pid}`;
  const out = new FileOut(temp);
  let messages = 0;
  try {
    for (const batch of trace.batches('dlt')) {
      messages += writeBatch(out, batch, messages);
      onMessages?.(messages);
    }
    out.close();
    renameSync(temp, outPath);
  } catch (error) {
    out.abandon();
    rmSync(temp, { force: true });
    throw error;
  }
  return { messages, bytes: out.bytes };
}

/** Buffered, synchronous file output. */
class FileOut {
  private readonly fd: number;
  readonly buf = new Uint8Array(WRITE_BUFFER_BYTES);
  used = 0;
  bytes = 0;
  private open = true;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
  }
  /** Room for `size` bytes at `used` (a message is at most 16 + 65535 bytes). */
  reserve(size: number): void {
    if (this.used + size > this.buf.length) this.flush();
  }
  flush(): void {
    let at = 0;
    while (at < this.used) at += writeSync(this.fd, this.buf, at, this.used - at);
    this.bytes += this.used;
    this.used = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
    this.open = false;
  }
  abandon(): void {
    if (this.open) closeSync(this.fd);
    this.open = false;
  }
}

/** The batch's columns by name, as Arrow Data (one chunk per column in a read batch). */
function columns(batch: RecordBatch): Record<string, Data> {
  const out: Record<string, Data> = {};
  TABLES.dlt.columns.forEach((c, k) => {
    out[c.name] = batch.data.children[k]!;
  });
  return out;
}

function writeBatch(out: FileOut, batch: RecordBatch, rowBase: number): number {
  const c = columns(batch);
  const at = (d: Data, i: number) => d.offset + i;
  const int = (d: Data, i: number): number => (d.values as Int16Array | Int32Array | Int8Array)[at(d, i)]!;
  const big = (d: Data, i: number): bigint => (d.values as BigInt64Array)[at(d, i)]!;
  for (let i = 0; i < batch.numRows; i++) {
    const payload = bytesAt(c.payload_raw!, i);
    const typeValid = c.type!.getValid(i);
    const subtypeValid = c.subtype!.getValid(i);
    const htyp = c.htyp!.getValid(i) ? int(c.htyp!, i) & 0xff
      : recordedHtyp(c.session_id!.getValid(i), typeValid || subtypeValid);
    const length = headerSize(htyp) + payload.length;
    if (length > MESSAGE_SIZE_MAX) {
      throw new DltExportError(`dlt row ${rowBase + i}: a ${payload.length}-byte payload does not fit a DLT message (65535 bytes at most)`);
    }
    out.reserve(STORAGE_HEADER_SIZE + length);
    const b = out.buf;
    let o = out.used;
    const storageNs = c.storage_ts_ns!.getValid(i) ? big(c.storage_ts_ns!, i) : big(c.ts_ns!, i);
    const ecuBytes = bytesAt(c.ecu!, i);
    b.set(STORAGE_MARKER, o);
    writeLe32(b, o + 4, Number(floorDiv(storageNs, 1_000_000_000n)));
    writeLe32(b, o + 8, Number(floorMod(storageNs, 1_000_000_000n) / 1000n));
    writeIdBytes(b, o + 12, c.storage_ecu!.getValid(i) ? bytesAt(c.storage_ecu!, i) : ecuBytes);
    o += STORAGE_HEADER_SIZE;
    b[o] = htyp;
    b[o + 1] = int(c.msg_counter!, i) & 0xff;
    b[o + 2] = length >> 8;
    b[o + 3] = length & 0xff;
    o += 4;
    if ((htyp & HTYP_WEID) !== 0) {
      writeIdBytes(b, o, ecuBytes);
      o += 4;
    }
    if ((htyp & HTYP_WSID) !== 0) {
      writeBe32(b, o, c.session_id!.getValid(i) ? int(c.session_id!, i) : 0);
      o += 4;
    }
    if ((htyp & HTYP_WTMS) !== 0) {
      writeBe32(b, o, Number(floorDiv(big(c.local_ts_ns!, i), 100_000n) & 0xffff_ffffn));
      o += 4;
    }
    if ((htyp & HTYP_UEH) !== 0) {
      b[o] = msin(c, i, typeValid ? int(c.type!, i) : -1, rowBase + i);
      b[o + 1] = int(c.noar!, i) & 0xff;
      writeIdBytes(b, o + 2, c.apid!.getValid(i) ? bytesAt(c.apid!, i) : EMPTY);
      writeIdBytes(b, o + 6, c.ctid!.getValid(i) ? bytesAt(c.ctid!, i) : EMPTY);
      o += 10;
    }
    b.set(payload, o);
    out.used = o + payload.length;
  }
  return batch.numRows;
}

const EMPTY = new Uint8Array(0);

/** MSIN from the verbose flag, the type and the subtype text (name, number, or "type:sub"). */
function msin(c: Record<string, Data>, i: number, type: number, row: number): number {
  const verbose = boolAt(c.verbose!, i);
  const text = c.subtype!.getValid(i) ? decoder.decode(bytesAt(c.subtype!, i)) : '';
  let mstp = type;
  let mtin: number | undefined;
  if (type >= 0) {
    mtin = SUBTYPE_CODES[type]!.get(text) ?? parseSmall(text, 15);
  } else {
    // reserved message types 4-7 are imported as type NULL, subtype "<type>:<subtype>"
    const m = /^([4-7]):(\d+)$/.exec(text);
    if (m !== null) {
      mstp = Number(m[1]);
      mtin = parseSmall(m[2]!, 15);
    }
  }
  if (mstp < 0 || mtin === undefined) {
    throw new DltExportError(`dlt row ${row}: type ${type < 0 ? 'NULL' : type} with subtype "${text}" has no DLT encoding`);
  }
  return (verbose ? MSIN_VERB : 0) | (mstp << MSIN_MSTP_SHIFT) | (mtin << MSIN_MTIN_SHIFT);
}

function parseSmall(text: string, max: number): number | undefined {
  if (!/^\d{1,2}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** A value of a Utf8/Binary column as a view of its bytes. */
function bytesAt(d: Data, i: number): Uint8Array {
  const offsets = d.valueOffsets as Int32Array;
  const k = d.offset + i;
  return (d.values as Uint8Array).subarray(offsets[k]!, offsets[k + 1]!);
}

function boolAt(d: Data, i: number): boolean {
  const k = d.offset + i;
  return (((d.values as Uint8Array)[k >> 3]! >> (k & 7)) & 1) === 1;
}

/**
 * An id column's UTF-8 back to the 4 bytes on the wire: the import read each byte as one
 * Latin-1 character (readId), so 2-byte sequences for U+0080..U+00FF become one byte again.
 */
function writeIdBytes(b: Uint8Array, at: number, utf8: Uint8Array): void {
  let k = 0;
  for (let j = 0; j < utf8.length && k < 4; j++) {
    const c = utf8[j]!;
    if (c < 0x80) {
      b[at + k++] = c;
    } else if ((c & 0xe0) === 0xc0 && j + 1 < utf8.length) {
      b[at + k++] = (((c & 0x1f) << 6) | (utf8[j + 1]! & 0x3f)) & 0xff;
      j++;
    } else {
      b[at + k++] = 0x3f; // '?': a character beyond Latin-1 has no id byte
      while (j + 1 < utf8.length && (utf8[j + 1]! & 0xc0) === 0x80) j++;
    }
  }
  for (; k < 4; k++) b[at + k] = 0;
}

function writeLe32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

function writeBe32(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function floorDiv(a: bigint, d: bigint): bigint {
  const q = a / d;
  return a % d < 0n ? q - 1n : q;
}

function floorMod(a: bigint, d: bigint): bigint {
  const r = a % d;
  return r < 0n ? r + d : r;
}

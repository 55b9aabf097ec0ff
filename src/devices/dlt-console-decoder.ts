// The back-end side of the DLT channel without per-message codec objects (issue 10 §2): the
// buffers one console service drained are rendered by the core's DLT kernel (build/dlt.wasm, the
// one `import` uses) in one call per group of messages, and their header fields are read in
// place by a reused DltFrame. The rows are the ones decodeGuestLog gives, field for field
// (test/dlt/console-decoder.test.ts compares the two over generated and damaged bytes).
//
// The kernel takes only what the stream parser accepts without doubt and decodeGuestLog turns
// into a row: a buffer that is exactly one DLT v1 message (its length field = the buffer's
// length: parseMessage accepts it whatever its payload, DltParser.nextStream `atBoundary`) with
// an extended header, type LOG and a level 1..6. Anything else — a guest's damaged bytes, a
// message followed by more, a storage or serial marker — goes through decodeGuestLog as before,
// in its place in the order, so every row and every `undecodable` count stays what it was.

import { DLT_LEVELS } from '../core/codes.js';
import { DltFrame } from '../formats/dlt/frame.js';
import { DltKernel, type DltKernelSink } from '../formats/dlt/kernel.js';
import {
  DltType, headerSize, HTYP_UEH, HTYP_VERSION_SHIFT, PROTOCOL_VERSION, STORAGE_HEADER_SIZE, STORAGE_MARKER,
} from '../formats/dlt/protocol.js';
import type { DltRow } from '../trace/recorder.js';
import { decodeGuestLog } from './dlt-channel.js';

/** Messages one kernel call renders at most (the console's DRAIN_MAX). */
export const GROUP_ROWS_MAX = 256;
// One row more than a group: a group never fills the batch (a full batch goes to the sink).
const BATCH_ROWS = GROUP_ROWS_MAX + 1;
const INPUT_BYTES = 1 << 20;
// a full drain of small messages is one group: 256 x SLOW_TEXT_BYTES_MAX = 7.3 MiB
const PAYLOAD_TEXT_BYTES = 8 << 20;
const RAW_BYTES = 1 << 20;
/** assembly/dlt/layout.ts SLOW_TEXT_BYTES_MAX: the text room the kernel wants free for any row. */
const SLOW_TEXT_BYTES_MAX = 3 * 10024;
/** assembly/dlt/render.ts renderSizeMax: the text room a payload's fast rendering needs. */
const renderSizeMax = (payloadBytes: number) => payloadBytes * 3 + 24;
const TYPE_SHIFT = 1;
const SUBTYPE_SHIFT = 4;

/** Where decoded rows go, in the drained order. */
export interface ConsoleRowSink {
  row(row: DltRow, wire: Uint8Array): void;
  /** A buffer that is not a DLT log message (decodeGuestLog gives null). */
  undecodable(): void;
}

/** Full batches never happen (BATCH_ROWS); the kernel's sink only asserts that. */
const NO_BATCHES: DltKernelSink = {
  batch(length: number): void {
    throw new Error(`assert: the console's DLT kernel filled a batch of ${length} rows`);
  },
  reuse(): void {},
};

export class DltConsoleDecoder {
  /** Groups the kernel rendered (one kernel call each), since start: a metric for tests. */
  groups = 0;
  private readonly kernel: DltKernel;
  private readonly frame = new DltFrame();
  /** the group's buffers, in order */
  private readonly group: Uint8Array[] = [];
  private groupCount = 0;
  private inputEnd = 0;
  private textBytesWorst = 0;
  private rawBytes = 0;

  constructor() {
    this.kernel = DltKernel.create({
      batchRows: BATCH_ROWS, regions: 1, inputs: 1, inputBytes: INPUT_BYTES,
      payloadBytes: PAYLOAD_TEXT_BYTES, rawBytes: RAW_BYTES,
    }, NO_BATCHES);
  }

  /** One service's drained buffers → rows (or undecodable counts), in order. */
  decode(chains: readonly { data: Uint8Array }[], at: { tsNs: number; vm: number }, out: ConsoleRowSink): void {
    try {
      for (let i = 0; i < chains.length; i++) {
        const data = chains[i]!.data;
        if (!isPlainLogMessage(data)) {
          this.renderGroup(at, out);
          const row = decodeGuestLog(data, at);
          if (row === null) out.undecodable();
          else out.row(row, data);
          continue;
        }
        if (!this.fits(data)) this.renderGroup(at, out);
        this.queue(data);
      }
      this.renderGroup(at, out);
    } finally {
      this.reset();
    }
  }

  /** Whether the group can take `data` without the kernel's batch running out of room. */
  private fits(data: Uint8Array): boolean {
    const payloadBytes = data.length - headerSize(data[0]!);
    return this.groupCount < GROUP_ROWS_MAX &&
      this.inputEnd + STORAGE_HEADER_SIZE + data.length <= INPUT_BYTES &&
      // the kernel asks for max(renderSizeMax, SLOW_TEXT_BYTES_MAX) free before each row
      this.textBytesWorst + Math.max(renderSizeMax(payloadBytes), SLOW_TEXT_BYTES_MAX) <= PAYLOAD_TEXT_BYTES &&
      this.rawBytes + payloadBytes <= RAW_BYTES;
  }

  /** The message behind a zeroed storage header (its time and ECU are not read: see renderGroup). */
  private queue(data: Uint8Array): void {
    const input = this.kernel.input(0);
    const s = this.inputEnd;
    input.set(STORAGE_MARKER, s);
    input.fill(0, s + 4, s + STORAGE_HEADER_SIZE);
    input.set(data, s + STORAGE_HEADER_SIZE);
    this.kernel.add(this.kernel.inputBase(0) + s, 1);
    const payloadBytes = data.length - headerSize(data[0]!);
    this.inputEnd = s + STORAGE_HEADER_SIZE + data.length;
    this.textBytesWorst += Math.max(renderSizeMax(payloadBytes), SLOW_TEXT_BYTES_MAX);
    this.rawBytes += payloadBytes;
    if (this.groupCount === this.group.length) this.group.push(data);
    else this.group[this.groupCount] = data;
    this.groupCount++;
  }

  /** One kernel call for the group's payload texts, then its rows, as decodeGuestLog makes them. */
  private renderGroup(at: { tsNs: number; vm: number }, out: ConsoleRowSink): void {
    if (this.groupCount === 0) return;
    const k = this.kernel;
    this.groups++;
    k.drain();
    const count = this.groupCount;
    if (k.batchLength !== count) throw new Error(`assert: the DLT kernel appended ${k.batchLength} of ${count} rows`);
    for (let i = 0; i < count; i++) {
      const data = this.group[i]!;
      this.group[i] = EMPTY; // (the group keeps no buffer past its service)
      out.row(this.rowOf(data, k.payloadText(i), at), data);
    }
    this.groupCount = 0;
    this.reset();
  }

  private rowOf(data: Uint8Array, payload: string, at: { tsNs: number; vm: number }): DltRow {
    const f = this.frame;
    f.bytes = data;
    f.offset = 0;
    f.size = data.length;
    f.hasStorageHeader = false;
    f.readHeaders(0);
    const level = DLT_LEVELS[f.subtype - 1]!;
    return {
      ts_ns: at.tsNs,
      local_ts_ns: (f.timestamp < 0 ? 0 : f.timestamp) * 100_000,
      vm: at.vm,
      ecu: f.ecu ?? '',
      apid: f.apid!,
      ctid: f.ctid!,
      session_id: f.sessionId < 0 ? null : f.sessionId,
      type: 'log',
      subtype: level,
      level,
      msg_counter: f.counter,
      verbose: f.verbose,
      noar: f.noar,
      message_id: null,
      payload,
      payload_raw: f.payload(), // a view into this drained buffer; the recorder copies it
      lifecycle: 1, // a recorded VM has one lifecycle (no restarts are simulated yet)
      storage_ts_ns: at.tsNs,
    };
  }

  private reset(): void {
    if (this.groupCount > 0) {
      this.kernel.drain(); // (an exception left rows queued: append them, then drop the batch)
      this.group.fill(EMPTY, 0, this.groupCount);
    }
    this.kernel.discardBatch();
    this.groupCount = 0;
    this.inputEnd = 0;
    this.textBytesWorst = 0;
    this.rawBytes = 0;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * One DLT v1 log message filling the buffer exactly, with a level: what parseMessage accepts as
 * the whole buffer and decodeGuestLog makes a row of (plausibleHeader in parser.ts, then its
 * checks: an extended header, type LOG, subtype 1..6).
 */
export function isPlainLogMessage(data: Uint8Array): boolean {
  if (data.length < 4) return false;
  const htyp = data[0]!;
  const length = (data[2]! << 8) | data[3]!;
  if (htyp >>> HTYP_VERSION_SHIFT !== PROTOCOL_VERSION || length !== data.length) return false;
  if ((htyp & HTYP_UEH) === 0 || length < headerSize(htyp)) return false;
  const msin = data[headerSize(htyp) - 10]!;
  const type = (msin & 0x0e) >> TYPE_SHIFT;
  const subtype = msin >> SUBTYPE_SHIFT;
  return type === DltType.LOG && subtype >= 1 && subtype <= DLT_LEVELS.length;
}

let shared: DltConsoleDecoder | null = null;

/**
 * The process's decoder (one kernel instance, ~11 MiB of memory, touched as used). Every console shares
 * it: decode() runs to the end inside one service and leaves the kernel empty.
 */
export function consoleDecoder(): DltConsoleDecoder {
  shared ??= new DltConsoleDecoder();
  return shared;
}

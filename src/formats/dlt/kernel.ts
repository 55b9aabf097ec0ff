/**
 * DltKernel: the `dlt` table's batch columns filled by WebAssembly (assembly/dlt/, built to
 * build/dlt.wasm) instead of DltBatchBuilder, with the same bytes (test/dlt/kernel.test.ts
 * compares every column buffer). WebAssembly has no interpreter warm-up (the first ~9000 rows
 * of a fresh process cost ~4 µs each in JavaScript) and no bounds checks per byte.
 *
 * The parser keeps framing in JavaScript: each file's DltParser reads into an input region of
 * the kernel's memory (`input(k)`), and each accepted frame is queued by its address with its
 * lifecycle (`add`). The kernel appends queued rows when the queue holds what the batch has
 * room for, and always before a parser refills (`drain`: fill() moves the unparsed tail to the
 * front, so queued addresses would go stale). A row whose payload text the kernel does not
 * render (render.ts says which) stops it: the reference renderer (render-payload.ts) writes the
 * text into the payload column where the kernel left off, and the kernel finishes the row.
 *
 * Memory is shared (a SharedArrayBuffer): full batches go to the writer thread as views of it,
 * in `regions` regions used in turn, like the builders in turn of import.ts; the sink's
 * reuse(region) must wait until that region's last batch is written.
 * Batches end at `batchRows` rows, like DltBatchBuilder's, or earlier when a row's worst-case
 * payload text or raw bytes would not fit the region's fixed var bytes (payloadBytes,
 * rawBytes: at the defaults, only when a batch's payloads average over ~1 KB).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColumnBuffers } from '../../trace/ipc-encode.js';
import { TABLES } from '../../trace/tables.js';
import { packageRoot } from '../../util/package-root.js';
import { DltFrame } from './frame.js';
import { STORAGE_HEADER_SIZE } from './protocol.js';
import { DLT_FILL_COLUMNS, SUBTYPE_TEXT } from './import-batch.js';
import { renderPayload } from './render-line.js';

/** The export surface of build/dlt.wasm (assembly/dlt/index.ts). */
interface KernelExports {
  memory: { buffer: ArrayBufferLike };
  kernelVersion(): number;
  init(batchRows: number, regionCount: number, inputCount: number, inputBytes: number,
    payloadBytes: number, rawBytes: number): void;
  statePtr(): number;
  subtypesPtr(): number;
  inputPtr(k: number): number;
  queuePtr(): number;
  regionPtr(region: number, id: number): number;
  varCapacity(c: number): number;
  useRegion(region: number): void;
  appendRows(n: number): number;
  finishSlowRow(textEnd: number): void;
  frameRun(from: number, end: number, final: number, q0: number, qMax: number): number;
  observeMessage(address: number): number;
  ecuStatesPtr(): number;
  ecuStateCount(): number;
}

// assembly/dlt/layout.ts, mirrored (kernelVersion() guards the pair).
const KERNEL_VERSION = 2;
const ST_SLOW_AT = 12;
const ST_SLOW_MESSAGE = 16;
const ST_SLOW_END = 20;
const ST_SLOW_ROWS = 24;
const ST_FRAME_AT = 28;
// assembly/dlt/frame.ts
const ECU_STATE = 48;
const E_KEY = 0;
const E_LIFECYCLE = 4;
const STOP_DONE = 0;
const STOP_FULL = 1;
const STOP_SLOW = 2;
const SUBTYPE_ENTRY = 16;
const COL = {
  ecu: 0, apid: 1, ctid: 2, subtype: 3, payload: 4, raw: 5, storageEcu: 6, session: 7, type: 8, level: 9,
  messageId: 10,
} as const;
const VAR_COLUMNS = 7;
const NULLABLE_COLUMNS = 11;
const HEAD_COUNT = 0;
const HEAD_NULLS = 4;
const HEAD_ENDS = HEAD_NULLS + 4 * NULLABLE_COLUMNS;
const P = {
  head: 0, ts: 1, local: 2, messageId: 3, session: 4, lifecycle: 5, vm: 6, counter: 7, noar: 8, htyp: 9,
  type: 10, level: 11, verbose: 12, validity: 13, offsets: 13 + NULLABLE_COLUMNS,
  bytes: 13 + NULLABLE_COLUMNS + VAR_COLUMNS,
} as const;

export const KERNEL_PAYLOAD_BYTES_DEFAULT = 16 * 1024 * 1024;
export const KERNEL_RAW_BYTES_DEFAULT = 8 * 1024 * 1024;

export interface DltKernelOptions {
  batchRows: number;
  /** batch regions used in turn (import.ts: 3) */
  regions: number;
  /** input buffers, one per file */
  inputs: number;
  /** bytes per input buffer: a parser's chunk + PUSH_HEADROOM */
  inputBytes: number;
  /** payload text bytes per batch (default 16 MiB) */
  payloadBytes?: number;
  /** raw payload bytes per batch (default 8 MiB) */
  rawBytes?: number;
}

/** Where full batches go. */
export interface DltKernelSink {
  /** A batch of `length` rows; its columns are views of region `region`, unchanged until reuse(region). */
  batch(length: number, columns: ColumnBuffers[], region: number): void;
  /** Region `region` is about to be refilled: its previous batch must be written by now. */
  reuse(region: number): void;
}

export function dltKernelWasmPath(): string {
  const path = join(packageRoot(), 'build', 'dlt.wasm');
  if (!existsSync(path)) throw new Error(`dlt import: ${path} is missing; run \`npm run build:wasm\``);
  return path;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
let compiled: object | null = null;

/** Typed views of one batch region, made once. */
interface RegionViews {
  head: Int32Array;
  ts: BigInt64Array;
  local: BigInt64Array;
  messageId: BigInt64Array;
  session: Int32Array;
  lifecycle: Int32Array;
  vm: Int16Array;
  counter: Int16Array;
  noar: Int16Array;
  htyp: Int16Array;
  type: Int8Array;
  level: Int8Array;
  verbose: Uint8Array;
  validity: Uint8Array[];
  offsets: Int32Array[];
  bytes: Uint8Array[];
}

export class DltKernel {
  readonly batchRows: number;
  private readonly x: KernelExports;
  private readonly memory: Uint8Array;
  private readonly text: Buffer;
  private readonly state: Int32Array;
  private readonly queue: Int32Array;
  private readonly regions: RegionViews[] = [];
  private readonly inputs: Uint8Array[] = [];
  private readonly frame = new DltFrame();
  private region = 0;
  private queued = 0;
  /** rows the current batch can still take, as far as the row count goes */
  private room: number;

  private constructor(x: KernelExports, opts: DltKernelOptions, private readonly sink: DltKernelSink) {
    this.x = x;
    this.batchRows = opts.batchRows;
    if (x.kernelVersion() !== KERNEL_VERSION) throw new Error(`assert: dlt.wasm is version ${x.kernelVersion()}, expected ${KERNEL_VERSION}`);
    const names = TABLES.dlt.columns.map((c) => c.name);
    if (names.join() !== DLT_FILL_COLUMNS.join()) throw new Error(`assert: DltKernel columns differ from the schema's ${names.join()}`);
    x.init(opts.batchRows, opts.regions, opts.inputs, opts.inputBytes,
      opts.payloadBytes ?? KERNEL_PAYLOAD_BYTES_DEFAULT, opts.rawBytes ?? KERNEL_RAW_BYTES_DEFAULT);
    const buffer = x.memory.buffer; // after init's grow: the whole memory, for good
    this.memory = new Uint8Array(buffer);
    this.text = Buffer.from(buffer);
    this.state = new Int32Array(buffer, x.statePtr(), 64);
    this.queue = new Int32Array(buffer, x.queuePtr(), 2 * opts.batchRows);
    for (let k = 0; k < opts.inputs; k++) this.inputs.push(new Uint8Array(buffer, x.inputPtr(k), opts.inputBytes));
    this.writeSubtypes(x.subtypesPtr());
    const rows = opts.batchRows;
    const bitmap = Math.ceil(rows / 8);
    for (let r = 0; r < opts.regions; r++) {
      const at = (id: number) => x.regionPtr(r, id);
      this.regions.push({
        head: new Int32Array(buffer, at(P.head), 64),
        ts: new BigInt64Array(buffer, at(P.ts), rows),
        local: new BigInt64Array(buffer, at(P.local), rows),
        messageId: new BigInt64Array(buffer, at(P.messageId), rows),
        session: new Int32Array(buffer, at(P.session), rows),
        lifecycle: new Int32Array(buffer, at(P.lifecycle), rows),
        vm: new Int16Array(buffer, at(P.vm), rows),
        counter: new Int16Array(buffer, at(P.counter), rows),
        noar: new Int16Array(buffer, at(P.noar), rows),
        htyp: new Int16Array(buffer, at(P.htyp), rows),
        type: new Int8Array(buffer, at(P.type), rows),
        level: new Int8Array(buffer, at(P.level), rows),
        verbose: new Uint8Array(buffer, at(P.verbose), bitmap),
        validity: Array.from({ length: NULLABLE_COLUMNS }, (_, c) => new Uint8Array(buffer, at(P.validity + c), bitmap)),
        offsets: Array.from({ length: VAR_COLUMNS }, (_, c) => new Int32Array(buffer, at(P.offsets + c), rows + 1)),
        bytes: Array.from({ length: VAR_COLUMNS }, (_, c) => new Uint8Array(buffer, at(P.bytes + c), x.varCapacity(c))),
      });
    }
    this.room = rows;
  }

  /** Instantiates build/dlt.wasm (compiled once per process) with its own memory. */
  static create(opts: DltKernelOptions, sink: DltKernelSink): DltKernel {
    compiled ??= new wasm.Module(readFileSync(dltKernelWasmPath()));
    let x: KernelExports | null = null;
    const text = (ptr: number) => {
      if (x === null || ptr === 0) return '?';
      const memory = new Uint8Array(x.memory.buffer);
      const bytes = new DataView(memory.buffer).getUint32(ptr - 4, true);
      return Buffer.from(memory.slice(ptr, ptr + bytes)).toString('utf16le');
    };
    const imports = {
      env: {
        abort(msg: number, file: number, line: number, column: number): never {
          throw new Error(`dlt kernel assert: ${text(msg)} (${text(file)}:${line}:${column})`);
        },
      },
    };
    x = new wasm.Instance(compiled, imports).exports as unknown as KernelExports;
    const kernel = new DltKernel(x, opts, sink);
    return kernel;
  }

  /** Input buffer `k`: give it to a DltParser (option `buffer`); its frames' offsets are queued with inputBase(k). */
  input(k: number): Uint8Array {
    return this.inputs[k]!;
  }

  /** Address of input `k` in the kernel's memory. */
  inputBase(k: number): number {
    return this.inputs[k]!.byteOffset;
  }

  /** Rows whose payload text the reference renderer wrote. */
  get slowPayloads(): number {
    return this.state[ST_SLOW_ROWS >> 2]!;
  }

  /**
   * Framing fast path: the kernel frames and queues (with their lifecycles) the messages of
   * input `k` from offset `pos` on that DltParser would accept without doubt (frame.ts says
   * which), up to `end` (`final`: no input comes after it). Returns how many; `framedTo` is
   * the offset where it stopped, for DltParser.skipFramed().
   */
  frameInput(k: number, pos: number, end: number, final: boolean): number {
    const base = this.inputs[k]!.byteOffset;
    let framed = 0;
    for (;;) {
      const q = this.x.frameRun(base + pos, base + end, final ? 1 : 0, this.queued, this.room);
      framed += q - this.queued;
      this.queued = q;
      pos = this.state[ST_FRAME_AT >> 2]! - base;
      if (q < this.room) break;
      this.drain();
    }
    this.framedTo = pos;
    return framed;
  }

  /** Where the last frameInput() stopped (an offset in its input). */
  framedTo = 0;

  /**
   * The lifecycle of the storage-framed message at `address` (inputBase + frame offset), from the
   * kernel's lifecycle state (frame.ts: LifecycleTracker's rule, fed as import.ts's
   * observeLifecycle feeds it); call once per message, in import order.
   */
  observe(address: number): number {
    return this.x.observeMessage(address);
  }

  /** Lifecycles per ECU key (the 4 id bytes as idKey), ECUs in first-seen order (at most 4096). */
  lifecycleCounts(): Array<[key: number, lifecycles: number]> {
    const at = this.x.ecuStatesPtr();
    const view = new DataView(this.memory.buffer);
    const out: Array<[number, number]> = [];
    for (let e = 0, n = this.x.ecuStateCount(); e < n; e++) {
      const st = at + e * ECU_STATE;
      out.push([view.getUint32(st + E_KEY, true), view.getInt32(st + E_LIFECYCLE, true)]);
    }
    return out;
  }

  /** Queues the storage-framed message at `address` (inputBase + frame offset) as a row. */
  add(address: number, lifecycle: number): void {
    const q = this.queued;
    this.queue[2 * q] = address;
    this.queue[2 * q + 1] = lifecycle;
    this.queued = q + 1;
    if (q + 1 === this.room) this.drain();
  }

  /** Appends every queued row (call before any queued row's input is refilled). */
  drain(): void {
    for (;;) {
      const status = this.x.appendRows(this.queued);
      if (status === STOP_DONE) break;
      if (status === STOP_SLOW) this.renderSlowRow();
      else if (status === STOP_FULL) this.flush();
      else throw new Error(`assert: appendRows stopped with ${status}`);
    }
    this.queued = 0;
    const count = this.regions[this.region]!.head[HEAD_COUNT]!;
    if (count === this.batchRows) this.flush();
    else this.room = this.batchRows - count;
  }

  /** Appends every queued row and hands the last, partial batch to the sink. */
  finish(): void {
    this.drain();
    if (this.regions[this.region]!.head[HEAD_COUNT]! > 0) this.flush();
  }

  /** The current batch to the sink; the next region (emptied) becomes current. */
  private flush(): void {
    const v = this.regions[this.region]!;
    const length = v.head[HEAD_COUNT]!;
    this.sink.batch(length, this.columns(v, length), this.region);
    this.region = (this.region + 1) % this.regions.length;
    this.sink.reuse(this.region);
    this.x.useRegion(this.region);
    this.room = this.batchRows;
  }

  /** The row the kernel stopped at: the reference text at ST_SLOW_AT, then the kernel finishes it. */
  private renderSlowRow(): void {
    const at = this.state[ST_SLOW_AT >> 2]!;
    const message = this.state[ST_SLOW_MESSAGE >> 2]!;
    const end = this.state[ST_SLOW_END >> 2]!;
    // a copy of the message: TextDecoder (strings, in the reference) refuses shared memory
    const length = (this.memory[message + STORAGE_HEADER_SIZE + 2]! << 8) | this.memory[message + STORAGE_HEADER_SIZE + 3]!;
    const f = this.frame;
    f.bytes = this.memory.slice(message, message + STORAGE_HEADER_SIZE + length);
    f.offset = 0;
    f.size = f.bytes.length;
    f.readStorageHeader(0);
    f.readHeaders(STORAGE_HEADER_SIZE);
    const text = renderPayload(f);
    const written = this.text.write(text, at, end - at, 'utf8');
    if (written !== Buffer.byteLength(text, 'utf8')) {
      throw new Error(`assert: a slow payload text of ${Buffer.byteLength(text)} B exceeds the ${end - at} B left`);
    }
    this.x.finishSlowRow(at + written);
  }

  /** Column buffers of a region's `length` rows, in the schema's order (views of the memory). */
  private columns(v: RegionViews, length: number): ColumnBuffers[] {
    const bitmapBytes = Math.ceil(length / 8);
    const nulls = (c: number) => v.head[(HEAD_NULLS >> 2) + c]!;
    const fixed = (values: Int8Array | Int16Array | Int32Array | BigInt64Array, c = -1): ColumnBuffers => {
      const nullCount = c < 0 ? 0 : nulls(c);
      return { nullCount, validity: nullCount > 0 ? v.validity[c]!.subarray(0, bitmapBytes) : undefined, values: values.subarray(0, length) };
    };
    const varying = (c: number): ColumnBuffers => {
      const nullCount = nulls(c);
      return {
        nullCount, validity: nullCount > 0 ? v.validity[c]!.subarray(0, bitmapBytes) : undefined,
        offsets: v.offsets[c]!.subarray(0, length + 1), values: v.bytes[c]!.subarray(0, v.head[(HEAD_ENDS >> 2) + c]!),
      };
    };
    return [
      fixed(v.ts), fixed(v.local), fixed(v.vm), varying(COL.ecu), varying(COL.apid), varying(COL.ctid),
      fixed(v.session, COL.session), fixed(v.type, COL.type), varying(COL.subtype), fixed(v.level, COL.level),
      fixed(v.counter), { nullCount: 0, values: v.verbose.subarray(0, bitmapBytes) }, fixed(v.noar),
      fixed(v.messageId, COL.messageId), varying(COL.payload), varying(COL.raw), fixed(v.lifecycle), fixed(v.ts),
      fixed(v.htyp), varying(COL.storageEcu),
    ];
  }

  // --- the DLT console path (issue 10 §2, dltcore): the current batch read in place, never
  // handed to the sink (the console back-end turns its rows into recorder rows and empties it).

  /** Rows in the current batch. */
  get batchLength(): number {
    return this.regions[this.region]!.head[HEAD_COUNT]!;
  }

  /** Row `i` of the current batch: its payload text (the `payload` column's UTF-8, decoded). */
  payloadText(i: number): string {
    const v = this.regions[this.region]!;
    const offsets = v.offsets[COL.payload]!;
    const at = v.bytes[COL.payload]!.byteOffset;
    return this.text.toString('utf8', at + offsets[i]!, at + offsets[i + 1]!);
  }

  /** Empties the current batch without handing it to the sink (nothing may be queued). */
  discardBatch(): void {
    if (this.queued !== 0) throw new Error(`assert: discardBatch with ${this.queued} rows queued`);
    this.x.useRegion(this.region);
    this.room = this.batchRows;
  }

  /** The subtype texts (DltBatchBuilder's SUBTYPE_TEXT) into the kernel's table: length, bytes. */
  private writeSubtypes(at: number): void {
    SUBTYPE_TEXT.forEach((bytes, k) => {
      if (bytes.length >= SUBTYPE_ENTRY) throw new Error(`assert: subtype text ${k} longer than ${SUBTYPE_ENTRY - 1} B`);
      const entry = at + k * SUBTYPE_ENTRY;
      this.memory[entry] = bytes.length;
      this.memory.set(bytes, entry + 1);
    });
  }
}

/**
 * Import of DLT storage files into a trace: every message becomes a row of the `dlt` table
 * (import-batch.ts says what goes in each column), the other tables stay empty, and the
 * manifest's `scenario` describes the import (files, sizes, messages, damage).
 *
 * Streaming, bounded memory: each file is read in chunks (1 MiB) by DltParser.fill() (straight
 * into the parser's buffer),
 * rows leave as record batches of ROWS_PER_BATCH_DEFAULT rows; what is held is one chunk and
 * one partial message per file plus three batches (one filling, two being written by the
 * writer thread: BulkTraceWriter). Several files (one per ECU, typically) merge by
 * storage time, k-way: the next row is the earliest head, ties going to the earlier file, and
 * each file keeps its own order.
 *
 * Damage never stops an import: the parser resynchronises on the next "DLT\x01" and counts
 * skipped bytes and damaged messages per file; the caller prints them as a warning.
 *
 * Raw streams (option `raw`: no storage headers, as dlt-daemon serves TCP clients) go through
 * RawStreamReader (raw-stream.ts), which writes the storage headers; the path "-" reads stdin.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { BulkTraceWriter } from '../../trace/bulk-writer.js';
import type { Manifest } from '../../trace/manifest-file.js';
import { ROWS_PER_BATCH_DEFAULT } from '../../trace/tables.js';
import { DltBatchBuilder } from './import-batch.js';
import { LifecycleTracker } from './lifecycle.js';
import { DltKernel } from './kernel.js';
import { DltParser, PUSH_HEADROOM, type DltParseStats } from './parser.js';
import type { DltFrame } from './frame.js';
import { idKey, readId } from './bytes.js';
import { HTYP_WEID, HTYP_WSID, STANDARD_HEADER_SIZE } from './protocol.js';
import { RawStreamReader, type ReadInto } from './raw-stream.js';

export const IMPORT_CHUNK_BYTES_DEFAULT = 1024 * 1024;
/** Batch builders used in turn (one filling, the others' batches being written). */
const BUILDERS_IN_TURN = 3;


export interface DltImportOptions {
  /** replace a trace (or files) in the output directory */
  overwrite?: boolean;
  /** bytes read per chunk (default 1 MiB: fewer fresh pages to touch than 4 MiB, as fast) */
  chunkBytes?: number;
  /** rows per record batch (default ROWS_PER_BATCH_DEFAULT) */
  rowsPerBatch?: number;
  /**
   * what fills the batch columns: the WebAssembly kernel (kernel.ts, the default) or
   * DltBatchBuilder (JavaScript, the reference); the trace bytes are the same
   */
  kernel?: DltImportKernel;
  /**
   * with the WASM kernel and one file: the kernel frames the messages the parser would accept
   * without doubt itself (default true); false: the parser frames every message (the figures
   * are the same)
   */
  kernelFraming?: boolean;
  /**
   * the inputs are raw DLT streams (standard headers back to back, no storage headers): the
   * i-th message of a file is stored at `startUs` + i µs since the epoch (raw-stream.ts)
   */
  raw?: { startUs: number };
  /** Called after each chunk read with the input bytes read so far, all files together (progress). */
  onBytes?: (bytesRead: number) => void;
}

/** The path that means standard input (fd 0), as in the CLI. */
export const STDIN_PATH = '-';

export type DltImportKernel = 'wasm' | 'js';
export const IMPORT_KERNEL_DEFAULT: DltImportKernel = 'wasm';
/** Files the kernel takes at once (an input region each); more go to the JavaScript builder. */
const KERNEL_INPUTS_MAX = 64;
/** Input memory the kernel takes at most (files × chunk); above, the JavaScript builder. */
const KERNEL_INPUT_BYTES_MAX = 512 * 1024 * 1024;

export interface DltImportFile extends DltParseStats {
  /** the path as given */
  path: string;
  bytes: number;
}

export interface DltImportResult {
  files: DltImportFile[];
  messages: number;
  skippedBytes: number;
  damagedMessages: number;
  /** lifecycles per ECU id */
  lifecycles: Record<string, number>;
  /** messages whose payload text took the reference renderer (not the byte fast path) */
  slowPayloads: number;
  manifest: Manifest;
}

/** What the manifest's `scenario` holds for an imported trace. */
export interface DltImportScenario {
  name: string;
  source: 'dlt';
  files: Array<{ name: string; bytes: number; messages: number; skippedBytes: number; damagedMessages: number }>;
  messages: number;
  skippedBytes: number;
  damagedMessages: number;
  lifecycles: Record<string, number>;
}

/** One input file: its parser, its descriptor and its current head message. */
class Source {
  parser = new DltParser({ framing: 'storage' });
  head: DltFrame | null = null;
  /** called before the parser refills its buffer (the kernel appends its queued rows) */
  beforeFill: (() => void) | null = null;
  /** storage time of the head in µs (exact: seconds·10^6 + µs < 2^53) */
  headUs = 0;
  /** called with the bytes of each chunk read (the import's progress) */
  onRead: ((bytes: number) => void) | null = null;
  private eof = false;
  private storageBytesRead = 0;
  /** storage-framed bytes into the parser: the file's own, or a raw stream's framed */
  private readonly read: ReadInto;
  private readonly raw: RawStreamReader | null;

  constructor(readonly index: number, readonly path: string, readonly fd: number, raw: { startUs: number; chunkBytes: number } | null) {
    const readFile: ReadInto = (into, at, max) => readFd(fd, into, at, max);
    this.raw = raw === null ? null : new RawStreamReader(readFile, raw.startUs, raw.chunkBytes);
    this.read = this.raw === null ? readFile : (into, at, max) => this.raw!.read(into, at, max);
  }

  /** Input bytes read (a raw stream's own bytes, not the framed ones). */
  get bytesRead(): number {
    return this.raw === null ? this.storageBytesRead : this.raw.bytesRead;
  }

  /** The parser's counts, plus the damage a raw stream's framing met. */
  get stats(): DltParseStats {
    const st = this.parser.stats;
    if (this.raw === null) return st;
    const rawStats = this.raw.stats;
    return {
      messages: st.messages,
      skippedBytes: st.skippedBytes + rawStats.skippedBytes,
      damagedMessages: st.damagedMessages + rawStats.damagedMessages,
    };
  }

  /** Moves to the next message; false at the end of the file. */
  advance(chunkBytes: number): boolean {
    for (;;) {
      const f = this.parser.next();
      if (f !== null) {
        this.head = f;
        this.headUs = f.storageSeconds * 1e6 + f.storageMicroseconds;
        return true;
      }
      if (!this.refill(chunkBytes)) {
        this.head = null;
        return false;
      }
    }
  }

  /** After next() returned null: reads the next chunk; false when the file was read to its end. */
  refill(chunkBytes: number): boolean {
    if (this.eof) return false;
    this.beforeFill?.();
    // read straight into the parser's buffer (no chunk copy)
    const n = this.parser.fill(this.read, chunkBytes);
    if (n === 0) this.eof = true;
    else {
      this.storageBytesRead += n;
      this.onRead?.(n);
    }
    return true;
  }
}

/** A pipe on stdin may be non-blocking (its writer's choice): then wait for bytes, briefly. */
const EAGAIN_WAIT_MS = 2;
const waitCell = new Int32Array(new SharedArrayBuffer(4));

function readFd(fd: number, into: Uint8Array, at: number, max: number): number {
  for (;;) {
    try {
      return readSync(fd, into, at, max, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN') throw error;
      Atomics.wait(waitCell, 0, 0, EAGAIN_WAIT_MS);
    }
  }
}

/** Imports DLT storage files into a new trace directory. */
export function importDltFiles(paths: readonly string[], dir: string, options: DltImportOptions = {}): DltImportResult {
  if (paths.length === 0) throw new Error('importDltFiles: no input files');
  if (paths.filter((p) => p === STDIN_PATH).length > 1) throw new Error('importDltFiles: stdin ("-") given twice');
  const chunkBytes = options.chunkBytes ?? IMPORT_CHUNK_BYTES_DEFAULT;
  const raw = options.raw === undefined ? null : { startUs: options.raw.startUs, chunkBytes };
  const sources: Source[] = [];
  try {
    for (const path of paths) {
      const fd = path === STDIN_PATH ? 0 : openSync(path, 'r');
      sources.push(new Source(sources.length, path, fd, raw));
    }
    if (options.onBytes !== undefined) {
      let read = 0;
      const onBytes = options.onBytes;
      for (const s of sources) s.onRead = (n) => onBytes((read += n));
    }
    return importSources(sources, dir, options);
  } finally {
    for (const s of sources) if (s.fd !== 0) closeSync(s.fd);
  }
}

function importSources(sources: Source[], dir: string, options: DltImportOptions): DltImportResult {
  const chunk = options.chunkBytes ?? IMPORT_CHUNK_BYTES_DEFAULT;
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`chunkBytes must be a positive integer, got ${chunk}`);
  const scenario: DltImportScenario = {
    name: 'dlt import', source: 'dlt', files: [], messages: 0, skippedBytes: 0, damagedMessages: 0,
    lifecycles: {},
  };
  const writer = BulkTraceWriter.create(
    dir, 'dlt', { scenario, seed: 0, coreVersion: 'none (imported)' },
    { overwrite: options.overwrite === true },
  );
  const rowsPerBatch = options.rowsPerBatch ?? ROWS_PER_BATCH_DEFAULT;
  const lifecycles = new LifecycleTracker();
  const kernel = options.kernel ?? IMPORT_KERNEL_DEFAULT;
  const inputBytes = align8(chunk + PUSH_HEADROOM);
  const wasm = kernel === 'wasm' && sources.length <= KERNEL_INPUTS_MAX &&
    inputBytes * sources.length <= KERNEL_INPUT_BYTES_MAX;
  let slowPayloads = 0;
  let counts: Array<readonly [string, number]>;
  try {
    const rows = { sources, chunk, rowsPerBatch, writer, lifecycles };
    if (wasm) {
      const done = importRowsWasm(rows, inputBytes, options.kernelFraming !== false);
      slowPayloads = done.slowPayloads;
      counts = done.lifecycles.map(([key, n]) => [idOfKey(key), n] as const);
    } else {
      slowPayloads = importRowsJs(rows);
      counts = [...lifecycles.counts()].map(([key, n]) => [idOfKey(key as number), n] as const);
    }
  } catch (error) {
    writer.abort();
    throw error;
  }
  describeImport(scenario, sources, counts);
  const manifest = writer.finish(scenario);
  return {
    files: sources.map((s) => ({ path: s.path, bytes: s.bytesRead, ...s.stats })),
    messages: scenario.messages,
    skippedBytes: scenario.skippedBytes,
    damagedMessages: scenario.damagedMessages,
    lifecycles: scenario.lifecycles,
    slowPayloads,
    manifest,
  };
}

interface RowsJob {
  sources: Source[];
  chunk: number;
  rowsPerBatch: number;
  writer: BulkTraceWriter;
  lifecycles: LifecycleTracker;
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/**
 * Every message of the sources, merged by storage time, to `visit` with its lifecycle number;
 * the frame is valid only during the call.
 */
function eachRow(job: RowsJob, lifecycleOf: (s: Source, f: DltFrame) => number,
  visit: (s: Source, f: DltFrame, lifecycle: number) => void): void {
  const { sources, chunk } = job;
  for (const s of sources) s.advance(chunk);
  // one file (the usual case) needs no merge: its messages in order
  const only = sources.length === 1 ? sources[0]! : null;
  for (let s = pickEarliest(sources); s !== null; s = only !== null ? (only.head !== null ? only : null) : pickEarliest(sources)) {
    const f = s.head!;
    visit(s, f, lifecycleOf(s, f));
    s.advance(chunk);
  }
}

/** The rows through DltBatchBuilders (JavaScript); returns the slow payloads. */
function importRowsJs(job: RowsJob): number {
  const { writer, rowsPerBatch } = job;
  // Builders in turn, their buffers shared with the writer thread: while one batch is being
  // written from a builder's memory, the next builder fills.
  const builders: DltBatchBuilder[] = [];
  const tickets: number[] = [];
  for (let k = 0; k < BUILDERS_IN_TURN; k++) {
    builders.push(new DltBatchBuilder(rowsPerBatch, (bytes) => new SharedArrayBuffer(bytes)));
    tickets.push(0);
  }
  let turn = 0;
  let builder = builders[0]!;
  const flush = () => {
    tickets[turn] = writer.appendBatch(builder.length, builder.columns());
    turn = (turn + 1) % builders.length;
    builder = builders[turn]!;
    writer.waitWritten(tickets[turn]!);
    builder.reset();
  };
  const { lifecycles } = job;
  eachRow(job, (s, f) => observeLifecycle(lifecycles, f, s.headUs), (_s, f, lifecycle) => {
    builder.add(f, lifecycle);
    if (builder.full) flush();
  });
  if (builder.length > 0) flush();
  return builders.reduce((n, b) => n + b.slowPayloads, 0);
}

/**
 * The rows through the WASM kernel: each parser reads into a kernel input region, frames are
 * queued by address, and the kernel's batch regions (in turn, shared memory) go to the writer.
 * The kernel keeps the lifecycles (assembly/dlt/frame.ts, LifecycleTracker's rule). One file
 * (`kernelFraming`): the kernel frames what it is sure of itself, the parser the rest.
 */
function importRowsWasm(job: RowsJob, inputBytes: number, kernelFraming: boolean): {
  slowPayloads: number; lifecycles: Array<[number, number]>;
} {
  const { writer, sources } = job;
  const tickets: number[] = [];
  for (let k = 0; k < BUILDERS_IN_TURN; k++) tickets.push(0);
  const kernel = DltKernel.create({
    batchRows: job.rowsPerBatch, regions: BUILDERS_IN_TURN, inputs: sources.length, inputBytes,
  }, {
    batch: (length, columns, region) => {
      tickets[region] = writer.appendBatch(length, columns);
    },
    reuse: (region) => writer.waitWritten(tickets[region]!),
  });
  const bases: number[] = [];
  for (const s of sources) {
    s.parser = new DltParser({ framing: 'storage', buffer: kernel.input(s.index) });
    s.beforeFill = () => kernel.drain();
    bases.push(kernel.inputBase(s.index));
  }
  if (kernelFraming && sources.length === 1) {
    const s = sources[0]!;
    const parser = s.parser;
    const base = bases[0]!;
    for (;;) {
      const framed = kernel.frameInput(0, parser.position, parser.limit, parser.atFinalInput);
      if (framed > 0) parser.skipFramed(kernel.framedTo, framed);
      // what the kernel was not sure of: the parser's rules (damage, resync, refills)
      const f = parser.next();
      if (f !== null) {
        const address = base + f.offset;
        kernel.add(address, kernel.observe(address));
      } else if (!s.refill(job.chunk)) {
        break;
      }
    }
  } else {
    eachRow(job, (s, f) => kernel.observe(bases[s.index]! + f.offset),
      (s, f, lifecycle) => kernel.add(bases[s.index]! + f.offset, lifecycle));
  }
  kernel.finish();
  return { slowPayloads: kernel.slowPayloads, lifecycles: kernel.lifecycleCounts() };
}

/** The source whose head was stored first; ties go to the earlier file. */
function pickEarliest(sources: Source[]): Source | null {
  let best: Source | null = null;
  for (const s of sources) {
    if (s.head === null) continue;
    if (best === null || s.headUs < best.headUs) best = s;
  }
  return best;
}

function observeLifecycle(tracker: LifecycleTracker, f: DltFrame, storedUs: number): number {
  const ecuAt = (f.htyp & HTYP_WEID) !== 0 ? f.headerOffset + STANDARD_HEADER_SIZE : f.offset + 12;
  const ecu = idKey(f.bytes, ecuAt);
  const apid = f.msin >= 0 ? idKey(f.bytes, f.payloadOffset - 8) : -1;
  const session = (f.htyp & HTYP_WSID) !== 0 ? f.sessionId : -1;
  return tracker.observe(ecu, f.timestamp, storedUs, apid, session);
}

/** The ECU id whose 4 bytes give idKey `key` (what DltFrame.displayEcu reads from them). */
function idOfKey(key: number): string {
  return readId(Uint8Array.of(key & 0xff, (key >>> 8) & 0xff, (key >>> 16) & 0xff, key >>> 24), 0);
}

function describeImport(scenario: DltImportScenario, sources: Source[], lifecycles: Array<readonly [string, number]>): void {
  for (const s of sources) {
    const st = s.stats;
    scenario.files.push({
      name: basename(s.path), bytes: s.bytesRead, messages: st.messages, skippedBytes: st.skippedBytes,
      damagedMessages: st.damagedMessages,
    });
    scenario.messages += st.messages;
    scenario.skippedBytes += st.skippedBytes;
    scenario.damagedMessages += st.damagedMessages;
  }
  const counts = [...lifecycles];
  counts.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [ecu, n] of counts) scenario.lifecycles[ecu] = n;
}

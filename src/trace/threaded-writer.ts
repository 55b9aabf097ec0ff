// ThreadedFileWriter: an append-only file whose writing and SHA-256 happen on a second thread
// (writer-thread.ts), so a producer that is itself CPU-bound (DLT import) does not pay for them.
//
// The producer copies each message into one of a few slots (SharedArrayBuffers) and goes on;
// the writer thread writes slots in the order given and hands them back. The producer waits
// (Atomics.wait, which Node allows on the main thread) only when every slot is still being
// written, so memory is bounded by the slots: a fast parser cannot run ahead of a slow disk.
// The API stays synchronous, like TableFileWriter's: no event loop turn is needed, and errors
// from the writer thread (ENOSPC, EIO) are thrown by the next call on the producer's side.
//
// Durability matches TableFileWriter: finish() returns after fsync. A killed process leaves
// the bytes of every slot the writer thread had written: a prefix of the stream.

import { closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { packageRoot } from '../util/package-root.js';
import { CONTROL, STATE, type WriterJob, type WriterResult } from './writer-protocol.js';

const SLOTS_DEFAULT = 4;
const SLOT_BYTES_MIN = 4 * 1024 * 1024;
const WAIT_SLICE_MS = 1000;
/** No sign of life from the writer thread for this long: give up (it failed to start, or hangs). */
const STALL_MS = 30_000;

export interface ThreadedFileSummary {
  bytes: number;
  sha256: string;
}

/** The writer thread's script: compiled beside this module, or under dist/ when tests run the sources. */
function writerThreadUrl(): URL {
  const here = new URL('./writer-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return pathToFileURL(join(packageRoot(), 'dist', 'src', 'trace', 'writer-thread.js'));
}

export class ThreadedFileWriter {
  private readonly worker: Worker;
  private readonly results: MessagePort;
  private readonly control: Int32Array;
  private readonly slots: SharedArrayBuffer[] = [];
  private next = 0;
  private queued = 0;
  private state: 'open' | 'finished' | 'abandoned' = 'open';

  /** Takes over `fd` (opened for writing by the caller) and closes it when finished or abandoned. */
  constructor(readonly path: string, private readonly fd: number, slotCount = SLOTS_DEFAULT) {
    const controlBuffer = new SharedArrayBuffer(4 * (CONTROL.BUSY + slotCount));
    this.control = new Int32Array(controlBuffer);
    for (let i = 0; i < slotCount; i++) this.slots.push(new SharedArrayBuffer(SLOT_BYTES_MIN));
    const channel = new MessageChannel();
    this.results = channel.port1;
    this.worker = new Worker(writerThreadUrl(), {
      workerData: { fd, control: controlBuffer, results: channel.port2 },
      transferList: [channel.port2],
    });
    this.worker.unref();
  }

  /** Bytes handed to the writer thread so far. */
  get bytesQueued(): number {
    return this.queued;
  }

  /**
   * Queues `length` bytes that `fill(slot)` writes at the start of `slot` (a Uint8Array of at
   * least `length` bytes); fill must return `length`. Blocks while every slot is busy.
   */
  write(length: number, fill: (slot: Uint8Array) => number): void {
    this.assertOpen();
    if (length === 0) return;
    const index = this.next;
    this.waitUntil(() => Atomics.load(this.control, CONTROL.BUSY + index) === 0);
    if (this.slots[index]!.byteLength < length) {
      let size = SLOT_BYTES_MIN;
      while (size < length) size *= 2;
      this.slots[index] = new SharedArrayBuffer(size);
    }
    const buffer = this.slots[index]!;
    const filled = fill(new Uint8Array(buffer));
    if (filled !== length) throw new Error(`assert: slot filled with ${filled} bytes, expected ${length}`);
    Atomics.store(this.control, CONTROL.BUSY + index, 1);
    this.post({ op: 'write', slot: index, buffer, length });
    this.queued += length;
    this.next = (index + 1) % this.slots.length;
  }

  /** Queues bytes by copying them. */
  writeBytes(bytes: Uint8Array): void {
    this.write(bytes.byteLength, (slot) => {
      slot.set(bytes);
      return bytes.byteLength;
    });
  }

  /** Waits for every write, fsyncs and closes; the hash covers every byte written. */
  finish(): ThreadedFileSummary {
    this.assertOpen();
    this.state = 'finished';
    this.post({ op: 'finish' });
    try {
      this.waitUntil(() => Atomics.load(this.control, CONTROL.STATE) === STATE.DONE);
    } finally {
      closeSync(this.fd);
    }
    const result = this.result();
    if ('error' in result) throw writerError(this.path, result);
    if (result.bytes !== this.queued) {
      throw new Error(`assert: ${this.path}: writer wrote ${result.bytes} bytes of ${this.queued}`);
    }
    return result;
  }

  /** Stops: queued slots are written, the file is closed unsynced (what a crash leaves). */
  abandon(): void {
    if (this.state !== 'open') return;
    this.state = 'abandoned';
    this.post({ op: 'abandon' });
    try {
      this.waitUntil(() => Atomics.load(this.control, CONTROL.STATE) !== STATE.RUNNING);
    } catch {
      // abandoning after a failure: the failure was reported already
    } finally {
      closeSync(this.fd);
    }
  }

  private post(job: WriterJob): void {
    this.worker.postMessage(job);
  }

  private result(): WriterResult {
    const received = receiveMessageOnPort(this.results);
    if (received === undefined) throw new Error(`assert: ${this.path}: writer thread ended without a result`);
    return received.message as WriterResult;
  }

  private waitUntil(done: () => boolean): void {
    let idle = 0;
    for (;;) {
      const seen = Atomics.load(this.control, CONTROL.SIGNAL);
      if (done()) return;
      if (Atomics.load(this.control, CONTROL.STATE) === STATE.FAILED) {
        if (this.state === 'open') closeSync(this.fd);
        this.state = 'abandoned';
        const result = this.result();
        throw writerError(this.path, 'error' in result ? result : { error: 'writer thread failed' });
      }
      if (Atomics.wait(this.control, CONTROL.SIGNAL, seen, WAIT_SLICE_MS) === 'timed-out') {
        idle += WAIT_SLICE_MS;
        if (idle >= STALL_MS) {
          if (this.state === 'open') closeSync(this.fd);
          this.state = 'abandoned';
          void this.worker.terminate();
          throw new Error(`${this.path}: the writer thread made no progress for ${STALL_MS / 1000} s`);
        }
      } else {
        idle = 0;
      }
    }
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`${this.path}: writer already ${this.state}`);
  }
}

/** The writer thread's failure as the error fs would have thrown on this thread (code kept). */
function writerError(path: string, failure: { error: string; code?: string; syscall?: string }): Error {
  const error = new Error(`${path}: ${failure.error}`) as NodeJS.ErrnoException;
  if (failure.code !== undefined) error.code = failure.code;
  if (failure.syscall !== undefined) error.syscall = failure.syscall;
  error.path = path;
  return error;
}

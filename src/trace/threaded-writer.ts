// ThreadedFileWriter: an append-only file whose writing and SHA-256 happen on a second thread
// (writer-thread.ts), so a producer that is itself CPU-bound (DLT import) does not pay for them.
//
// The producer posts jobs (lists of byte views) and goes on; the writer thread writes them in
// order. Views over SharedArrayBuffers are not copied: the producer keeps the memory untouched
// until waitWritten(ticket) says the job is out (import.ts keeps a few batch builders in turn,
// so it waits only when the disk is behind by all of them, and memory stays bounded). The API
// is synchronous, like TableFileWriter's: waiting uses Atomics.wait, which Node allows on the
// main thread, and errors of the writer thread (ENOSPC, EIO) are thrown by the producer's next
// call with their code.
//
// Durability matches TableFileWriter: finish() returns after fsync. A killed process leaves
// the jobs the writer thread had written: a prefix of the stream.

import { closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { packageRoot } from '../util/package-root.js';
import {
  CONTROL, CONTROL_LENGTH, STATE, type WriterDigest, type WriterJob, type WriterResult,
} from './writer-protocol.js';

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

interface WriterThread {
  worker: Worker;
  control: Int32Array;
  results: MessagePort;
}

function spawnWriterThread(): WriterThread {
  const controlBuffer = new SharedArrayBuffer(4 * CONTROL_LENGTH);
  const channel = new MessageChannel();
  const worker = new Worker(writerThreadUrl(), {
    workerData: { control: controlBuffer, results: channel.port2 },
    transferList: [channel.port2],
  });
  worker.unref(); // an unused thread never keeps the process alive
  return { worker, control: new Int32Array(controlBuffer), results: channel.port1 };
}

let prestarted: WriterThread | null = null;

/**
 * Starts a writer thread now for the next ThreadedFileWriter: a thread takes ~30 ms to start
 * (a new isolate loading its modules), which a caller can overlap with its own start-up (the
 * import command does it before loading the import's modules).
 */
export function prestartWriterThread(): void {
  prestarted ??= spawnWriterThread();
}

export class ThreadedFileWriter {
  private readonly worker: Worker;
  private readonly results: MessagePort;
  private readonly control: Int32Array;
  private posted = 0;
  private queued = 0;
  private state: 'open' | 'finished' | 'abandoned' = 'open';
  /** The writer thread's final result, once it came (digests before it went to onDigest). */
  private final: WriterResult | null = null;

  /**
   * Takes over `fd` (opened for writing by the caller) and closes it when finished or abandoned.
   * onDigest receives the digest of every job written with digest parts, in job order, during
   * a later call of this writer (write, waitWritten, finish, pollDigests).
   */
  constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly onDigest?: (ticket: number, digest: string) => void,
  ) {
    const thread = prestarted ?? spawnWriterThread();
    prestarted = null;
    this.worker = thread.worker;
    this.control = thread.control;
    this.results = thread.results;
    this.post({ op: 'open', fd });
  }

  /**
   * Queues the parts to be written back to back; returns the job's ticket for waitWritten().
   * Parts over a SharedArrayBuffer must stay unchanged until then; others are copied now.
   */
  write(parts: Uint8Array[], digest?: Uint8Array[]): number {
    this.assertOpen();
    this.throwIfFailed();
    this.pollDigests();
    let length = 0;
    for (const part of parts) length += part.byteLength;
    if (length === 0) return this.posted;
    if (digest !== undefined && this.onDigest === undefined) throw new Error(`assert: ${this.path}: digest parts without onDigest`);
    this.post(digest === undefined ? { op: 'write', parts } : { op: 'write', parts, digest });
    this.queued += length;
    return ++this.posted;
  }

  /** Hands the digests the writer thread has posted so far to onDigest (never blocks). */
  pollDigests(): void {
    while (this.final === null) {
      const received = receiveMessageOnPort(this.results);
      if (received === undefined) return;
      const message = received.message as WriterDigest | WriterResult;
      if ('ticket' in message) this.onDigest?.(message.ticket, message.digest);
      else this.final = message;
    }
  }

  /** Queues a copy of the bytes. */
  writeBytes(bytes: Uint8Array): number {
    return this.write([bytes]);
  }

  /** Blocks until the job `ticket` (and every one before it) is written. */
  waitWritten(ticket: number): void {
    this.waitUntil(() => Atomics.load(this.control, CONTROL.WRITTEN) >= ticket);
    this.pollDigests();
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

  /** Stops: jobs already queued are written, the file is closed unsynced (what a crash leaves). */
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
    this.pollDigests(); // the jobs written before the stop keep their digests (a crash's prefix)
  }

  private post(job: WriterJob): void {
    this.worker.postMessage(job);
  }

  private result(): WriterResult {
    this.pollDigests();
    if (this.final === null) throw new Error(`assert: ${this.path}: writer thread ended without a result`);
    return this.final;
  }

  private throwIfFailed(): void {
    if (Atomics.load(this.control, CONTROL.STATE) !== STATE.FAILED) return;
    if (this.state === 'open') closeSync(this.fd);
    this.state = 'abandoned';
    const result = this.result();
    throw writerError(this.path, 'error' in result ? result : { error: 'writer thread failed' });
  }

  private waitUntil(done: () => boolean): void {
    let idle = 0;
    for (;;) {
      const seen = Atomics.load(this.control, CONTROL.SIGNAL);
      if (done()) return;
      this.throwIfFailed();
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

// A recorded table file read whole ahead of the replay, on libuv's thread pool, while the replay
// sets up (issue 9's 1.2x target, the brief's "the comparison off the replay's thread"): the
// kernel's copy of the file's bytes then runs beside the replay instead of on its thread, and a
// batch's body is compared straight from the whole-file buffer (no read, no scratch copy).
//
// The replay's run is synchronous, so the read's end is only learnt at a turn of the event
// loop (Platform.create awaits the core's instantiation: the ~44 MB of the 10 s cockpit are
// read by then on an idle core). Until then, and for good if the read failed, came short or
// the file is larger than READ_AHEAD_BYTES_MAX, every read is the plain cursor's readSync: the
// bytes are the file's either way, and nothing but when they are copied changes. No worker:
// starting one costs ~35-60 ms of CPU (file-hashes.ts), the thread pool's threads exist.

import { close, open, read } from 'node:fs';
import { FileCursor } from '../trace/framing.js';

/**
 * Files up to this size are read ahead whole (the 10 s cockpit's frames.arrow is ~30 MB; a
 * 60 s one's ~180 MB are read batch by batch, as before, rather than held in memory).
 */
export const READ_AHEAD_BYTES_MAX = 64 * 1024 * 1024;

/** A FileCursor (never hashing) that serves reads from the whole file once it has been read ahead. */
export class ReadAheadCursor extends FileCursor {
  /** The whole file, once read ahead with exactly `size` bytes; null before (and after close). */
  private whole: Buffer | null = null;
  private closedHere = false;

  constructor(path: string) {
    super(path, false);
    if (this.size > 0 && this.size <= READ_AHEAD_BYTES_MAX) {
      readWhole(path, this.size, (bytes) => {
        if (!this.closedHere) this.whole = bytes;
      });
    }
  }

  /** The file has been read ahead: later reads copy nothing from the kernel. */
  get readAhead(): boolean {
    return this.whole !== null;
  }

  override fill(into: Uint8Array): void {
    const whole = this.whole;
    if (whole === null) {
      super.fill(into);
      return;
    }
    if (into.byteLength > this.remaining) throw new Error(`file shrank while reading at byte ${this.size}`);
    into.set(whole.subarray(this.position, this.position + into.byteLength));
    this.position += into.byteLength;
  }

  /** A view of the whole-file buffer once read ahead (valid while the cursor is open), else the plain cursor's. */
  override readReused(length: number): Uint8Array | null {
    const whole = this.whole;
    if (whole === null) return super.readReused(length);
    if (length > this.remaining) return null;
    const view = whole.subarray(this.position, this.position + length);
    this.position += length;
    return view;
  }

  override close(): void {
    this.closedHere = true;
    this.whole = null;
    super.close();
  }
}

/**
 * Reads `size` bytes of a file from its start on the thread pool, on a descriptor of its own
 * (closed by the read itself, so closing the cursor never races it); `done` gets them only
 * when all `size` arrived. A failure or a short file just never calls `done`.
 */
function readWhole(path: string, size: number, done: (bytes: Buffer) => void): void {
  const bytes = Buffer.allocUnsafeSlow(size);
  open(path, 'r', (openError, fd) => {
    if (openError !== null) return;
    const next = (at: number): void => {
      read(fd, bytes, at, size - at, at, (error, n) => {
        if (error === null && n > 0 && at + n < size) return next(at + n);
        close(fd, () => {});
        if (error === null && at + n === size) done(bytes);
      });
    };
    next(0);
  });
}

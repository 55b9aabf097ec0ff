// The writer thread of ThreadedFileWriter (threaded-writer.ts): it owns the file's tail end.
// For every filled slot it hashes the bytes (SHA-256), writes them, and hands the slot back;
// every SYNC_EVERY_BYTES it asks the disk to catch up (fdatasync), so the final fsync finds
// little left to do. The main thread meanwhile fills the next slot: on a two-core machine
// parsing and writing overlap.
//
// Protocol (control = Int32Array over a SharedArrayBuffer, see threaded-writer.ts):
//   {op:'write', slot, buffer, length}  write buffer[0, length) then set busy[slot] = 0
//   {op:'finish'}                       fsync, post {bytes, sha256}, state = DONE
//   {op:'abandon'}                      state = DONE (no sync)
// The descriptor stays the main thread's: it opened it and closes it once the state is not
// RUNNING (a worker closing a descriptor it did not open makes Node warn).
// Every change of state bumps control[SIGNAL] and wakes the main thread (Atomics.notify).
// Errors are caught, posted as {error, code} and set state = FAILED; nothing is thrown here.

import { createHash } from 'node:crypto';
import { fdatasyncSync, fsyncSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { CONTROL, STATE, type WriterJob, type WriterThreadData } from './writer-protocol.js';

const SYNC_EVERY_BYTES = 64 * 1024 * 1024;

const { fd, control: shared, results } = workerData as WriterThreadData & { results: MessagePort };
const control = new Int32Array(shared);
const hash = createHash('sha256');
let bytes = 0;
let unsynced = 0;

function signal(): void {
  Atomics.add(control, CONTROL.SIGNAL, 1);
  Atomics.notify(control, CONTROL.SIGNAL);
}

function fail(error: unknown): void {
  const e = error as NodeJS.ErrnoException;
  results.postMessage({ error: e?.message ?? String(error), code: e?.code, syscall: e?.syscall });
  Atomics.store(control, CONTROL.STATE, STATE.FAILED);
  signal();
  parentPort!.close();
}

function writeAll(view: Uint8Array): void {
  let at = 0;
  while (at < view.byteLength) at += writeSync(fd, view, at, view.byteLength - at);
}

parentPort!.on('message', (job: WriterJob) => {
  if (Atomics.load(control, CONTROL.STATE) !== STATE.RUNNING) return;
  try {
    switch (job.op) {
      case 'write': {
        const view = new Uint8Array(job.buffer, 0, job.length);
        hash.update(view);
        writeAll(view);
        bytes += job.length;
        unsynced += job.length;
        Atomics.store(control, CONTROL.BUSY + job.slot, 0);
        signal();
        if (unsynced >= SYNC_EVERY_BYTES) {
          fdatasyncSync(fd);
          unsynced = 0;
        }
        break;
      }
      case 'finish':
        fsyncSync(fd);
        results.postMessage({ bytes, sha256: hash.digest('hex') });
        Atomics.store(control, CONTROL.STATE, STATE.DONE);
        signal();
        parentPort!.close();
        break;
      case 'abandon':
        Atomics.store(control, CONTROL.STATE, STATE.DONE);
        signal();
        parentPort!.close();
        break;
    }
  } catch (error) {
    fail(error);
  }
});

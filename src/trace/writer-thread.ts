// The writer thread of ThreadedFileWriter (threaded-writer.ts): it owns the file's tail end.
// For every job it hashes the parts (SHA-256), writes them with one writev, and counts the job
// WRITTEN, which hands the producer's memory back. Every SYNC_EVERY_BYTES it asks the disk to
// catch up (an fdatasync on libuv's thread pool, so writing goes on meanwhile), and the final
// fsync finds little left to do. The main thread meanwhile fills the next batch: on a two-core
// machine parsing and writing overlap.
//
// Protocol (control = Int32Array over a SharedArrayBuffer, see threaded-writer.ts):
//   {op:'open', fd}                     the file to write (first; the thread may start before
//                                       the file is known: prestartWriterThread)
//   {op:'write', parts, digest?}        hash and write the parts, then control[WRITTEN] += 1;
//                                       with digest: post {ticket, digest} (sha256 of those
//                                       parts) first (the recorder's batch digests, issue 10)
//   {op:'finish'}                       (after a running fdatasync) fsync, post {bytes, sha256},
//                                       state = DONE
//   {op:'abandon'}                      state = DONE (no sync)
// The descriptor stays the main thread's: it opened it and closes it once the state is not
// RUNNING (a worker closing a descriptor it did not open makes Node warn).
// Every change of state bumps control[SIGNAL] and wakes the main thread (Atomics.notify).
// Errors are caught, posted as {error, code, syscall} and set state = FAILED; nothing is thrown
// here.

import { createHash } from 'node:crypto';
import { fdatasync, fsyncSync, writevSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { CONTROL, STATE, type WriterJob, type WriterThreadData } from './writer-protocol.js';

const SYNC_EVERY_BYTES = 16 * 1024 * 1024;

const { control: shared, results } = workerData as WriterThreadData & { results: MessagePort };
let fd = -1;
const control = new Int32Array(shared);
const hash = createHash('sha256');
let bytes = 0;
let unsynced = 0;
/** an fdatasync is running on the thread pool */
let syncing = false;
/** 'finish' arrived while syncing: finish when the sync is done */
let finishWaiting = false;

function signal(): void {
  Atomics.add(control, CONTROL.SIGNAL, 1);
  Atomics.notify(control, CONTROL.SIGNAL);
}

function fail(error: unknown): void {
  if (Atomics.load(control, CONTROL.STATE) !== STATE.RUNNING) return; // abandoned meanwhile
  const e = error as NodeJS.ErrnoException;
  results.postMessage({ error: e?.message ?? String(error), code: e?.code, syscall: e?.syscall });
  Atomics.store(control, CONTROL.STATE, STATE.FAILED);
  signal();
  parentPort!.close();
}

// Linux IOV_MAX
const IOV_MAX = 1024;

/** writev until every byte is out (a regular file takes it in one call; short writes resume). */
function writeAll(parts: Uint8Array[]): number {
  let total = 0;
  for (const part of parts) total += part.byteLength;
  let queue = parts.filter((p) => p.byteLength > 0);
  let written = 0;
  while (queue.length > 0) {
    let n = writevSync(fd, queue.length > IOV_MAX ? queue.slice(0, IOV_MAX) : queue);
    written += n;
    let k = 0;
    while (k < queue.length && n >= queue[k]!.byteLength) n -= queue[k++]!.byteLength;
    queue = queue.slice(k);
    if (n > 0) queue[0] = queue[0]!.subarray(n);
  }
  if (written !== total) throw new Error(`assert: wrote ${written} of ${total} bytes`);
  return total;
}

/** The job's digest, posted before it counts WRITTEN (so a waiter finds it in the port). */
function postDigest(parts: Uint8Array[]): void {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  const ticket = Atomics.load(control, CONTROL.WRITTEN) + 1;
  results.postMessage({ ticket, digest: digest.digest('hex') });
}

function finish(): void {
  if (Atomics.load(control, CONTROL.STATE) !== STATE.RUNNING) return;
  try {
    fsyncSync(fd);
    results.postMessage({ bytes, sha256: hash.digest('hex') });
    Atomics.store(control, CONTROL.STATE, STATE.DONE);
    signal();
    parentPort!.close();
  } catch (error) {
    fail(error);
  }
}

parentPort!.on('message', (job: WriterJob) => {
  if (Atomics.load(control, CONTROL.STATE) !== STATE.RUNNING) return;
  try {
    switch (job.op) {
      case 'open':
        fd = job.fd;
        break;
      case 'write': {
        if (job.digest !== undefined) postDigest(job.digest);
        for (const part of job.parts) hash.update(part);
        const n = writeAll(job.parts);
        bytes += n;
        unsynced += n;
        Atomics.add(control, CONTROL.WRITTEN, 1);
        signal();
        if (unsynced >= SYNC_EVERY_BYTES && !syncing) {
          unsynced = 0;
          syncing = true;
          fdatasync(fd, (error) => {
            syncing = false;
            if (error) fail(error);
            else if (finishWaiting) finish();
          });
        }
        break;
      }
      case 'finish':
        if (syncing) finishWaiting = true;
        else finish();
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

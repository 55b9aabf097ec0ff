// The sha256 of several files on a worker thread: the query store's build (src/query/store.ts)
// hashes a trace's table files this way while its verify pass walks them, so on two cores the
// hashing is off the build's path. Replay does the same when the files are large enough that
// their sha256 costs more than a worker's ~35-40 ms start-up (src/replay/verify-run.ts
// hashFilesOnThread); smaller ones it hashes on its own thread (src/replay/file-hashes.ts). The
// code runs as an eval'd worker so the bundled CLI needs no extra file beside it.

import { Worker } from 'node:worker_threads';
import { fileSha256 } from '../replay/file-hashes.js';

// Reads of 64 KiB: the chunk stays in the core's 512 KiB L2 between read(2)'s copy and the
// sha256 over it. Measured on this host, sha256 of the 600 s cockpit's 866 MB events.arrow:
// 64 KiB reads 0.16-0.18 s of system CPU, 1 MiB reads 0.38-0.60 s (the copy streams to memory
// and the hash reads it back), the user CPU (sha256) the same, ~0.6 s.
const CHUNK_BYTES = 64 * 1024;

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const chunk = Buffer.allocUnsafe(${CHUNK_BYTES});
const out = [];
for (const path of workerData) {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  out.push(hash.digest('hex'));
}
parentPort.postMessage(out);
`;

/**
 * The files' sha256 on a worker thread started at once, as a handle: result() settles when all
 * are done (a file that cannot be read rejects it with the worker's error); close() ends the
 * thread if it is still hashing (a run that failed does not wait for it). The promise is
 * observed from the start, so a failure nobody asks for is no unhandled rejection.
 */
export class FileHashThread {
  private readonly worker: Worker;
  private readonly settled: Promise<{ hashes: string[] } | { error: unknown }>;

  constructor(paths: readonly string[]) {
    this.worker = new Worker(WORKER_CODE, { eval: true, workerData: [...paths] });
    this.settled = new Promise((resolve) => {
      this.worker.once('message', (hashes: string[]) => resolve({ hashes }));
      this.worker.once('error', (error) => resolve({ error }));
      this.worker.once('exit', (code) => resolve({ error: new Error(`file hashing thread exited with code ${code} before its answer`) }));
    });
  }

  /** Each file's sha256 (hex), in the order of the paths; throws the thread's error. */
  async result(): Promise<string[]> {
    const outcome = await this.settled;
    if ('error' in outcome) throw outcome.error;
    return outcome.hashes;
  }

  close(): void {
    void this.worker.terminate();
  }
}

/**
 * The files' sha256 computed on a worker thread; the promise settles when all are done. A file
 * that cannot be read rejects it with the worker's error (the caller reports it as damage).
 */
export function fileSha256InBackground(paths: readonly string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_CODE, { eval: true, workerData: [...paths] });
    } catch {
      // no thread to be had: hash here, as before
      try {
        resolve(paths.map(fileSha256));
      } catch (error) {
        reject(error);
      }
      return;
    }
    worker.once('message', (hashes: string[]) => resolve(hashes));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`file hashing thread exited with code ${code}`));
    });
  });
}

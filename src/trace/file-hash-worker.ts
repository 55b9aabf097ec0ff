// The sha256 of several files on a worker thread: the query store's build (src/query/store.ts)
// hashes a trace's table files this way while its verify pass walks them, so on two cores the
// hashing is off the build's path. (Replay hashes on its own thread instead, a share per epoch:
// src/replay/file-hashes.ts says why — a worker's ~30-60 ms start-up is large against a 10 s
// replay, small against a store build of seconds.) The code runs as an eval'd worker so the
// bundled CLI needs no extra file beside it.

import { Worker } from 'node:worker_threads';
import { fileSha256 } from '../replay/file-hashes.js';

const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const chunk = Buffer.allocUnsafe(1 << 20);
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

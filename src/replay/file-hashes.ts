// The recording's table files hashed against the manifest while the replay runs, on a thread of
// their own: replay vouches for the files on disk (a changed file must not pass as "identical"),
// and hashing a 600 s trace's ~0.8 GB on the replay's thread cost ~4 % of its time (bench replay).
// The code runs as an eval'd worker so the bundled CLI needs no extra file beside it.

import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

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

/** sha256 (hex) of each file, in 1 MiB reads, on the calling thread. */
export function fileSha256(path: string): string {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
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

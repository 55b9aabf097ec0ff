// The recording's table files hashed against the manifest while the replay runs: replay vouches
// for the files on disk (a changed file must not pass as "identical"). The hashing goes on the
// replay's own thread, a share at every epoch end (hashedTo), so it is spread over the run and
// an early stop (--until) does not wait for it to start.
//
// Why not always a worker thread (as at 7b6d368): starting and ending a Node worker costs
// ~35-60 ms of CPU (a new isolate and Node environment), against ~10 ms of sha256 for the 10 s
// cockpit's 14 MB before the frames table; on the shared 2-core host that cost landed on the
// core the replay runs on (replay 1.33x / 1.11x recording off's CPU, min, with the worker
// against 1.14x / 0.95x hashing here). With frames the files are ~44 MB per 10 s (~35 ms of
// sha256), so a replay now takes the worker for large files when a core is idle
// (verify-run.ts hashFilesOnThread) and hashes here otherwise.

import { createHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK_BYTES = 1 << 20;

/** sha256 (hex) of a file, in 1 MiB reads, on the calling thread. */
export function fileSha256(path: string): string {
  const hashes = new FileHashes([path]);
  try {
    return hashes.finish()[0]!;
  } finally {
    hashes.close();
  }
}

interface OpenFile {
  fd: number;
  size: number;
  hash: Hash;
  done: number;
}

/**
 * sha256 of several files, computed a share at a time (hashedTo) and finished by finish(); the
 * files are opened at once, so a missing one fails before the run. close() releases them on
 * every path (finish() does too).
 */
export class FileHashes {
  private readonly files: OpenFile[] = [];
  private readonly totalBytes: number;
  private doneBytes = 0;
  private failure: unknown = null;
  private readonly chunk = Buffer.allocUnsafe(CHUNK_BYTES);

  constructor(paths: readonly string[]) {
    try {
      for (const path of paths) {
        const fd = openSync(path, 'r');
        this.files.push({ fd, size: fstatSync(fd).size, hash: createHash('sha256'), done: 0 });
      }
    } catch (error) {
      this.close();
      throw error;
    }
    this.totalBytes = this.files.reduce((n, f) => n + f.size, 0);
  }

  /**
   * Hashes until at least `share` (0..1) of all the bytes are done. A read error is kept for
   * finish() to throw, so the run it is spread over goes on and the damage is told at the end.
   */
  hashedTo(share: number): void {
    if (this.failure !== null) return;
    const targetBytes = Math.min(this.totalBytes, Math.ceil(share * this.totalBytes));
    try {
      for (const file of this.files) {
        while (this.doneBytes < targetBytes && file.done < file.size) this.readChunk(file);
      }
    } catch (error) {
      this.failure = error;
    }
  }

  /**
   * Hashes the rest (to the end of each file, however it has grown) and returns each sha256
   * (hex), in the order of the paths; throws a read error met on the way.
   */
  finish(): string[] {
    if (this.failure !== null) throw this.failure;
    for (const file of this.files) {
      while (this.readChunk(file) > 0);
    }
    const hex = this.files.map((f) => f.hash.digest('hex'));
    this.close();
    return hex;
  }

  close(): void {
    for (const file of this.files.splice(0)) closeSync(file.fd);
  }

  /** Hashes the next chunk of a file; the bytes read (0 at its end). */
  private readChunk(file: OpenFile): number {
    const n = readSync(file.fd, this.chunk, 0, CHUNK_BYTES, file.done);
    if (n === 0 && file.done < file.size) {
      // The file shrank behind our back: what is there is hashed (and then differs: damage).
      this.doneBytes += file.size - file.done;
      file.size = file.done;
    }
    file.hash.update(this.chunk.subarray(0, n));
    file.done += n;
    this.doneBytes += n;
    return n;
  }
}

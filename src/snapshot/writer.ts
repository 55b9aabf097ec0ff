// Writes snapshots into a trace directory (format.ts). One SnapshotStore per recording: it knows
// which pages the trace holds already (by hash) and which page objects it has hashed (a core
// snapshot shares unchanged pages with the previous one, src/core/snapshot.ts), so a snapshot
// costs a sha256 and a deflate only for the pages that changed.
//
// Crash safety as for the manifest (src/trace/manifest-file.ts): each file is written under a
// temporary name, fsynced and renamed, the pages before the index that names them, and the
// manifest lists a snapshot only after both are in place; a crash leaves at most unlisted files.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { SNAPSHOT_PAGE_BYTES, type CoreSnapshot } from '../core/snapshot.js';
import type { ManifestSnapshot } from '../trace/manifest-file.js';
import {
  SNAPSHOT_DIR, SNAPSHOT_FORMAT, SNAPSHOT_FORMAT_VERSION, indexFile, pagesFile, snapshotId, type PageRef, type SnapshotIndex,
} from './format.js';

/** Level 1: the pages are mostly small integers and zeros; level 6 saved ~10 % for 2-3x the time. */
const DEFLATE = { level: 1 };
const OUR_FILE = /^s\d{6}\.(index|pages)(\.tmp)?$/;

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** temp name + fsync + rename: a reader sees the whole file or none. */
export function writeFileDurably(path: string, chunks: readonly Uint8Array[]): void {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    for (const chunk of chunks) writeSync(fd, chunk);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

export class SnapshotStore {
  private readonly folder: string;
  private readonly stored = new Map<string, PageRef>();
  private readonly hashOf = new WeakMap<Uint8Array, string>();
  private written = 0;

  /**
   * A store for a new recording in `dir`: the snapshot files of an earlier trace in the same
   * directory are removed (a re-record reuses ids; their pages are not this run's).
   */
  constructor(readonly dir: string) {
    this.folder = join(dir, SNAPSHOT_DIR);
    if (!existsSync(this.folder)) mkdirSync(this.folder);
    for (const name of readdirSync(this.folder)) if (OUR_FILE.test(name)) rmSync(join(this.folder, name));
  }

  /** Writes `snapshot` (and the TypeScript state `platform`, plain JSON); returns its manifest entry. */
  write(snapshot: CoreSnapshot, platform: unknown = null): ManifestSnapshot {
    const id = snapshotId(++this.written);
    const fresh: Uint8Array[] = [];
    let packBytes = 0;
    const refs: PageRef[] = [];
    const refIndex = new Map<string, number>();
    const table: number[] = [];
    for (const page of snapshot.pages) {
      const hash = this.pageHash(page);
      let ref = this.stored.get(hash);
      if (ref === undefined) {
        const z = deflateSync(page, DEFLATE);
        ref = [hash, id, packBytes, z.length];
        this.stored.set(hash, ref);
        fresh.push(z);
        packBytes += z.length;
      }
      let at = refIndex.get(hash);
      if (at === undefined) {
        at = refs.push(ref) - 1;
        refIndex.set(hash, at);
      }
      addToRuns(table, at);
    }
    const platformJson = JSON.stringify(platform) ?? 'null';
    const index: SnapshotIndex = {
      format: SNAPSHOT_FORMAT, formatVersion: SNAPSHOT_FORMAT_VERSION, id,
      timeNs: snapshot.timeNs, seq: snapshot.seq, coreVersion: snapshot.coreVersion, wasmSha256: snapshot.wasmSha256,
      limits: snapshot.limits, seed: snapshot.seed, pageBytes: SNAPSHOT_PAGE_BYTES,
      memoryBytes: snapshot.pages.length * SNAPSHOT_PAGE_BYTES, pages: refs, table, globals: snapshot.globals,
      platform: JSON.parse(platformJson) as unknown, platformSha256: sha256Hex(platformJson),
    };
    const indexBytes = deflateSync(JSON.stringify(index), DEFLATE);
    writeFileDurably(join(this.folder, pagesFile(id)), fresh);
    writeFileDurably(join(this.folder, indexFile(id)), [indexBytes]);
    return {
      id, timeNs: snapshot.timeNs, seq: snapshot.seq, file: indexFile(id), bytes: indexBytes.length,
      sha256: sha256Hex(indexBytes), pagesFile: pagesFile(id), pagesBytes: packBytes,
    };
  }

  /** A page object is immutable (CoreSnapshot.pages), so its hash is computed once. */
  private pageHash(page: Uint8Array): string {
    let hash = this.hashOf.get(page);
    if (hash === undefined) {
      hash = sha256Hex(page);
      this.hashOf.set(page, hash);
    }
    return hash;
  }
}

/** Appends one page reference to a run-length table [ref, count, ref, count, ...]. */
function addToRuns(table: number[], ref: number): void {
  const n = table.length;
  if (n > 0 && table[n - 2] === ref) table[n - 1]! += 1;
  else table.push(ref, 1);
}

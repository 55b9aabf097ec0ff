// Writes snapshots into a trace directory (format.ts). One SnapshotStore per recording: it knows
// which pages the trace holds already (by hash) and which page objects it has hashed (a core
// snapshot shares unchanged pages with the previous one, src/core/snapshot.ts), so a snapshot
// costs a sha256 and a deflate only for the pages that changed.
//
// Crash safety: each file is written under a temporary name and renamed, the pages before the
// index that names them, and the manifest (written atomically and fsynced by its writer) lists a
// snapshot only after both are in place, so a killed process leaves at most unlisted files. The
// snapshot files themselves are not fsynced (measured: two fsyncs were ~12 ms of a ~25 ms
// snapshot on this host): after a power loss a listed snapshot may be lost or torn, which the
// read door's hashes catch (a damaged snapshot, and seeking falls back to re-execution).

import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { SNAPSHOT_PAGE_BYTES, ZERO_PAGE, type CoreSnapshot } from '../core/snapshot.js';
import type { ManifestSnapshot } from '../trace/manifest-file.js';
import {
  GROUP_PAGES_MAX, SNAPSHOT_DIR, SNAPSHOT_FORMAT, SNAPSHOT_FORMAT_VERSION, indexFile, pagesFile, snapshotId, type PageRef, type SnapshotIndex,
} from './format.js';

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Level 1: the pages are mostly small integers and zeros; level 6 saved ~10 % for 2-3x the time. */
const DEFLATE = { level: 1 };
const ZERO_HASH = sha256Hex(ZERO_PAGE);
const OUR_FILE = /^s\d{6}\.(index|pages)(\.tmp)?$/;


/** temp name + rename: a reader sees the whole file or none (no fsync: see the header). */
export function writeFileWhole(path: string, chunks: readonly Uint8Array[]): void {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    for (const chunk of chunks) writeSync(fd, chunk);
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
    const fresh: { page: Uint8Array; ref: PageRef }[] = [];
    const refs: PageRef[] = [];
    const refIndex = new Map<string, number>();
    const table: number[] = [];
    for (const page of snapshot.pages) {
      const hash = this.pageHash(page);
      let ref = this.stored.get(hash);
      if (ref === undefined) {
        ref = [hash, id, 0, 1, 0]; // placed by packGroups
        this.stored.set(hash, ref);
        fresh.push({ page, ref });
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
    const groups = packGroups(fresh);
    const packBytes = groups.reduce((n, g) => n + g.length, 0);
    const indexBytes = deflateSync(JSON.stringify(index), DEFLATE);
    writeFileWhole(join(this.folder, pagesFile(id)), groups);
    writeFileWhole(join(this.folder, indexFile(id)), [indexBytes]);
    return {
      id, timeNs: snapshot.timeNs, seq: snapshot.seq, file: indexFile(id), bytes: indexBytes.length,
      sha256: sha256Hex(indexBytes), pagesFile: pagesFile(id), pagesBytes: packBytes,
    };
  }

  /** A page object is immutable (CoreSnapshot.pages), so its hash is computed once. */
  private pageHash(page: Uint8Array): string {
    if (page === ZERO_PAGE) return ZERO_HASH; // ~93 % of the cockpit's pages
    let hash = this.hashOf.get(page);
    if (hash === undefined) {
      hash = sha256Hex(page);
      this.hashOf.set(page, hash);
    }
    return hash;
  }
}

/** Deflates the new pages in groups of GROUP_PAGES_MAX and sets each ref's offset, size and slot. */
function packGroups(fresh: { page: Uint8Array; ref: PageRef }[]): Buffer[] {
  const groups: Buffer[] = [];
  let offset = 0;
  for (let first = 0; first < fresh.length; first += GROUP_PAGES_MAX) {
    const members = fresh.slice(first, first + GROUP_PAGES_MAX);
    const z = deflateSync(Buffer.concat(members.map((m) => m.page)), DEFLATE);
    members.forEach((m, slot) => {
      m.ref[2] = offset;
      m.ref[3] = z.length;
      m.ref[4] = slot;
    });
    groups.push(z);
    offset += z.length;
  }
  return groups;
}

/** Appends one page reference to a run-length table [ref, count, ref, count, ...]. */
function addToRuns(table: number[], ref: number): void {
  const n = table.length;
  if (n > 0 && table[n - 2] === ref) table[n - 1]! += 1;
  else table.push(ref, 1);
}

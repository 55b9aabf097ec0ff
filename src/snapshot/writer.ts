// Writes snapshots into a trace directory (format.ts). One SnapshotStore per recording: it knows
// where the previous snapshot's pages lie (page-store-code.ts), and which pages are the same
// objects as in the previous snapshot (a core snapshot shares unchanged pages with the previous
// one, src/core/snapshot.ts), so a snapshot costs a deflate only for the pages that changed. The
// costly half runs in this thread here, and on a worker thread for a recording
// (background-store.ts); pageJob is the cheap half both share.
//
// Crash safety: each file is written under a temporary name and renamed, the pages before the
// index that names them, and the manifest (written atomically and fsynced by its writer) lists a
// snapshot only after both are in place, so a killed process leaves at most unlisted files. The
// snapshot files themselves are not fsynced (measured: two fsyncs were ~12 ms of a ~25 ms
// snapshot on this host): after a power loss a listed snapshot may be lost or torn, which the
// read door's hashes catch (a damaged snapshot, and seeking falls back to re-execution).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { SNAPSHOT_PAGE_BYTES, ZERO_PAGE, type CoreSnapshot } from '../core/snapshot.js';
import type { ManifestSnapshot } from '../trace/manifest-file.js';
import { GROUP_PAGES_MAX, SNAPSHOT_DIR, SNAPSHOT_FORMAT, SNAPSHOT_FORMAT_VERSION, snapshotId } from './format.js';
import { PAGE_NEW, PAGE_SAME, PAGE_STORE_CODE, PAGE_ZERO, type PageJob, type PageStore } from './page-store-code.js';

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const OUR_FILE = /^s\d{6}\.(index|pages)(\.tmp)?$/;

/** The constants page-store-code.ts is given. */
export const PAGE_STORE_CONSTANTS = {
  pageBytes: SNAPSHOT_PAGE_BYTES, groupPagesMax: GROUP_PAGES_MAX, format: SNAPSHOT_FORMAT, formatVersion: SNAPSHOT_FORMAT_VERSION,
};

type MakePageStore = (folder: string, constants: typeof PAGE_STORE_CONSTANTS) => PageStore;
let makePageStore: MakePageStore | undefined;

/** A page store in this thread writing into `folder` (the same code the worker runs). */
export function pageStoreHere(folder: string): PageStore {
  makePageStore ??= new Function('require', `${PAGE_STORE_CODE}\nreturn makePageStore;`)(createRequire(import.meta.url)) as MakePageStore;
  return makePageStore(folder, PAGE_STORE_CONSTANTS);
}

/** snapshots/ of `dir`, emptied of an earlier trace's snapshot files (a re-record reuses ids). */
export function freshSnapshotFolder(dir: string): string {
  const folder = join(dir, SNAPSHOT_DIR);
  if (!existsSync(folder)) mkdirSync(folder);
  for (const name of readdirSync(folder)) if (OUR_FILE.test(name)) rmSync(join(folder, name));
  return folder;
}

/**
 * The cheap half of writing `snapshot` as snapshot `id`: which pages are the same objects as in
 * `previous` (the pages the store saw last), which are zero, and the bytes of the others — in
 * `spare` when it is large enough (a buffer an earlier job used, see background-store.ts), else
 * in a new buffer.
 */
export function pageJob(
  id: string, snapshot: CoreSnapshot, platform: unknown, previous: readonly Uint8Array[], spare?: ArrayBuffer,
): PageJob {
  const { pages } = snapshot;
  const kinds = new Uint8Array(pages.length);
  let fresh = 0;
  for (let i = 0; i < pages.length; i++) {
    const page = pages[i]!;
    kinds[i] = page === previous[i] ? PAGE_SAME : page === ZERO_PAGE ? PAGE_ZERO : PAGE_NEW;
    if (kinds[i] === PAGE_NEW) fresh++;
  }
  const byteCount = fresh * SNAPSHOT_PAGE_BYTES;
  const bytes = spare !== undefined && spare.byteLength >= byteCount ? new Uint8Array(spare, 0, byteCount) : new Uint8Array(byteCount);
  for (let i = 0, at = 0; i < pages.length; i++) {
    if (kinds[i] !== PAGE_NEW) continue;
    bytes.set(pages[i]!, at);
    at += SNAPSHOT_PAGE_BYTES;
  }
  return {
    id, timeNs: snapshot.timeNs, seq: snapshot.seq, coreVersion: snapshot.coreVersion, wasmSha256: snapshot.wasmSha256,
    limits: { ...snapshot.limits }, seed: snapshot.seed, globals: snapshot.globals,
    platformJson: JSON.stringify(platform) ?? 'null', kinds, bytes,
  };
}

export class SnapshotStore {
  private readonly pages: PageStore;
  private previous: readonly Uint8Array[] = [];
  private written = 0;

  /**
   * A store for a new recording in `dir`: the snapshot files of an earlier trace in the same
   * directory are removed (a re-record reuses ids; their pages are not this run's).
   */
  constructor(readonly dir: string) {
    this.pages = pageStoreHere(freshSnapshotFolder(dir));
  }

  /** Writes `snapshot` (and the TypeScript state `platform`, plain JSON); returns its manifest entry. */
  write(snapshot: CoreSnapshot, platform: unknown = null): ManifestSnapshot {
    const job = pageJob(snapshotId(++this.written), snapshot, platform, this.previous);
    this.previous = snapshot.pages;
    return this.pages.write(job);
  }
}

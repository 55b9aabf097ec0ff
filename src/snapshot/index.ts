// The snapshot store's public API (issue 10 §3): one call each to write a snapshot into a trace
// directory, list a trace's snapshots, and read one back through the checks (reader.ts).

import { resolve } from 'node:path';
import type { CoreSnapshot } from '../core/snapshot.js';
import { readManifest, writeManifest, type ManifestSnapshot } from '../trace/manifest.js';
import { SnapshotStore } from './writer.js';

export { listSnapshots, readSnapshot, type ReadSnapshot } from './reader.js';
export { SnapshotStore } from './writer.js';
export { SnapshotError } from '../core/snapshot-error.js';
export { SNAPSHOT_DIR } from './format.js';

const stores = new Map<string, SnapshotStore>();

/**
 * Writes `snapshot` (with the TypeScript side's state `platform`, plain JSON) into `dir`/snapshots
 * and returns the manifest entry. The first call for a directory in a process starts a new store
 * (an earlier trace's snapshot files there are removed); later calls share its pages. The entry
 * goes into the manifest the recorder writes (Manifest.snapshots), or through listInManifest.
 */
export function writeSnapshot(dir: string, snapshot: CoreSnapshot, platform: unknown = null): ManifestSnapshot {
  const key = resolve(dir);
  let store = stores.get(key);
  if (store === undefined) {
    store = new SnapshotStore(dir);
    stores.set(key, store);
  }
  return store.write(snapshot, platform);
}

/** Forgets the store of `dir` (a new recording into it starts over). */
export function closeSnapshots(dir: string): void {
  stores.delete(resolve(dir));
}

/**
 * Lists `entries` in the manifest of `dir` (atomically rewritten). For a finished trace only: a
 * recorder that is still writing the manifest must carry the entries itself.
 */
export function listInManifest(dir: string, entries: ManifestSnapshot[]): void {
  const manifest = readManifest(dir);
  writeManifest(dir, { ...manifest, snapshots: entries });
}

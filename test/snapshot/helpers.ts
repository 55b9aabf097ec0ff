// Set-up for the snapshot store tests: a trace directory with a manifest (no tables are opened by
// the store), the cockpit core snapshotted at a few virtual times, and a way to rewrite an index
// consistently (its manifest entry updated) to make a damage the hashes alone would not catch.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { Core } from '../../src/core/core.js';
import type { CoreSnapshot } from '../../src/core/snapshot.js';
import { coreLimitsFor, Platform } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import { loadScenario } from '../../src/scenario/load.js';
import { SNAPSHOT_DIR } from '../../src/snapshot/format.js';
import { sha256Hex } from '../../src/snapshot/writer.js';
import { newManifest, readManifest, writeManifest } from '../../src/trace/manifest.js';
import { TABLE_NAMES } from '../../src/trace/tables.js';
import { tempDir } from '../trace/helpers.js';

export { tempDir };

/** A directory whose manifest is a valid (empty) trace's. */
export function traceDir(): string {
  const dir = tempDir('tv-snap-');
  const tables = Object.fromEntries(TABLE_NAMES.map((t) => [t, { file: `${t}.arrow`, rows: 0, batches: 0, sha256: '0'.repeat(64) }]));
  writeManifest(dir, { ...newManifest({ scenario: 'cockpit', seed: 1, coreVersion: 2 }, tables), complete: true });
  return dir;
}

export interface Taken {
  snapshot: CoreSnapshot;
  digests: bigint[];
}

export const COCKPIT = loadScenario('cockpit', { durationNs: 3_000_000_000 });
export const COCKPIT_LIMITS = coreLimitsFor(COCKPIT);

/** The cockpit run to each time in `timesNs`, snapshotted there (each sharing the previous's pages). */
export async function cockpitSnapshots(timesNs: number[]): Promise<{ core: Core; taken: Taken[] }> {
  const platform = await Platform.create(COCKPIT, new CountingSink());
  platform.boot();
  const core = platform.core as Core;
  const taken: Taken[] = [];
  for (const t of timesNs) {
    platform.advanceTo(t);
    const snapshot = core.snapshot(taken.at(-1)?.snapshot);
    taken.push({ snapshot, digests: core.stateDigests() });
  }
  return { core, taken };
}

export function snapshotPath(dir: string, file: string): string {
  return join(dir, SNAPSHOT_DIR, file);
}

/** Rewrites snapshot `id`'s index JSON with `change`, and its manifest entry to match. */
export function rewriteIndex(dir: string, id: string, change: (index: Record<string, unknown>) => void): void {
  const manifest = readManifest(dir);
  const entry = manifest.snapshots!.find((e) => e.id === id)!;
  const path = snapshotPath(dir, entry.file);
  const index = JSON.parse(inflateSync(readFileSync(path)).toString('utf8')) as Record<string, unknown>;
  change(index);
  const bytes = deflateSync(JSON.stringify(index));
  writeFileSync(path, bytes);
  entry.bytes = bytes.length;
  entry.sha256 = sha256Hex(bytes);
  writeManifest(dir, manifest);
}

// recordedOrHashed (src/trace/file-identity.ts, issue 7: the store build's sha256): the
// manifest's hashes for a finished trace whose identity.json vouches for every file asked,
// the real hashing otherwise — a touched file, one the sidecar does not name, an unfinished
// manifest, files from two directories.
import { cpSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordScenario } from '../../src/platform/record.js';
import { loadScenario } from '../../src/scenario/load.js';
import { recordedOrHashed } from '../../src/trace/file-identity.js';
import { readManifest } from '../../src/trace/manifest.js';
import { tempDir } from './helpers.js';

let dir: string;

beforeAll(async () => {
  dir = join(tempDir('tv-identity-'), 'cockpit');
  await recordScenario(loadScenario('cockpit', { durationNs: 1_000_000_000 }), dir);
}, 60_000);

/** A hasher that records what it was asked and answers a marker per path. */
function fallback(): { hash: (paths: readonly string[]) => Promise<string[]>; asked: string[][] } {
  const asked: string[][] = [];
  return { asked, hash: async (paths) => (asked.push([...paths]), paths.map(() => 'hashed')) };
}

describe('recordedOrHashed', () => {
  it("answers the manifest's sha256 for the recorder's files without hashing them", async () => {
    const manifest = readManifest(dir);
    const f = fallback();
    const paths = ['events', 'dlt', 'frames'].map((t) => join(dir, `${t}.arrow`));
    expect(await recordedOrHashed(manifest, f.hash)(paths)).toEqual(['events', 'dlt', 'frames'].map((t) => manifest.tables[t]!.sha256));
    expect(f.asked).toEqual([]);
  });

  it('hashes when a file was touched (its ctime moved), when the manifest is unfinished, or for a file it does not know', async () => {
    const copy = join(tempDir('tv-identity-copy-'), 'trace');
    cpSync(dir, copy, { recursive: true, preserveTimestamps: true });
    const manifest = readManifest(dir);
    const paths = (d: string): string[] => ['events', 'clock'].map((t) => join(d, `${t}.arrow`));
    const copied = fallback();
    expect(await recordedOrHashed(manifest, copied.hash)(paths(copy))).toEqual(['hashed', 'hashed']); // other inodes
    expect(copied.asked).toEqual([paths(copy)]);

    const unfinished = fallback();
    await recordedOrHashed({ ...manifest, complete: false }, unfinished.hash)(paths(dir));
    expect(unfinished.asked).toHaveLength(1);

    const foreign = fallback();
    await recordedOrHashed(manifest, foreign.hash)([join(dir, 'events.arrow'), join(dir, 'manifest.json')]);
    expect(foreign.asked).toHaveLength(1);

    const mixed = fallback();
    await recordedOrHashed(manifest, mixed.hash)([join(dir, 'events.arrow'), join(copy, 'clock.arrow')]);
    expect(mixed.asked).toHaveLength(1);

    const s = statSync(join(dir, 'clock.arrow'));
    utimesSync(join(dir, 'clock.arrow'), s.atime, s.mtime); // the same times back: only ctime moves
    const touched = fallback();
    await recordedOrHashed(manifest, touched.hash)(paths(dir));
    expect(touched.asked).toEqual([paths(dir)]);
  });
});

// Replay by the core's batch digests (issue 9's 1.2x target): a recording writes the core's
// digest of every events and frames batch (digests.ndjson `core`) and the table files' identity
// (identity.json); while both hold, replay checks those batches by the digests alone and reads
// neither file. Anything that casts doubt (a file touched, rewritten, copied; a trace without
// the digests) sends it back to reading the files, with the same answers as before.
import { cpSync, readFileSync, utimesSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Core } from '../../src/core/core.js';
import { recordScenario } from '../../src/platform/record.js';
import { RecordedColumnDigests } from '../../src/replay/recorded-digests.js';
import { replayTrace } from '../../src/replay/verify-run.js';
import { loadScenario } from '../../src/scenario/load.js';
import { fileIdentity, identityIntact, IDENTITY_FILE, writeIdentity } from '../../src/trace/file-identity.js';
import { readManifest } from '../../src/trace/manifest.js';
import { TABLE_NAMES } from '../../src/trace/tables.js';
import { tempDir } from '../trace/helpers.js';
import { columnValues, editDigestLines, rewriteTable } from './tamper.js';

let original: string;
const TABLE_FILES = TABLE_NAMES.map((t) => `${t}.arrow`);

function copy(): string {
  const dir = join(tempDir('tv-coredig-'), 'trace');
  cpSync(original, dir, { recursive: true });
  return dir;
}

/** A copy whose identity.json is written anew: the recorder's files as far as replay can tell. */
function blessedCopy(): string {
  const dir = copy();
  writeIdentity(dir, TABLE_FILES);
  return dir;
}

beforeAll(async () => {
  original = join(tempDir('tv-coredig-src-'), 'cockpit');
  await recordScenario(loadScenario('cockpit', { durationNs: 3_000_000_000 }), original);
}, 60_000);

describe('a recording', () => {
  it('writes a core digest for every events and frames batch, none for the others', () => {
    const manifest = readManifest(original);
    const lines = readFileSync(join(original, 'digests.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const batches = lines.filter((l) => typeof l.table === 'string');
    for (const t of TABLE_NAMES) {
      const own = batches.filter((l) => l.table === t);
      expect(own).toHaveLength(manifest.tables[t]!.batches);
      for (const l of own) expect(l.core === undefined, `${t} batch ${String(l.batch)}`).toBe(t !== 'events' && t !== 'frames');
    }
    expect(batches.filter((l) => l.table === 'events').length).toBeGreaterThan(0);
    expect(batches.filter((l) => l.table === 'frames').length).toBeGreaterThan(0);
  });

  it('writes identity.json naming the manifest and every table file as it is', () => {
    expect(identityIntact(original, TABLE_FILES)).toBe(true);
    const value = JSON.parse(readFileSync(join(original, IDENTITY_FILE), 'utf8')) as { files: Record<string, string> };
    for (const f of TABLE_FILES) expect(value.files[f]).toBe(fileIdentity(join(original, f)));
  });
});

describe('identityIntact', () => {
  it('is false once a file is touched back to its own times (ctime moves), rewritten, or the manifest changes', () => {
    const touched = blessedCopy();
    expect(identityIntact(touched, TABLE_FILES)).toBe(true);
    const s = statSync(join(touched, 'events.arrow'));
    utimesSync(join(touched, 'events.arrow'), s.atime, s.mtime);
    expect(identityIntact(touched, TABLE_FILES)).toBe(false);
    expect(identityIntact(touched, ['frames.arrow'])).toBe(true); // only the touched file doubts

    const rewritten = blessedCopy();
    writeFileSync(join(rewritten, 'frames.arrow'), readFileSync(join(rewritten, 'frames.arrow')));
    expect(identityIntact(rewritten, ['frames.arrow'])).toBe(false);

    const manifestEdited = blessedCopy();
    writeFileSync(join(manifestEdited, 'manifest.json'), readFileSync(join(manifestEdited, 'manifest.json'), 'utf8') + ' ');
    expect(identityIntact(manifestEdited, ['events.arrow'])).toBe(false);
  });

  it('is false without a sidecar, with a foreign, garbled or oversized one, or for a file it does not name', () => {
    const dir = blessedCopy();
    expect(identityIntact(dir, ['events.arrow', 'no-such.arrow'])).toBe(false);
    const path = join(dir, IDENTITY_FILE);
    const good = readFileSync(path, 'utf8');
    writeFileSync(path, good.replace('"identity":1', '"identity":2'));
    expect(identityIntact(dir, ['events.arrow'])).toBe(false);
    writeFileSync(path, good.slice(0, 40));
    expect(identityIntact(dir, ['events.arrow'])).toBe(false);
    writeFileSync(path, good.replace('}}', `},"pad":"${'x'.repeat(70_000)}"}`));
    expect(identityIntact(dir, ['events.arrow'])).toBe(false);
    writeFileSync(path, good);
    expect(identityIntact(dir, ['events.arrow'])).toBe(true);
  });
});

describe('replay by the core digests', () => {
  it('checks a fresh recording by them: identical, every batch matched, no file read back', async () => {
    const outcome = await replayTrace(original);
    expect(outcome.batchCheck).toBe('core digests');
    expect(outcome.verifier.identical).toBe(true);
    const manifest = readManifest(original);
    for (const t of TABLE_NAMES) expect(outcome.verifier.matched[t].rows).toBe(manifest.tables[t]!.rows);
  });

  it('reads the files when one was touched, or the trace was copied: the same answer', async () => {
    const touched = blessedCopy();
    const s = statSync(join(touched, 'frames.arrow'));
    utimesSync(join(touched, 'frames.arrow'), s.atime, s.mtime);
    for (const dir of [touched, copy()]) {
      const outcome = await replayTrace(dir);
      expect(outcome.batchCheck).toBe('file bytes');
      expect(outcome.verifier.identical).toBe(true);
    }
  });

  it('reads the files of a trace whose digests have no core digests (recorded before them)', async () => {
    const dir = copy();
    editDigestLines(dir, ({ core, ...line }) => (typeof line.table === 'string' ? line : { ...line, core }));
    writeIdentity(dir, TABLE_FILES); // the files are the recorder's: only the digests lack
    const outcome = await replayTrace(dir);
    expect(outcome.batchCheck).toBe('file bytes');
    expect(outcome.verifier.identical).toBe(true);
  });

  it('a batch whose core digest differs is checked by its full digest (here: still equal rows, so identical)', async () => {
    const dir = copy();
    editDigestLines(dir, (line) => (line.table === 'events' && line.batch === 0 ? { ...line, core: '0123456789abcdef' } : line));
    writeIdentity(dir, TABLE_FILES);
    const outcome = await replayTrace(dir);
    expect(outcome.batchCheck).toBe('core digests');
    expect(outcome.verifier.identical).toBe(true);
    expect(outcome.verifier.matched.events.rows).toBe(readManifest(dir).tables.events!.rows);
  });

  it('keeps no frame bytes in the ring while the core digests check the frames (the default without -o)', async () => {
    const keep = vi.spyOn(Core.prototype, 'framesKeepBytes');
    try {
      const outcome = await replayTrace(original);
      expect(outcome.verifier.identical).toBe(true);
      expect(outcome.framesRerun).toBeUndefined();
      expect(keep.mock.calls).toEqual([[false]]);
      keep.mockClear();
      const written = join(tempDir('tv-coredig-out-'), 'trace');
      expect((await replayTrace(original, { output: written })).verifier.identical).toBe(true);
      expect(keep).not.toHaveBeenCalled(); // -o writes the frames: their bytes stay
    } finally {
      keep.mockRestore();
    }
  });

  it('a frames batch whose core digest differs: the replay runs again keeping the bytes, and checks it by its full digest', async () => {
    const dir = copy();
    editDigestLines(dir, (line) => (line.table === 'frames' && line.batch === 1 ? { ...line, core: '0123456789abcdef' } : line));
    writeIdentity(dir, TABLE_FILES);
    const outcome = await replayTrace(dir);
    expect(outcome.framesRerun).toBe(true);
    expect(outcome.batchCheck).toBe('core digests');
    expect(outcome.verifier.identical).toBe(true);
    expect(outcome.verifier.matched.frames.rows).toBe(readManifest(dir).tables.frames!.rows);
  });

  it('reads the files of a trace whose core digests follow the first definition (a header without coreDigest)', async () => {
    const dir = copy();
    editDigestLines(dir, ({ coreDigest, ...line }) => (line.digests !== undefined ? line : { ...line, coreDigest }));
    writeIdentity(dir, TABLE_FILES);
    const outcome = await replayTrace(dir);
    expect(outcome.batchCheck).toBe('file bytes');
    expect(outcome.verifier.identical).toBe(true);
  });

  it('a tampered row is named after the trace is rewritten (the rewrite breaks the identity)', async () => {
    const dir = copy();
    writeIdentity(dir, TABLE_FILES);
    rewriteTable(dir, 'events', (index, batch) => {
      if (index === 0) columnValues<BigInt64Array>(batch, 'val')[777]! += 1n;
    });
    const outcome = await replayTrace(dir);
    expect(outcome.batchCheck).toBe('file bytes');
    expect(outcome.verifier.divergence).toMatchObject({ table: 'events', row: 777 });
  });

  it('hashes no small table file while its identity holds, and finds one changed in place', async () => {
    const fresh = await replayTrace(blessedCopy());
    expect(fresh.verifier.identical).toBe(true);
    const dir = blessedCopy();
    const path = join(dir, 'dlt.arrow');
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1] ^= 0xff; // the dlt rows are checked by their digests: only the file's hash sees this
    writeFileSync(path, bytes);
    await expect(replayTrace(dir)).rejects.toThrow(/trace damaged: dlt: content hash differs/);
  });

  it('a file changed in place after the recording is damage, as before', async () => {
    const dir = blessedCopy();
    const path = join(dir, 'frames.arrow');
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(path, bytes);
    await expect(replayTrace(dir)).rejects.toThrow(/trace damaged: frames/);
  });
});

describe('digests.ndjson', () => {
  it('an epoch line without its digests is a clear error naming the line, not a crash', async () => {
    const dir = copy();
    editDigestLines(dir, ({ core, ...line }) => (line.epoch === 2 ? line : { ...line, core }));
    await expect(replayTrace(dir)).rejects.toThrow(/digests\.ndjson:\d+: epoch 2: /);
  });
});

describe('RecordedColumnDigests', () => {
  it('matches a batch only with its row count and core digest, in order, and covers only full lists', () => {
    const recorded = [{ rows: 3, digest: 'x', core: 'aaaaaaaaaaaaaaaa' }, { rows: 5, digest: 'y', core: 'bbbbbbbbbbbbbbbb' }];
    const asked: number[] = [];
    const d = new RecordedColumnDigests('/x', 'events', recorded, (_t, n) => (asked.push(n), n === 3 ? 'aaaaaaaaaaaaaaaa' : 'cccccccccccccccc'));
    expect(d.matchesNext(null, 3)).toBe(true);
    expect(d.matchesNext(null, 5)).toBe(false);
    expect(d.matchesNext(null, 1)).toBe(false); // past the recording's batches
    expect(asked).toEqual([3, 5]);
    expect(new RecordedColumnDigests('/x', 'events', recorded, () => 'aaaaaaaaaaaaaaaa').matchesNext(null, 4)).toBe(false);
    expect(RecordedColumnDigests.cover(recorded, 2)).toBe(true);
    expect(RecordedColumnDigests.cover(recorded, 3)).toBe(false);
    expect(RecordedColumnDigests.cover([recorded[0]!, { rows: 5, digest: 'y' }], 2)).toBe(false);
  });
});

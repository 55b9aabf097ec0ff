// The manifest's optional `snapshots` field (issue 10 §3): absent in traces recorded without
// snapshots, written after `digests` when present, and checked by the manifest's schema on read.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listInManifest, listSnapshots } from '../../src/snapshot/index.js';
import { Recorder, TraceError } from '../../src/trace/index.js';
import { readManifest, type ManifestSnapshot } from '../../src/trace/manifest.js';
import { META, eventColumns, tempDir } from '../trace/helpers.js';

function recorded(): string {
  const dir = tempDir('tv-snap-manifest-');
  const rec = Recorder.create(dir, META);
  rec.appendEvents(eventColumns([{ ts: 1, kind: 'vq_used' }]), 1);
  rec.finish();
  return dir;
}

const ENTRY: ManifestSnapshot = {
  id: 's000001', timeNs: 1_000_000_000, seq: 4711, file: 's000001.index', bytes: 3000,
  sha256: 'a'.repeat(64), pagesFile: 's000001.pages', pagesBytes: 5000,
};

describe('manifest.snapshots', () => {
  it('a trace recorded without snapshots has no such key, and lists none', () => {
    const dir = recorded();
    expect('snapshots' in JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))).toBe(false);
    expect(listSnapshots(dir)).toEqual([]);
  });

  it('listed entries read back as written, the key placed before host', () => {
    const dir = recorded();
    listInManifest(dir, [ENTRY]);
    expect(readManifest(dir).snapshots).toEqual([ENTRY]);
    expect(listSnapshots(dir)).toEqual([ENTRY]);
    const keys = Object.keys(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
    expect(keys.indexOf('snapshots')).toBe(keys.indexOf('host') - 1);
  });

  it('an entry that breaks the schema makes the manifest invalid, naming the field', () => {
    const dir = recorded();
    listInManifest(dir, [ENTRY]);
    const path = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8')) as { snapshots: Record<string, unknown>[] };
    m.snapshots[0]!.sha256 = 'XYZ';
    writeFileSync(path, JSON.stringify(m));
    try {
      listSnapshots(dir);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(TraceError);
      expect((error as TraceError).message).toBe(`${path}: manifest invalid at snapshots.0.sha256: 64 lowercase hex digits`);
    }
  });
});

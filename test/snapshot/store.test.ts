// The snapshot store (src/snapshot): snapshots/ in a trace directory, content-addressed deflated
// 4 KiB pages stored once per trace, an index per snapshot listed in the manifest with its hash,
// read back through one door that refuses a damaged or foreign snapshot with a clear message.
import { existsSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.js';
import { SnapshotError } from '../../src/core/snapshot.js';
import type { SnapshotIndex } from '../../src/snapshot/format.js';
import { BackgroundSnapshotStore } from '../../src/snapshot/background-store.js';
import { closeSnapshots, listInManifest, listSnapshots, readSnapshot, writeSnapshot } from '../../src/snapshot/index.js';
import type { ManifestSnapshot } from '../../src/trace/manifest.js';
import { COCKPIT_LIMITS, cockpitSnapshots, rewriteIndex, snapshotPath, traceDir, type Taken } from './helpers.js';

const TIMES_NS = [500_000_000, 1_000_000_000, 1_500_000_000];
const PLATFORM_STATE = { engine: { nowNs: 1, queue: [[5, 2, 'timer', [1, 2]]] }, note: 'the lead fills this' };

let taken: Taken[];
beforeAll(async () => {
  taken = (await cockpitSnapshots(TIMES_NS)).taken;
}, 60_000);

/** A trace directory holding the three cockpit snapshots, listed in its manifest. */
function storedTrace(): { dir: string; entries: ManifestSnapshot[] } {
  const dir = traceDir();
  const entries = taken.map((t) => writeSnapshot(dir, t.snapshot, PLATFORM_STATE));
  listInManifest(dir, entries);
  closeSnapshots(dir);
  return { dir, entries };
}

function indexOf(dir: string, entry: ManifestSnapshot): SnapshotIndex {
  return JSON.parse(inflateSync(readFileSync(snapshotPath(dir, entry.file))).toString('utf8')) as SnapshotIndex;
}

function refusal(dir: string, id: string): SnapshotError {
  try {
    readSnapshot(dir, id);
  } catch (error) {
    expect(error).toBeInstanceOf(SnapshotError);
    return error as SnapshotError;
  }
  throw new Error(`snapshot ${id} was accepted`);
}

describe('writeSnapshot / listSnapshots / readSnapshot', () => {
  it('reads back every page, global and the TypeScript state as written, listed in the manifest in order', () => {
    const { dir, entries } = storedTrace();
    expect(listSnapshots(dir)).toEqual(entries);
    expect(entries.map((e) => [e.id, e.timeNs])).toEqual([['s000001', TIMES_NS[0]], ['s000002', TIMES_NS[1]], ['s000003', TIMES_NS[2]]]);
    entries.forEach((entry, i) => {
      const read = readSnapshot(dir, entry.id);
      const want = taken[i]!.snapshot;
      expect(read.entry).toEqual(entry);
      expect(read.platform).toEqual(PLATFORM_STATE);
      expect(read.core.globals).toEqual(want.globals);
      expect(read.core.limits).toEqual(want.limits);
      expect([read.core.seed, read.core.seq, read.core.timeNs]).toEqual([want.seed, want.seq, want.timeNs]);
      expect(read.core.pages.length).toBe(want.pages.length);
      expect(read.core.pages.every((p, k) => Buffer.compare(p, want.pages[k]!) === 0)).toBe(true);
    });
  });

  it('a core restored from a snapshot read back has the digests the original had at that time', () => {
    const { dir, entries } = storedTrace();
    entries.forEach((entry, i) => {
      const core = Core.fromSnapshotSync(COCKPIT_LIMITS, readSnapshot(dir, entry.id).core);
      expect(core.stateDigests()).toEqual(taken[i]!.digests);
      expect(core.now()).toBe(TIMES_NS[i]);
    });
  });

  it('each distinct page is stored once across the trace: later snapshots store only changed pages', () => {
    const { dir, entries } = storedTrace();
    const indexes = entries.map((e) => indexOf(dir, e));
    const home = new Map<string, string>();
    for (const index of indexes) {
      for (const [hash, pack] of index.pages) {
        if (home.has(hash)) expect(pack).toBe(home.get(hash));
        else home.set(hash, pack);
      }
    }
    // the pages each pack holds are those first used by its snapshot, by the writer's count
    const firstUsed = entries.map((e) => [...home.values()].filter((p) => p === e.id).length);
    const distinct = (i: number): number => new Set(taken[i]!.snapshot.pages.map((p) => Buffer.from(p).toString('base64'))).size;
    expect(firstUsed[0]).toBe(distinct(0));
    expect(firstUsed[1]! + firstUsed[2]!).toBeGreaterThan(0);
    expect(firstUsed[1]!).toBeLessThan(firstUsed[0]! / 2);
    expect(entries[1]!.pagesBytes).toBeLessThan(entries[0]!.pagesBytes);
    expect(indexes[0]!.memoryBytes).toBe(taken[0]!.snapshot.pages.length * 4096);
  });

  it('a recording\'s store on a worker thread writes the same files and entries, in order, as writeSnapshot here', () => {
    const { dir, entries } = storedTrace();
    const other = traceDir();
    const store = new BackgroundSnapshotStore(other);
    const got: ManifestSnapshot[] = [];
    try {
      for (const t of taken) {
        store.write(t.snapshot, PLATFORM_STATE);
        got.push(...store.take()); // whatever is done by now; the rest comes from flush
      }
      got.push(...store.flush());
      expect(store.flush()).toEqual([]);
    } finally {
      store.close();
    }
    expect(got).toEqual(entries);
    for (const name of readdirSync(snapshotPath(dir, ''))) {
      expect(readFileSync(snapshotPath(other, name)).equals(readFileSync(snapshotPath(dir, name)))).toBe(true);
    }
    listInManifest(other, got);
    expect(Buffer.compare(readSnapshot(other, 's000003').core.pages[5]!, taken[2]!.snapshot.pages[5]!)).toBe(0);
  });

  it('a write the worker thread fails is an error at the next take or flush, not a silent gap', () => {
    const dir = traceDir();
    const store = new BackgroundSnapshotStore(dir);
    try {
      rmSync(snapshotPath(dir, ''), { recursive: true }); // the folder gone under the recording
      store.write(taken[0]!.snapshot, PLATFORM_STATE);
      expect(() => store.flush()).toThrow(/^snapshot store: writing a snapshot failed: ENOENT/);
    } finally {
      store.close();
    }
  });

  it('files are written under a temporary name and renamed (none left behind); a new store clears an old trace\'s', () => {
    const { dir } = storedTrace();
    const files = readdirSync(snapshotPath(dir, '')).sort();
    expect(files).toEqual(['s000001.index', 's000001.pages', 's000002.index', 's000002.pages', 's000003.index', 's000003.pages']);
    writeSnapshot(dir, taken[0]!.snapshot); // a re-record into the same directory
    expect(readdirSync(snapshotPath(dir, '')).sort()).toEqual(['s000001.index', 's000001.pages']);
    closeSnapshots(dir);
  });

  it('an older trace lists none, and asking for one says what it has', () => {
    const dir = traceDir();
    expect(listSnapshots(dir)).toEqual([]);
    const e = refusal(dir, 's000001');
    expect(e.code).toBe('snapshot_unknown');
    expect(e.message).toBe(`${dir}: the trace lists no snapshot s000001 (it has none)`);
    const stored = storedTrace();
    expect(refusal(stored.dir, 's000009').message).toBe(`${stored.dir}: the trace lists no snapshot s000009 (it has s000001..s000003)`);
  });
});

describe('a damaged or foreign snapshot is refused with a message naming what is wrong', () => {
  it('a byte flipped in a stored page', () => {
    const { dir, entries } = storedTrace();
    const [hash, , offset, zbytes] = indexOf(dir, entries[0]!).pages.find((p) => p[3] > 40)!;
    const path = snapshotPath(dir, 's000001.pages');
    const bytes = readFileSync(path);
    bytes[offset + Math.floor(zbytes / 2)]! ^= 0x20;
    writeFileSync(path, bytes);
    const e = refusal(dir, 's000001');
    expect(e.code).toBe('snapshot_damaged');
    expect(e.message).toMatch(new RegExp(`^${dir}: snapshot s000001: page ${hash.slice(0, 16)}… in s000001\\.pages (fails its sha256|does not inflate)$`));
    // a later snapshot that uses the page is refused too, one that does not is still read
    expect(() => readSnapshot(dir, 's000002')).toThrow(SnapshotError);
  });

  it('the index truncated', () => {
    const { dir, entries } = storedTrace();
    truncateSync(snapshotPath(dir, 's000002.index'), 100);
    expect(refusal(dir, 's000002').message).toBe(`${dir}: snapshot s000002: s000002.index is 100 bytes, the manifest says ${entries[1]!.bytes}`);
    expect(readSnapshot(dir, 's000001').entry.id).toBe('s000001');
  });

  it('a byte flipped in the index', () => {
    const { dir } = storedTrace();
    const path = snapshotPath(dir, 's000001.index');
    const bytes = readFileSync(path);
    bytes[10]! ^= 1;
    writeFileSync(path, bytes);
    expect(refusal(dir, 's000001').message).toBe(`${dir}: snapshot s000001: s000001.index fails the sha256 the manifest lists`);
  });

  it('a page swapped for another (an index consistent with the manifest that points at the wrong bytes)', () => {
    const { dir } = storedTrace();
    let named = '';
    rewriteIndex(dir, 's000001', (index) => {
      const pages = index.pages as SnapshotIndex['pages'];
      const [a, b] = pages.filter((p) => p[1] === 's000001' && p[3] > 40);
      named = a![0];
      [a![2], b![2], a![3], b![3], a![4], b![4]] = [b![2], a![2], b![3], a![3], b![4], a![4]]; // a's hash, b's bytes
    });
    const e = refusal(dir, 's000001');
    expect(e.code).toBe('snapshot_damaged');
    expect(e.message).toBe(`${dir}: snapshot s000001: page ${named.slice(0, 16)}… in s000001.pages fails its sha256`);
  });

  it('another core version, another core.wasm', () => {
    const { dir } = storedTrace();
    rewriteIndex(dir, 's000002', (index) => {
      index.coreVersion = (index.coreVersion as number) + 1;
    });
    const e = refusal(dir, 's000002');
    expect(e.code).toBe('snapshot_foreign');
    expect(e.message).toMatch(/^snapshot of core version \d+, this core is version \d+; re-run from the start$/);
    rewriteIndex(dir, 's000003', (index) => {
      index.wasmSha256 = 'f'.repeat(64);
    });
    expect(refusal(dir, 's000003').message).toMatch(/^snapshot of core\.wasm f{16}…, this build is [0-9a-f]{16}…/);
  });

  it('a page table that does not cover the memory, or names a page it does not list', () => {
    const { dir } = storedTrace();
    rewriteIndex(dir, 's000001', (index) => {
      const table = index.table as number[];
      table[table.length - 1]! -= 1;
    });
    expect(refusal(dir, 's000001').message).toMatch(/: page table covers (\d+) pages, the memory of \d+ bytes has \d+$/);
    rewriteIndex(dir, 's000002', (index) => {
      (index.table as number[])[0] = 99_999;
    });
    expect(refusal(dir, 's000002').message).toMatch(/: page table names page 99999 of \d+$/);
  });

  it('an index that breaks the schema, or names a pack listed after it', () => {
    const { dir } = storedTrace();
    rewriteIndex(dir, 's000001', (index) => {
      delete index.globals;
    });
    expect(refusal(dir, 's000001').message).toMatch(/: s000001\.index invalid at globals: /);
    rewriteIndex(dir, 's000002', (index) => {
      (index.pages as SnapshotIndex['pages'])[0]![1] = 's000003';
    });
    expect(refusal(dir, 's000002').message).toContain('a page lies in s000003, which the manifest does not list before it');
  });

  it('a pages file truncated or missing', () => {
    const { dir, entries } = storedTrace();
    truncateSync(snapshotPath(dir, 's000002.pages'), 7);
    expect(refusal(dir, 's000002').message).toBe(`${dir}: snapshot s000002: s000002.pages is 7 bytes, the manifest says ${entries[1]!.pagesBytes}`);
    rmSync(snapshotPath(dir, 's000001.pages'));
    expect(refusal(dir, 's000001').message).toBe(`${dir}: snapshot s000001: cannot read snapshots/s000001.pages (ENOENT)`);
    expect(existsSync(snapshotPath(dir, 's000001.index'))).toBe(true);
  });

  it('the TypeScript state changed behind its hash', () => {
    const { dir } = storedTrace();
    rewriteIndex(dir, 's000003', (index) => {
      index.platform = { engine: { nowNs: 2 } };
    });
    expect(refusal(dir, 's000003').message).toBe(`${dir}: snapshot s000003: its TypeScript state fails its sha256`);
  });
});

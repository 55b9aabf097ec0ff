// The snapshot store (src/snapshot): snapshots/ in a trace directory, deflated groups of 4 KiB
// pages, each snapshot storing only the pages changed since the previous one, an index per
// snapshot (the groups it uses with their sha256, a page table) listed in the manifest with its hash,
// read back through one door that refuses a damaged or foreign snapshot with a clear message.
import { existsSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.js';
import { SnapshotError } from '../../src/core/snapshot.js';
import { SNAPSHOT_FORMAT_VERSION, type SnapshotIndex } from '../../src/snapshot/format.js';
import { BackgroundSnapshotStore, snapshotWorker } from '../../src/snapshot/background-store.js';
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

  it('later snapshots store only the pages that changed since the previous one; zero pages are stored nowhere', () => {
    const { dir, entries } = storedTrace();
    const indexes = entries.map((e) => indexOf(dir, e));
    const zero = Buffer.alloc(4096);
    // worked out from the snapshots' bytes, not from the writer: a page is stored when it is not
    // all zeros and differs from the same page of the previous snapshot
    const changed = taken.map((t, k) =>
      t.snapshot.pages.filter((p, i) => !zero.equals(p) && (k === 0 || Buffer.compare(p, taken[k - 1]!.snapshot.pages[i]!) !== 0)).length);
    const storedIn = (id: string): number =>
      indexes.flatMap((x) => x.groups).filter((g, i, all) => g[0] === id && all.findIndex((h) => h[0] === id && h[1] === g[1]) === i)
        .reduce((n, g) => n + g[3], 0);
    expect(entries.map((e) => storedIn(e.id))).toEqual(changed);
    expect(changed[1]!).toBeGreaterThan(0);
    expect(changed[1]!).toBeLessThan(changed[0]! / 2);
    expect(entries[1]!.pagesBytes).toBeLessThan(entries[0]!.pagesBytes);
    expect(indexes[0]!.memoryBytes).toBe(taken[0]!.snapshot.pages.length * 4096);
    // an index only names groups of its own or an earlier snapshot's pack
    indexes.forEach((x, k) => expect(x.groups.every((g) => entries.findIndex((e) => e.id === g[0]) <= k)).toBe(true));
    expect(indexes[2]!.groups.some((g) => g[0] === 's000001')).toBe(true); // unchanged pages still lie where first stored
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

  it('a pages buffer the worker gave back carries a later snapshot\'s pages, never its stale bytes', () => {
    const { dir, entries } = storedTrace();
    const other = traceDir();
    const store = new BackgroundSnapshotStore(other);
    const spare = (store as unknown as { spare: ArrayBuffer[] }).spare;
    const got: ManifestSnapshot[] = [];
    try {
      for (const t of taken) {
        const had = spare.length;
        store.write(t.snapshot, PLATFORM_STATE); // the first snapshot's buffer holds the most pages
        expect(spare.length).toBe(Math.max(0, had - 1));
        got.push(...store.flush()); // answered: its buffer is back
        expect(spare.length).toBe(1);
      }
    } finally {
      store.close();
    }
    expect(got).toEqual(entries);
    for (const name of readdirSync(snapshotPath(dir, ''))) {
      expect(readFileSync(snapshotPath(other, name)).equals(readFileSync(snapshotPath(dir, name)))).toBe(true);
    }
  });

  it('every store of a process writes through one worker thread: two at once write what one alone does', () => {
    const { dir, entries } = storedTrace();
    const [a, b] = [traceDir(), traceDir()];
    const stores = [new BackgroundSnapshotStore(a), new BackgroundSnapshotStore(b)];
    const worker = snapshotWorker();
    expect(worker).not.toBeNull();
    try {
      for (const t of taken) for (const store of stores) store.write(t.snapshot, PLATFORM_STATE);
      for (const store of stores) expect(store.flush()).toEqual(entries);
    } finally {
      for (const store of stores) store.close();
    }
    const after = new BackgroundSnapshotStore(traceDir()); // a later recording: the same thread
    after.close();
    expect(snapshotWorker()).toBe(worker);
    for (const other of [a, b]) {
      for (const name of readdirSync(snapshotPath(dir, ''))) {
        expect(readFileSync(snapshotPath(other, name)).equals(readFileSync(snapshotPath(dir, name)))).toBe(true);
      }
    }
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
    const used = indexOf(dir, entries[1]!).groups.filter((g) => g[0] === 's000001').map((g) => g[1]);
    const [, offset, zbytes] = indexOf(dir, entries[0]!).groups.find((g) => g[2] > 40 && used.includes(g[1]))!;
    const path = snapshotPath(dir, 's000001.pages');
    const bytes = readFileSync(path);
    bytes[offset + Math.floor(zbytes / 2)]! ^= 0x20;
    writeFileSync(path, bytes);
    const e = refusal(dir, 's000001');
    expect(e.code).toBe('snapshot_damaged');
    expect(e.message).toBe(`${dir}: snapshot s000001: the group at ${offset} of s000001.pages fails its sha256`);
    // a later snapshot that uses the group is refused too
    expect(refusal(dir, 's000002').message).toBe(`${dir}: snapshot s000002: the group at ${offset} of s000001.pages fails its sha256`);
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

  it('a group swapped for another (an index consistent with the manifest that points at the wrong bytes)', () => {
    const { dir } = storedTrace();
    let named = 0;
    rewriteIndex(dir, 's000001', (index) => {
      const [a, b] = (index.groups as SnapshotIndex['groups']).filter((g) => g[0] === 's000001' && g[2] > 40);
      [a![1], b![1], a![2], b![2]] = [b![1], a![1], b![2], a![2]]; // a's hash, b's bytes
      named = a![1];
    });
    const e = refusal(dir, 's000001');
    expect(e.code).toBe('snapshot_damaged');
    expect(e.message).toBe(`${dir}: snapshot s000001: the group at ${named} of s000001.pages fails its sha256`);
  });

  it('a group listed with more pages than its bytes hold (its hash still fits)', () => {
    const { dir } = storedTrace();
    let named = 0;
    let pages = 0;
    rewriteIndex(dir, 's000001', (index) => {
      const short = (index.groups as SnapshotIndex['groups']).find((g) => g[3] < 16)!; // a pack's last group
      [named, pages] = [short[1], short[3]];
      short[3] += 1;
    });
    expect(pages).toBeGreaterThan(0);
    expect(refusal(dir, 's000001').message).toBe(
      `${dir}: snapshot s000001: the group at ${named} of s000001.pages holds ${pages * 4096} bytes, not ${pages + 1} pages`);
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

  it('a page table that does not cover the memory, names a group it does not list, or slots beyond a group', () => {
    const { dir } = storedTrace();
    rewriteIndex(dir, 's000001', (index) => {
      const table = index.table as number[];
      table[table.length - 1]! -= 1;
    });
    expect(refusal(dir, 's000001').message).toMatch(/: page table covers (\d+) pages, the memory of \d+ bytes has \d+$/);
    rewriteIndex(dir, 's000002', (index) => {
      (index.table as number[])[0] = 99_999;
    });
    expect(refusal(dir, 's000002').message).toMatch(/: page table names group 99999 of \d+$/);
    rewriteIndex(dir, 's000003', (index) => {
      const table = index.table as number[];
      const i = table.findIndex((g, k) => k % 3 === 0 && g > 0);
      table[i + 1] = 16;
    });
    expect(refusal(dir, 's000003').message).toMatch(/: page table names pages 16\.\.\d+ of group \d+, which holds \d+$/);
  });

  it('an index that breaks the schema, or names a pack listed after it', () => {
    const { dir } = storedTrace();
    rewriteIndex(dir, 's000001', (index) => {
      delete index.globals;
    });
    expect(refusal(dir, 's000001').message).toMatch(/: s000001\.index invalid at globals: /);
    rewriteIndex(dir, 's000002', (index) => {
      (index.groups as SnapshotIndex['groups'])[0]![0] = 's000003';
    });
    expect(refusal(dir, 's000002').message).toContain('a page lies in s000003, which the manifest does not list before it');
  });

  it('a snapshot of format 1 (content-addressed pages, before this build) is refused as foreign', () => {
    const { dir } = storedTrace();
    rewriteIndex(dir, 's000002', (index) => {
      index.formatVersion = 2; // the deflated pages of the build before (format.ts)
    });
    const e = refusal(dir, 's000002');
    expect(e.code).toBe('snapshot_foreign');
    expect(e.message).toBe(`${dir}: snapshot s000002: s000002.index is snapshot format 2, this build reads format ${SNAPSHOT_FORMAT_VERSION}; re-record the trace to seek from snapshots`);
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

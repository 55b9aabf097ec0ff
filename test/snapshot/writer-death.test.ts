// The snapshot writer thread dying under a recording (src/snapshot/background-store.ts): its death
// is noticed at once (its exit flag, or the Worker's events while flushAsync waits), not after
// the 120 s a stuck thread gets, and the snapshots it did not answer, and every later one, are
// written in the recording's thread: each listed entry reads back as the snapshot taken.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BackgroundSnapshotStore, snapshotWorker } from '../../src/snapshot/background-store.js';
import { listInManifest, readSnapshot } from '../../src/snapshot/index.js';
import type { ManifestSnapshot } from '../../src/trace/manifest.js';
import { cockpitSnapshots, traceDir, type Taken } from './helpers.js';

const TIMES_NS = [500_000_000, 1_000_000_000, 1_500_000_000];
const PLATFORM_STATE = { note: 'state' };

let taken: Taken[];
beforeAll(async () => {
  taken = (await cockpitSnapshots(TIMES_NS)).taken;
}, 60_000);

afterEach(() => {
  vi.restoreAllMocks();
});

/** Each entry, read back from `dir`, holds the pages of the snapshot taken at its place. */
function expectReadsBack(dir: string, entries: ManifestSnapshot[]): void {
  listInManifest(dir, entries);
  expect(entries.map((e) => e.id)).toEqual(['s000001', 's000002', 's000003']);
  entries.forEach((entry, k) => {
    const read = readSnapshot(dir, entry.id);
    const want = taken[k]!.snapshot;
    expect(read.core.pages.length).toBe(want.pages.length);
    const differing = want.pages.findIndex((p, i) => Buffer.compare(p, read.core.pages[i]!) !== 0);
    expect(differing, `${entry.id}: first page that differs`).toBe(-1);
    expect(read.platform).toEqual(PLATFORM_STATE);
  });
}

describe('the snapshot writer thread dies', () => {
  it('terminated between snapshots: the next ones are written here, readable on their own', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const dir = traceDir();
    const store = new BackgroundSnapshotStore(dir);
    const worker = snapshotWorker()!;
    const entries: ManifestSnapshot[] = [];
    try {
      store.write(taken[0]!.snapshot, PLATFORM_STATE);
      entries.push(...(await store.flushAsync()));
      await worker.terminate(); // runs no exit handler: only the Worker's events tell
      const t0 = performance.now();
      store.write(taken[1]!.snapshot, PLATFORM_STATE);
      store.write(taken[2]!.snapshot, PLATFORM_STATE);
      entries.push(...(await store.flushAsync()));
      expect(performance.now() - t0).toBeLessThan(5_000);
    } finally {
      store.close();
    }
    expectReadsBack(dir, entries);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/^snapshot store: the snapshot writer thread exited \(code 1\); writing 0 pending and later snapshots in this thread$/);
    expect(snapshotWorker()).not.toBe(worker); // the next recording gets a live thread
  }, 20_000);

  it('failing with snapshots handed to it: a synchronous flush sees its exit flag at once', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const dir = traceDir();
    const store = new BackgroundSnapshotStore(dir);
    const worker = snapshotWorker()!;
    const entries: ManifestSnapshot[] = [];
    const t0 = performance.now();
    try {
      worker.postMessage(null); // not a store's set-up: an uncaught error, the thread exits
      for (const t of taken) store.write(t.snapshot, PLATFORM_STATE);
      entries.push(...store.flush()); // no event loop turn in between: the flag alone tells
      expect(performance.now() - t0).toBeLessThan(5_000);
    } finally {
      store.close();
    }
    expectReadsBack(dir, entries);
    // the thread may have answered some before it died; the rest were written here, said once
    expect(warn.mock.calls.length).toBeLessThanOrEqual(1);
    // a new store, before the dead thread's events ran, does not attach to it
    const next = new BackgroundSnapshotStore(traceDir());
    next.close();
    expect(snapshotWorker()).not.toBe(worker);
  }, 20_000);
});

// Replay's check of the recorded table files against the manifest when their sha256 runs on a
// worker thread (src/replay/verify-run.ts hashFilesOnThread, src/trace/file-hash-worker.ts
// FileHashThread): the same answers as hashing on the replay's thread — identical for an
// untouched trace, damage (exit 2, one line) for a byte changed behind the manifest's back in
// any file, also one the replay never reads, and for a file that cannot be read.
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HASH_THREAD_BYTES_MIN, hashFilesOnThread, replayTrace } from '../../src/replay/verify-run.js';
import { TABLE_NAMES } from '../../src/trace/tables.js';
import { requireCli, tv } from '../executable.js';
import { tempDir } from '../trace/helpers.js';

let original: string;

function copy(): string {
  const dir = join(tempDir('tv-hash-thread-'), 'trace');
  cpSync(original, dir, { recursive: true });
  return dir;
}

/** Flips one byte 16 bytes before the end (inside the last batch's body, before end of stream). */
function flipNearEnd(path: string): void {
  const bytes = readFileSync(path);
  bytes[bytes.length - 16] ^= 0x01;
  writeFileSync(path, bytes);
}

beforeAll(() => {
  requireCli();
  original = join(tempDir('tv-hash-thread-src-'), 'cockpit');
  const r = tv('record', 'cockpit', '--duration', '1s', '-o', original);
  expect(r.code, r.stderr).toBe(0);
});

describe('hashFilesOnThread', () => {
  const idle2 = { cores: 2, loadAverage: 0.8 };
  it("'auto' takes the thread from HASH_THREAD_BYTES_MIN bytes on", () => {
    expect(hashFilesOnThread('auto', HASH_THREAD_BYTES_MIN - 1, idle2)).toBe(false);
    expect(hashFilesOnThread('auto', HASH_THREAD_BYTES_MIN, idle2)).toBe(true);
  });

  it("'auto' wants a core to spare: two or more, and the load average leaving one idle", () => {
    const big = 4 * HASH_THREAD_BYTES_MIN;
    expect(hashFilesOnThread('auto', big, { cores: 1, loadAverage: 0 })).toBe(false);
    expect(hashFilesOnThread('auto', big, { cores: 2, loadAverage: 1 })).toBe(true);
    expect(hashFilesOnThread('auto', big, { cores: 2, loadAverage: 1.01 })).toBe(false);
    expect(hashFilesOnThread('auto', big, { cores: 8, loadAverage: 6.5 })).toBe(true);
  });

  it("'thread' and 'here' are obeyed whatever the size and the load", () => {
    expect(hashFilesOnThread('thread', 0, { cores: 1, loadAverage: 9 })).toBe(true);
    expect(hashFilesOnThread('here', 10 * HASH_THREAD_BYTES_MIN, idle2)).toBe(false);
  });
});

describe('replay with the files hashed on a thread', () => {
  it('an untouched trace replays identical', async () => {
    const outcome = await replayTrace(original, { hashFiles: 'thread' });
    expect(outcome.ended).toBe('end');
    expect(outcome.verifier.identical).toBe(true);
  });

  it('a flipped byte in clock.arrow (no batch of it is read while the digests match) is damage', async () => {
    const dir = copy();
    flipNearEnd(join(dir, 'clock.arrow'));
    await expect(replayTrace(dir, { hashFiles: 'thread' })).rejects.toThrow(/trace damaged: clock: content hash differs from the manifest/);
  });

  it('a flipped byte in the last events batch (compared, not hashed, on the replay thread) is damage', async () => {
    const dir = copy();
    flipNearEnd(join(dir, 'events.arrow'));
    await expect(replayTrace(dir, { hashFiles: 'thread' })).rejects.toThrow(/trace damaged: events: content hash differs from the manifest/);
  });

  it('a replay stopped early still checks every file whole', async () => {
    const dir = copy();
    flipNearEnd(join(dir, 'sync.arrow'));
    await expect(replayTrace(dir, { hashFiles: 'thread', stop: { untilNs: 300_000_000 } })).rejects.toThrow(/trace damaged: sync: content hash differs/);
  });

  it('a table file the thread cannot read (a directory: EISDIR) is damage, not an internal error', async () => {
    const dir = copy();
    rmSync(join(dir, 'clock.arrow'));
    mkdirSync(join(dir, 'clock.arrow'));
    await expect(replayTrace(dir, { hashFiles: 'thread' })).rejects.toThrow(/trace damaged: a table file cannot be read \(.*EISDIR/);
  });
});

describe('the CLI on a trace large enough for the thread (10 s of the cockpit, ~44 MB)', () => {
  // Whether 'auto' takes the thread here depends on the host's load at the time (the rule is
  // tested above); the answers must be the same either way.
  it('replays identical, and a flipped byte in clock.arrow is one line, exit 2', () => {
    const dir = join(tempDir('tv-hash-thread-big-'), 'cockpit');
    const recorded = tv('record', 'cockpit', '--duration', '10s', '-o', dir);
    expect(recorded.code, recorded.stderr).toBe(0);
    const bytes = TABLE_NAMES.reduce((n, t) => n + statSync(join(dir, `${t}.arrow`)).size, 0);
    expect(bytes).toBeGreaterThanOrEqual(HASH_THREAD_BYTES_MIN);
    const good = tv('replay', dir);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^replay identical: /);
    flipNearEnd(join(dir, 'clock.arrow'));
    const r = tv('replay', dir);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*trace damaged: clock: content hash differs from the manifest/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  }, 60_000);
});

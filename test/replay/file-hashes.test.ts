// FileHashes (src/replay/file-hashes.ts): the table files' sha256, computed a share at a time
// while a replay runs. Expected values come from node:crypto over the whole file read at once.

import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileHashes, fileSha256 } from '../../src/replay/file-hashes.js';

const root = mkdtempSync(join(tmpdir(), 'tv-file-hashes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A file of `size` bytes that are not all alike (3.5 MiB spans several 1 MiB reads). */
function file(name: string, size: number): { path: string; bytes: Uint8Array } {
  const bytes = new Uint8Array(size).map((_, i) => (i * 31 + (i >> 11)) & 0xff);
  const path = join(root, name);
  writeFileSync(path, bytes);
  return { path, bytes };
}

describe('FileHashes', () => {
  it('hashes each file whole whatever the shares asked on the way, in the order of the paths', () => {
    const a = file('a', 3.5 * 1024 * 1024);
    const b = file('b', 0);
    const c = file('c', 1000);
    const hashes = new FileHashes([a.path, b.path, c.path]);
    for (const share of [0, 0.1, 0.1, 0.5, 0.99]) hashes.hashedTo(share);
    expect(hashes.finish()).toEqual([sha(a.bytes), sha(b.bytes), sha(c.bytes)]);
    expect(fileSha256(a.path)).toBe(sha(a.bytes));
  });

  it('bytes appended after it opened the file are hashed too (an appended file is not its old self)', () => {
    const a = file('grown', 2 * 1024 * 1024 + 5);
    const hashes = new FileHashes([a.path]);
    hashes.hashedTo(0.7);
    appendFileSync(a.path, 'junk');
    const whole = Buffer.concat([a.bytes, Buffer.from('junk')]);
    expect(hashes.finish()).toEqual([sha(whole)]);
  });

  it('a file cut after it was opened hashes what is left (and so differs)', () => {
    const a = file('cut', 3 * 1024 * 1024);
    const hashes = new FileHashes([a.path]);
    hashes.hashedTo(0.2); // the first 1 MiB read
    truncateSync(a.path, 1024 * 1024 + 10);
    expect(hashes.finish()).toEqual([sha(a.bytes.subarray(0, 1024 * 1024 + 10))]);
  });

  it('a read error on the way is kept and thrown by finish (the run it is spread over goes on)', () => {
    // A directory opens for reading on Linux but every read of it fails with EISDIR.
    const hashes = new FileHashes([mkdtempSync(join(root, 'dir-'))]);
    expect(() => hashes.hashedTo(0.5)).not.toThrow();
    expect(() => hashes.finish()).toThrow(/EISDIR/);
    hashes.close();
  });

  it('a missing file fails when it is opened, before any run', () => {
    expect(() => new FileHashes([join(root, 'absent')])).toThrow(/ENOENT/);
  });
});

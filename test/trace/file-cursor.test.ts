import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileCursor } from '../../src/trace/framing.js';

// The read-ahead window (FileCursor's readAheadBytes) must give the same bytes, positions and
// hash as plain reads, whatever mix of reads, skips and window refills a walk makes.
const dir = mkdtempSync(join(tmpdir(), 'tv-cursor-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 131 + (i >> 8)) & 0xff);
const path = join(dir, 'file.bin');
writeFileSync(path, bytes);
const sha256 = createHash('sha256').update(bytes).digest('hex');

/** Reads of every size class against the window of 256: inside it, across it, larger than it. */
const STEPS: { op: 'read' | 'reused' | 'skip'; length: number }[] = [
  { op: 'read', length: 8 },
  { op: 'reused', length: 64 },
  { op: 'read', length: 200 }, // crosses the first window's end
  { op: 'skip', length: 40 },
  { op: 'reused', length: 1000 }, // larger than the window
  { op: 'skip', length: 3000 }, // past the window: not read unless hashing
  { op: 'reused', length: 16 },
  { op: 'read', length: 255 },
  { op: 'reused', length: 256 },
];

function walk(readAheadBytes: number, hashing: boolean): { seen: number[][]; position: number; hash: string | null } {
  const cursor = new FileCursor(path, hashing, readAheadBytes);
  const seen: number[][] = [];
  for (const step of STEPS) {
    if (step.op === 'skip') cursor.skip(step.length);
    else {
      const got = step.op === 'read' ? cursor.read(step.length)! : cursor.readReused(step.length)!;
      seen.push([cursor.position, ...got]); // copied out before the next read reuses it
    }
  }
  const position = cursor.position;
  return { seen, position, hash: cursor.finish() };
}

describe('FileCursor read-ahead', () => {
  it('reads the bytes plain reads give, at the same positions', () => {
    const plain = walk(0, false);
    const ahead = walk(256, false);
    expect(ahead.seen).toEqual(plain.seen);
    expect(ahead.position).toBe(plain.position);
    let at = 0;
    for (const [i, step] of STEPS.entries()) {
      if (step.op !== 'skip') {
        const row = plain.seen[STEPS.slice(0, i).filter((s) => s.op !== 'skip').length]!;
        expect(row.slice(1)).toEqual([...bytes.subarray(at, at + step.length)]);
      }
      at += step.length;
    }
  });

  it('hashes every byte of the file once, skipped ones too', () => {
    expect(walk(256, true).hash).toBe(sha256);
    expect(walk(0, true).hash).toBe(sha256);
    expect(walk(256, true).seen).toEqual(walk(0, false).seen);
  });

  it('returns a body the window holds as an 8-aligned view of it, no copy', () => {
    const cursor = new FileCursor(path, false, 256);
    cursor.read(8);
    const a = cursor.readReused(64)!;
    expect(a.byteOffset % 8).toBe(0);
    const b = cursor.readReused(64)!;
    expect(b.buffer).toBe(a.buffer); // the same window
    expect(b.byteOffset).toBe(a.byteOffset + 64);
    cursor.close();
  });

  it('says when fewer bytes remain, and fails when the file is shorter than it was', () => {
    const cursor = new FileCursor(path, false, 256);
    cursor.skip(bytes.length - 4);
    expect(cursor.read(8)).toBeNull();
    expect(cursor.readReused(8)).toBeNull();
    expect([...cursor.read(4)!]).toEqual([...bytes.subarray(bytes.length - 4)]);
    cursor.close();
    const shrinking = new FileCursor(path, false, 256);
    writeFileSync(path, bytes.subarray(0, 100));
    try {
      expect(() => shrinking.read(200)).toThrow(/file shrank/);
    } finally {
      shrinking.close();
      writeFileSync(path, bytes);
    }
  });
});

// ReadAheadCursor (src/replay/read-ahead.ts): a 'compare' replay's recorded events and frames
// files are read whole on the thread pool, and driveEpochs turns the event loop after each
// epoch so the replay learns of it. Expected answers come another way: the file's bytes from
// readFileSync, a plain FileCursor's reads, and the order in which setImmediate callbacks run.

import { randomFillSync } from 'node:crypto';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Platform } from '../../src/platform/platform.js';
import { CountingSink } from '../../src/platform/sink.js';
import { driveEpochs } from '../../src/replay/digest-epochs.js';
import { READ_AHEAD_BYTES_MAX, ReadAheadCursor } from '../../src/replay/read-ahead.js';
import { replayTrace } from '../../src/replay/verify-run.js';
import { recordScenario } from '../../src/platform/record.js';
import { loadScenario } from '../../src/scenario/load.js';
import { FileCursor } from '../../src/trace/framing.js';
import { tempDir } from '../trace/helpers.js';

const SCENARIO = join(import.meta.dirname, 'tiny-ecu.json');

function randomFile(bytes: number): { path: string; content: Buffer } {
  const path = join(tempDir('tv-read-ahead-'), 'table.arrow');
  const content = randomFillSync(Buffer.alloc(bytes));
  writeFileSync(path, content);
  return { path, content };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Turns the event loop until the cursor says it has read ahead, or `turns` are spent. */
async function readAheadWithin(cursor: ReadAheadCursor, turns = 2000): Promise<boolean> {
  for (let i = 0; i < turns && !cursor.readAhead; i++) await new Promise((resolve) => setTimeout(resolve, 1));
  return cursor.readAhead;
}

/** The reads a RecordedTableFile makes (heads, a body, a skip, a body), from any cursor. */
function readPattern(cursor: FileCursor): Uint8Array[] {
  const out = [Uint8Array.from(cursor.read(8)!), Uint8Array.from(cursor.readReused(100_000)!)];
  cursor.skip(12_345);
  out.push(Uint8Array.from(cursor.readReused(50_000)!), Uint8Array.from(cursor.read(3)!));
  return out;
}

describe('ReadAheadCursor', () => {
  it('once read ahead, serves the file\'s bytes as a plain cursor does, bodies as views that stay valid', async () => {
    const { path, content } = randomFile(300_000);
    const cursor = new ReadAheadCursor(path);
    try {
      expect(await readAheadWithin(cursor)).toBe(true);
      const plain = new FileCursor(path, false);
      expect(readPattern(cursor)).toEqual(readPattern(plain));
      plain.close();
      // a later body does not overwrite an earlier one (a plain cursor reuses one scratch buffer)
      const first = cursor.readReused(1000)!;
      const kept = Uint8Array.from(first);
      cursor.readReused(1000);
      expect(Buffer.from(first).equals(kept)).toBe(true);
      expect(Buffer.from(kept).equals(content.subarray(cursor.position - 2000, cursor.position - 1000))).toBe(true);
      expect(cursor.readReused(cursor.remaining + 1)).toBeNull();
    } finally {
      cursor.close();
    }
  });

  it('before the read ahead ends, reads are the plain cursor\'s (the same bytes)', () => {
    const { path, content } = randomFile(200_000);
    const cursor = new ReadAheadCursor(path);
    try {
      expect(cursor.readAhead).toBe(false); // its end is only learnt at a turn of the event loop
      expect(Buffer.from(cursor.read(64)!).equals(content.subarray(0, 64))).toBe(true);
      expect(Buffer.from(cursor.readReused(1000)!).equals(content.subarray(64, 1064))).toBe(true);
    } finally {
      cursor.close();
    }
  });

  it('a file cut after it was opened is never read ahead, and reading past its end is an error', async () => {
    const { path } = randomFile(100_000);
    const cursor = new ReadAheadCursor(path);
    try {
      truncateSync(path, 50_000); // before the read on the thread pool starts (it starts at a turn)
      expect(await readAheadWithin(cursor, 50)).toBe(false);
      cursor.skip(49_992);
      expect(() => cursor.read(16)).toThrow(/file shrank while reading/);
    } finally {
      cursor.close();
    }
  });

  it('a file larger than READ_AHEAD_BYTES_MAX is read batch by batch, not held whole', async () => {
    const path = join(tempDir('tv-read-ahead-'), 'big.arrow');
    writeFileSync(path, '');
    truncateSync(path, READ_AHEAD_BYTES_MAX + 8); // sparse: no 64 MiB written
    const cursor = new ReadAheadCursor(path);
    try {
      expect(await readAheadWithin(cursor, 50)).toBe(false);
      expect(cursor.read(8)).toEqual(new Uint8Array(8));
    } finally {
      cursor.close();
    }
  });
});

describe('driveEpochs turnEventLoop', () => {
  async function immediatesRunDuring(turnEventLoop: boolean): Promise<number[]> {
    const platform = await Platform.create(loadScenario(SCENARIO), new CountingSink());
    platform.boot();
    const ran: number[] = [];
    let epochs = 0;
    setImmediate(() => ran.push(epochs));
    await driveEpochs(platform, 300_000_000, { epochNs: 100_000_000, turnEventLoop, onEpoch: () => epochs++ });
    await turn();
    return ran;
  }

  it('with it, work queued on the event loop runs between epochs; without it, after the run', async () => {
    expect(await immediatesRunDuring(true)).toEqual([1]);
    expect(await immediatesRunDuring(false)).toEqual([3]);
  });
});

describe('a default replay', () => {
  it('compares events and frames bodies from the read-ahead once it has ended, and answers identical', async () => {
    const dir = join(tempDir('tv-read-ahead-'), 'cockpit');
    await recordScenario(loadScenario('cockpit', { durationNs: 3_000_000_000 }), dir);
    const reads = vi.spyOn(ReadAheadCursor.prototype, 'readReused');
    try {
      const outcome = await replayTrace(dir);
      expect(outcome.verifier.identical).toBe(true);
      const cursors = reads.mock.contexts as ReadAheadCursor[];
      expect(cursors.length).toBeGreaterThan(2); // every events and frames body goes through it
    } finally {
      reads.mockRestore();
    }
  });
});

// RecordedTableFile's 'compare' mode (src/replay/recorded-events.ts, issue 9's 1.2x target):
// the replay vouches for events.arrow and frames.arrow by comparing every byte with the stream
// the replayed run encodes, instead of their sha256. Expected answers come another way: the
// batches decoded by the checked reader (the columns a faithful replay holds), and files
// damaged at chosen bytes (a padding byte no column compare looks at, a byte after the end of
// stream) that must not pass as compared whole; and a replay of such a file is damage.

import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FrameColumns, TraceColumns } from '../../src/core/api.js';
import { RecordedTableFile } from '../../src/replay/recorded-events.js';
import { replayTrace } from '../../src/replay/verify-run.js';
import { openCheckedTrace } from '../../src/trace/open.js';
import { EVENTS_TABLE, FRAMES_TABLE } from '../../src/trace/schema.js';
import { requireCli, tv } from '../executable.js';
import { tempDir } from '../trace/helpers.js';
import { columnsOf, frameColumnsOf } from './batch-columns.js';
import { batchesOf } from '../trace/damage-helpers.js';

let dir: string;
let events: RecordBatch[];
let frames: RecordBatch[];

/** Feeds every recorded batch (as the replay's columns) to a 'compare' file; whether it was compared whole. */
function comparedWhole(path: string, table: 'events' | 'frames'): boolean {
  const file = new RecordedTableFile(path, table, 'compare');
  try {
    for (const batch of table === 'events' ? events : frames) {
      const cols = table === 'events' ? columnsOf(batch) : frameColumnsOf(batch);
      expect(file.matchesNext(cols, batch.numRows)).toBe(true);
    }
    return file.comparedWhole();
  } finally {
    file.close();
  }
}

function damagedCopy(table: 'events' | 'frames', damage: (bytes: Buffer) => Buffer): string {
  const copy = join(tempDir('tv-compare-'), 'trace');
  cpSync(dir, copy, { recursive: true });
  const path = join(copy, `${table}.arrow`);
  writeFileSync(path, damage(readFileSync(path)));
  return copy;
}

/**
 * A padding byte of frames.arrow: the regions are padded to 8, so the bytes between the end of
 * a batch's frame data (its last offset) and its region's end are zeros no column compare reads.
 */
function paddingByte(bytes: Buffer): number {
  const before = FRAMES_TABLE.columns.findIndex((c) => c.name === 'data');
  const dataRegion = 2 * before + 2; // validity + values per column before; then validity, offsets, bytes
  const messages = batchesOf(bytes);
  for (let b = 0; b < messages.length; b++) {
    const m = messages[b]!;
    const dataBytes = frames[b]!.getChild('data')!.data[0]!.valueOffsets.at(-1)!;
    const [offset, length] = m.regions[dataRegion]!;
    if (dataBytes % 8 !== 0 && dataBytes < length) return m.bodyStart + offset + dataBytes;
  }
  throw new Error('no padding in the file');
}

beforeAll(() => {
  requireCli();
  dir = join(tempDir('tv-compare-'), 'cockpit');
  const r = tv('record', 'cockpit', '--duration', '3s', '-o', dir);
  expect(r.code, r.stderr).toBe(0);
  const trace = openCheckedTrace(dir, 'verify');
  events = [...trace.batches('events')];
  frames = [...trace.batches('frames')];
  expect(events.length).toBeGreaterThan(1);
  expect(frames.length).toBeGreaterThan(0);
});

describe("RecordedTableFile 'compare'", () => {
  it('a recorded file fed its own batches is compared whole (events and frames)', () => {
    expect(comparedWhole(join(dir, 'events.arrow'), 'events')).toBe(true);
    expect(comparedWhole(join(dir, 'frames.arrow'), 'frames')).toBe(true);
  });

  it('a flipped padding byte (no column holds it) matches every batch but is not compared whole', () => {
    const copy = damagedCopy('frames', (bytes) => {
      bytes[paddingByte(bytes)] ^= 0x01;
      return bytes;
    });
    expect(comparedWhole(join(copy, 'frames.arrow'), 'frames')).toBe(false);
  });

  it('bytes after the end-of-stream marker: not compared whole', () => {
    const copy = damagedCopy('events', (bytes) => Buffer.concat([bytes, Buffer.from('junk')]));
    expect(comparedWhole(join(copy, 'events.arrow'), 'events')).toBe(false);
  });

  it('a file left before its last batch (an early stop) is not compared whole', () => {
    const file = new RecordedTableFile(join(dir, 'events.arrow'), 'events', 'compare');
    expect(file.matchesNext(columnsOf(events[0]!), events[0]!.numRows)).toBe(true);
    expect(file.comparedWhole()).toBe(false);
    file.close();
  });

  it('a replay of a trace with a flipped padding byte is damage, named by the file\'s hash', async () => {
    const copy = damagedCopy('frames', (bytes) => {
      bytes[paddingByte(bytes)] ^= 0x01;
      return bytes;
    });
    await expect(replayTrace(copy)).rejects.toThrow(/trace damaged: frames: content hash differs from the manifest/);
  });

  it('a replay of the intact trace is identical in compare mode (the default when the core digests cannot serve)', async () => {
    const outcome = await replayTrace(dir, { hashFiles: 'compare' });
    expect(outcome.verifier.identical).toBe(true);
    expect(outcome.ended).toBe('end');
  });

  it('a grown events file is damage', async () => {
    const copy = damagedCopy('events', (bytes) => bytes);
    appendFileSync(join(copy, 'events.arrow'), Buffer.alloc(8));
    await expect(replayTrace(copy)).rejects.toThrow(/trace damaged: events/);
  });
});

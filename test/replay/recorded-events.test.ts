// RecordedEventsFile (src/replay/recorded-events.ts): a replay compares the core's events
// columns with the recorded file's column bytes instead of digesting them, and hashes the file
// on the way. Expected answers come another way: the batches decoded by the checked reader (the
// columns a faithful replay holds), the digests of those batches (digest.ts, what the
// recording wrote), and node:crypto over the whole file.

import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { FrameColumns, TraceColumns } from '../../src/core/api.js';
import { batchDigest } from '../../src/replay/digest.js';
import { RecordedEventsFile, RecordedTableFile } from '../../src/replay/recorded-events.js';
import { ReplayVerifier } from '../../src/replay/verify.js';
import { replayTrace } from '../../src/replay/verify-run.js';
import { eventsBatch } from '../../src/trace/events-batch.js';
import { readManifest } from '../../src/trace/manifest.js';
import { openCheckedTrace } from '../../src/trace/open.js';
import { Recorder } from '../../src/trace/recorder.js';
import { EVENTS_TABLE, FRAMES_TABLE } from '../../src/trace/schema.js';
import { requireCli, tv } from '../executable.js';
import { tempDir } from '../trace/helpers.js';
import { columnsOf, frameColumnsOf } from './batch-columns.js';

const NAMES = EVENTS_TABLE.columns.map((c) => c.name as keyof TraceColumns);
let dir: string;
let batches: RecordBatch[];

const eventsPath = (): string => join(dir, 'events.arrow');
const framesPath = (): string => join(dir, 'frames.arrow');
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

beforeAll(() => {
  requireCli();
  dir = join(tempDir('tv-rec-events-'), 'cockpit');
  const r = tv('record', 'cockpit', '--duration', '3s', '-o', dir);
  expect(r.code, r.stderr).toBe(0);
  batches = [...openCheckedTrace(dir, 'verify').batches('events')];
  expect(batches.length).toBeGreaterThan(1);
});

describe('RecordedEventsFile', () => {
  it('matches every recorded batch from its columns and hashes the file as the manifest says', () => {
    const file = new RecordedEventsFile(eventsPath());
    for (const batch of batches) expect(file.matchesNext(columnsOf(batch), batch.numRows)).toBe(true);
    const hash = file.finish();
    expect(hash).toBe(sha256(readFileSync(eventsPath())));
    expect(hash).toBe(readManifest(dir).tables.events!.sha256);
  });

  it('a batch with one changed value (the last row of val) does not match; the next batch still does', () => {
    const file = new RecordedEventsFile(eventsPath());
    const changed = columnsOf(batches[0]!);
    const last = batches[0]!.numRows - 1;
    changed.val[last] = changed.val[last]! + 1n;
    expect(file.matchesNext(changed, batches[0]!.numRows)).toBe(false);
    expect(file.matchesNext(columnsOf(batches[1]!), batches[1]!.numRows)).toBe(true);
    file.close();
  });

  it('fewer rows than recorded (a row-count divergence) do not match', () => {
    const file = new RecordedEventsFile(eventsPath());
    expect(file.matchesNext(columnsOf(batches[0]!), batches[0]!.numRows - 1)).toBe(false);
    file.close();
  });

  it('past the last recorded batch nothing matches', () => {
    const file = new RecordedEventsFile(eventsPath());
    for (const batch of batches) file.matchesNext(columnsOf(batch), batch.numRows);
    expect(file.matchesNext(columnsOf(batches[0]!), batches[0]!.numRows)).toBe(false);
    expect(file.finish()).toBe(readManifest(dir).tables.events!.sha256);
  });

  it('a damaged frame stops the comparison (left to the digests) and the hash tells the damage', () => {
    const copyPath = join(tempDir('tv-rec-events-bad-'), 'events.arrow');
    const bytes = readFileSync(eventsPath());
    // The first message is the schema; its continuation marker at byte 0 is overwritten.
    bytes[0] = 0;
    writeFileSync(copyPath, bytes);
    const file = new RecordedEventsFile(copyPath);
    expect(file.matchesNext(columnsOf(batches[0]!), batches[0]!.numRows)).toBe(false);
    expect(file.matchesNext(columnsOf(batches[1]!), batches[1]!.numRows)).toBe(false);
    expect(file.finish()).toBe(sha256(bytes));
    expect(sha256(bytes)).not.toBe(readManifest(dir).tables.events!.sha256);
  });

  it('a file that grew after it was opened gets no hash (it is not the recorded file)', () => {
    const copyPath = join(tempDir('tv-rec-events-grown-'), 'events.arrow');
    writeFileSync(copyPath, readFileSync(eventsPath()));
    const file = new RecordedEventsFile(copyPath);
    expect(file.matchesNext(columnsOf(batches[0]!), batches[0]!.numRows)).toBe(true);
    appendFileSync(copyPath, 'junk');
    expect(file.finish()).toBeNull();
  });
});

describe("RecordedTableFile('frames')", () => {
  let frames: RecordBatch[];
  beforeAll(() => {
    frames = [...openCheckedTrace(dir, 'verify').batches('frames')];
    expect(frames.length).toBeGreaterThan(1);
  });

  it('matches every recorded frames batch from the ring-style columns and hashes the file as the manifest says', () => {
    const file = new RecordedTableFile(framesPath(), 'frames');
    for (const batch of frames) expect(file.matchesNext(frameColumnsOf(batch), batch.numRows)).toBe(true);
    expect(file.finish()).toBe(readManifest(dir).tables.frames!.sha256);
  });

  it('one changed payload byte (the last frame of batch 0) does not match; the next batch still does', () => {
    const file = new RecordedTableFile(framesPath(), 'frames');
    const changed = frameColumnsOf(frames[0]!);
    const lastByte = changed.offsets[frames[0]!.numRows]! - 1;
    changed.data[lastByte] = changed.data[lastByte]! ^ 0x01;
    expect(file.matchesNext(changed, frames[0]!.numRows)).toBe(false);
    expect(file.matchesNext(frameColumnsOf(frames[1]!), frames[1]!.numRows)).toBe(true);
    file.close();
  });

  it('one changed offset (a frame one byte shorter, the next one longer) does not match', () => {
    const file = new RecordedTableFile(framesPath(), 'frames');
    const changed = frameColumnsOf(frames[0]!);
    changed.offsets[1] = changed.offsets[1]! - 1;
    expect(file.matchesNext(changed, frames[0]!.numRows)).toBe(false);
    file.close();
  });
});

describe("a detached recorder's matchEvents", () => {
  const meta = { scenario: {}, seed: '1', coreVersion: 1, inputs: [] };

  it('true: the batch is counted, never built, digested or told to onBatch', () => {
    const onBatch = vi.fn();
    const recorder = Recorder.detached(meta, { onBatch, matchEvents: () => true });
    for (const batch of batches) recorder.appendEvents(columnsOf(batch), batch.numRows);
    const rows = batches.reduce((n, b) => n + b.numRows, 0);
    expect(recorder.rowCounts().events).toBe(rows);
    expect(recorder.finish().tables.events).toMatchObject({ rows, batches: batches.length });
    expect(onBatch).not.toHaveBeenCalled();
  });

  it('false: the batch goes the usual way, with the digest the recording wrote for it', () => {
    const seen: { index: number; digest: string }[] = [];
    const asked: number[] = [];
    const recorder = Recorder.detached(meta, {
      onBatch: (table, index, _batch, digest) => table === 'events' && seen.push({ index, digest }),
      matchEvents: (index) => (asked.push(index), false),
    });
    for (const batch of batches) recorder.appendEvents(columnsOf(batch), batch.numRows);
    recorder.finish();
    expect(asked).toEqual(batches.map((_, i) => i));
    // Both ways agree: the digest from the core-like columns is the recorded batch's digest.
    expect(seen).toEqual(batches.map((b, index) => ({ index, digest: batchDigest(b) })));
    expect(seen.map((s) => s.digest)).toEqual(batches.map((b) => batchDigest(eventsBatch(columnsOf(b), b.numRows))));
  });
});

describe('replay without -o', () => {
  it('verifies every events batch from the columns (no events digest) and still answers identical', async () => {
    const onBatch = vi.spyOn(ReplayVerifier.prototype, 'onBatch');
    try {
      const outcome = await replayTrace(dir);
      expect(outcome.verifier.identical).toBe(true);
      const manifest = readManifest(dir);
      expect(outcome.verifier.matched.events).toEqual({ rows: manifest.tables.events!.rows, batches: manifest.tables.events!.batches });
      expect(onBatch.mock.calls.filter(([table]) => table === 'events')).toHaveLength(0);
      // frames go the same way: every batch matched from the ring's columns, none digested
      expect(outcome.verifier.matched.frames).toEqual({ rows: manifest.tables.frames!.rows, batches: manifest.tables.frames!.batches });
      expect(onBatch.mock.calls.filter(([table]) => table === 'frames')).toHaveLength(0);
      // the row tables by their buffers' digests (recorder.ts matchRows): no batch built, none told to onBatch
      expect(outcome.verifier.matched.dlt).toEqual({ rows: manifest.tables.dlt!.rows, batches: manifest.tables.dlt!.batches });
      expect(onBatch.mock.calls.filter(([table]) => table === 'dlt')).toHaveLength(0);
    } finally {
      onBatch.mockRestore();
    }
  });
});

describe('an events file changed behind the manifest\'s back', () => {
  it('a flipped value byte in the last batch: damage (exit 2) before any answer, not a divergence', () => {
    const copyDir = join(tempDir('tv-rec-events-flip-'), 'trace');
    cpSync(dir, copyDir, { recursive: true });
    const path = join(copyDir, 'events.arrow');
    const bytes = readFileSync(path);
    // 16 bytes before the end-of-stream marker: inside the last batch's body (its val column).
    bytes[bytes.length - 16] ^= 0x01;
    writeFileSync(path, bytes);
    const r = tv('replay', copyDir);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*trace damaged: events: content hash differs from the manifest/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('the same for frames.arrow (compared from the ring and hashed the same way): a flipped payload byte is damage', () => {
    const copyDir = join(tempDir('tv-rec-frames-flip-'), 'trace');
    cpSync(dir, copyDir, { recursive: true });
    const path = join(copyDir, 'frames.arrow');
    const bytes = readFileSync(path);
    bytes[bytes.length - 24] ^= 0x01; // inside the last batch's body (its payload bytes)
    writeFileSync(path, bytes);
    const r = tv('replay', copyDir);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*trace damaged: frames: content hash differs from the manifest/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

// The recorder's writer thread (issue 10; src/trace/column-file-writer.ts): events and frames
// batches written, hashed and digested on a second thread must give the very files the
// recording thread writes itself — every table, digests.ndjson, snapshots and the manifest —
// and a failing disk must reach the recorder's caller with its code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { recordScenario } from '../../src/platform/record.js';
import { Recorder, type Manifest } from '../../src/trace/index.js';
import { IDENTITY_FILE, identityIntact } from '../../src/trace/file-identity.js';
import { TABLE_NAMES } from '../../src/trace/tables.js';
import { ColumnFileWriter } from '../../src/trace/column-file-writer.js';
import { Trace } from '../../src/trace/reader.js';
import { batchDigest } from '../../src/replay/digest.js';
import { eventsBatch } from '../../src/trace/events-batch.js';
import { EVENTS_TABLE } from '../../src/trace/tables.js';
import { DigestLog } from '../../src/replay/digest-file.js';
import { META, dltRow, eventColumns, tempDir } from './helpers.js';

/** Every file under dir (relative path -> bytes), the manifest without its wall-clock fields. */
function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return out;
}

function manifestWithoutHost(bytes: Buffer): unknown {
  const { host: _h, createdAt: _c, ...rest } = JSON.parse(bytes.toString('utf8')) as Manifest & { host?: unknown };
  return rest;
}

function expectSameTrace(a: string, b: string): void {
  const filesA = filesOf(a);
  const filesB = filesOf(b);
  expect([...filesB.keys()].sort()).toEqual([...filesA.keys()].sort());
  for (const [name, bytes] of filesA) {
    if (name === 'manifest.json') {
      expect(manifestWithoutHost(filesB.get(name)!), name).toEqual(manifestWithoutHost(bytes));
    } else if (name === IDENTITY_FILE) {
      // the files' identity (inode, times) is each directory's own; each names its own files
      for (const dir of [a, b]) expect(identityIntact(dir, TABLE_NAMES.map((t) => `${t}.arrow`)), `${dir}/${name}`).toBe(true);
    } else {
      expect(filesB.get(name)!.equals(bytes), name).toBe(true);
    }
  }
}

describe('the recorder with and without its writer thread', () => {
  it('cockpit for 1 s: every file the same (events, frames, digests.ndjson, snapshots, manifest)', async () => {
    const dirs = { on: tempDir('tv-wt-on-'), off: tempDir('tv-wt-off-') };
    for (const mode of ['on', 'off'] as const) {
      const scenario = loadScenario('cockpit');
      scenario.durationNs = 1_000_000_000;
      await recordScenario(scenario, dirs[mode], { overwrite: true, writerThread: mode, snapshotEveryNs: 500_000_000 });
    }
    const manifest = JSON.parse(readFileSync(join(dirs.on, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.tables.events!.batches).toBeGreaterThan(0);
    expect(manifest.tables.frames!.rows).toBeGreaterThan(0);
    expect(readdirSync(dirs.on)).toContain('digests.ndjson');
    expectSameTrace(dirs.off, dirs.on);
  });

  it('many small batches between buffered rows and epochs: digest lines keep their order', () => {
    const dirs = { on: tempDir('tv-wt-on-'), off: tempDir('tv-wt-off-') };
    const digests = { epochNs: 10, vms: ['a'], core: ['clock'] };
    for (const mode of ['on', 'off'] as const) {
      const rec = Recorder.create(dirs[mode], META, { rowsPerBatch: 2, digests, writerThread: mode, overwrite: true });
      for (let i = 0; i < 40; i++) {
        const cols = eventColumns([
          { ts: 10 * i, kind: 'vq_used', vm: 0, dev: 0, queue: 1, val: i },
          { ts: 10 * i + 5, kind: 'sched_run', vm: 1, vcpu: 0, val: 50 + i },
        ]);
        rec.appendDlt(dltRow({ ts_ns: 10 * i, payload: `m${i}` }));
        rec.appendEvents(cols, 1 + (i % 2));
        rec.appendEpoch({ epoch: i + 1, atNs: 10 * i + 9, engine: 'e'.repeat(16), vms: ['v'.repeat(16)], core: ['c'.repeat(16)] });
      }
      rec.finish();
    }
    expectSameTrace(dirs.off, dirs.on);
    const lines = readFileSync(join(dirs.on, 'digests.ndjson'), 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.includes('"table":"events"'))).toHaveLength(40);
    expect(lines.filter((l) => l.includes('"epoch"'))).toHaveLength(40);
  });

  it('the thread\'s digest of an events batch is batchDigest of the same batch', () => {
    const dir = tempDir('tv-wt-');
    const rec = Recorder.create(dir, META, { digests: { epochNs: 10, vms: [], core: [] }, writerThread: 'on', overwrite: true });
    const cols = eventColumns([
      { ts: 7, kind: 'vq_used', vm: 0, dev: 2, queue: 1, id: 9, len: 64, val: -3 },
      { ts: 8, kind: 'sched_run', vm: 1, vcpu: 0, val: 50 },
      { ts: 9, kind: 'fault', vm: 1, val: 2n ** 40n },
    ]);
    const expected = batchDigest(eventsBatch(cols, 3)); // computed before the recorder sees them
    rec.appendEvents(cols, 3);
    rec.finish();
    const line = readFileSync(join(dir, 'digests.ndjson'), 'utf8').split('\n').find((l) => l.includes('"events"'))!;
    expect(JSON.parse(line)).toEqual({ table: 'events', batch: 0, rows: 3, digest: expected });
    expect(Trace.open(dir).read('events').batches.reduce((n, b) => n + b.numRows, 0)).toBe(3);
  });

  it('a failing disk (ENOSPC on /dev/full) reaches the recorder\'s caller with its code; abort() still works', () => {
    const dir = tempDir('tv-wt-');
    const rec = Recorder.create(dir, META, { writerThread: 'on', overwrite: true });
    // the events file replaced by a writer onto /dev/full: the writer thread's writev fails
    const internal = rec as unknown as { threaded: { events: ColumnFileWriter } };
    internal.threaded.events.abandon();
    internal.threaded.events = new ColumnFileWriter('/dev/full', 'events');
    const cols = eventColumns([{ ts: 1, kind: 'vq_used', vm: 0 }], 1 << 12);
    let caught: NodeJS.ErrnoException | undefined;
    try {
      for (let i = 0; i < 100; i++) rec.appendEvents(cols, 1);
      rec.finish();
    } catch (error) {
      caught = error as NodeJS.ErrnoException;
    }
    expect(caught?.code).toBe('ENOSPC');
    expect(caught?.message).toContain('/dev/full');
    expect(() => rec.abort()).not.toThrow();
  });

  it('ColumnFileWriter on /dev/full: the error comes from the next call, not silently', () => {
    const writer = new ColumnFileWriter('/dev/full', 'events');
    const cols = eventColumns([{ ts: 1, kind: 'vq_used', vm: 0 }]);
    const rows = EVENTS_TABLE.columns.map((c) => ({ values: cols[c.name as keyof typeof cols] as ArrayBufferView }));
    let caught: NodeJS.ErrnoException | undefined;
    try {
      writer.append(1, rows);
      writer.close();
    } catch (error) {
      caught = error as NodeJS.ErrnoException;
    }
    expect(caught?.code).toBe('ENOSPC');
  });

  it('DigestLog.batchLater: digests resolved out of order still give the lines in the order they were given', () => {
    const header = { epochNs: 10, vms: ['a'], core: ['clock'] };
    const epoch = { epoch: 1, atNs: 10, engine: 'e'.repeat(16), vms: ['v'.repeat(16)], core: ['c'.repeat(16)] };
    const inline = tempDir('tv-dlog-');
    const later = tempDir('tv-dlog-');
    const a = new DigestLog(inline, header);
    a.batch('events', 0, { rows: 3, digest: 'a'.repeat(32) });
    a.batch('dlt', 0, { rows: 1, digest: 'b'.repeat(32) });
    a.batch('frames', 0, { rows: 2, digest: 'c'.repeat(32) });
    a.epoch(epoch);
    const entryA = a.close();
    const b = new DigestLog(later, header);
    const events0 = b.batchLater('events', 0, 3);
    b.batch('dlt', 0, { rows: 1, digest: 'b'.repeat(32) });
    const frames0 = b.batchLater('frames', 0, 2);
    b.epoch(epoch);
    const path = join(later, 'digests.ndjson');
    const headerOnly = readFileSync(path, 'utf8');
    frames0('c'.repeat(32)); // the later batch first: nothing may be written past the waiting events line
    expect(readFileSync(path, 'utf8')).toBe(headerOnly);
    events0('a'.repeat(32));
    const entryB = b.close();
    expect(readFileSync(path, 'utf8')).toBe(readFileSync(join(inline, 'digests.ndjson'), 'utf8'));
    expect(entryB).toEqual(entryA);
  });
});

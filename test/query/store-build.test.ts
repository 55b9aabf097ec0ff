// The store's build verifies the trace in the pass that writes the store, with the files
// hashed on a worker thread meanwhile (open.ts openVerifiedTrace, store.ts): the same refusals
// as a verify read, nothing left behind by a refused build, and a trace changed while it was
// being built never stored.

import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QueryError, QuerySession, STORE_FILE } from '../../src/query/index.js';
import { buildStore } from '../../src/query/store.js';
import { fileSha256InBackground } from '../../src/trace/file-hash-worker.js';
import { Recorder } from '../../src/trace/index.js';
import { TraceError } from '../../src/trace/errors.js';
import { TABLE_NAMES } from '../../src/trace/tables.js';
import { openCheckedTrace, openVerifiedTrace, traceFingerprint, verifyTablesInBackground } from '../../src/trace/open.js';
import { META, eventColumns, tempDir } from '../trace/helpers.js';

function threeEvents(): string {
  const dir = tempDir('tv-store-build-');
  const rec = Recorder.create(dir, META);
  const events = [
    { ts: 10, kind: 'vq_used' as const, val: 5 },
    { ts: 20, kind: 'vq_used' as const, val: 7 },
    { ts: 30, kind: 'fault' as const, val: 1 },
  ];
  rec.appendEvents(eventColumns(events), events.length);
  rec.finish();
  return dir;
}

function flipByte(path: string, fromEnd: number): void {
  const bytes = readFileSync(path);
  bytes[bytes.length - fromEnd] ^= 0x01;
  writeFileSync(path, bytes);
}

const rowsSeen = async (dir: string, hasher: Parameters<typeof openVerifiedTrace>[2]): Promise<number> => {
  let rows = 0;
  await openVerifiedTrace(dir, (_table, batch) => (rows += batch.numRows), hasher);
  return rows;
};

describe('the store build verifies as it writes', () => {
  it('the first query of a trace with one flipped bit is refused and leaves no store file', async () => {
    const dir = threeEvents();
    flipByte(join(dir, 'events.arrow'), 20); // same size, a value inside a batch: only the hash tells
    const error = await QuerySession.open(dir).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toMatch(/trace damaged: events: content hash differs from the manifest/);
    expect(readdirSync(dir).filter((f) => f.startsWith('store.'))).toEqual([]);
  });

  it('openVerifiedTrace decides as openCheckedTrace verify does, with the hashes from elsewhere', async () => {
    const dir = threeEvents();
    expect(await rowsSeen(dir, fileSha256InBackground)).toBe(3);
    const checked = await openVerifiedTrace(dir, () => {}, fileSha256InBackground);
    expect(checked.tables).toEqual(openCheckedTrace(dir, 'verify').tables);
    // a hash that differs, or none (the hashing failed), is the verify mode's damage
    const wrong = (paths: readonly string[]): Promise<string[]> => Promise.resolve(paths.map(() => '0'.repeat(64)));
    const failed = (): Promise<string[]> => Promise.reject(new Error('EIO'));
    for (const hasher of [wrong, failed]) {
      const error = await rowsSeen(dir, hasher).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(TraceError);
      // every table's hash is wrong: events named, the other five counted
      expect(TABLE_NAMES).toHaveLength(6);
      expect((error as TraceError).message).toMatch(/trace damaged: events: content hash differs from the manifest \(and 5 more\)/);
    }
  });

  it('verifyTablesInBackground reads only the tables it is given, and refuses a damaged one', async () => {
    const dir = threeEvents();
    writeFileSync(join(dir, 'frames.arrow'), 'not an Arrow stream'); // not read: no problem
    const seen = new Set<string>();
    const listed = TABLE_NAMES.filter((t) => t !== 'frames');
    await verifyTablesInBackground(dir, listed, (table) => void seen.add(table), fileSha256InBackground);
    expect([...seen]).toEqual(['events']); // the only table with rows
    const garbage = await verifyTablesInBackground(dir, ['frames'], () => {}, fileSha256InBackground).then(() => null, (e: unknown) => e);
    expect((garbage as TraceError).message).toMatch(/trace damaged: frames: /);
    flipByte(join(dir, 'events.arrow'), 20);
    const error = await verifyTablesInBackground(dir, listed, () => {}, fileSha256InBackground).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(TraceError);
    expect((error as TraceError).message).toMatch(/trace damaged: events: content hash differs from the manifest; use --salvage/);
  });

  it('a trace whose files changed while the store was built is not stored', async () => {
    const dir = threeEvents();
    const before = traceFingerprint(dir);
    // touched after the fingerprint was taken (the build's start): same bytes, another mtime
    const later = new Date(Date.UTC(2030, 0, 1));
    utimesSync(join(dir, 'dlt.arrow'), later, later);
    const path = join(dir, STORE_FILE);
    const error = await buildStore(dir, path, before).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toBe(
      `${dir}: the trace's files changed while its query store was built; run the command again`,
    );
    expect(readdirSync(dir).filter((f) => f.startsWith('store.'))).toEqual([]);
  });
});

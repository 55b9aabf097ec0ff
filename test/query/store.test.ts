// The persistent query store (issue #7.2): built once by the first verified query, reused
// read-only while the trace's fingerprint holds, re-verified and rebuilt when the trace
// changes, never built from a salvaged or trusted read, never answering for a damaged trace.

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QueryError, QuerySession, STORE_FILE, indexTrace, storePaths } from '../../src/query/index.js';
import { prepareDirectory } from '../../src/trace/directory.js';
import { Recorder } from '../../src/trace/index.js';
import { META, dltRow, eventColumns, tempDir, type EventSpec } from '../trace/helpers.js';

const sessions: QuerySession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});

async function open(dir: string, options: Parameters<typeof QuerySession.open>[1] = {}): Promise<QuerySession> {
  const session = await QuerySession.open(dir, options);
  sessions.push(session);
  return session;
}

function record(dir: string, events: EventSpec[], dltTimes: number[] = []): string {
  const rec = Recorder.create(dir, META);
  if (events.length > 0) rec.appendEvents(eventColumns(events), events.length);
  for (const ts of dltTimes) rec.appendDlt(dltRow({ ts_ns: ts, payload: `at ${ts}` }));
  rec.finish();
  return dir;
}

function threeEvents(): string {
  return record(tempDir('tv-store-'), [
    { ts: 10, kind: 'vq_used', val: 5 },
    { ts: 20, kind: 'vq_used', val: 7 },
    { ts: 30, kind: 'fault', val: 1 },
  ]);
}

async function count(session: QuerySession, sql = 'SELECT count(*) FROM events'): Promise<unknown> {
  return (await session.run(sql)).rows[0]![0];
}

async function failure(promise: Promise<unknown>): Promise<QueryError> {
  const error = await promise.then(() => new Error('expected a QueryError'), (e: unknown) => e);
  expect(error).toBeInstanceOf(QueryError);
  expect((error as QueryError).message).not.toContain('\n');
  return error as QueryError;
}

/** Same size, new content: the bytes of one event's val (the last 8-byte value written). */
function flipByte(path: string, fromEnd: number): void {
  const bytes = readFileSync(path);
  bytes[bytes.length - fromEnd] ^= 0x01;
  writeFileSync(path, bytes);
}

describe('the query store', () => {
  it('is built by the first query and reused read-only by the next', async () => {
    const dir = threeEvents();
    const first = await open(dir);
    expect(first.store).toMatchObject({ path: join(dir, STORE_FILE), built: true });
    expect(await count(first)).toBe(3n);
    first.close();
    const second = await open(dir);
    expect(second.store).toMatchObject({ path: join(dir, STORE_FILE), built: false });
    expect(await count(second)).toBe(3n);
    expect(second.warnings).toEqual([]);
    // Read-only: user SQL cannot change the store the next query relies on.
    const e = await failure(second.run('DELETE FROM events'));
    expect(e.message).toMatch(/read-only/);
    // The metadata: format version, the fingerprint, the manifest's hashes.
    const meta = await second.run("SELECT value FROM store_meta WHERE key = 'sha256.events'");
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(meta.rows).toEqual([[manifest.tables.events.sha256]]);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('never answers for a trace damaged after the store was built (regression: issue #7.1)', async () => {
    const dir = threeEvents();
    (await open(dir)).close();
    // One bit of the events file flipped in place: same size, so only the hash can tell.
    flipByte(join(dir, 'events.arrow'), 20);
    const e = await failure(QuerySession.open(dir));
    expect(e.message).toMatch(/events: content hash differs from the manifest/);
    // Salvage does not reuse the old store either: it reads the files as they are now.
    const salvaged = await open(dir, { mode: 'salvage' });
    expect(salvaged.store.path).toBeNull();
  });

  it('re-verifies a touched trace and keeps the store when the hashes are unchanged', async () => {
    const dir = threeEvents();
    (await open(dir)).close();
    const later = new Date(Date.UTC(2030, 0, 1));
    utimesSync(join(dir, 'events.arrow'), later, later); // new fingerprint, same bytes
    const touched = await open(dir);
    expect(touched.store.built).toBe(false);
    expect(await count(touched)).toBe(3n);
    touched.close();
    // The fingerprint was refreshed: the next session needs no re-verification.
    const again = await open(dir);
    const fp = await again.run("SELECT value FROM store_meta WHERE key = 'fingerprint'");
    const { traceFingerprint } = await import('../../src/query/index.js');
    expect(fp.rows).toEqual([[traceFingerprint(dir)]]);
  });

  it('rebuilds when the trace beside it is another trace (hashes changed)', async () => {
    const a = threeEvents();
    const b = record(tempDir('tv-store-'), [{ ts: 1, kind: 'fault' }]);
    (await open(a)).close();
    copyFileSync(join(a, STORE_FILE), join(b, STORE_FILE)); // a stale store that is not b's
    const s = await open(b);
    expect(s.store.built).toBe(true);
    expect(s.warnings).toEqual([`${b}: the trace changed since its query store was built; rebuilt it`]);
    expect(await count(s)).toBe(1n);
  });

  it('a store file that is not a store (garbage, another version) is replaced, not trusted', async () => {
    const dir = threeEvents();
    writeFileSync(join(dir, STORE_FILE), 'not a database');
    const s = await open(dir);
    expect(s.store.built).toBe(true);
    expect(await count(s)).toBe(3n);
    s.close();
    // A store whose format version is not this build's: rebuilt, with a line saying why.
    const other = threeEvents();
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(join(other, STORE_FILE));
    const c = await db.connect();
    await c.run("CREATE TABLE store_meta AS SELECT 'format_version' AS key, '0' AS value");
    c.closeSync();
    db.closeSync();
    const rebuilt = await open(other);
    expect(rebuilt.store.built).toBe(true);
    expect(rebuilt.warnings).toEqual([`${join(other, STORE_FILE)}: not a query store of this tracevisor version; building a new one`]);
  });

  it('a salvaged or trusted read is never stored, so a later verified query still refuses', async () => {
    const dir = threeEvents();
    flipByte(join(dir, 'events.arrow'), 20);
    const salvaged = await open(dir, { mode: 'salvage' });
    const trusted = await open(dir, { mode: 'trust' });
    expect([salvaged.store.path, trusted.store.path]).toEqual([null, null]);
    // trust mode skips the hash, so the flipped byte (inside a batch body that still validates) is
    // not noticed: that is what --trust means (src/trace/open.ts)
    expect(trusted.warnings).toEqual([]);
    expect(existsSync(join(dir, STORE_FILE))).toBe(false);
    await failure(QuerySession.open(dir));
  });

  it('keeps dlt in file order (rowid) and sorts events by (ts_ns, seq) only when needed', async () => {
    // Imported logs arrive in storage order, which need not be time order.
    const dir = record(tempDir('tv-store-'), [
      { ts: 30, kind: 'fault' },
      { ts: 10, kind: 'vq_used' },
      { ts: 20, kind: 'vq_used' },
    ], [300, 100, 200]);
    const s = await open(dir);
    const dlt = await s.run('SELECT ts_ns FROM dlt ORDER BY rowid');
    expect(dlt.rows).toEqual([[300n], [100n], [200n]]);
    expect(s.store.loads.find((l) => l.table === 'events')!.sorted).toBe(false);
    const events = await s.run('SELECT ts_ns, seq FROM events ORDER BY rowid');
    expect(events.rows).toEqual([[10n, 1n], [20n, 2n], [30n, 0n]]);
    // A recorded trace is in order already: no sort.
    const ordered = await open(threeEvents());
    expect(ordered.store.loads.find((l) => l.table === 'events')!.sorted).toBe(true);
  });

  it('two sessions opening a fresh trace at once both answer and leave one valid store', async () => {
    const dir = threeEvents();
    const [a, b] = await Promise.all([QuerySession.open(dir), QuerySession.open(dir)]);
    sessions.push(a, b);
    expect([await count(a), await count(b)]).toEqual([3n, 3n]);
    a.close();
    b.close();
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect((await open(dir)).store.built).toBe(false);
  });

  it('falls back to the user cache when the store cannot be written beside the trace', async () => {
    const dir = threeEvents();
    const cache = tempDir('tv-cache-');
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = cache;
    try {
      // A directory where the store file would go: the rename fails as on a read-only trace.
      mkdirSync(join(dir, STORE_FILE, 'x'), { recursive: true });
      const s = await open(dir);
      const manifestSha = (await import('node:crypto')).createHash('sha256')
        .update(readFileSync(join(dir, 'manifest.json'))).digest('hex');
      expect(s.store.path).toBe(storePaths(dir, manifestSha).cached);
      expect(s.store.path!.startsWith(join(cache, 'tracevisor'))).toBe(true);
      expect(s.warnings[0]).toMatch(/^cannot write the query store .*store\.duckdb/);
      expect(await count(s)).toBe(3n);
      s.close();
      expect((await open(dir)).store).toMatchObject({ path: storePaths(dir, manifestSha).cached, built: false });
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });

  it('indexTrace builds, reports an up-to-date store, and rebuilds with force', async () => {
    const dir = threeEvents();
    const built = await indexTrace(dir);
    expect(built).toMatchObject({ path: join(dir, STORE_FILE), rows: 3, built: true });
    expect(built.bytes).toBeGreaterThan(0);
    expect(await indexTrace(dir)).toMatchObject({ rows: 3, built: false });
    expect(await indexTrace(dir, { force: true })).toMatchObject({ rows: 3, built: true });
  });

  it('replacing a trace removes its store', async () => {
    const dir = threeEvents();
    (await open(dir)).close();
    expect(existsSync(join(dir, STORE_FILE))).toBe(true);
    prepareDirectory(dir, true);
    expect(existsSync(join(dir, STORE_FILE))).toBe(false);
  });
});

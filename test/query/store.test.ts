// The persistent query store (issue #7.2): built once by the first verified query, reused
// read-only while the trace's fingerprint holds, re-verified and rebuilt when the trace
// changes, never built from a salvaged or trusted read, never answering for a damaged trace.

import { copyFileSync, existsSync, renameSync, rmSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QueryError, QuerySession, STORE_FILE, STORE_FILES, indexTrace, storePaths } from '../../src/query/index.js';
import { prepareDirectory } from '../../src/trace/directory.js';
import { Recorder } from '../../src/trace/index.js';
import { sessionOpener } from './sessions.js';
import { META, dltRow, eventColumns, tempDir, type EventSpec } from '../trace/helpers.js';

const open = sessionOpener();

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
    // Read-only: user SQL cannot change the store the next query relies on (events is a view
    // over the store's Parquet file, the other tables are in the read-only DuckDB file).
    expect((await failure(second.run('DELETE FROM dlt'))).message).toMatch(/read-only/);
    expect((await failure(second.run('DELETE FROM events'))).message).toMatch(/base table/);
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
    // a stale store that is not b's, moved whole (a copy would be another Parquet file: see below)
    for (const f of STORE_FILES.filter((f) => existsSync(join(a, f)))) renameSync(join(a, f), join(b, f));
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
    // events is a view over the store's Parquet file: its scan order is the file's order
    const events = await s.run('SELECT ts_ns, seq FROM events');
    expect(events.rows).toEqual([[10n, 1n], [20n, 2n], [30n, 0n]]);
    // A recorded trace is in order already: no sort.
    const ordered = await open(threeEvents());
    expect(ordered.store.loads.find((l) => l.table === 'events')!.sorted).toBe(true);
  });

  it('two sessions opening a fresh trace at once both answer and leave one valid store', async () => {
    const dir = threeEvents();
    const [a, b] = await Promise.all([open(dir), open(dir)]);
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
      // the failed place keeps no Parquet file of the attempt
      expect(readdirSync(dir).filter((f) => f.endsWith('.parquet'))).toEqual([]);
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
    expect(existsSync(join(dir, 'store.events.parquet'))).toBe(true);
    prepareDirectory(dir, true);
    expect(STORE_FILES.filter((f) => existsSync(join(dir, f)))).toEqual([]);
  });

  it('writes events with ts_ns min/max per row group, so a time window reads the right rows', async () => {
    const dir = tempDir('tv-store-');
    const rec = Recorder.create(dir, META);
    for (let b = 0; b < 3; b++) {
      const batch = Array.from({ length: 100 }, (_, i): EventSpec => ({ ts: 1000 * b + 2 * i, kind: 'vq_used' }));
      rec.appendEvents(eventColumns(batch), batch.length);
    }
    rec.finish();
    const s = await open(dir, { allowFiles: true });
    const groups = await s.run(
      `SELECT stats_min_value, stats_max_value FROM parquet_metadata('${join(dir, 'store.events.parquet')}') ` +
        "WHERE path_in_schema = 'ts_ns' ORDER BY row_group_id",
    );
    // batch b holds 1000·b, 1000·b + 2, …, 1000·b + 198
    expect(groups.rows).toEqual([0, 1, 2].map((b) => [String(1000 * b), String(1000 * b + 198)]));
    // 1150..1190 even: 21 rows of batch 1; 190..1010 spans the end of batch 0 and the start of 1
    expect(await count(s, 'SELECT count(*) FROM events WHERE ts_ns BETWEEN 1150 AND 1190')).toBe(21n);
    expect(await count(s, 'SELECT count(*) FROM events WHERE ts_ns BETWEEN 190 AND 1010')).toBe(11n);
  });

  it('rebuilds when its Parquet file was changed, replaced or removed', async () => {
    const dir = threeEvents();
    (await open(dir)).close();
    const file = join(dir, 'store.events.parquet');
    const cases: [string, () => void][] = [
      ['changed', () => flipByte(file, 100)], // same size, new mtime
      ['replaced', () => {
        copyFileSync(file, `${file}.x`); // same bytes, another inode
        renameSync(`${file}.x`, file);
      }],
      ['removed', () => rmSync(file)],
    ];
    for (const [what, change] of cases) {
      change();
      const s = await open(dir);
      expect(s.store.built, what).toBe(true);
      expect(s.warnings, what).toEqual([`${join(dir, STORE_FILE)}: the query store's Parquet file changed or is missing; building a new one`]);
      expect(await count(s), what).toBe(3n);
      s.close();
    }
  });

  it('user SQL reads the store\'s Parquet file and no other', async () => {
    const dir = threeEvents();
    const s = await open(dir);
    // (the DuckDB file itself is the session's database: nothing in it is hidden from SQL)
    const reads = [
      `read_parquet('${join(dir, 'events.arrow')}')`,
      `read_parquet('${join(dir, '*.parquet')}')`,
      `read_text('${join(dir, 'manifest.json')}')`,
    ];
    for (const read of reads) {
      const e = await failure(s.run(`SELECT count(*) FROM ${read}`));
      expect(e.message, read).toMatch(/file system operations are disabled by configuration/);
    }
    expect((await s.run(`SELECT count(*) FROM read_parquet('${join(dir, 'store.events.parquet')}')`)).rows).toEqual([[3n]]);
    s.close();
  });

  // DuckDB's allowed_paths, which lets a session read the store's Parquet file with file access
  // off, lets a COPY write it too (DuckDB 1.5: the first statement below replaced the file);
  // the session refuses file-writing statements by type (refused-statements.ts).
  it('writes onto the store\'s own files are refused and leave them as built', async () => {
    const dir = threeEvents();
    const parquet = join(dir, 'store.events.parquet');
    const s = await open(dir);
    const before = readFileSync(parquet);
    const writes = [
      `COPY (SELECT 1 AS x) TO '${parquet}' (FORMAT csv, USE_TMP_FILE false)`,
      `COPY (SELECT * FROM events LIMIT 1) TO '${parquet}' (FORMAT parquet)`,
      `COPY events TO '${parquet}'`,
      `SELECT 1; COPY (SELECT 2 AS x) TO '${parquet}' (FORMAT csv)`,
      `EXPORT DATABASE '${dir}'`,
      `ATTACH '${parquet}' AS p`,
      `ATTACH '${join(dir, STORE_FILE)}' AS s2`,
    ];
    for (const sql of writes) {
      const e = await failure(s.run(sql));
      expect(e.message, sql).toMatch(/file system operations are disabled by configuration/);
      expect(e.message, sql).not.toContain('\n');
    }
    expect(readFileSync(parquet).equals(before)).toBe(true);
    s.close();
    const next = await open(dir);
    expect(next.store.built).toBe(false);
    expect(await count(next)).toBe(3n);
    next.close();
  });

  it('with --allow-files a COPY onto the store\'s file is the user\'s; the next session rebuilds', async () => {
    const dir = threeEvents();
    const s = await open(dir, { allowFiles: true });
    await s.run(`COPY (SELECT 1 AS x) TO '${join(dir, 'store.events.parquet')}' (FORMAT csv, USE_TMP_FILE false)`);
    s.close();
    const next = await open(dir);
    expect(next.store.built).toBe(true);
    expect(await count(next)).toBe(3n);
  });
});

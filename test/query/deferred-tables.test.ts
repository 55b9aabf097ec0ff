// The frames table in the query store is written on first use (src/query/deferred-tables.ts):
// the build neither reads nor verifies frames.arrow; the first statement that reads the table
// verifies the file and writes its Parquet file; later sessions reuse it while its record
// matches (the Parquet file's identity and frames.arrow's); a changed file or record is
// verified and written anew; a statement the text check misses is
// prepared again after the table is made; in-memory sessions load it on first use too. Answers
// are compared with an in-memory (--trust) session, which loads the Arrow file directly.

import { cpSync, existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mayRead, missingTable } from '../../src/query/deferred-tables.js';
import { QueryError, QuerySession, indexTrace } from '../../src/query/index.js';
import { verify } from '../../src/trace/open.js';
import { recordScenario } from '../../src/platform/record.js';
import { loadScenario } from '../../src/scenario/load.js';
import { sessionOpener } from './sessions.js';
import { tempDir } from '../trace/helpers.js';

const FRAMES_FILE = 'store.frames.parquet';
const FRAMES_ID = 'store.frames.parquet.id';
const BY_DIR = 'SELECT dir, count(*)::BIGINT AS n, sum(octet_length(data))::BIGINT AS bytes, bit_xor(hash(data, ts_ns)) AS h FROM frames GROUP BY dir ORDER BY dir';

const open = sessionOpener();

let trace: string;
let expected: unknown[][];

beforeAll(async () => {
  trace = join(tempDir('tv-deferred-'), 't');
  await recordScenario(loadScenario('cockpit', { durationNs: 300_000_000 }), trace, { snapshotEveryNs: 0 });
  const memory = await open(trace, { mode: 'trust' });
  expected = (await memory.run(BY_DIR)).rows;
  memory.close();
}, 120_000);

/** One byte inside the last batch's body changed in place (same size: only the hash tells). */
function flipByte(path: string): void {
  const bytes = readFileSync(path);
  bytes[bytes.length - 64] ^= 0x01;
  writeFileSync(path, bytes);
}

/** A copy of the recorded trace without its store. */
function fresh(): string {
  const dir = join(tempDir('tv-deferred-'), 't');
  cpSync(trace, dir, { recursive: true, filter: (from) => !basename(from).startsWith('store.') });
  return dir;
}

describe('mayRead: which SQL texts may read the frames table', () => {
  it('says yes for a table reference, bare, quoted or in capitals', () => {
    expect(mayRead('SELECT count(*) FROM frames', 'frames')).toBe(true);
    expect(mayRead('select * from "FRAMES" f', 'frames')).toBe(true);
    expect(mayRead('SELECT * FROM events JOIN frames USING (seq)', 'frames')).toBe(true);
    expect(mayRead('SELECT * FROM main.frames', 'frames')).toBe(true);
  });
  it('says no for an alias, a literal, a comment or another word', () => {
    expect(mayRead('SELECT count(*) AS frames FROM events', 'frames')).toBe(false);
    expect(mayRead("SELECT 'frames' FROM events -- frames\n/* frames */", 'frames')).toBe(false);
    expect(mayRead('SELECT frames_seen, xframes FROM events', 'frames')).toBe(false);
  });
  it('says yes for a text that lists the catalog (a session shows every table it has)', () => {
    expect(mayRead('SHOW TABLES', 'frames')).toBe(true);
    expect(mayRead('SELECT table_name FROM information_schema.tables', 'frames')).toBe(true);
    expect(mayRead('SELECT * FROM duckdb_columns()', 'frames')).toBe(true);
    expect(mayRead("SELECT 'show' -- describe", 'frames')).toBe(false);
  });
  it('says yes for a name in a string given to query_table', () => {
    expect(mayRead("SELECT * FROM query_table('frames')", 'frames')).toBe(true);
  });
  it('reads the missing table from DuckDB\'s error', () => {
    expect(missingTable(new Error('Catalog Error: Table with name frames does not exist!\nDid you mean "events"?'))).toBe('frames');
    expect(missingTable(new Error('Binder Error: column x'))).toBeNull();
  });
});

describe('the frames table of the query store', () => {
  it('is neither read nor written by the build, written by the first query that reads it, then reused', async () => {
    const dir = fresh();
    const first = await open(dir);
    expect(first.store.built).toBe(true);
    expect((await first.run('SELECT count(*) FROM events')).rows[0]![0]).toBeGreaterThan(0n);
    expect(existsSync(join(dir, FRAMES_FILE))).toBe(false);
    expect((await first.run(BY_DIR)).rows).toEqual(expected);
    expect(existsSync(join(dir, FRAMES_FILE))).toBe(true);
    first.close();

    const id = readFileSync(join(dir, FRAMES_ID), 'utf8');
    const second = await open(dir);
    expect(second.store.built).toBe(false);
    expect((await second.run(BY_DIR)).rows).toEqual(expected);
    expect(readFileSync(join(dir, FRAMES_ID), 'utf8')).toBe(id); // the same file: not written again
  });

  it('is written again when its Parquet file or its record changed, never read as it is', async () => {
    const dir = fresh();
    const first = await open(dir);
    await first.run(BY_DIR);
    first.close();
    const parquet = join(dir, FRAMES_FILE);
    const bytes = readFileSync(parquet);
    bytes[bytes.length >> 1] ^= 0xff; // a changed byte in the middle of the data pages
    writeFileSync(parquet, bytes);
    const second = await open(dir);
    expect((await second.run(BY_DIR)).rows).toEqual(expected);
    second.close();

    writeFileSync(join(dir, FRAMES_ID), '{"formatVersion": 5, "table": "frames"'); // cut short
    const third = await open(dir);
    expect((await third.run(BY_DIR)).rows).toEqual(expected);
    expect(() => JSON.parse(readFileSync(join(dir, FRAMES_ID), 'utf8'))).not.toThrow();
  });

  it('is made for a statement the text check misses, which DuckDB then prepares again', async () => {
    const dir = fresh();
    const session = await open(dir);
    // the apostrophe inside a quoted identifier makes the text check take the rest for a literal
    const sql = `SELECT 1 AS "it's", (SELECT count(*) FROM frames) AS n, 'x' AS y`;
    expect(mayRead(sql, 'frames')).toBe(false);
    const n = expected.reduce((sum, row) => sum + (row[1] as bigint), 0n);
    expect((await session.run(sql)).rows[0]![1]).toBe(n);
    const runner = (await open(fresh())).statementRunner();
    let out = '';
    await runner.run(sql, { write: async (text: string) => void (out += text) } as never, { format: 'csv' });
    expect(out).toContain(`,${n},x`);
  });

  it('keeps DuckDB\'s message for a table that does not exist and is not made later', async () => {
    const session = await open(fresh());
    const error = await session.run('SELECT * FROM nope').then(() => null, (e: unknown) => e);
    expect((error as QueryError).message).toMatch(/Table with name nope does not exist/);
    let out = '';
    const runner = session.statementRunner();
    const sink = { write: async (text: string) => void (out += text) } as never;
    const failed = await runner.run('SELECT * FROM nope', sink, { format: 'csv' }).then(() => null, (e: unknown) => e);
    expect((failed as QueryError).message).toMatch(/Table with name nope does not exist/);
  });

  it('refuses a frames file damaged after the session matched its store, naming the table', async () => {
    const dir = fresh();
    (await open(dir)).close(); // the store: built, frames neither verified nor written
    const session = await open(dir); // reused by fingerprint: nothing verified again
    expect(session.store.built).toBe(false);
    flipByte(join(dir, 'frames.arrow'));
    const error = await session.run(BY_DIR).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toMatch(/trace damaged: frames: /);
    expect((error as QueryError).message).not.toContain('\n');
    expect(existsSync(join(dir, FRAMES_FILE))).toBe(false);
  });

  it('regression: a damaged frames.arrow does not stop the build; the first frames query names it, info --verify too', async () => {
    const dir = fresh();
    flipByte(join(dir, 'frames.arrow')); // same size, a byte inside the last batch: only the hash tells
    const session = await open(dir); // the build reads no frame: it succeeds
    expect(session.store.built).toBe(true);
    expect(session.store.loads.map((l) => l.table)).not.toContain('frames');
    expect((await session.run('SELECT count(*) FROM events')).rows[0]![0]).toBeGreaterThan(0n);
    const error = await session.run(BY_DIR).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toMatch(/trace damaged: frames: content hash differs from the manifest; use --salvage/);
    expect(existsSync(join(dir, FRAMES_FILE))).toBe(false);
    // the check of every table still reads frames
    expect(verify(dir).problems).toEqual(['frames: content hash differs from the manifest']);
  });

  it('is verified again at first use when frames.arrow changed after its Parquet file was written', async () => {
    const dir = fresh();
    const first = await open(dir);
    expect((await first.run(BY_DIR)).rows).toEqual(expected);
    first.close();
    const id = readFileSync(join(dir, FRAMES_ID), 'utf8');
    // the same bytes with another mtime: verified again and written again, the same answer
    const later = new Date(Date.UTC(2030, 0, 1));
    utimesSync(join(dir, 'frames.arrow'), later, later);
    const touched = await open(dir);
    expect(touched.store.built).toBe(false);
    expect((await touched.run(BY_DIR)).rows).toEqual(expected);
    expect(readFileSync(join(dir, FRAMES_ID), 'utf8')).not.toBe(id);
    touched.close();
    // a damaged file: the store (built from the verified one) answers the other tables, and the
    // first frames query refuses, never answering from the Parquet file written before
    flipByte(join(dir, 'frames.arrow'));
    const damaged = await open(dir);
    expect(damaged.store.built).toBe(false);
    expect((await damaged.run('SELECT count(*) FROM events')).rows[0]![0]).toBeGreaterThan(0n);
    const error = await damaged.run(BY_DIR).then(() => null, (e: unknown) => e);
    expect((error as QueryError).message).toMatch(/trace damaged: frames: content hash differs from the manifest/);
  });

  it('is loaded on first use in an in-memory (trust) session', async () => {
    const session = await open(fresh(), { mode: 'trust' });
    expect(session.store.loads.map((l) => l.table)).not.toContain('frames');
    await session.run('SELECT count(*) FROM events');
    expect(session.store.loads.map((l) => l.table)).not.toContain('frames');
    expect((await session.run(BY_DIR)).rows).toEqual(expected);
    expect(session.store.loads.map((l) => l.table)).toContain('frames');
  });

  it('counts only the tables it wrote in the build\'s rows and names the deferred one until it is written', async () => {
    const dir = fresh();
    const built = await indexTrace(dir);
    const session = await open(dir, { mode: 'trust' });
    const total = (await session.run(
      'SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM dlt) + (SELECT count(*) FROM clock) + (SELECT count(*) FROM inputs) + (SELECT count(*) FROM sync)',
    )).rows[0]![0];
    expect(BigInt(built.rows)).toBe(total);
    const frames = expected.reduce((sum, row) => sum + Number(row[1]), 0);
    expect(built.deferred).toEqual([{ table: 'frames', rows: frames }]);
    await session.run('SELECT count(*) FROM frames'); // in memory: writes no store file
    const store = await open(dir);
    await store.run('SELECT count(*) FROM frames');
    expect((await indexTrace(dir)).deferred).toEqual([]);
  });
});

// Safe by default (issue #7.4): a query reads the trace and nothing else. Each hostile
// statement below is the one the issue lists; each is refused with one line and leaves no
// file behind, in a store-backed session and in an in-memory (salvage) one, and SQL cannot
// turn the settings back on. --allow-files (allowFiles) is the only way to get file access.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { QueryError, QuerySession, type SessionOptions } from '../../src/query/index.js';
import { Recorder } from '../../src/trace/index.js';
import { META, eventColumns, tempDir } from '../trace/helpers.js';
import { tvWith } from '../executable.js';

const sessions: QuerySession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});
const out = mkdtempSync(join(tmpdir(), 'tv-hostile-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function session(options: SessionOptions = {}): Promise<QuerySession> {
  const dir = tempDir('tv-safe-');
  const rec = Recorder.create(dir, META);
  rec.appendEvents(eventColumns([{ ts: 1, kind: 'vq_used' }]), 1);
  rec.finish();
  const s = await QuerySession.open(dir, options);
  sessions.push(s);
  return s;
}

async function refusal(s: QuerySession, sql: string): Promise<string> {
  const error = await s.run(sql).then(() => new Error(`not refused: ${sql}`), (e: unknown) => e);
  expect(error, sql).toBeInstanceOf(QueryError);
  const message = (error as QueryError).message;
  expect(message, sql).not.toContain('\n');
  return message;
}

const FILE_OFF = /file system operations are disabled by configuration/;
const LOCKED = /the configuration has been locked/;

// [SQL, what DuckDB's refusal says, the file it must not create]
const HOSTILE: [string, RegExp, string | null][] = [
  ["SELECT * FROM read_csv('/etc/passwd')", FILE_OFF, null],
  ["SELECT * FROM read_text('/etc/hostname')", FILE_OFF, null],
  ["SELECT * FROM glob('/etc/*')", FILE_OFF, null],
  [`COPY events TO '${join(out, 'x.csv')}'`, FILE_OFF, join(out, 'x.csv')],
  [`EXPORT DATABASE '${join(out, 'd')}'`, FILE_OFF, join(out, 'd')],
  [`ATTACH '${join(out, 'x.db')}'`, FILE_OFF, join(out, 'x.db')],
  ['INSTALL httpfs', FILE_OFF, null],
  ['LOAD httpfs', /Loading external extensions is disabled/, null],
  ['SET enable_external_access = true', LOCKED, null],
  ['RESET enable_external_access', LOCKED, null],
  ['SET lock_configuration = false', LOCKED, null],
  ['SET autoinstall_known_extensions = true', LOCKED, null],
  ["SET allow_community_extensions = true", LOCKED, null],
  ["SET memory_limit = '64GB'", LOCKED, null],
  ["PRAGMA memory_limit = '64GB'", LOCKED, null],
  ["SET temp_directory = '/tmp/tv-hostile-spill'", LOCKED, null],
];

describe('query sessions are safe by default', () => {
  for (const mode of ['verify', 'salvage'] as const) {
    it(`refuses host files, writes, attach, extensions and setting changes (${mode})`, async () => {
      const s = await session({ mode });
      expect(s.store.path === null).toBe(mode === 'salvage');
      for (const [sql, why, file] of HOSTILE) {
        expect(await refusal(s, sql), sql).toMatch(why);
        if (file !== null) expect(existsSync(file), file).toBe(false);
      }
      // Still a working session after all that.
      expect((await s.run('SELECT count(*) FROM events')).rows).toEqual([[1n]]);
      const settings = await s.run(
        `SELECT name, value FROM duckdb_settings() WHERE name IN
         ('enable_external_access', 'lock_configuration', 'autoload_known_extensions') ORDER BY name`,
      );
      expect(settings.rows).toEqual([
        ['autoload_known_extensions', 'false'],
        ['enable_external_access', 'false'],
        ['lock_configuration', 'true'],
      ]);
    });
  }

  it('allowFiles (--allow-files) leaves file access on for COPY … TO', async () => {
    const s = await session({ allowFiles: true });
    const target = join(out, 'allowed.csv');
    await s.run(`COPY (SELECT ts_ns, kind FROM events) TO '${target}' (HEADER)`);
    expect(readFileSync(target, 'utf8')).toBe('ts_ns,kind\n1,vq_used\n');
    // Extensions stay off and the configuration stays locked even then.
    expect(await refusal(s, 'SET autoinstall_known_extensions = true')).toMatch(LOCKED);
  });

  it('user macros and temp tables still work on the read-only store', async () => {
    const s = await session();
    await s.run('CREATE TEMP MACRO seconds(ns) AS ns / 1e9');
    await s.run('CREATE TEMP TABLE picked AS SELECT ts_ns FROM events');
    expect((await s.run('SELECT seconds(ts_ns * 1000000000) FROM picked')).rows).toEqual([[1]]);
  });
});

// Regression: `CALL enable_logging(storage_path='/tmp/x'); SELECT 1` got past the configuration
// lock and DuckDB's log writer threw from a destructor: "terminate called after throwing an
// instance of 'duckdb::PermissionException'", exit 134, instead of an answer. Run as the real
// executable, because an abort would take a test process with it.
describe("DuckDB's logging controls are refused (the abort at exit 134)", () => {
  it('CALL enable_logging(storage_path=…) then a statement: one line, exit 2, no log file', () => {
    const dir = tempDir('tv-logging-');
    const rec = Recorder.create(dir, META);
    rec.appendEvents(eventColumns([{ ts: 1, kind: 'vq_used' }]), 1);
    rec.finish();
    const logPath = join(out, 'duckdb-log');
    const sql = `CALL enable_logging(storage_path='${logPath}'); SELECT 1`;
    const r = tvWith(['query', dir, sql]);
    expect(r.stderr).toBe('tracevisor: SQL error: enable_logging is not available in tracevisor sessions ' +
      "(DuckDB's own logging; the trace is what a query reads)\n");
    expect(r.code).toBe(2);
    expect(existsSync(logPath)).toBe(false);
  });

  it('the same in a library session, and a string that only mentions it is not refused', async () => {
    const s = await session();
    expect(await refusal(s, "CALL enable_logging(storage_path='/tmp/x')")).toMatch(/enable_logging is not available/);
    expect(await refusal(s, 'CALL disable_logging()')).toMatch(/disable_logging is not available/);
    expect((await s.run("SELECT 'enable_logging' AS word")).rows).toEqual([['enable_logging']]);
  });
});

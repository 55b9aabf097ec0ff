// Several statements in one SQL text, the splitter behind their headings, the timeout, and the
// ENUM-literal check (with DuckDB's own behaviour pinned, since the check exists because of it).
import { beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  QueryCancelled,
  QueryError,
  StatementRunner,
  StringSink,
  endsStatement,
  installMacros,
  splitStatements,
  type RunOptions,
} from '../../src/query/index.js';
import { memoryConnection } from './duckdb.js';

let db: DuckDBConnection;
beforeAll(async () => {
  db = await memoryConnection();
  await db.run("CREATE TYPE dlt_level AS ENUM ('fatal', 'error', 'warn', 'info', 'debug', 'verbose')");
  await db.run("CREATE TABLE dlt AS SELECT unnest(['fatal', 'error', 'warn', 'info', 'debug', 'verbose'])::dlt_level AS level");
  await installMacros(db);
});

async function run(sql: string, options: Partial<RunOptions> = {}): Promise<string> {
  const sink = new StringSink();
  await new StatementRunner(db).run(sql, sink, { format: 'table', ...options });
  return sink.text();
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => new Error('expected a failure'), (e: unknown) => e as Error);
  expect(error.message).not.toContain('\n');
  return error;
}

describe('splitting SQL into statements', () => {
  it('splits at top-level semicolons only', () => {
    const sql = "SELECT ';' AS a; SELECT \"x;y\" FROM t -- c;\n; SELECT $$;$$, e'\\';' /* ; /* nested ; */ */; SELECT 4";
    expect(splitStatements(sql)).toEqual({
      statements: ["SELECT ';' AS a", 'SELECT "x;y" FROM t -- c;', "SELECT $$;$$, e'\\';' /* ; /* nested ; */ */"],
      rest: 'SELECT 4',
      open: false,
    });
  });

  it('leaves out pieces that are only comments, and knows when a statement is finished', () => {
    expect(splitStatements('-- only\n; /* c */ ;').statements).toEqual([]);
    expect(endsStatement('SELECT 1;')).toBe(true);
    expect(endsStatement('SELECT 1; -- done')).toBe(true);
    expect(endsStatement("SELECT ';")).toBe(false);
    expect(endsStatement('SELECT 1')).toBe(false);
    expect(endsStatement('SELECT 1; SELECT')).toBe(false);
    expect(endsStatement('/* ; */')).toBe(false);
  });
});

describe('running several statements', () => {
  it('regression #7: only the first of several statements printed; now each result prints under its statement', async () => {
    const out = await run("SELECT 1 AS a; CREATE TEMP TABLE t AS SELECT 2 AS b; INSERT INTO t VALUES (3); SELECT b FROM t ORDER BY b;");
    expect(out).toBe(
      [
        '-- SELECT 1 AS a',
        'a',
        '-',
        '1',
        '(1 row)',
        '',
        '-- CREATE TEMP TABLE t AS SELECT 2 AS b',
        'OK',
        '',
        '-- INSERT INTO t VALUES (3)',
        '(1 row changed)',
        '',
        '-- SELECT b FROM t ORDER BY b',
        'b',
        '-',
        '2',
        '3',
        '(2 rows)',
        '',
      ].join('\n'),
    );
  });

  it('machine formats print only the results, one after another', async () => {
    expect(await run('SELECT 1 AS a; SELECT 2 AS b', { format: 'csv' })).toBe('a\r\n1\r\n\nb\r\n2\r\n');
    expect(await run('CREATE TEMP TABLE u (x INT); SELECT 2 AS b', { format: 'json' })).toBe('[\n{"b":2}\n]\n');
  });

  it('a statement that starts with a comment runs (the dash case at the runner level)', async () => {
    expect(await run('-- a comment\nSELECT 1 AS x')).toBe('x\n-\n1\n(1 row)\n');
  });

  it('empty SQL, or only comments, is an error rather than silence', async () => {
    expect((await failure(run('  -- nothing\n'))).message).toBe('no SQL statement to run (the text is empty or only comments)');
    expect((await failure(run(''))).message).toMatch(/^no SQL statement/);
  });

  it('an error names the statement it comes from, in one line', async () => {
    const e = await failure(run('SELECT 1; SELEC 2'));
    expect(e).toBeInstanceOf(QueryError);
    expect(e.message).toMatch(/^statement 2 of 2: SQL error: Parser Error: syntax error at or near "SELEC"$/);
    const binder = await failure(run('SELECT 1; SELECT nope FROM dlt'));
    expect(binder.message).toMatch(/^statement 2 of 2: SQL error: Binder Error: .*nope/);
  });

  it('--timeout interrupts a long query and says so', async () => {
    const started = performance.now();
    const e = await failure(run('SELECT count(*) FROM range(100000000) a, range(100000) b', { timeoutMs: 300 }));
    expect(e).toBeInstanceOf(QueryCancelled);
    expect((e as QueryCancelled).reason).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(30_000); // the cross join alone runs for hours
    expect(await run('SELECT 42 AS after')).toContain('42'); // the connection still works
  });

  it('a timeout during streaming is reported, not taken for a short result', async () => {
    const e = await failure(run('SELECT a.range + b.range FROM range(100000000) a, range(100000) b', { timeoutMs: 300, format: 'csv' }));
    expect(e).toBeInstanceOf(QueryCancelled);
  });
});

describe('ENUM columns compared with string literals', () => {
  const levels = async (where: string): Promise<string> =>
    (await (await db.runAndReadAll(`SELECT string_agg(level::VARCHAR, ',' ORDER BY level) FROM dlt WHERE ${where}`)).getRows())[0]![0] as string;

  it("pins DuckDB 1.5 itself: 'warning' matches nothing, <= 'warn' compares text, the cast compares in ENUM order", async () => {
    expect(await levels("level = 'warning'")).toBeNull();
    expect(await levels("level <= 'warn'")).toBe('fatal,error,warn,info,debug,verbose');
    expect(await levels("level <= 'warn'::dlt_level")).toBe('fatal,error,warn');
    expect(await levels('level_num(level) <= 3')).toBe('fatal,error,warn');
  });

  it("regression #7: level = 'warning' silently returned nothing; now an error names the allowed values", async () => {
    const e = await failure(run("SELECT * FROM dlt WHERE level = 'warning'"));
    expect(e.message).toBe(
      "SQL error: level = 'warning': 'warning' is not a dlt_level value, so it matches no row; allowed: fatal, error, warn, info, debug, verbose",
    );
    expect((await failure(run("SELECT * FROM dlt d WHERE d.level IN ('warn', 'eror')"))).message).toMatch(/level IN 'eror'/);
    expect((await failure(run("SELECT * FROM dlt WHERE 'warning' <> level"))).message).toMatch(/'warning' is not a dlt_level/);
  });

  it("regression #7: level <= 'warn' returned info and debug; now an error shows the cast and level_num", async () => {
    const e = await failure(run("SELECT * FROM dlt WHERE level <= 'warn'"));
    expect(e.message).toBe(
      "SQL error: level <= 'warn' compares level as text, not in dlt_level order (fatal < error < warn < info < debug < verbose); " +
        "cast the literal: level <= 'warn'::dlt_level, or compare DLT numbers: level_num(level) <= 3",
    );
    expect((await failure(run("SELECT * FROM dlt WHERE 'warn' >= level"))).message).toMatch(/^SQL error: level <= 'warn'/);
    expect((await failure(run("SELECT * FROM dlt WHERE level BETWEEN 'fatal' AND 'warn'"))).message).toMatch(/level BETWEEN 'fatal'/);
  });

  it('regression: frames.kind = \'eth\' in a join with events was refused as an event_kind; the qualifier decides', async () => {
    await db.run("CREATE TYPE event_kind AS ENUM ('link_tx', 'link_rx')");
    await db.run("CREATE TYPE frame_kind AS ENUM ('eth', 'can')");
    await db.run("CREATE TABLE events AS SELECT 1::BIGINT AS seq, 'link_tx'::event_kind AS kind");
    await db.run("CREATE TABLE frames AS SELECT 1::BIGINT AS seq, 'eth'::frame_kind AS kind");
    const join = (where: string) => `SELECT count(*) AS n FROM frames f JOIN events e USING (seq) WHERE ${where}`;
    expect(await run(join("f.kind = 'eth'"), { format: 'csv' })).toBe('n\r\n1\r\n');
    expect(await run(join("frames.kind = 'eth'").replace('frames f', 'frames'), { format: 'csv' })).toBe('n\r\n1\r\n');
    expect(await run(join("e.kind = 'link_tx' AND f.kind IN ('eth', 'can')"), { format: 'csv' })).toBe('n\r\n1\r\n');
    expect((await failure(run(join("e.kind = 'eth'")))).message).toMatch(/'eth' is not a event_kind value/);
    expect((await failure(run(join("f.kind = 'link_tx'")))).message).toMatch(/'link_tx' is not a frame_kind value/);
    // unqualified: refused only when no table's column allows the literal
    expect((await failure(run("SELECT * FROM frames, events WHERE kind = 'ethernet'"))).message).toMatch(/'ethernet' is not a event_kind value/);
  });

  it('valid literals, explicit casts and columns of other tables pass', async () => {
    expect(await run("SELECT count(*) AS n FROM dlt WHERE level = 'warn' OR level IN ('error')", { format: 'csv' })).toBe('n\r\n2\r\n');
    expect(await run("SELECT count(*) AS n FROM dlt WHERE level <= 'warn'::dlt_level", { format: 'csv' })).toBe('n\r\n3\r\n');
    expect(await run("SELECT count(*) AS n FROM (SELECT 'x' AS level) WHERE level = 'warning'", { format: 'csv' })).toBe('n\r\n0\r\n');
  });
});

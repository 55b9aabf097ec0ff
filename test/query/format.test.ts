// The streaming writers on real DuckDB results: expected text worked out by hand from the rules
// in src/query/format.ts (widths = widest cell, numbers right-aligned, ∅ for NULL, …).
import { beforeAll, describe, expect, it } from 'vitest';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CELL_CHARS_MAX, writeResult, type Sink } from '../../src/query/index.js';
import { memoryConnection, printed } from './duckdb.js';

let db: DuckDBConnection;
beforeAll(async () => {
  db = await memoryConnection();
});

const table = { format: 'table' } as const;

describe('table output', () => {
  it('regression #7: NULL and the text NULL looked the same; now NULL is ∅, and columns pad to the widest cell, numbers right', async () => {
    const out = await printed(
      db,
      "SELECT * FROM (VALUES ('a', 1::BIGINT, 0.5::DOUBLE), ('longer', 12345, NULL), (NULL, -2, 10), ('NULL', 0, 1.25), ('∅', 7, 2)) t(name, n, share)",
      table,
    );
    expect(out).toBe(
      [
        'name    n      share',
        '------  -----  -----',
        'a           1    0.5',
        'longer  12345      ∅',
        '∅          -2   10.0',
        'NULL        0   1.25',
        '\\∅          7    2.0',
        '(5 rows)',
        '',
      ].join('\n'),
    );
  });

  it('one row says "row"; line breaks become ⏎; wide characters count once', async () => {
    const out = await printed(db, "SELECT e'é\\nü' AS payload, 7 AS x", table);
    expect(out).toBe(['payload  x', '-------  -', 'é⏎ü      7', '(1 row)', ''].join('\n'));
  });

  it('escapes control bytes so a hostile payload cannot drive the terminal (ESC, tab, DEL, C1, bidi override)', async () => {
    const out = await printed(
      db,
      "SELECT chr(27) || '[2J' || chr(9) || chr(127) || chr(155) || chr(8238) || 'ok' || chr(0) AS p",
      table,
    );
    expect(out.split('\n')[2]).toBe('\\x1b[2J\\t\\x7f\\x9b\\u202eok\\x00');
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it('regression #7: SELECT * on ~124 000 rows used to overflow the stack; now the first 1000 rows print and the rest are counted', async () => {
    const out = await printed(db, 'SELECT * FROM range(130000) t(i)', table);
    const lines = out.trimEnd().split('\n');
    expect(lines.length).toBe(2 + 1000 + 1);
    expect(lines[2]).toBe('  0'); // sized on the shown rows: 999 is the widest, 3 characters
    expect(lines[1001]).toBe('999');
    expect(lines[1002]).toBe('(130000 rows; first 1000 shown, 129000 not shown: --limit N or --limit 0 for more, --format csv for all)');
  });

  it('--limit 0 prints every row, in windows whose widths only grow', async () => {
    const out = await printed(db, 'SELECT * FROM range(130000) t(i)', { format: 'table', rowsMax: 0 });
    const lines = out.trimEnd().split('\n');
    expect(lines.length).toBe(2 + 130000 + 1);
    expect(lines[2]).toBe('  0'); // the first window's widest value is 999: width 3
    expect(lines[1002]).toBe('1000'); // the second window widened the column to 4
    expect(lines[130001]).toBe('129999');
    expect(lines[130002]).toBe('(130000 rows)');
  });

  it('--limit 2 shows two rows and says three were not shown', async () => {
    const out = await printed(db, 'SELECT * FROM range(5) t(i)', { format: 'table', rowsMax: 2 });
    expect(out).toBe(
      ['i', '-', '0', '1', '(5 rows; first 2 shown, 3 not shown: --limit N or --limit 0 for more, --format csv for all)', ''].join('\n'),
    );
  });

  it('an empty result still prints its header', async () => {
    expect(await printed(db, 'SELECT 1 AS one WHERE false', table)).toBe('one\n---\n(0 rows)\n');
  });

  it('cuts a long cell and says so', async () => {
    const out = await printed(db, `SELECT repeat('y', ${CELL_CHARS_MAX + 500}) AS v`, table);
    const lines = out.split('\n');
    expect(lines[2]).toBe(`${'y'.repeat(CELL_CHARS_MAX)}…`);
    expect(lines[4]).toMatch(/values longer than 1000 characters were cut/);
    const emoji = await printed(db, `SELECT repeat('y', ${CELL_CHARS_MAX - 1}) || repeat('😀', 5) AS v`, table);
    expect(emoji.split('\n')[2]).toBe(`${'y'.repeat(CELL_CHARS_MAX - 1)}…`); // not half a surrogate pair
  });
});

describe('CSV output', () => {
  it('regression #7: NULL and \'\' looked the same; now NULL is an empty field and \'\' is "" (RFC 4180, CRLF, BLOB as DuckDB prints it)', async () => {
    const out = await printed(
      db,
      "SELECT * FROM (VALUES ('say \"hi\"', 3::BIGINT, '\\x00\\xAB'::BLOB, ''), (e'line\\nbreak', NULL, NULL, NULL)) t(\"a,b\", v, raw, s)",
      { format: 'csv' },
    );
    expect(out).toBe('"a,b",v,raw,s\r\n' + '"say ""hi""",3,\\x00\\xAB,""\r\n' + '"line\nbreak",,,\r\n');
  });

  it('streams: a 300 000-row export arrives in chunk-sized writes, never as one string', async () => {
    const sizes: number[] = [];
    let lines = 0;
    let last = '';
    const sink: Sink = {
      write(text: string) {
        sizes.push(text.length);
        lines += text.split('\r\n').length - 1;
        if (text.length > 0) last = text;
      },
    };
    const summary = await writeResult(await db.stream('SELECT i, i * 2 AS j FROM range(300000) t(i)'), sink, { format: 'csv' });
    expect(summary.rows).toBe(300000);
    expect(lines).toBe(300001);
    expect(last.endsWith('299999,599998\r\n')).toBe(true);
    expect(sizes.length).toBeGreaterThan(100); // 2048 rows per chunk → ~147 writes
    expect(sizes.reduce((a, b) => Math.max(a, b), 0)).toBeLessThan(100_000);
  });

  it('a ~100 MB value is written whole (in slices), not joined into one line string', async () => {
    const parts: string[] = [];
    await writeResult(await db.stream("SELECT repeat('x', 100000000) AS v"), { write: (t) => void parts.push(t) }, { format: 'csv' });
    const total = parts.reduce((n, p) => n + p.length, 0);
    expect(total).toBe('v\r\n'.length + 100_000_000 + '\r\n'.length);
    expect(parts.every((p) => p.length <= 1 << 20 || p === '')).toBe(true);
  });

  it('a long field with quotes is quoted and its quotes doubled across slices', async () => {
    const out = await printed(db, `SELECT repeat('a"', 750000) AS v, 1 AS n`, { format: 'csv' });
    expect(out).toBe(`v,n\r\n"${'a""'.repeat(750000)}",1\r\n`);
  });
});

describe('JSON output', () => {
  it('regression #7: a BIGINT was a number or a string by its size; now every integer is a JSON number with all its digits', async () => {
    const out = await printed(
      db,
      'SELECT * FROM (VALUES (5::BIGINT, 1::HUGEINT), (9007199254740993::BIGINT, (1::HUGEINT << 100)), ((-9223372036854775808)::BIGINT, NULL)) t(b, h)',
      { format: 'json' },
    );
    expect(out).toBe(
      '[\n' +
        '{"b":5,"h":1},\n' +
        '{"b":9007199254740993,"h":1267650600228229401496703205376},\n' +
        '{"b":-9223372036854775808,"h":null}\n' +
        ']\n',
    );
  });

  it('DECIMAL as a number, NaN as null, timestamps as DuckDB text, nested values as arrays and objects', async () => {
    const out = await printed(
      db,
      "SELECT 1.50::DECIMAL(5,2) AS d, 'nan'::DOUBLE AS n, 0.1::FLOAT AS f, TIMESTAMP_NS '2024-01-02 03:04:05.123456789' AS ts, " +
        "[1, NULL] AS l, {'a': 'x', 'b': [true]} AS s, MAP {'k': 2} AS m, '\\x01'::BLOB AS raw",
      { format: 'json' },
    );
    expect(out).toBe(
      '[\n{"d":1.50,"n":null,"f":0.1,"ts":"2024-01-02 03:04:05.123456789","l":[1,null],"s":{"a":"x","b":[true]},"m":{"k":2},"raw":"\\\\x01"}\n]\n',
    );
    expect(JSON.parse(out)[0].raw).toBe('\\x01');
  });

  it('repeated column names get distinct keys (DuckDB\'s deduplicated names)', async () => {
    expect(await printed(db, 'SELECT 1 AS a, 2 AS a', { format: 'jsonl' })).toBe('{"a":1,"a:1":2}\n');
  });

  it('an empty result is [], and jsonl prints one object per line', async () => {
    expect(await printed(db, 'SELECT 1 AS x WHERE false', { format: 'json' })).toBe('[]\n');
    expect(await printed(db, 'SELECT * FROM range(3) t(i)', { format: 'jsonl' })).toBe('{"i":0}\n{"i":1}\n{"i":2}\n');
  });
});

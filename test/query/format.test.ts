import { describe, expect, it } from 'vitest';
import { formatCsv, formatJson, formatResult, formatTable, type QueryResult } from '../../src/query/index.js';

const result: QueryResult = {
  columns: [
    { name: 'name', type: 'VARCHAR' },
    { name: 'n', type: 'BIGINT' },
    { name: 'share', type: 'DOUBLE' },
  ],
  rows: [
    ['a', 1n, 0.5],
    ['longer', 12345n, null],
    [null, -2n, 10],
  ],
};

describe('output formats', () => {
  it('table: columns padded to the widest cell, numbers right-aligned, NULL spelled out', () => {
    expect(formatTable(result)).toBe(
      [
        'name    n      share',
        '------  -----  -----',
        'a           1    0.5',
        'longer  12345   NULL',
        'NULL       -2     10',
        '(3 rows)',
        '',
      ].join('\n'),
    );
  });

  it('table: one row says "row", multi-line text stays on one line, wide chars count once', () => {
    const out = formatTable({
      columns: [{ name: 'payload', type: 'VARCHAR' }, { name: 'x', type: 'INTEGER' }],
      rows: [['é\nü', 7]],
    });
    expect(out).toBe(['payload  x', '-------  -', 'é⏎ü      7', '(1 row)', ''].join('\n'));
  });

  it('csv: RFC 4180 quoting, CRLF, empty field for NULL, hex for bytes', () => {
    const out = formatCsv({
      columns: [{ name: 'a,b', type: 'VARCHAR' }, { name: 'v', type: 'BIGINT' }, { name: 'raw', type: 'BLOB' }],
      rows: [
        ['say "hi"', 3n, new Uint8Array([0, 171])],
        ['line\nbreak', null, null],
        ['plain', -1n, new Uint8Array(0)],
      ],
    });
    expect(out).toBe(
      '"a,b",v,raw\r\n' +
        '"say ""hi""",3,\\x00ab\r\n' +
        '"line\nbreak",,\r\n' +
        'plain,-1,\\x\r\n',
    );
  });

  it('json: array of objects; BigInt as a number when exact, else a string', () => {
    const out = formatJson({
      columns: [{ name: 'small', type: 'BIGINT' }, { name: 'big', type: 'BIGINT' }, { name: 'raw', type: 'BLOB' }, { name: 's', type: 'VARCHAR' }],
      rows: [
        [2n ** 53n - 1n, 2n ** 53n, new Uint8Array([1, 2]), null],
        [-5n, -(2n ** 63n), new Uint8Array(0), 'x'],
      ],
    });
    expect(JSON.parse(out)).toEqual([
      { small: 9007199254740991, big: '9007199254740992', raw: '0102', s: null },
      { small: -5, big: '-9223372036854775808', raw: '', s: 'x' },
    ]);
  });

  it('formatResult dispatches on the format name', () => {
    expect(formatResult(result)).toBe(formatTable(result));
    expect(formatResult(result, 'csv')).toBe(formatCsv(result));
    expect(formatResult(result, 'json')).toBe(formatJson(result));
  });
});

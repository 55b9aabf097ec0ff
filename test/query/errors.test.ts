import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { QueryError, QuerySession, listNamedQueries, loadNamedQuery, parseNamedQuery } from '../../src/query/index.js';
import { Recorder } from '../../src/trace/index.js';
import { META, tempDir } from '../trace/helpers.js';

let session: QuerySession | null = null;
afterEach(() => {
  session?.close();
  session = null;
});

async function failure(promise: Promise<unknown>): Promise<QueryError> {
  const error = await promise.then(
    () => new Error('expected a QueryError'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(QueryError);
  expect((error as QueryError).message).not.toContain('\n');
  return error as QueryError;
}

async function emptySession(): Promise<QuerySession> {
  const dir = tempDir('tv-qerr-');
  Recorder.create(dir, META).finish();
  session = await QuerySession.open(dir);
  return session;
}

describe('query errors are one line', () => {
  it('opening something that is not a trace', async () => {
    const dir = tempDir('tv-qerr-');
    const e = await failure(QuerySession.open(dir));
    expect(e.code).toBe('not_a_trace');
    expect(e.message).toMatch(/no manifest\.json/);
    writeFileSync(join(dir, 'x'), '');
    expect((await failure(QuerySession.open(join(dir, 'x')))).code).toBe('not_a_trace');
  });

  it('a SQL error keeps DuckDB\'s first line and the full text as detail', async () => {
    const s = await emptySession();
    const e = await failure(s.run('SELEC 1'));
    expect(e.code).toBe('sql');
    expect(e.message).toMatch(/^SQL error: Parser Error: syntax error at or near "SELEC"$/);
    expect(e.detail).toContain('LINE 1');
    const missing = await failure(s.run('SELECT nope FROM events'));
    expect(missing.message).toMatch(/^SQL error: Binder Error: .*nope/);
  });

  it('an unknown named query lists the known ones; paths cannot escape queries/', async () => {
    const s = await emptySession();
    const e = await failure(s.runNamed('dlt/nothing'));
    expect(e.code).toBe('unknown_query');
    // every query under queries/, sorted, once (named.test.ts pins the list itself)
    const known = listNamedQueries().map((q) => q.name);
    expect(known).toContain('dlt/errors');
    expect(e.message).toBe(`unknown named query "dlt/nothing"; known: ${[...known].sort().join(', ')}`);
    expect((await failure(s.runNamed('../package'))).code).toBe('unknown_query');
  });

  it('a closed session refuses queries', async () => {
    const s = await emptySession();
    s.close();
    expect((await failure(s.run('SELECT 1'))).code).toBe('closed');
  });

  it('runs parameters through to DuckDB', async () => {
    const s = await emptySession();
    const r = await s.run('SELECT $a::BIGINT + 1 AS x', { a: 41 });
    expect(r).toEqual({ columns: [{ name: 'x', type: 'BIGINT' }], rows: [[42n]] });
  });
});

describe('named query modules', () => {
  it('the header gives the description and the @column docs; the SQL follows', () => {
    const q = parseNamedQuery(
      'pkg/q',
      '/x/pkg/q.sql',
      [
        '-- What it answers,',
        '-- over two lines.',
        '--',
        '-- @column a: first (ns)',
        '-- @column b_2: second',
        'SELECT 1 AS a,',
        '  -- an inner comment stays',
        '  2 AS b_2;',
        '',
      ].join('\n'),
    );
    expect(q).toEqual({
      name: 'pkg/q',
      path: '/x/pkg/q.sql',
      description: 'What it answers, over two lines.',
      columns: [
        { name: 'a', description: 'first (ns)' },
        { name: 'b_2', description: 'second' },
      ],
      sql: 'SELECT 1 AS a,\n  -- an inner comment stays\n  2 AS b_2',
    });
  });

  it('lists queries from the repository queries/ directory by path name', () => {
    const names = listNamedQueries().map((q) => q.name);
    expect(names).toContain('virtio/latency');
    const q = loadNamedQuery('virtio/latency');
    expect(q.path.endsWith(join('queries', 'virtio', 'latency.sql'))).toBe(true);
    expect(q.description).toMatch(/^How long do virtqueue requests take/);
  });
});

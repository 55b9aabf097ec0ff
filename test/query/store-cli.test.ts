// The store as a user meets it, through the compiled CLI in child processes: `tracevisor
// index`, `record --index`, two queries racing on a fresh trace, and a logger pointed at a file
// (which used to abort the process on close).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_NAMES } from '../../src/trace/tables.js';
import { packageRoot } from '../../src/util/package-root.js';
import { tempDir } from '../trace/helpers.js';

const CLI = join(packageRoot(), 'dist', 'cli', 'main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function tv(...args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function tvAsync(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

let trace: string;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does it first)`);
  trace = join(tempDir('tv-store-cli-'), 'run');
  const rec = tv('record', '-o', trace, '--duration', '200ms', '--seed', '7');
  expect(rec.code).toBe(0);
});

describe('the query store from the command line', () => {
  it('two queries racing on a fresh trace both answer the same, leaving one store', async () => {
    const sql = 'SELECT kind, count(*) FROM events GROUP BY kind ORDER BY kind';
    const [a, b] = await Promise.all([tvAsync('query', trace, sql), tvAsync('query', trace, sql)]);
    expect([a.code, b.code, a.stderr, b.stderr]).toEqual([0, 0, '', '']);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/vq_used/);
    expect(readdirSync(trace).filter((f) => f.startsWith('store.duckdb')).sort()).toEqual(['store.duckdb']);
  });

  it('tracevisor index builds, reports an up-to-date store, and --force rebuilds', () => {
    const built = tv('index', trace, '--force');
    expect(built.code).toBe(0);
    // frames: not read by the build; verified and written on first use (src/query/deferred-tables.ts)
    const frames = tv('query', trace, '--trust', '--format', 'csv', 'SELECT count(*) FROM frames').stdout.split(/\r?\n/)[1];
    expect(built.stdout).toMatch(new RegExp(
      '^query store built .*store\\.duckdb: \\d+ rows, [\\d.]+ MB in [\\d.]+ s, [\\d.]+ M rows/s' +
        `; frames \\(${frames} rows\\) verified and stored when a query first reads it\\n$`));
    const again = tv('index', trace);
    expect(again.stdout).toMatch(/^query store up to date: .*store\.duckdb: \d+ rows/);
    const rows = Number(/: (\d+) rows/.exec(built.stdout)![1]);
    // every table the store writes at its build (the cockpit runs gPTP: sync has rows too; frames
    // are written on first use)
    const counted = tv('query', trace, '--format', 'csv',
      'SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM dlt) + (SELECT count(*) FROM clock) + ' +
        '(SELECT count(*) FROM inputs) + (SELECT count(*) FROM sync) AS n');
    expect(counted.stdout).toBe(`n\r\n${rows}\r\n`);
    expect(tv('query', trace, 'SELECT count(*) FROM frames').code).toBe(0);
    expect(tv('index', trace).stdout).not.toContain('frames'); // written now
  });

  // refused-statements.ts: DuckDB's allowed_paths would let this COPY replace the store's file.
  it('a COPY onto the store\'s Parquet file is refused with one line, exit 2, the file kept', () => {
    expect(tv('index', trace).code).toBe(0);
    const parquet = join(trace, 'store.events.parquet');
    const before = readFileSync(parquet);
    const r = tv('query', trace, `COPY (SELECT 1 AS x) TO '${parquet}' (FORMAT csv, USE_TMP_FILE false)`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*COPY is refused: file system operations are disabled by configuration.*\n$/);
    expect(readFileSync(parquet).equals(before)).toBe(true);
    expect(tv('query', trace, 'SELECT 1').stderr).toBe(''); // reused, not rebuilt
  });

  it('a COPY onto the frames table\'s Parquet file, written on first use, is refused and writes nothing', () => {
    expect(tv('index', trace, '--force').code).toBe(0);
    const parquet = join(trace, 'store.frames.parquet');
    expect(existsSync(parquet)).toBe(false);
    const r = tv('query', trace, `COPY (SELECT 1 AS x) TO '${parquet}' (FORMAT csv, USE_TMP_FILE false)`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*COPY is refused.*\n$/);
    expect(existsSync(parquet)).toBe(false);
  });

  it('index refuses a directory that is not a trace with one line, exit 2', () => {
    const r = tv('index', join(trace, 'nope'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: .*nope.*\n$/);
  });

  it('record --index leaves the store beside the new trace', () => {
    const dir = join(tempDir('tv-store-cli-'), 'indexed');
    const r = tv('record', '-o', dir, '--duration', '100ms', '--index');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nquery store built .*indexed\/store\.duckdb: \d+ rows/);
    expect(existsSync(join(dir, 'store.duckdb'))).toBe(true);
    // Re-recording over it removes the old store (directory.ts) before writing the new trace.
    const again = tv('record', '-o', dir, '--duration', '100ms', '--force');
    expect(again.code).toBe(0);
    expect(existsSync(join(dir, 'store.duckdb'))).toBe(false);
  });

  it('import dlt --index leaves the store beside the imported trace', () => {
    const dir = join(tempDir('tv-store-cli-'), 'imported');
    const file = join(packageRoot(), 'test', 'dlt', 'fixtures', 'libdlt-all-types.dlt');
    const r = tv('import', 'dlt', file, '-o', dir, '--index');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nquery store built .*imported\/store\.duckdb: \d+ rows/);
    const q = tv('query', dir, '--format', 'csv', 'SELECT count(*) AS n FROM dlt');
    const rows = Number(/: (\d+) rows/.exec(r.stdout)![1]);
    // An imported trace holds dlt rows only: the store's row count is the dlt table's.
    expect(q.stdout.split(/\r?\n/).slice(0, 2)).toEqual(['n', `${rows}`]);
  });
});

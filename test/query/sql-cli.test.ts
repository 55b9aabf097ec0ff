// `tracevisor query`, `queries` and `shell` as a user runs them: the compiled CLI in a child
// process (npm test builds first), on a tiny trace built with the recorder.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Recorder } from '../../src/trace/index.js';
import { META, dltRow, tempDir } from '../trace/helpers.js';
import { CLI, requireCli, tvWith as tv } from '../executable.js';

let dir: string;
let work: string;

beforeAll(() => {
  requireCli();
  work = tempDir('tv-sqlcli-');
  dir = join(work, 'trace');
  const rec = Recorder.create(dir, META);
  rec.appendDlt(dltRow({ ts_ns: 10, level: 'warn', payload: 'w' }));
  rec.appendDlt(dltRow({ ts_ns: 20, level: 'error', payload: 'e' }));
  rec.appendDlt(dltRow({ ts_ns: 30, level: 'info', payload: 'i' }));
  rec.finish();
});

const LONG_STREAM = 'SELECT a.range FROM range(100000000) a, range(100000) b';

describe('tracevisor query', () => {
  it('regression #7: SQL starting with "-" was taken for an option; after "--" it runs', () => {
    const r = tv(['query', dir, '--', '-- the levels\nSELECT count(*) AS n FROM dlt']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('n\n-\n3\n(1 row)\n');
    const refused = tv(['query', dir, '-- the levels\nSELECT 1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'tracevisor: query: unknown option "-- the levels"; SQL that starts with "-" goes after "--": tracevisor query <trace-dir> -- "<sql>"\n',
    );
  });

  it('reads SQL from stdin ("-" or --file -) and from --file', () => {
    expect(tv(['query', dir, '-', '--format', 'csv'], 'SELECT 2 AS y').stdout).toBe('y\r\n2\r\n');
    expect(tv(['query', dir, '--file', '-', '--format', 'csv'], 'SELECT 3 AS z;').stdout).toBe('z\r\n3\r\n');
    const file = join(work, 'q.sql');
    writeFileSync(file, 'SELECT 4 AS w;\n');
    expect(tv(['query', dir, '--file', file, '--format', 'csv']).stdout).toBe('w\r\n4\r\n');
    const missing = tv(['query', dir, '--file', join(work, 'nope.sql')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^tracevisor: .*nope\.sql: cannot open \(ENOENT\)\n$/);
    expect(tv(['query', dir, 'SELECT 1', '--file', file]).stderr).toMatch(/give exactly one of SQL, --named/);
  });

  it('prints every statement\'s result, and the SQL helpers are there', () => {
    const r = tv(['query', dir, "SELECT fault_name(2) AS f; SELECT level_num(level) AS l FROM dlt WHERE level_num(level) <= 3 ORDER BY l"]);
    expect(r.stdout).toBe(
      ['-- SELECT fault_name(2) AS f', 'f', '---------------', 'desc_chain_loop', '(1 row)', '',
        '-- SELECT level_num(level) AS l FROM dlt WHERE level_num(level) <= 3 ORDER BY l', 'l', '-', '2', '3', '(2 rows)', ''].join('\n'),
    );
  });

  it('an ENUM typo is one line, exit 2', () => {
    const r = tv(['query', dir, "SELECT * FROM dlt WHERE level = 'warning'"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tracevisor: SQL error: level = 'warning': 'warning' is not a dlt_level value.*allowed: fatal, error, warn, info, debug, verbose\n$/);
  });

  it('--timeout cancels a long query with one line, exit 2', () => {
    const r = tv(['query', dir, 'SELECT count(*) FROM range(100000000) a, range(100000) b', '--timeout', '500ms']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tracevisor: query cancelled after 500 ms (--timeout)\n');
    expect(tv(['query', dir, 'SELECT 1', '--timeout', 'soon']).stderr).toMatch(/^tracevisor: --timeout: expected a duration/);
  });

  it('Ctrl-C (SIGINT) cancels the running query: one line, exit 130, no stack', async () => {
    const child = spawn(process.execPath, [CLI, 'query', dir, LONG_STREAM, '--format', 'csv'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let signalled = false;
    child.stdout.on('data', () => {
      // rows are streaming: the query is running now
      if (!signalled) child.kill('SIGINT');
      signalled = true;
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(signalled).toBe(true);
    expect(code).toBe(130);
    expect(stderr).toBe('tracevisor: query cancelled\n');
  });

  it('--limit caps the table; a bad value is a one-line error', () => {
    const r = tv(['query', dir, 'SELECT * FROM range(5) t(i)', '--limit', '2']);
    expect(r.stdout.trimEnd().split('\n').slice(-1)[0]).toBe('(5 rows; first 2 shown, 3 not shown: --limit N or --limit 0 for more, --format csv for all)');
    expect(tv(['query', dir, 'SELECT 1', '--limit', '-1']).code).toBe(2);
    expect(tv(['query', dir, 'SELECT 1', '--limit', 'x']).stderr).toBe('tracevisor: --limit: expected a row count (0 shows every row), got "x"\n');
  });
});

describe('named queries from a user directory', () => {
  it('--queries <dir> adds modules by path name; --named takes a .sql path; queries --json lists them', () => {
    const mine = join(work, 'mine');
    mkdirSync(join(mine, 'team'), { recursive: true });
    writeFileSync(join(mine, 'team', 'warnings.sql'), '-- Warnings per ECU.\n--\n-- @column n: messages\nSELECT count(*) AS n FROM dlt WHERE level = \'warn\';\n');
    expect(tv(['query', dir, '--queries', mine, '--named', 'team/warnings', '--format', 'csv']).stdout).toBe('n\r\n1\r\n');
    expect(tv(['query', dir, '--named', join(mine, 'team', 'warnings.sql'), '--format', 'csv']).stdout).toBe('n\r\n1\r\n');
    const unknown = tv(['query', dir, '--queries', mine, '--named', 'team/nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown named query "team\/nope"; known: .*team\/warnings/);
    const listed = JSON.parse(tv(['queries', '--json', '--queries', mine]).stdout) as { queries: { name: string; description: string }[]; helpers: { signature: string }[] };
    expect(listed.queries.find((q) => q.name === 'team/warnings')?.description).toBe('Warnings per ECU.');
    expect(listed.queries.map((q) => q.name)).toContain('dlt/errors');
    expect(listed.helpers.map((h) => h.signature)).toContain('ns_to_s(ns)');
  });

  it('queries -v documents the SQL helpers and the ENUM cast', () => {
    const out = tv(['queries', '-v']).stdout;
    expect(out).toMatch(/time_bucket_ns\(ns, width_ns\)/);
    expect(out).toMatch(/level <= 'warn'::dlt_level/);
  });
});

describe('tracevisor shell', () => {
  it('runs piped statements (multi-line, ending with ;) and dot commands on one session', () => {
    const input = [
      '.tables',
      'CREATE TEMP TABLE seen AS',
      '  SELECT ts_ns FROM dlt;',
      "SELECT count(*) AS n FROM seen; SELECT 'a;b' AS s;",
      '.schema clock',
      '.run dlt/errors',
      '.named',
      '.help',
      'SELECT 7 AS last',
    ].join('\n');
    const r = tv(['shell', dir, '--format', 'csv'], input);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^name,type\r\nclock,table\r\n/);
    expect(r.stdout).toContain('n\r\n3\r\n\ns\r\na;b\r\n');
    expect(r.stdout).toContain('table,column,type\r\nclock,');
    expect(r.stdout).toMatch(/ts_ns,local_ts_ns,ecu,apid,ctid,level,payload\r\n20,20,ECU1,APP,CTX,error,e\r\n/);
    expect(r.stdout).toMatch(/dlt\/errors\s+\S/);
    expect(r.stdout).toContain('.schema [table]');
    expect(r.stdout.endsWith('last\r\n7\r\n')).toBe(true);
  });

  it('.format and .limit change how the following results print', () => {
    const r = tv(['shell', dir], '.format csv\nSELECT 1 AS a;\n.format table\n.limit 1\nSELECT * FROM range(3) t(i);\n');
    expect(r.stdout).toBe('a\r\n1\r\ni\n-\n0\n(3 rows; first 1 shown, 2 not shown: --limit N or --limit 0 for more, --format csv for all)\n');
    expect(r.code).toBe(0);
  });

  it('an error prints one line and the shell goes on; piped, it then exits 2', () => {
    const r = tv(['shell', dir], 'SELEC 1;\n.bogus\nSELECT 5 AS five;\n');
    expect(r.stderr).toBe(
      'tracevisor: SQL error: Parser Error: syntax error at or near "SELEC"\n' +
        'tracevisor: unknown command .bogus (.help lists them)\n' +
        'tracevisor: shell: 2 of the piped commands failed\n',
    );
    expect(r.stdout).toBe('five\n----\n   5\n(1 row)\n');
    expect(r.code).toBe(2);
  });
});

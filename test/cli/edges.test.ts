// The edges of the command line (issue #8 point 5), each defect by its input: commander's own
// errors in our one-line style, "-" for stdin/stdout, raw DLT streams (--raw, --start, and the
// detection that used to import 0 messages with exit 0), --json summaries, the message that
// named a non-existent option ("pass overwrite"), the live hint's address and half-closed
// live clients. The compiled CLI runs in a child process (npm test builds first).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';
import { Trace } from '../../src/trace/reader.js';
import { parseStartUs } from '../../src/cli/import.js';
import { DltParser } from '../../src/formats/dlt/index.js';
import { importDltFiles } from '../../src/formats/dlt/import.js';
import { CLI, requireCli, tvWith as tv } from '../executable.js';

const FIXTURES = join(packageRoot(), 'test', 'dlt', 'fixtures');
const STREAM = join(FIXTURES, 'libdlt-all-types.stream');
const STORED = join(FIXTURES, 'libdlt-all-types.dlt');
let root: string;
let run1s: string;

/** stdout as bytes (export -o -). */
function tvBytes(args: string[]): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

function dltRows(dir: string): Record<string, unknown>[] {
  const trace = Trace.open(dir);
  const rows: Record<string, unknown>[] = [];
  for (const batch of trace.batches('dlt')) for (const row of batch) rows.push(row!.toJSON() as Record<string, unknown>);
  return rows;
}

beforeAll(() => {
  requireCli();
  root = mkdtempSync(join(tmpdir(), 'tv-edges-'));
  run1s = join(root, 'run1s');
  const r = tv(['record', '--duration', '1s', '-o', run1s]);
  if (r.code !== 0) throw new Error(r.stderr);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("commander's errors in our style: one `tracevisor:` line, exit 2, a hint", () => {
  test.each([
    [['recrod'], `tracevisor: unknown command 'recrod' (Did you mean record?); run "tracevisor --help" for usage`],
    [['record', '--bogus'], `tracevisor: unknown option '--bogus'; run "tracevisor record --help" for usage`],
    [['record', '--seed'], `tracevisor: option '--seed <n>' argument missing; run "tracevisor record --help" for usage`],
    [['import', 'dlt', 'x.dlt'], `tracevisor: required option '-o, --output <dir>' not specified; run "tracevisor import dlt --help" for usage`],
    [['import', 'csv'], `tracevisor: unknown command 'csv'; run "tracevisor import --help" for usage`],
    [['export', 'dlt', 'd'], `tracevisor: required option '-o, --output <file>' not specified; run "tracevisor export dlt --help" for usage`],
    [['info', 'a', 'b'], `tracevisor: too many arguments for 'info'. Expected 1 argument but got 2; run "tracevisor info --help" for usage`],
  ])('%j', (args, line) => {
    const r = tv(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line}\n`);
    expect(r.stdout).toBe('');
  });

  test('a command without its subcommand shows the usage and ends with our line', () => {
    const r = tv(['import']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Usage: tracevisor import/);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('tracevisor: name a command (the usage above lists them)');
  });

  test('--help and --version still exit 0 on stdout', () => {
    expect(tv(['--version'])).toMatchObject({ code: 0, stderr: '' });
    expect(tv(['record', '--help'])).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('messages that named the wrong thing', () => {
  test('a non-empty directory that holds no trace names --force, which then works ("pass overwrite")', () => {
    const dir = join(root, 'occupied');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const r = tv(['record', '--duration', '10ms', '-o', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tracevisor: ${dir}: directory is not empty and holds no trace; choose another, or use --force (overwrite: true from code) to write the trace files into it\n`);
    expect(r.stderr).not.toMatch(/pass overwrite/);
    expect(tv(['record', '--duration', '10ms', '-o', dir, '--force']).code).toBe(0);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  test('the live hint names the address bound: IPv4 for an IPv4 bind (it said ::1)', () => {
    const r = tv(['record', '--duration', '10ms', '-o', join(root, 'live4'), '--dlt-port', '0', '--dlt-host', '127.0.0.1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^tracevisor: serving DLT on 127\.0\.0\.1:(\d+) \(e\.g\. dlt-receive -a 127\.0\.0\.1 -p \1\)\n$/);
  });
});

describe('live serving: a client that half-closes right after connecting still receives', () => {
  test('socket.end() at connect (nc -N, shutdown SHUT_WR) → every message arrives', async () => {
    const dir = join(root, 'halfclosed');
    const child = spawn(process.execPath, [CLI, 'record', '--duration', '500ms', '-o', dir,
      '--dlt-port', '0', '--dlt-host', '127.0.0.1', '--dlt-wait', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const port = await new Promise<number>((resolve, reject) => {
      child.stderr.on('data', (d) => {
        stderr += d;
        const m = /serving DLT on 127\.0\.0\.1:(\d+)/.exec(stderr);
        if (m !== null) resolve(Number(m[1]));
      });
      child.on('exit', () => reject(new Error(`exited early: ${stderr}`)));
    });
    const chunks: Buffer[] = [];
    const socket: Socket = connect({ port, host: '127.0.0.1' }, () => socket.end());
    socket.on('data', (d) => chunks.push(d));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    await closed;
    expect(code, stderr).toBe(0);
    const rows = dltRows(dir).length;
    expect(rows).toBeGreaterThan(0);
    const parser = DltParser.over(Buffer.concat(chunks), { framing: 'stream' });
    while (parser.next() !== null);
    expect(parser.stats).toEqual({ messages: rows, skippedBytes: 0, damagedMessages: 0 });
    expect(stdout).toContain(`  live DLT: 1 client, ${rows} messages sent, 0 dropped (slow clients)\n`);
  });
});

describe('"-" is stdin or stdout, not a file name', () => {
  test('export dlt -o - writes the same bytes as -o file; the summary goes to stderr', () => {
    const file = join(root, 'run1s.dlt');
    expect(tv(['export', 'dlt', run1s, '-o', file]).code).toBe(0);
    const r = tvBytes(['export', 'dlt', run1s, '-o', '-']);
    expect(r.code).toBe(0);
    expect(Buffer.compare(r.stdout, readFileSync(file))).toBe(0);
    expect(r.stderr).toBe(`exported ${dltRows(run1s).length} DLT messages (${r.stdout.length} bytes) -> stdout\n`);
    expect(existsSync('-')).toBe(false);
    // a reader that stops early (| head -c 10) ends the process: no temporary file is left
    const early = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" export dlt "${run1s}" -o - | head -c 10 | wc -c`], { encoding: 'utf8' });
    expect(early.stdout.trim()).toBe('10');
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('tracevisor-export-'))).toEqual([]);
    const both = tv(['export', 'dlt', run1s, '-o', '-', '--json']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^tracevisor: --json and -o - both write to stdout/);
  });

  test('import dlt - reads stdin: the same dlt table as importing the file', () => {
    const file = join(root, 'run1s.dlt');
    if (!existsSync(file)) expect(tv(['export', 'dlt', run1s, '-o', file]).code).toBe(0);
    expect(tv(['import', 'dlt', file, '-o', join(root, 'from-file')]).code).toBe(0);
    const r = tv(['import', 'dlt', '-', '-o', join(root, 'from-stdin')], readFileSync(file));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^imported \d+ DLT messages from 1 file/);
    expect(readFileSync(join(root, 'from-stdin', 'dlt.arrow'))).toEqual(readFileSync(join(root, 'from-file', 'dlt.arrow')));
  });

  test('import dlt - with nothing on stdin says so', () => {
    const r = tv(['import', 'dlt', '-', '-o', join(root, 'empty-stdin')], '');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^imported 0 DLT messages from 1 file/);
    expect(r.stderr).toBe('tracevisor: warning: -: empty (0 bytes), no DLT messages\n');
  });

  test('record - reads the scenario from stdin', () => {
    const scenario = readFileSync(join(packageRoot(), 'src', 'scenario', 'builtin', 'cockpit.json'), 'utf8');
    const r = tv(['record', '-', '--duration', '1s', '-o', join(root, 'from-stdin-scenario')], scenario);
    expect(r.code).toBe(0);
    expect(readFileSync(join(root, 'from-stdin-scenario', 'events.arrow'))).toEqual(readFileSync(join(run1s, 'events.arrow')));
    const bad = tv(['record', '-', '-o', join(root, 'bad-stdin')], '{"name": 1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^tracevisor: stdin: not valid JSON/);
  });
});

describe('raw DLT streams (no storage headers): --raw, --start, and detection', () => {
  test('without --raw a raw stream is refused with what to do (it imported 0 messages, exit 0)', () => {
    const r = tv(['import', 'dlt', STREAM, '-o', join(root, 'raw-refused')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tracevisor: ${STREAM}: no DLT storage headers; it starts like a raw DLT stream (dlt-daemon's TCP output, record --dlt-port): import it with --raw\n`);
    expect(existsSync(join(root, 'raw-refused', 'manifest.json'))).toBe(false);
  });

  test('on stdin (not sniffed) the same stream imports nothing but says to use --raw', () => {
    const r = tv(['import', 'dlt', '-', '-o', join(root, 'raw-stdin-refused')], readFileSync(STREAM));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^imported 0 DLT messages/);
    expect(r.stderr).toBe(`tracevisor: warning: -: no DLT storage-framed message found in ${readFileSync(STREAM).length} bytes; if it is a raw DLT stream (dlt-daemon's TCP output), import it with --raw\n`);
  });

  test('--raw imports what dlt-receive -o stored of the same daemon, with receive times from the file order', () => {
    const raw = join(root, 'raw');
    const r = tv(['import', 'dlt', STREAM, '-o', raw, '--raw', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { messages: number; files: { bytes: number; skippedBytes: number; damagedMessages: number }[] };
    const rows = dltRows(raw);
    expect(json.messages).toBe(rows.length);
    expect(json.files[0]).toMatchObject({ bytes: readFileSync(STREAM).length, skippedBytes: 0, damagedMessages: 0 });
    // --start 0 (default): the i-th message at i µs
    expect(rows.map((row) => row.ts_ns)).toEqual(rows.map((_, i) => BigInt(i) * 1000n));
    expect(rows.every((row) => row.storage_ts_ns === row.ts_ns)).toBe(true);
    // the same daemon sent the same application messages to dlt-receive -o at the same time
    // (its own control and connection messages, apid DA1/DLTD, differ per client): every field
    // but the receive time matches, storage ECU included (the message's ECU, else "RECV")
    expect(tv(['import', 'dlt', STORED, '-o', join(root, 'stored')]).code).toBe(0);
    const key = (row: Record<string, unknown>) => JSON.stringify([row.ecu, row.storage_ecu, row.apid, row.ctid, row.type,
      row.subtype, row.session_id, String(row.local_ts_ns), row.payload, row.htyp, Buffer.from(row.payload_raw as Uint8Array).toString('hex')]);
    const applications = (all: Record<string, unknown>[]) =>
      all.filter((row) => row.apid !== 'DA1' && row.apid !== 'DLTD').map(key).sort();
    const fromStream = applications(rows);
    expect(fromStream.length).toBeGreaterThan(300);
    expect(fromStream).toEqual(applications(dltRows(join(root, 'stored'))));
    expect(rows.filter((row) => row.storage_ecu === 'RECV').map((row) => row.ecu)).toEqual(['RECV']);
  });

  test('the same trace whatever the chunk size and the kernel (messages cut across reads)', () => {
    const reference = join(root, 'raw-chunks-reference');
    importDltFiles([STREAM], reference, { raw: { startUs: 5 } });
    const expected = readFileSync(join(reference, 'dlt.arrow'));
    for (const chunkBytes of [97, 512, 4096]) {
      for (const kernel of ['wasm', 'js'] as const) {
        const dir = join(root, `raw-chunks-${chunkBytes}-${kernel}`);
        const result = importDltFiles([STREAM], dir, { raw: { startUs: 5 }, chunkBytes, kernel });
        expect(result.files[0], `${chunkBytes} ${kernel}`).toMatchObject({ bytes: readFileSync(STREAM).length, skippedBytes: 0, damagedMessages: 0 });
        expect(readFileSync(join(dir, 'dlt.arrow')).equals(expected), `${chunkBytes} ${kernel}`).toBe(true);
      }
    }
    expect(dltRows(reference)[0]!.ts_ns).toBe(5000n);
  });

  test('--start takes Unix seconds or an ISO date (UTC when it names no offset)', () => {
    const r = tv(['import', 'dlt', STREAM, '-o', join(root, 'raw-start'), '--raw', '--start', '2025-12-01T09:00:00']);
    expect(r.code).toBe(0);
    const rows = dltRows(join(root, 'raw-start'));
    expect(rows[0]!.ts_ns).toBe(1_764_579_600_000_000_000n);
    expect(rows[1]!.ts_ns).toBe(1_764_579_600_000_001_000n);
    expect(parseStartUs('1764579600.25')).toBe(1_764_579_600_250_000);
    expect(parseStartUs('2025-12-01T09:00:00Z')).toBe(1_764_579_600_000_000);
    expect(parseStartUs('2025-12-01T10:00:00+01:00')).toBe(1_764_579_600_000_000);
    expect(parseStartUs('2025-12-01')).toBe(1_764_547_200_000_000);
    for (const bad of ['yesterday', '-5', '1e9', '2025-13-01', '99999999999']) expect(parseStartUs(bad), bad).toBeNull();
  });

  test('raw stdin, damage in a raw stream, and the option mistakes', () => {
    const stream = readFileSync(STREAM);
    const viaStdin = tv(['import', 'dlt', '-', '-o', join(root, 'raw-stdin'), '--raw'], stream);
    expect(viaStdin.code).toBe(0);
    expect(readFileSync(join(root, 'raw-stdin', 'dlt.arrow'))).toEqual(readFileSync(join(root, 'raw', 'dlt.arrow')));
    // 7 bytes of garbage after the first message: skipped and counted, the rest kept
    const first = DltParser.over(stream, { framing: 'stream' }).next()!;
    const damaged = join(root, 'damaged.stream');
    writeFileSync(damaged, Buffer.concat([stream.subarray(0, first.size), Buffer.from('garbage'), stream.subarray(first.size)]));
    const d = tv(['import', 'dlt', damaged, '-o', join(root, 'raw-damaged'), '--raw']);
    expect(d.code).toBe(0);
    expect(dltRows(join(root, 'raw-damaged')).length).toBe(dltRows(join(root, 'raw')).length);
    expect(d.stderr).toMatch(/^tracevisor: warning: .*damaged\.stream: 1 damaged message, 7 bytes skipped; kept the \d+ intact messages\n$/);
    const cases: [string[], string][] = [
      [['import', 'dlt', STORED, '-o', join(root, 'x1'), '--raw'], `tracevisor: ${STORED}: a DLT storage file (it starts with "DLT\\x01"); import it without --raw\n`],
      [['import', 'dlt', STREAM, '-o', join(root, 'x2'), '--start', '0'], 'tracevisor: --start needs --raw (storage files carry their own receive times)\n'],
      [['import', 'dlt', '-', '-', '-o', join(root, 'x4')], 'tracevisor: -: stdin can be read once; name it once\n'],
    ];
    for (const [args, stderr] of cases) expect(tv(args), args.join(' ')).toMatchObject({ code: 2, stderr });
    const badStart = tv(['import', 'dlt', STREAM, '-o', join(root, 'x3'), '--raw', '--start', 'soon']);
    expect(badStart.code).toBe(2);
    expect(badStart.stderr).toMatch(/^tracevisor: --start: expected Unix seconds .* got "soon"\n$/);
  });
});

describe('--json: one object on stdout for scripts', () => {
  test('record, import and export', () => {
    const rec = tv(['record', '--duration', '200ms', '-o', join(root, 'json-run'), '--json']);
    expect(rec.code).toBe(0);
    const r = JSON.parse(rec.stdout) as { output: string; scenario: string; durationNs: number; tables: unknown; dltMessages: number };
    const manifest = JSON.parse(readFileSync(join(root, 'json-run', 'manifest.json'), 'utf8'));
    expect(r).toMatchObject({ output: join(root, 'json-run'), scenario: 'cockpit', durationNs: 200_000_000, tables: manifest.tables });
    expect(r.dltMessages).toBe(manifest.tables.dlt.rows);
    const file = join(root, 'json.dlt');
    const exp = tv(['export', 'dlt', join(root, 'json-run'), '-o', file, '--json']);
    expect(JSON.parse(exp.stdout)).toEqual({ output: file, messages: r.dltMessages, bytes: readFileSync(file).length });
    const imp = tv(['import', 'dlt', file, '-o', join(root, 'json-import'), '--json']);
    const i = JSON.parse(imp.stdout) as Record<string, unknown>;
    expect(i).toMatchObject({
      output: join(root, 'json-import'), messages: r.dltMessages, skippedBytes: 0, damagedMessages: 0,
      lifecycles: { CLST: 1, GW01: 1, IVI1: 1 }, warnings: [],
      files: [{ path: file, bytes: readFileSync(file).length, messages: r.dltMessages, skippedBytes: 0, damagedMessages: 0 }],
    });
    expect(rec.stdout.trim().split('\n')).toHaveLength(1);
  });
});

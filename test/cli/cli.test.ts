// The command line as a user runs it: the compiled CLI in a child process (`npm test` builds
// first), exit codes and one-line errors included.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';
import { Trace } from '../../src/trace/reader.js';
import { QuerySession } from '../../src/query/session.js';
import { encodeMessages, type DltMessage } from '../../src/formats/dlt/index.js';
import { CLI, requireCli, tv } from '../executable.js';

let root: string;

beforeAll(() => {
  requireCli();
  root = mkdtempSync(join(tmpdir(), 'tv-cli-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('record → info → query', () => {
  test('a user records the default platform and asks questions of it', () => {
    const dir = join(root, 'run1');
    const rec = tv('record', '-o', dir, '--duration', '1s', '--seed', '42');
    expect(rec.stderr).toBe('');
    expect(rec.code).toBe(0);
    expect(rec.stdout).toMatch(/recorded cockpit \(seed 42\) for 1\.000 s/);

    const info = tv('info', dir);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/complete\s+yes/);
    expect(info.stdout).toMatch(/seed\s+42/);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(info.stdout).toContain(manifest.tables.events.sha256);

    const q = tv('query', dir, 'SELECT ecu, count(*) AS n FROM dlt GROUP BY ALL ORDER BY ecu', '--format', 'csv');
    expect(q.code).toBe(0);
    const lines = q.stdout.trim().split(/\r?\n/);
    expect(lines[0]).toBe('ecu,n');
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['CLST', 'GW01', 'IVI1']);
    const total = lines.slice(1).reduce((n, l) => n + Number(l.split(',')[1]), 0);
    expect(total).toBe(manifest.tables.dlt.rows);

    const named = tv('query', dir, '--named', 'sched/steal', '--format', 'json');
    expect(named.code).toBe(0);
    const rows = JSON.parse(named.stdout) as { vm: number; vcpu: number; steal_ns: number }[];
    // One row per vCPU: the infotainment VM's two both run (issue #8), four vCPUs on two pCPUs.
    expect(rows.map((r) => [r.vm, r.vcpu])).toEqual([[0, 0], [1, 0], [1, 1], [2, 0]]);
    const byVm = tv('query', dir, "SELECT vm, vcpu, sum(val) AS s FROM events WHERE kind = 'sched_run' GROUP BY ALL ORDER BY ALL", '--format', 'json');
    expect(JSON.parse(byVm.stdout).map((r: { s: number }) => r.s)).toEqual(rows.map((r) => r.steal_ns));

    const names = tv('query', dir, 'SELECT v.name, count(*) AS faults FROM events e JOIN vms v USING (vm) GROUP BY ALL ORDER BY 1', '--format', 'csv');
    expect(names.stdout.split(/\r?\n/)[1]).toMatch(/^cluster,\d+$/);
  });

  test('the same command twice writes byte-identical tables (determinism through the CLI)', () => {
    const a = join(root, 'det-a');
    const b = join(root, 'det-b');
    expect(tv('record', 'hostile', '-o', a, '--seed', '9', '--duration', '600ms').code).toBe(0);
    expect(tv('record', 'hostile', '-o', b, '--seed', '9', '--duration', '600ms').code).toBe(0);
    for (const table of ['events', 'dlt', 'clock', 'inputs']) {
      expect(readFileSync(join(a, `${table}.arrow`)).equals(readFileSync(join(b, `${table}.arrow`))), table).toBe(true);
    }
  });

  test('scenarios and queries list what exists', () => {
    const s = tv('scenarios');
    expect(s.stdout).toMatch(/^cockpit \(default\)/m);
    expect(s.stdout).toMatch(/^hostile/m);
    const q = tv('queries');
    for (const name of ['dlt/summary', 'dlt/errors', 'virtio/latency', 'sched/steal', 'clock/offset', 'bus/throttle']) {
      expect(q.stdout).toContain(name);
    }
  });

  test('a scenario file with --seed and --duration', () => {
    const file = join(root, 'my-platform.json');
    const cockpit = JSON.parse(readFileSync(join(packageRoot(), 'src/scenario/builtin/cockpit.json'), 'utf8'));
    writeFileSync(file, JSON.stringify({ ...cockpit, name: 'mine' }));
    const r = tv('record', file, '-o', join(root, 'run2'), '--seed', '7', '--duration', '300ms');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/recorded mine \(seed 7\) for 300\.000 ms/);
  });
});

describe('bad input: one clear line, exit 2', () => {
  test('malformed scenario names each field', () => {
    const file = join(root, 'bad.json');
    writeFileSync(file, JSON.stringify({ name: 'x', pcpus: 'two', vms: [{ name: 'a', ecu: 'E', program: { type: 'gateway', forwardTo: ['nope'] } }] }));
    const r = tv('record', file, '-o', join(root, 'bad'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `tracevisor: ${file}: pcpus: Invalid input: expected number, received string`,
      `tracevisor: ${file}: vms[0].program.forwardTo[0]: expected a MAC address like 02:00:00:00:00:01`,
    ]);
    expect(existsSync(join(root, 'bad', 'manifest.json'))).toBe(false);
  });

  test('not a trace, unknown table, bad SQL, unknown named query, bad options', () => {
    const dir = join(root, 'small');
    expect(tv('record', '-o', dir, '--duration', '50ms').code).toBe(0);
    const cases: [string[], RegExp][] = [
      [['info', root], /manifest/],
      [['query', join(root, 'nowhere'), 'SELECT 1'], /nowhere/],
      [['query', dir, 'SELECT * FROM nosuchtable'], /nosuchtable/],
      [['query', dir, 'SELEKT 1'], /SQL error/],
      [['query', dir, '--named', 'dlt/nope'], /dlt\/nope/],
      [['query', dir, 'SELECT 1', '--format', 'xml'], /--format/],
      [['record', '-o', dir], /already holds a trace/],
      [['record', '-o', join(root, 'x'), '--duration', 'soon'], /--duration/],
      [['record', 'no-such-scenario', '-o', join(root, 'y')], /not a built-in scenario/],
      [['frobnicate'], /unknown command/],
      // Node 20's recursive mkdir spins forever under /proc: we must fail at once instead.
      [['record', '-o', '/proc/tracevisor-test/run', '--duration', '10ms'], /cannot create directory/],
    ];
    for (const [args, pattern] of cases) {
      const r = tv(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(pattern);
      expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /); // never a stack trace
    }
  });
});

describe('crash safety', () => {
  test('a recorder killed mid-run leaves a readable trace marked incomplete', async () => {
    const dir = join(root, 'killed');
    const child = spawn(process.execPath, [CLI, 'record', '-o', dir, '--duration', '1h'], { stdio: 'ignore' });
    const events = join(dir, 'events.arrow');
    const deadline = Date.now() + 60_000;
    // Wait until several batches are on disk, then kill without warning.
    while ((!existsSync(events) || statSync(events).size < 4_000_000) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const info = tv('info', dir);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/complete\s+NO/);
    const scan = Trace.open(dir).scan('events');
    expect(scan.rowsRecovered).toBeGreaterThan(50_000);
    // Verified reads (issue #7.1): an unfinished trace is refused by default, in one line that
    // says what to do; salvage mode answers from every readable row (and is never stored).
    const q = tv('query', dir, 'SELECT count(*) FROM events');
    expect(q.code).toBe(2);
    expect(q.stderr).toMatch(/^tracevisor: .*did not finish.*--salvage[^\n]*\n$/);
    const s = await QuerySession.open(dir, { mode: 'salvage' });
    const r = await s.run("SELECT count(*) AS n, count(*) FILTER (WHERE kind = 'sched_run') > 0 AS sched FROM events");
    s.close();
    expect(r.rows[0]).toEqual([BigInt(scan.rowsRecovered), true]);
  });

  test('an import killed mid-file leaves a readable trace marked incomplete', async () => {
    // 1000 distinct log messages repeated 600 times: a 600 000-message, ~50 MB file
    const block: DltMessage[] = [];
    for (let i = 0; i < 1000; i++) {
      block.push({
        storage: { seconds: 1_700_000_000 + i, microseconds: 0, ecu: 'RECV' }, ecu: 'ECU1', counter: i & 0xff,
        bigEndian: false, timestamp: i * 10, sessionId: 7, payload: new Uint8Array(0),
        extended: { verbose: true, type: 0, subtype: 4, apid: 'APP', ctid: 'CTX', noar: 2 },
        args: [{ kind: 'string', coding: 'ascii', value: `message ${i} of a long file` }, { kind: 'uint', bits: 32, value: i }],
      });
    }
    const bytes = encodeMessages(block, { storageHeader: true });
    const file = join(root, 'long.dlt');
    writeFileSync(file, Buffer.concat(Array.from({ length: 600 }, () => bytes)));
    const dir = join(root, 'killed-import');
    const child = spawn(process.execPath, [CLI, 'import', 'dlt', file, '-o', dir], { stdio: 'ignore' });
    const dlt = join(dir, 'dlt.arrow');
    const deadline = Date.now() + 60_000;
    while ((!existsSync(dlt) || statSync(dlt).size < 8_000_000) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const info = tv('info', dir);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/complete\s+NO/);
    const scan = Trace.open(dir).scan('dlt');
    expect(scan.rowsRecovered).toBeGreaterThan(8192);
    expect(scan.rowsRecovered).toBeLessThan(600_000);
    expect(tv('query', dir, 'SELECT count(*) FROM dlt').code).toBe(2); // unfinished: refused
    const s = await QuerySession.open(dir, { mode: 'salvage' });
    const r = await s.run('SELECT count(*) AS n, count(DISTINCT payload) AS texts FROM dlt');
    s.close();
    expect(r.rows[0]).toEqual([BigInt(scan.rowsRecovered), BigInt(Math.min(1000, scan.rowsRecovered))]);
  });
});
